/**
 * The virtual-time driver with the scenario mapping a real run uses (lab/sim/session-options.ts),
 * the native link model in between and frames from the rate model: no timers, no sleeps. At 10 %
 * random media loss and 50 ms one-way delay, no protection loses frames; NACK/RTX, FEC and hybrid
 * bring them back, with every displayed frame byte for byte the one sent (its "marker" reads);
 * the records are those a real run's processes write (they pass the record schemas); the same
 * seed gives the same session; a keyframe request reaches the frame source.
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { virtualSessionOptions } from '../../lab/sim/session-options.ts';
import { runVirtualSession } from '../../src/sim/virtual-session.ts';
import { ModelFrames } from '../../src/sim/frame-trace.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import { parseFateLog } from '../../src/link/fate.ts';
import type { LabRecord } from '../../src/shared/records.ts';

function session(protection: string, seed = 11, loss = '10%') {
  const scenario = parseScenarioText(
    `name: s\nduration: 3s\nresolution: 640x360\nfps: 30\nseed: ${seed}\nencoder: { codec: x264, bitrate: 400kbps }\nprotection: ${protection}\n` +
      `link: { backend: userspace, delay: 50ms, rate: 20mbit, queue: { packets: 100 }, up: { loss: { model: random, p: ${loss} } } }\n`,
    's.yaml', seed,
  );
  const sender: LabRecord[] = [];
  const receiver: LabRecord[] = [];
  let fates = '';
  const frames = new ModelFrames({ bitrateBps: 400_000, fps: 30, gop: 300, keyframeRatio: 6, spread: 0.2, encodeLatencyMs: 8, frames: 90, seed });
  const result = runVirtualSession(virtualSessionOptions(scenario, {
    frames, startMs: 1000, sender: { write: (r) => sender.push(r) }, receiver: { write: (r) => receiver.push(r) }, linkFates: (t) => { fates += t; },
  }));
  const displayed = receiver.filter((r) => r.type === 'frame' && r.side === 'receiver' && r.marker === 'ok').length;
  const misread = receiver.filter((r) => r.type === 'frame' && r.side === 'receiver' && r.marker === 'check-failed').length;
  return { result, sender, receiver, fates, displayed, misread };
}

describe('virtual session', () => {
  it('no protection at 10 % loss: frames lost, none misread', () => {
    const s = session('{ mode: none }');
    expect(s.result.framesCaptured).toBe(90);
    expect(s.result.sender.framesSent).toBe(90);
    expect(s.misread).toBe(0);
    expect(s.displayed).toBeLessThan(30);
  });

  // FEC alone with the controller's factors loses what went before the first RR reported loss (0
  // until then, as libwebrtc), and a P-frame after any unrepaired loss is undecodable until the
  // next keyframe: fixed factors show what the FEC itself repairs
  it.each([
    ['{ mode: nack }', 85],
    ['{ mode: fec, mask: random, fecRates: { key: 100, delta: 100 } }', 30],
    ['{ mode: hybrid, mask: bursty }', 85],
  ] as const)('%s at 10 %% loss brings frames back intact', (protection, atLeast) => {
    const s = session(protection);
    expect(s.misread).toBe(0);
    expect(s.displayed).toBeGreaterThanOrEqual(atLeast);
    const c = s.result.receiver;
    if (protection.includes('nack')) expect(c.recoveredByRtx).toBeGreaterThan(0);
    if (protection.includes('fec') || protection.includes('hybrid')) expect(c.recoveredByFec).toBeGreaterThan(0);
  });

  it('records are a real run\'s: every one passes its schema; the fate log parses and holds each media packet', () => {
    const s = session('{ mode: hybrid, mask: bursty }');
    const sorted = sortRecords([...s.sender, ...s.receiver]);
    expect(sorted.invalid).toBe(0);
    expect(sorted.senderFrames.length).toBe(90);
    const parsed = parseFateLog(s.fates);
    if (!('records' in parsed)) throw parsed.error;
    const fates = parsed.records;
    const mediaOut = sorted.packets.filter((p) => p.side === 'sender' && p.kind === 'media');
    const upRtp = fates.filter((f) => f.dir === 'up' && f.ssrc === mediaOut[0]!.ssrc && !f.duplicate);
    expect(upRtp.length).toBeGreaterThanOrEqual(mediaOut.length);
    const lost = upRtp.filter((f) => f.drop === 'loss').length / upRtp.length;
    expect(lost).toBeGreaterThan(0.05);
    expect(lost).toBeLessThan(0.16);
  });

  it('the same seed gives the same session; another seed another loss pattern', () => {
    const a = session('{ mode: nack }', 5);
    const b = session('{ mode: nack }', 5);
    const c = session('{ mode: nack }', 6);
    expect(b.fates).toBe(a.fates);
    expect(JSON.stringify(b.receiver)).toBe(JSON.stringify(a.receiver));
    expect(c.fates).not.toBe(a.fates);
  });

  it('a frame the receiver cannot decode brings a keyframe request; the next captured frame is a keyframe', () => {
    const s = session('{ mode: none }', 3, '30%');
    const plis = s.receiver.filter((r) => r.type === 'feedback' && r.kind === 'pli');
    expect(plis.length).toBeGreaterThan(0);
    const keyframes = s.sender.filter((r) => r.type === 'frame' && r.side === 'sender' && r.keyframe === true);
    expect(keyframes.length).toBeGreaterThan(1);
    expect(s.result.sender.keyframeRequests).toBeGreaterThan(0);
  });
});
