/**
 * Per-frame stage breakdown. Stages are contiguous, from render submit to marker read, so their
 * sum is markerRead − renderSubmit (= glass-to-glass + the render time before capture). A stage
 * whose start or end time a record lacks is absent for that frame, never 0.
 */
import type { ReceiverFrameRecord, SenderFrameRecord } from '../../src/shared/records.ts';

/** Names of the stages, in pipeline order. */
export const STAGE_NAMES = [
  'render',
  'capture',
  'convert',
  'encode',
  'pacing',
  'network',
  'assembly',
  'jitterBuffer',
  'decode',
  'marker',
] as const;

/** One stage name. */
export type StageName = (typeof STAGE_NAMES)[number];

/** What each stage measures (end − start), for reports. */
export const STAGE_DEFINITIONS: Record<StageName, string> = {
  render: 'sender renderDone − renderSubmit',
  capture: 'sender copyDone − renderDone (marker stamp + copy to host)',
  convert: 'sender convertDone − copyDone',
  encode: 'sender encodeDone − convertDone (includes waiting for the encoder)',
  pacing: 'sender lastPacketSent − encodeDone (packetize + pacer)',
  network: 'receiver lastPacket − sender lastPacketSent',
  assembly: 'receiver complete − lastPacket (recovery)',
  jitterBuffer: 'receiver decodeStart − complete',
  decode: 'receiver decodeDone − decodeStart',
  marker: 'receiver markerRead − decodeDone',
};

/** Stage durations of one frame, ms. */
export type StageDurations = Partial<Record<StageName, number>>;

function span(start: number | undefined, end: number | undefined): number | undefined {
  return start === undefined || end === undefined ? undefined : end - start;
}

/** Computes the stage durations (ms) of a frame seen on both sides (sender may be missing). */
export function frameStages(sender: SenderFrameRecord | undefined, receiver: ReceiverFrameRecord): StageDurations {
  const stages: StageDurations = {};
  const put = (name: StageName, value: number | undefined): void => {
    if (value !== undefined) stages[name] = value;
  };
  if (sender !== undefined) {
    put('render', span(sender.renderSubmitMs, sender.renderDoneMs));
    put('capture', span(sender.renderDoneMs, sender.copyDoneMs));
    put('convert', span(sender.copyDoneMs, sender.convertDoneMs));
    put('encode', span(sender.convertDoneMs, sender.encodeDoneMs));
    put('pacing', span(sender.encodeDoneMs, sender.lastPacketSentMs));
    put('network', span(sender.lastPacketSentMs, receiver.lastPacketMs));
  }
  put('assembly', span(receiver.lastPacketMs, receiver.completeMs));
  put('jitterBuffer', span(receiver.completeMs, receiver.decodeStartMs));
  put('decode', span(receiver.decodeStartMs, receiver.decodeDoneMs));
  put('marker', span(receiver.decodeDoneMs, receiver.markerReadMs));
  return stages;
}
