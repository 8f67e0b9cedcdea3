/**
 * One end of bench/g2g.ts's packet-rate benchmark, run as its own process (forked with an IPC
 * channel) so that process.cpuUsage() belongs to that end alone.
 * - sender: the lab's H264Packetizer turns real-sized access units into RTP packets, sent one by
 *   one through SenderPeer.sendRtp (werift SRTP + UDP), at an offered rate (packets/s; 0 = as
 *   fast as it goes) for a number of seconds;
 * - receiver: ReceiverPeer.onRtp → parseRtp → FrameAssembler, counting packets and frames.
 * Messages in and out are the `PeerMessage` union below.
 */
import { randomBytes } from 'node:crypto';
import { SenderPeer, ReceiverPeer } from '../src/transport/webrtc-peer.ts';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer } from '../src/sender/h264/packetizer.ts';
import { parseRtp, RtpParseError } from '../src/shared/rtp/packet.ts';
import { FrameAssembler } from '../src/receiver/frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS } from '../src/receiver/frame-assembler-types.ts';

/** CPU time of a span, µs (user + system), and its wall time, ms. */
export interface CpuSpan {
  cpuUs: number;
  wallMs: number;
}

/** Messages between bench/g2g.ts and its peer processes. */
export type PeerMessage =
  | { type: 'init'; role: 'sender' | 'receiver'; stunUrl: string }
  | { type: 'offer'; sdp: string }
  | { type: 'answer'; sdp: string }
  | { type: 'connected'; srtpProfile?: number }
  | { type: 'step'; ratePps: number; seconds: number }
  | { type: 'step-done'; sent: number; span: CpuSpan }
  | { type: 'mark' }
  | { type: 'marked' }
  | { type: 'collect' }
  | { type: 'collected'; received: number; frames: number; badPackets: number; transportIn: number; span: CpuSpan }
  | { type: 'quit' };

/** Access unit bytes (~8 Mbit/s at 30 fps: ~33 kB, 28 packets of 1200 B) */
const ACCESS_UNIT_BYTES = 33_000;
const MTU = 1200;

