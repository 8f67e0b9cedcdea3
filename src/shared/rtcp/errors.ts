/** Errors and result values shared by the RTCP codecs. Parsers return these; they never throw. */

/** Stable codes a parser reports for bad bytes. */
export type RtcpErrorCode =
  | 'too-short'
  | 'bad-version'
  | 'bad-length'
  | 'bad-padding'
  | 'wrong-type'
  | 'count-mismatch'
  | 'bad-chunk'
  | 'bad-symbol'
  | 'truncated-deltas'
  | 'value-out-of-range';

/** What went wrong parsing or building RTCP, with a stable `code` and the byte offset when known. */
export interface RtcpError {
  readonly kind: 'rtcp-error';
  readonly code: RtcpErrorCode;
  readonly message: string;
  /** offset in the datagram, bytes */
  readonly offset?: number;
}

/** Either a value or an error value; parsers return this instead of throwing. */
export type RtcpResult<T> = { ok: true; value: T } | { ok: false; error: RtcpError };

/** Builds an error result. */
export function rtcpErr<T>(code: RtcpErrorCode, message: string, offset?: number): RtcpResult<T> {
  const error: RtcpError = offset === undefined
    ? { kind: 'rtcp-error', code, message }
    : { kind: 'rtcp-error', code, message, offset };
  return { ok: false, error };
}

/** Builds a success result. */
export function rtcpOk<T>(value: T): RtcpResult<T> {
  return { ok: true, value };
}

/**
 * Thrown only by encoders, when the caller passes a field outside its wire range (a programming
 * error, not bad input bytes). Carries the same stable codes as parse errors.
 */
export class RtcpEncodeError extends Error {
  readonly code: RtcpErrorCode;
  constructor(code: RtcpErrorCode, message: string) {
    super(message);
    this.name = 'RtcpEncodeError';
    this.code = code;
  }
}

/** Throws RtcpEncodeError unless `v` is an integer in [0, max]. */
export function checkUint(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RtcpEncodeError('value-out-of-range', `${field}=${v} outside 0..${max}`);
  }
}
