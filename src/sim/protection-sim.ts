/**
 * Virtual-time protection harness: synthetic access units → H.264 packetizer → SendProtection →
 * pacer → LinkModel (down) → ReceiveRecovery → frame assembler, RTCP back through a second
 * LinkModel (up). Earliest event first, no sleeps: each step jumps to the smallest timeout among
 * the frame clock, the units and both link directions. Wire truth comes from the link's offer
 * outcomes for each first transmission of a media packet. Received ULPFEC seqs are passed to the
 * assembler as non-media (`insertNonMedia`).
 */
import { H264Packetizer, H264PacketizeError } from '../sender/h264/packetizer.ts';
import { SendProtection } from '../sender/protection/send-chain.ts';
import { PACED_KIND_OF, type SendPacket, type SendProtectionOptions } from '../sender/protection/options.ts';
import { ReceiveRecovery } from '../receiver/protection/receive-chain.ts';
import type { ReceiveRecoveryOptions } from '../receiver/protection/options.ts';
import { LeakyPacer, type LeakyPacerOptions } from '../sender/pacer/leaky.ts';
import { FrameAssembler } from '../receiver/frame-assembler.ts';
import type { FrameAssemblerOptions } from '../receiver/frame-assembler-types.ts';
import { LinkModel } from '../link/model.ts';
import type { LinkModelParams } from '../link/params.ts';
import { isRtpParseError, parseRtp } from '../shared/rtp/packet.ts';
import { SeqUnwrapper } from '../shared/rtp/seq.ts';
import { SyntheticFrames, type FrameSizeModel } from './synthetic-frames.ts';
import { classify, newTruth, type SimReport, type WireTruth } from './sim-report.ts';

/** One run's configuration. */
export interface ProtectionSimOptions {
  seed: number;
  /** frames are produced for this long, ms */
  durationMs: number;
  /** the run goes on this long after the last frame so recoveries can land, ms */
  drainMs: number;
  frameRateFps: number;
  frames: FrameSizeModel;
  /** largest RTP packet, bytes */
  maxPacketBytes: number;
  send: SendProtectionOptions;
  receive: ReceiveRecoveryOptions;
  pacer: Partial<LeakyPacerOptions>;
  assembler: FrameAssemblerOptions;
  down: LinkModelParams;
  up: LinkModelParams;
}

const isRtcp = (b: Uint8Array): boolean => b.length >= 2 && b[1]! >= 192 && b[1]! <= 223;
const asBuffer = (p: Uint8Array): Buffer => Buffer.from(p.buffer, p.byteOffset, p.length);

