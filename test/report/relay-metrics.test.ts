import { describe, expect, it } from 'vitest';
import { computeRelay, parseRelayFrames, type RelayFrame } from '../../lab/metrics/relay.ts';
import type { EventRecord, ReceiverFrameRecord } from '../../src/shared/records.ts';

const receiverFrame = (frameId: number, markerReadMs: number): ReceiverFrameRecord =>
  ({ type: 'frame', side: 'receiver', rtpTimestamp: frameId * 3000, frameId, markerReadMs, marker: 'ok' });
const relayFrame = (target: number, frameId: number | undefined, captureMs: number, receivedMs: number): RelayFrame => ({
  type: 'relay-frame', target, protocol: target === 0 ? 'rtmp' : 'srt', receivedMs, ...(frameId !== undefined ? { frameId, captureMs } : {}),
});
const event = (name: string, side: EventRecord['side'], detail: Record<string, string | number>): EventRecord => ({ type: 'event', side, timeMs: 0, name, detail });

describe('relay metrics', () => {
  it('per target: G2G from capture, added over the direct path, the forwarder counters, the reconnect after a restart', () => {
    const receiverFrames = [0, 1, 2, 3].map((id) => receiverFrame(id, 1000 + id * 33 + 10));
    const frames = [
      ...[0, 1, 2, 3].map((id) => relayFrame(0, id, 1000 + id * 33, 1000 + id * 33 + 45)),
      relayFrame(0, undefined, 0, 1200),
      ...[0, 1].map((id) => relayFrame(1, id, 1000 + id * 33, 1000 + id * 33 + 130)),
      relayFrame(1, 3, 1099, 1900),
    ];
    const events = [
      event('relay-target', 'receiver', { index: 0, url: 'rtmp://127.0.0.1:1/live/x', forwarded: 4, frames: 4, dropped: 0, reconnects: 0, state: 'closed' }),
      event('relay-target', 'receiver', { index: 1, url: 'srt://127.0.0.1:2', forwarded: 4, frames: 3, dropped: 1, reconnects: 1, state: 'closed' }),
      event('relay-endpoint-killed', 'orchestrator', { index: 1, atMs: 1100 }),
      event('relay-endpoint-restarted', 'orchestrator', { index: 1, atMs: 1500 }),
    ];
    const [rtmp, srt] = computeRelay({ frames, events, receiverFrames });
    expect(rtmp).toMatchObject({ index: 0, protocol: 'rtmp', forwarded: 4, written: 4, decoded: 5, markersRead: 4, g2gMs: { p50: 45 }, addedMs: { p50: 35, frames: 4 } });
    expect(rtmp!.reconnect).toBeUndefined();
    expect(srt).toMatchObject({ index: 1, protocol: 'srt', dropped: 1, reconnects: 1, decoded: 3, reconnect: { killedMs: 1100, restartedMs: 1500, firstFrameAfterMs: 400 } });
  });

  it('WHIP: the WebRTC counters, the forwarder part, and added split into the way there and the endpoint\'s own part', () => {
    // the lab receiver: last packet at 1000 + 33 id, marker read 4 ms later
    const receiverFrames = [0, 1, 2].map((id): ReceiverFrameRecord => ({ ...receiverFrame(id, 1000 + id * 33 + 4), lastPacketMs: 1000 + id * 33 }));
    // the endpoint: its last packet 1.5 ms after the receiver's, marker read 5 ms after that
    const frames: RelayFrame[] = [0, 1, 2].map((id) => ({ type: 'relay-frame', target: 0, protocol: 'whip', frameId: id, captureMs: 990 + id * 33, lastPacketMs: 1001.5 + id * 33, receivedMs: 1006.5 + id * 33 }));
    const events = [
      event('relay-target', 'receiver', {
        index: 0, url: 'whip://127.0.0.1:1/w', forwarded: 30, frames: 3, packets: 30, dropped: 0, reconnects: 0, state: 'closed', sessions: 1, nacksReceived: 2, retransmitted: 2,
        keyframeRequests: 1, forwardMsP50: 0.4, forwardMsP95: 0.9, forwardMsMax: 2,
      }),
    ];
    const [whip] = computeRelay({ frames, events, receiverFrames });
    expect(whip).toMatchObject({
      protocol: 'whip', decoded: 3, addedMs: { p50: 2.5 }, forwarderP50Ms: 0.4,
      stagesMs: { toEndpointP50: 1.5, inEndpointP50: 5, directInReceiverP50: 4, frames: 3 },
      webrtc: { packets: 30, sessions: 1, nacksReceived: 2, retransmitted: 2, keyframeRequests: 1, forwarderMs: { p50: 0.4, p95: 0.9, max: 2 } },
    });
  });

  it('relay.ndjson: malformed lines are counted, never thrown', () => {
    const { frames, bad } = parseRelayFrames(['{"type":"relay-frame","target":0,"protocol":"rtmp","receivedMs":5}', '{nope', '{"type":"other"}', ''].join('\n'));
    expect(frames).toHaveLength(1);
    expect(bad).toBe(2);
  });
});
