/**
 * Chromium as the receiver behind the lab's WHIP endpoint (`--receiver chromium`): each WHIP
 * session is headless /usr/bin/chromium on the lab's receiver page (src/browser/receiver-page.ts,
 * as for `receiver: { kind: chromium }`), which answers the forwarder's offer with libwebrtc and
 * reads every displayed frame's marker at rvfc time. libwebrtc does the receiving: jitter buffer,
 * NACK (the forwarder's offer names its RTX stream), PLI and decoding are Chromium's own. Frames
 * come to the endpoint as `frame` lines on CLOCK_MONOTONIC through the page's clock mapping;
 * the session's end line carries libwebrtc's own NACK, PLI and retransmission counters.
 *
 * A browser holds one peer connection per page here: a new session (a forwarder that
 * reconnected) gets a fresh browser, started ahead so the POST is answered quickly.
 */
import { z } from 'zod';
import { receiverPageSource } from '../chromium/page-bundle.ts';
import { monotonicMs, startPageSession, type PageSession } from '../chromium/page-session.ts';
import { frameRecordOf, pageDrainSchema, type PageDrain } from '../receiver/chromium/page-records.ts';
import { confineSdpToAddress } from '../transport/lab-address.ts';
import type { EndpointSession, SessionFactory } from './whip-endpoint.ts';
import type { WhipEndpointLine } from './whip-hop.ts';

const DRAIN_INTERVAL_MS = 250;
const STATS_INTERVAL_MS = 1000;
/** after the end: time for the last frames in Chromium's jitter buffer to be displayed */
const LAST_FRAMES_MS = 300;

type EndReason = Extract<WhipEndpointLine, { type: 'session-end' }>['reason'];

/** libwebrtc's counters of the video stream it received, from the last getStats sample. */
function inboundCounters(stats: PageDrain['stats']): { nacksSent: number; keyframeRequests: number; recoveredByRtx: number } {
  const last = stats.at(-1);
  const inbound = last?.reports.find((r) => r.type === 'inbound-rtp' && r.values.kind === 'video');
  const num = (key: string): number => (typeof inbound?.values[key] === 'number' ? inbound.values[key] : 0);
  return { nacksSent: num('nackCount'), keyframeRequests: num('pliCount') + num('firCount'), recoveredByRtx: num('retransmittedPacketsReceived') };
}

class ChromiumSession implements EndpointSession {
  private framesReceived = 0;
  private framesDisplayed = 0;
  private readonly stats: PageDrain['stats'] = [];
  private draining: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private ending: Promise<void> | undefined;

  constructor(
    readonly id: string,
    private readonly page: PageSession,
    private readonly onLine: (line: WhipEndpointLine) => void,
    private readonly log: (message: string) => void,
  ) {
    this.timer = setInterval(() => {
      this.draining = this.draining.then(() => this.drain()).catch((error: unknown) => this.log(`chromium session ${id}: drain: ${(error as Error).message}`));
    }, DRAIN_INTERVAL_MS);
  }

  end(reason: EndReason): Promise<void> {
    this.ending ??= this.close(reason);
    return this.ending;
  }

  private async drain(): Promise<void> {
    const drained = await this.page.call('window.glasslab.drain()', pageDrainSchema);
    for (const frame of drained.frames) {
      const record = frameRecordOf(frame, this.page.mapping.offsetMs);
      if (!record) continue;
      this.framesReceived++;
      const ok = record.marker === 'ok';
      if (ok) this.framesDisplayed++;
      this.onLine({
        type: 'frame',
        ok,
        ...(ok && record.frameId !== undefined ? { frameId: record.frameId } : {}),
        ...(ok && record.captureMs !== undefined ? { captureMs: record.captureMs } : {}),
        receivedMs: record.markerReadMs ?? monotonicMs(),
        // libwebrtc's receiveTime of the frame (its last packet), when rvfc gives it
        ...(record.lastPacketMs !== undefined ? { lastPacketMs: record.lastPacketMs } : {}),
      });
    }
    this.stats.push(...drained.stats);
    for (const problem of drained.problems) this.log(`chromium session ${this.id}: page: ${problem}`);
  }

  private async close(reason: EndReason): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, LAST_FRAMES_MS));
    clearInterval(this.timer);
    await this.draining;
    try {
      await this.page.chromium.page.evaluate('window.glasslab.stop()');
      await this.drain();
    } catch (error) {
      this.log(`chromium session ${this.id}: stopping the page: ${(error as Error).message}`);
    }
    await this.page.chromium.close().catch(() => undefined);
    this.onLine({ type: 'session-end', id: this.id, atMs: monotonicMs(), reason, framesReceived: this.framesReceived, framesDisplayed: this.framesDisplayed, ...inboundCounters(this.stats) });
  }
}

/**
 * A session factory whose sessions are Chromium pages; `close()` closes the browser kept ready
 * for the next session. ICE runs on `host` only, with the endpoint's own STUN server.
 */
export async function chromiumSessions(o: { host: string; stunUrl: string; onLine: (line: WhipEndpointLine) => void; log: (message: string) => void }): Promise<{ sessions: SessionFactory; close(): Promise<void> }> {
  const source = await receiverPageSource();
  let next: Promise<PageSession> = startPageSession(source);
  let closed = false;
  const sessions: SessionFactory = async (offer, id) => {
    const page = await next;
    next = startPageSession(source);
    next.catch(() => undefined);
    let answer: string;
    try {
      answer = await page.call(`window.glasslab.answer(${JSON.stringify(offer)}, ${JSON.stringify([{ urls: o.stunUrl }])})`, z.string());
    } catch (error) {
      await page.chromium.close().catch(() => undefined);
      throw new Error(`Chromium could not answer the offer: ${(error as Error).message.split('\n')[0]}`);
    }
    await page.chromium.page.evaluate(`window.glasslab.startStats(${STATS_INTERVAL_MS})`);
    // Chromium offers candidates on every interface of the namespace: hand on the endpoint's address only
    return { answer: confineSdpToAddress(answer, o.host), session: new ChromiumSession(id, page, o.onLine, o.log) };
  };
  return {
    sessions,
    close: async () => {
      if (closed) return;
      closed = true;
      const spare = await next.catch(() => undefined);
      await spare?.chromium.close().catch(() => undefined);
    },
  };
}