const send = (message: PeerMessage): void => void process.send!(message);
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const cpuUs = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** An Annex-B access unit with SPS, PPS and an IDR slice of random bytes without zero bytes. */
function accessUnit(): Buffer {
  const body = randomBytes(ACCESS_UNIT_BYTES);
  for (let i = 0; i < body.length; i++) if (body[i] === 0) body[i] = 1;
  const sps = Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01]);
  const pps = Buffer.from([0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
  return Buffer.concat([sps, pps, Buffer.from([0, 0, 0, 1, 0x65]), body]);
}

/** Messages that arrived before anyone waited for them (the parent may answer before we ask). */
const inbox: PeerMessage[] = [];
process.on('message', (message: PeerMessage) => inbox.push(message));

async function next<T extends PeerMessage['type']>(type: T): Promise<Extract<PeerMessage, { type: T }>> {
  for (;;) {
    const index = inbox.findIndex((m) => m.type === type);
    if (index >= 0) return inbox.splice(index, 1)[0] as Extract<PeerMessage, { type: T }>;
    await new Promise((resolve) => process.once('message', resolve));
  }
}

/** G2G_SRTP_INDEX=0 leaves werift's own SRTP rollover tracking (bench/srtp-rollover.ts compares). */
const srtpIndexEstimation = process.env.G2G_SRTP_INDEX !== '0';

async function runSender(stunUrl: string): Promise<void> {
  const peer = SenderPeer.create({ hostAddress: '127.0.0.1', stunUrl, srtpIndexEstimation });
  send({ type: 'offer', sdp: await peer.offer() });
  const media = await peer.accept((await next('answer')).sdp);
  const srtp = (peer as unknown as { dtls?: { srtp?: { config?: { profile?: number } } } }).dtls?.srtp?.config?.profile;
  send({ type: 'connected', ...(srtp !== undefined ? { srtpProfile: srtp } : {}) });
  const packetizer = new H264Packetizer({ ...DEFAULT_H264_PACKETIZER_OPTIONS, maxPacketBytes: MTU, payloadType: media.payloadType, ssrc: media.ssrc, extensions: media.extensions });
  const units = [accessUnit(), accessUnit(), accessUnit(), accessUnit()];
  let sequenceNumber = 1000;
  let rtpTimestamp = 0;
  let frameIndex = 0;
  let queue: Buffer[] = [];
  const nextPacket = (): Buffer => {
    if (queue.length === 0) {
      rtpTimestamp = (rtpTimestamp + 3000) >>> 0;
      const out = packetizer.packetize({ accessUnit: units[frameIndex++ % units.length]!, rtpTimestamp, firstSequenceNumber: sequenceNumber });
      if (out instanceof H264PacketizeError) throw new Error(`packetize: ${out.code}`);
      sequenceNumber = out.nextSequenceNumber;
      queue = out.packets.map((p) => p.data);
    }
    return queue.shift()!;
  };
  process.on('message', (message: PeerMessage) => {
    if (message.type === 'quit') void peer.close().finally(() => process.exit(0));
    if (message.type !== 'step') return;
    void (async () => {
      const startMs = nowMs();
      const startCpu = cpuUs();
      const endMs = startMs + message.seconds * 1000;
      let sent = 0;
      for (let t = startMs; t < endMs; t = nowMs()) {
        const due = message.ratePps > 0 ? Math.floor(((t - startMs) / 1000) * message.ratePps) - sent : 64;
        for (let i = 0; i < due; i++) {
          await peer.sendRtp(nextPacket());
          sent++;
        }
        // Let the event loop run (socket I/O, werift's timers); paced steps sleep until more is due.
        await new Promise((resolve) => (message.ratePps > 0 ? setTimeout(resolve, 1) : setImmediate(resolve)));
      }
      send({ type: 'step-done', sent, span: { cpuUs: cpuUs() - startCpu, wallMs: nowMs() - startMs } });
    })();
  });
}

async function runReceiver(stunUrl: string): Promise<void> {
  // G2G_RCVBUF (bytes) overrides the peer's receive buffer; 0 = system default (for before/after)
  const receiveBufferBytes = process.env.G2G_RCVBUF !== undefined ? Number(process.env.G2G_RCVBUF) : undefined;
  const peer = ReceiverPeer.create({ hostAddress: '127.0.0.1', stunUrl, srtpIndexEstimation, ...(receiveBufferBytes !== undefined ? { receiveBufferBytes } : {}) });
  send({ type: 'answer', sdp: await peer.answer((await next('offer')).sdp) });
  await peer.waitConnected();
  let assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, maxWaitMs: 0 });
  let received = 0;
  let frames = 0;
  let badPackets = 0;
  let startMs = nowMs();
  let startCpu = cpuUs();
  // werift's own count of datagrams its DTLS transport took in (before SRTP authentication)
  const transportCount = (): number => (peer as unknown as { dtls?: { packetsReceived?: number } }).dtls?.packetsReceived ?? NaN;
  let startTransport = transportCount();
  peer.onRtp((raw, arrivalNs) => {
    const packet = parseRtp(raw);
    if (packet instanceof RtpParseError) {
      badPackets++;
      return;
    }
    received++;
    assembler.insert(packet, Number(arrivalNs) / 1e6);
    for (let out = assembler.pollOutput(); out; out = assembler.pollOutput()) if (out.type === 'frame') frames++;
  });
  send({ type: 'connected' });
  process.on('message', (message: PeerMessage) => {
    if (message.type === 'quit') void peer.close().finally(() => process.exit(0));
    if (message.type === 'mark') {
      assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, maxWaitMs: 0 });
      received = frames = badPackets = 0;
      startMs = nowMs();
      startCpu = cpuUs();
      startTransport = transportCount();
      send({ type: 'marked' });
    }
    if (message.type === 'collect') send({ type: 'collected', received, frames, badPackets, transportIn: transportCount() - startTransport, span: { cpuUs: cpuUs() - startCpu, wallMs: nowMs() - startMs } });
  });
}

const init = await next('init');
await (init.role === 'sender' ? runSender(init.stunUrl) : runReceiver(init.stunUrl));