/** Runs one simulation and returns its report plus the wire truth it was computed from. */
export function runProtectionSim(o: ProtectionSimOptions): { report: SimReport; truth: WireTruth } {
  const source = new SyntheticFrames(o.frames, o.seed);
  const packetizer = new H264Packetizer({
    maxPacketBytes: o.maxPacketBytes, payloadType: o.send.mediaPayloadType, ssrc: o.send.mediaSsrc, csrcs: [],
    fecOverheadBytes: 0, rtxOverheadBytes: 0, extensions: {}, extensionProfile: 'one-byte', aggregate: true,
  });
  const send = new SendProtection(o.send);
  const recv = new ReceiveRecovery(o.receive);
  const pacer = new LeakyPacer<SendPacket>(o.pacer);
  // ULPFEC in RED takes media seqs: a lost one would look like a lost media packet (see the option).
  const assembler = new FrameAssembler({ ...o.assembler, gapAfterMarkerIsNonMedia: o.assembler.gapAfterMarkerIsNonMedia ?? o.receive.red !== undefined });
  const down = new LinkModel(o.seed, o.down, 'down');
  const up = new LinkModel(o.seed + 1, o.up, 'up');
  const truth = newTruth();
  const seqs = new SeqUnwrapper();
  const frameIntervalMs = 1000 / o.frameRateFps;
  let nextFrameMs = 0;
  let frameIndex = 0;
  let nextSeq = (o.seed * 7919) & 0xffff;
  let forceKey = false;
  let now = 0;

  const drainSend = (): void => {
    for (let e = send.pollOutput(); e !== undefined; e = send.pollOutput()) {
      if (e.type === 'packet') pacer.enqueue({ kind: PACED_KIND_OF[e.kind], sizeBytes: e.packet.length, data: e }, now);
      else if (e.type === 'rtcp') down.offer(asBuffer(e.packet), Math.round(now * 1000));
      else if (e.type === 'keyframe-request') { forceKey = true; truth.keyframeRequests++; }
      else if (e.type === 'fec-block') truth.fecBlocks.push({ ...e, mediaSeqs: e.mediaSeqs.map((s) => seqs.peek(s)) });
    }
  };
  const drainRecv = (): void => {
    for (let e = recv.pollOutput(); e !== undefined; e = recv.pollOutput()) {
      if (e.type === 'media') {
        const ext = seqs.peek(e.seq);
        const sent = truth.media.get(ext);
        if (!sent || Buffer.compare(asBuffer(sent.plain), asBuffer(e.packet)) !== 0) truth.wrongPackets++;
        const parsed = parseRtp(e.packet);
        if (isRtpParseError(parsed)) { truth.wrongPackets++; continue; }
        const r = assembler.insert(parsed, now);
        if (sent && e.recoveredBy) sent.recovered = { by: e.recoveredBy, atMs: now, late: r === 'late' };
      } else if (e.type === 'rtcp') {
        if (e.kind === 'nack') truth.nacksSent++;
        up.offer(asBuffer(e.packet), Math.round(now * 1000));
      } else if (e.type === 'fec-seq') assembler.insertNonMedia(e.seq, now);
      else if (e.type === 'spurious-rtx') truth.spuriousRtx++;
      else if (e.type === 'recovered' && e.by === 'rtx' && e.afterMs !== undefined) truth.rtxDetectToRecoveryMs.push(e.afterMs);
    }
    for (let a = assembler.pollOutput(); a !== undefined; a = assembler.pollOutput()) {
      if (a.type === 'frame') {
        truth.framesComplete++;
        if (a.frame.decodable) truth.framesDecodable++;
      }
      else if (a.type === 'keyframe-needed') recv.requestKeyframe(now);
    }
  };

  const endMs = o.durationMs + o.drainMs;
  while (now <= endMs) {
    if (now >= nextFrameMs && nextFrameMs < o.durationMs) {
      const f = source.next(frameIndex, forceKey);
      forceKey = false;
      const pf = packetizer.packetize({ accessUnit: f.nals, rtpTimestamp: (frameIndex * Math.round(90_000 / o.frameRateFps)) >>> 0, firstSequenceNumber: nextSeq });
      if (pf instanceof H264PacketizeError) throw new Error(pf.message);
      for (const p of pf.packets) truth.media.set(seqs.unwrap(p.sequenceNumber), { plain: p.data, sentMs: now, lost: false, recovered: undefined });
      const r = send.sendFrame({ packets: pf.packets.map((p) => p.data), keyframe: f.keyframe, nowMs: now });
      if (r instanceof Error) throw r;
      nextSeq = r.nextSequenceNumber;
      truth.framesSent++;
      frameIndex++;
      nextFrameMs = frameIndex * frameIntervalMs;
      drainSend();
    }
    send.handleTimeout(now);
    drainSend();
    pacer.handleTimeout(now);
    for (let r = pacer.pollOutput(); r !== undefined; r = pacer.pollOutput()) {
      const p = r.packet.data;
      const outcome = down.offer(asBuffer(p.packet), Math.round(now * 1000));
      if (p.kind === 'rtx') truth.rtxSent++;
      if (p.kind === 'media' && p.mediaSeq !== undefined && outcome !== 'held') {
        const m = truth.media.get(seqs.peek(p.mediaSeq));
        if (m) { m.lost = true; m.lostAtMs = now; }
      }
      if (p.kind === 'fec' && outcome !== 'held') truth.lostFec.add(`${p.ssrc}:${p.seq}`);
    }
    const nowUs = Math.round(now * 1000);
    for (let d = down.pollRelease(nowUs); d !== undefined; d = down.pollRelease(nowUs)) {
      if (isRtcp(d.data)) recv.handleRtcp(d.data, now);
      else recv.receive(d.data, now);
      drainRecv();
    }
    for (let u = up.pollRelease(nowUs); u !== undefined; u = up.pollRelease(nowUs)) {
      send.handleRtcp(u.data, now);
      drainSend();
    }
    recv.handleTimeout(now);
    drainRecv();
    assembler.handleTimeout(now);
    drainRecv();
    const candidates = [
      nextFrameMs < o.durationMs ? nextFrameMs : undefined, send.pollTimeout(), pacer.pollTimeout(), recv.pollTimeout(), assembler.pollTimeout(),
      usToMs(down.pollTimeout()), usToMs(up.pollTimeout()),
    ].filter((t): t is number => t !== undefined);
    const next = Math.max(now + 0.001, Math.min(...candidates));
    now = next;
  }
  truth.sendStats = { ...send.stats };
  truth.senderRttMs = send.currentRttMs;
  return { report: classify(truth, o.receive.usefulWithinMs), truth };
}

function usToMs(us: number | undefined): number | undefined {
  return us === undefined ? undefined : us / 1000;
}
