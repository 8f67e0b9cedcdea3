/**
 * The HTTP half of a WHIP client (RFC 9725 §4.2): POST the SDP offer, take the 201's answer and
 * session URL; DELETE the session URL to end it. Errors say what the endpoint answered (status
 * and the start of its body), so a wrong path, token or SDP is named in the target's state.
 */
import { WHIP_CONTENT_TYPE } from './whip-hop.ts';

export class WhipError extends Error {
  constructor(
    /** HTTP status, or 0 when no response came (refused, timed out, bad URL) */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'WhipError';
  }
}

export interface WhipSession {
  answerSdp: string;
  /** absolute URL of the session resource (the Location header resolved against the endpoint URL) */
  resourceUrl: string;
}

/** Longest answer accepted, bytes. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** POSTs `offerSdp` to the WHIP endpoint; resolves with the answer and session URL, rejects with WhipError. */
export async function whipPublish(endpointUrl: string, offerSdp: string, options: { token?: string; timeoutMs?: number } = {}): Promise<WhipSession> {
  const headers: Record<string, string> = { 'content-type': WHIP_CONTENT_TYPE };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(endpointUrl, { method: 'POST', headers, body: offerSdp, redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new WhipError(0, `WHIP POST ${endpointUrl}: no response (${cause})`);
  }
  const body = await response.text();
  if (response.status !== 201) {
    throw new WhipError(response.status, `WHIP POST ${endpointUrl}: ${response.status} ${response.statusText}${body.trim() !== '' ? `: ${body.trim().slice(0, 200)}` : ''}`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith(WHIP_CONTENT_TYPE)) throw new WhipError(201, `WHIP POST ${endpointUrl}: the answer is ${type === '' ? 'untyped' : `'${type}'`}, not ${WHIP_CONTENT_TYPE}`);
  if (body.length === 0 || body.length > MAX_ANSWER_BYTES) throw new WhipError(201, `WHIP POST ${endpointUrl}: the answer has ${body.length} bytes (1..${MAX_ANSWER_BYTES})`);
  const location = response.headers.get('location');
  if (location === null || location === '') throw new WhipError(201, `WHIP POST ${endpointUrl}: 201 without a Location header`);
  let resourceUrl: string;
  try {
    resourceUrl = new URL(location, response.url || endpointUrl).toString();
  } catch {
    throw new WhipError(201, `WHIP POST ${endpointUrl}: Location '${location.slice(0, 100)}' is not a URL`);
  }
  return { answerSdp: body, resourceUrl };
}

/** Ends a WHIP session (DELETE); resolves with the status, 0 when the endpoint did not answer. Never rejects. */
export async function whipDelete(resourceUrl: string, options: { token?: string; timeoutMs?: number } = {}): Promise<number> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  try {
    const response = await fetch(resourceUrl, { method: 'DELETE', headers, signal: AbortSignal.timeout(options.timeoutMs ?? 2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
