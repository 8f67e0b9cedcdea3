/**
 * Which frames a receiver could decode, from wire truth alone: a frame is whole when each of its
 * media packets was delivered on first transmission, rebuilt by the FEC masks from what the link
 * delivered, or delivered as RTX; a delta frame decodes only while every frame since the last
 * whole keyframe was whole (H.264 without frame marking: libwebrtc's reference finder waits for a
 * keyframe after a gap). The count a peer's "frames decoded" is held against.
 *
 * `bySequence` adds libwebrtc's rule for payloads without a picture ID (H.264): a delta frame is
 * continuous only when every sequence number since the previous frame's last one is there,
 * including ULPFEC packets, which travel in RED on the media SSRC and take numbers from its
 * space. A lost ULPFEC packet that nothing repairs is a gap libwebrtc waits on until a keyframe
 * (libwebrtc's own sender therefore turns RED+ULPFEC off for H.264 with NACK).
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { RunRecords } from './run-records.ts';
import { fecRebuilt } from './recovery.ts';
import { SentPacketIndex } from './wire-packets.ts';

export interface DecodableFrames {
  /** frames the sender sent (with packets) */
  sent: number;
  /** frames all of whose packets arrived or could be repaired */
  whole: number;
  /** whole frames whose reference chain back to a whole keyframe is whole */
  decodable: number;
  /** decodable frames with no unrepaired gap in the media SSRC's sequence numbers since the previous frame */
  bySequence: number;
}

export function decodableFrames(records: RunRecords, fates: readonly LinkFateRecord[]): DecodableFrames {
  const senderOut = records.packets.filter((p) => p.side === 'sender' && p.dir === 'out');
  const index = new SentPacketIndex(senderOut, fates);
  const media = index.all().filter((p) => p.kind === 'media');
  const mediaSsrcs = [...new Set(media.map((p) => p.ssrc))];
  const rebuilt = fecRebuilt(records, index, mediaSsrcs);
  const byRtx = new Set<string>();
  for (const p of index.all()) {
    if (p.kind === 'rtx' && p.originalSeq !== undefined && p.fate !== undefined && !p.fate.dropped) for (const ssrc of mediaSsrcs) byRtx.add(`${ssrc}/${p.originalSeq}`);
  }
  const frames = records.senderFrames
    .filter((f) => f.dropped === undefined && f.firstSeq !== undefined && f.lastSeq !== undefined && f.firstPacketSentMs !== undefined)
    .sort((a, b) => a.firstPacketSentMs! - b.firstPacketSentMs!);
  // every first transmission on a media SSRC (media, and ULPFEC in RED) that arrived or was repaired
  const there = (ssrc: number, seq: number, atMs: number): boolean => {
    const packet = index.resolve(ssrc, seq, atMs);
    if (packet === undefined) return true; // a number the sender never used on this SSRC is no gap
    if (packet.fate !== undefined && !packet.fate.dropped) return true;
    return rebuilt.has(packet) || byRtx.has(`${packet.ssrc}/${packet.seq}`);
  };
  let whole = 0;
  let decodable = 0;
  let bySequence = 0;
  let chainIntact = false;
  let sequenceIntact = false;
  let previousLast: number | undefined;
  for (const frame of frames) {
    let ok = true;
    for (let seq = frame.firstSeq!; ok; seq = (seq + 1) & 0xffff) {
      const packet = mediaSsrcs.map((ssrc) => index.resolve(ssrc, seq, frame.firstPacketSentMs!)).find((p) => p?.kind === 'media');
      const arrived = packet !== undefined && (packet.fate === undefined ? false : !packet.fate.dropped);
      ok = packet !== undefined && (arrived || rebuilt.has(packet) || byRtx.has(`${packet.ssrc}/${packet.seq}`));
      if (seq === frame.lastSeq) break;
    }
    if (ok) whole += 1;
    if (frame.keyframe === true) chainIntact = ok;
    else if (!ok) chainIntact = false;
    if (ok && chainIntact) decodable += 1;
    // the numbers between the previous frame and this one (its FEC packets, in RED) must be there too
    let gapless = true;
    if (previousLast !== undefined) {
      for (let seq = (previousLast + 1) & 0xffff; seq !== frame.firstSeq && gapless; seq = (seq + 1) & 0xffff) {
        gapless = mediaSsrcs.every((ssrc) => there(ssrc, seq, frame.firstPacketSentMs!));
      }
    }
    previousLast = frame.lastSeq;
    if (frame.keyframe === true) sequenceIntact = ok;
    else if (!ok || !gapless) sequenceIntact = false;
    if (ok && sequenceIntact) bySequence += 1;
  }
  return { sent: frames.length, whole, decodable, bySequence };
}
