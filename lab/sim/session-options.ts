/**
 * The scenario → virtual-session mapping: the same send and receive options a real run gives
 * its processes (lab/run/child-options.ts), the media stream a werift negotiation gives them
 * (payload type 102 as the lab offers it, the three header extensions, a seeded SSRC), the link
 * directions seeded as the userspace backend seeds them (up: seed, down: seed + 1) with the
 * scenario's timeline, and the frames from a trace or the rate model.
 */
import { receiverRunOptions, senderRunOptions } from '../run/child-options.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import { sendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';
import { seededUint32 } from '../../src/sender/rtp-clock.ts';
import type { NegotiatedMedia } from '../../src/transport/webrtc-peer.ts';
import { TRANSPORT_WIDE_SEQ_URI } from '../../src/shared/rtp/extensions/transport-wide-seq.ts';
import { ABS_SEND_TIME_URI } from '../../src/shared/rtp/extensions/abs-send-time.ts';
import { ABS_CAPTURE_TIME_URI } from '../../src/shared/rtp/extensions/abs-capture-time.ts';
import { ModelLink, type SimLink } from '../../src/sim/sim-link.ts';
import type { FrameTraceSource } from '../../src/sim/frame-trace.ts';
import type { VirtualSessionOptions } from '../../src/sim/virtual-session.ts';
import type { RecordSink } from '../../src/shared/records.ts';
import { RECEIVER_RTCP_SSRC } from '../../src/receiver/run-options.ts';

/** The media stream of a simulated run: what werift negotiates for the lab's offer. */
export function simulatedMedia(seed: number, override?: Partial<Pick<NegotiatedMedia, 'ssrc' | 'payloadType'>>): NegotiatedMedia {
  // the ids werift gives the lab's offer (src/transport/webrtc-peer.ts offers them in this order);
  // not imported from there, which would load werift for a simulation
  const extensions: Record<string, number> = { [TRANSPORT_WIDE_SEQ_URI]: 1, [ABS_SEND_TIME_URI]: 2, [ABS_CAPTURE_TIME_URI]: 3 };
  return { payloadType: override?.payloadType ?? 102, ssrc: override?.ssrc ?? seededUint32(seed, 9), extensions };
}

/** How long a simulated run goes on after its last frame, ms: the real sender's NACK tail, and at least one assembler wait. */
function drainMsOf(scenario: ResolvedScenario): number {
  const sender = senderRunOptions(scenario);
  const receiver = receiverRunOptions(scenario);
  return Math.max(500, sender.nackTailMs, receiver.recovery?.assemblerMaxWaitMs ?? 0);
}

export interface SimulatedRunInput {
  frames: FrameTraceSource;
  sender: RecordSink;
  receiver: RecordSink;
  linkFates: (ndjson: string) => void;
  /** virtual clock at the first capture, ms */
  startMs: number;
  /** time a decode takes, ms (default 2: the native decoder at 360p on this machine) */
  decodeMs?: number;
  /** the media stream; default {@link simulatedMedia} */
  media?: NegotiatedMedia;
  /** link directions; default the native model with the scenario's parameters and timeline */
  links?: { up: SimLink; down: SimLink };
}

/** The virtual session of a scenario. Throws FecRateTableError when the scenario's rate table cannot be read. */
export function virtualSessionOptions(scenario: ResolvedScenario, input: SimulatedRunInput): VirtualSessionOptions {
  const sender = senderRunOptions(scenario);
  const receiver = receiverRunOptions(scenario);
  const media = input.media ?? simulatedMedia(scenario.seed);
  const params = scenario.link === 'none' ? { up: {}, down: {} } : scenario.link.params;
  let links = input.links;
  let linkChanges: VirtualSessionOptions['linkChanges'] = [];
  if (!links) {
    const seed = scenario.link === 'none' ? scenario.seed : (scenario.link.seed ?? scenario.seed);
    const up = new ModelLink(seed, params.up, 'up');
    const down = new ModelLink(seed + 1, params.down, 'down');
    links = { up, down };
    if (scenario.link !== 'none') {
      linkChanges = scenario.link.timeline.map((change) => ({
        atMs: change.atUs / 1000,
        apply: () => { up.setParams(change.params.up); down.setParams(change.params.down); },
      }));
    }
  }
  return {
    startMs: input.startMs,
    durationMs: scenario.durationMs,
    drainMs: drainMsOf(scenario),
    fps: scenario.fps,
    frames: input.frames,
    send: {
      media,
      mtu: sender.mtu,
      seed: sender.seed,
      pacing: sender.pacing,
      ...(sender.protection ? { protection: sendProtectionOptions(sender.protection, media) } : {}),
      ...(sender.congestion ? { congestion: sender.congestion } : {}),
    },
    receive: {
      pliIntervalMs: receiver.pliIntervalMs,
      localSsrc: RECEIVER_RTCP_SSRC,
      maxWaitMs: receiver.recovery?.assemblerMaxWaitMs ?? 0,
      ...(receiver.recovery ? { recovery: receiver.recovery } : {}),
      ...(receiver.transportFeedback && media.extensions[TRANSPORT_WIDE_SEQ_URI] !== undefined ? { transportFeedback: { extensionId: media.extensions[TRANSPORT_WIDE_SEQ_URI] } } : {}),
      ...(receiver.ccfb ? { ccfb: {} } : {}),
    },
    up: links.up,
    down: links.down,
    linkChanges,
    decodeMs: input.decodeMs ?? 2,
    sender: input.sender,
    receiver: input.receiver,
    linkFates: input.linkFates,
  };
}
