/**
 * The virtual-time congestion harness (the shape of test/sim/congestion.test.ts's): a scenario
 * with the given `congestion`, `link` and timeline run through the pipelines and the link model,
 * with the sender's `bwe` events and the up direction's fates read back. `injectDown` adds
 * datagrams to the feedback path at ms after the start (a peer's REMB), delivered as the link
 * would.
 */
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { virtualSessionOptions } from '../../lab/sim/session-options.ts';
import { frameSourceOf } from '../../lab/sim/run-sim.ts';
import { runVirtualSession } from '../../src/sim/virtual-session.ts';
import type { SimLink } from '../../src/sim/sim-link.ts';
import { parseFateLog } from '../../src/link/fate.ts';
import type { EventRecord, FeedbackRecord, LabRecord } from '../../src/shared/records.ts';

/** Virtual clock at the first capture, ms. */
const START_MS = 1000;

/** `link` with `datagrams` released to the far end at their times (absolute ms), beside what it carries. */
function withInjected(link: SimLink, datagrams: readonly { atMs: number; datagram: Uint8Array }[]): SimLink {
  const pending = [...datagrams].sort((a, b) => a.atMs - b.atMs);
  return {
    offer: (d, nowMs) => link.offer(d, nowMs),
    pollTimeout: () => {
      const own = link.pollTimeout();
      const next = pending[0]?.atMs;
      return own === undefined ? next : next === undefined ? own : Math.min(own, next);
    },
    pollRelease: (nowMs) => (pending[0] !== undefined && pending[0].atMs <= nowMs ? pending.shift()!.datagram : link.pollRelease(nowMs)),
    fateText: () => link.fateText(),
    ...(link.observe ? { observe: (r: LabRecord) => link.observe!(r) } : {}),
  };
}

export interface SimulateOptions {
  /** datagrams for the sender at ms after the start; `datagram` gets the media SSRC */
  injectDown?: { atMs: number; datagram: (mediaSsrc: number) => Uint8Array }[];
}

/** Runs a 20 s 640x360 scenario (seed 3, x264 1500 kbit/s) and reads back what congestion control did. */
export function simulate(congestion: string, link: string, timeline = '', o: SimulateOptions = {}) {
  const scenario = parseScenarioText(
    `name: c\nduration: 20s\nresolution: 640x360\nfps: 30\nseed: 3\nencoder: { codec: x264, bitrate: 1500kbps }\ncongestion: ${congestion}\n` +
      `link: ${link}\n${timeline}`,
    'c.yaml', 3,
  );
  const records: LabRecord[] = [];
  let fateText = '';
  const options = virtualSessionOptions(scenario, {
    frames: frameSourceOf(scenario, undefined), startMs: START_MS, sender: { write: (r) => records.push(r) }, receiver: { write: (r) => records.push(r) }, linkFates: (t) => { fateText += t; },
  });
  const mediaSsrc = options.send.media.ssrc;
  const injected = (o.injectDown ?? []).map((d) => ({ atMs: START_MS + d.atMs, datagram: d.datagram(mediaSsrc) }));
  const result = runVirtualSession(injected.length > 0 ? { ...options, down: withInjected(options.down, injected) } : options);
  const parsed = parseFateLog(fateText);
  if (!('records' in parsed)) throw parsed.error;
  const up = parsed.records.filter((f) => f.dir === 'up');
  const events = records.filter((r): r is EventRecord => r.type === 'event' && r.side === 'sender');
  const bwe = events.filter((e) => e.name === 'bwe');
  const feedback = records.filter((r): r is FeedbackRecord => r.type === 'feedback');
  const targetAt = (ms: number): number => Number([...bwe].reverse().find((e) => e.timeMs <= START_MS + ms)?.detail?.targetBps ?? NaN);
  const queueDelayMs = (fromMs: number, toMs: number): number[] =>
    up.filter((f) => f.releaseMs !== undefined && f.enqueueMs >= START_MS + fromMs && f.enqueueMs < START_MS + toMs).map((f) => f.releaseMs! - f.enqueueMs - 20);
  const drops = (fromMs: number, toMs: number): number => up.filter((f) => f.drop === 'queue' && f.enqueueMs >= START_MS + fromMs && f.enqueueMs < START_MS + toMs).length;
  const sentKbps = (fromMs: number, toMs: number): number =>
    up.filter((f) => f.enqueueMs >= START_MS + fromMs && f.enqueueMs < START_MS + toMs).reduce((s, f) => s + f.size * 8, 0) / (toMs - fromMs);
  return { result, bwe, events, feedback, targetAt, queueDelayMs, drops, sentKbps, mediaSsrc };
}

/** The 95th percentile (nearest rank below), NaN for none. */
export const p95 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] ?? NaN;
