import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  type RTCDtlsTransport,
  type RTCPeerConnection,
} from 'werift';
import { ReceiverPeer, SenderPeer, type NegotiatedMedia, type PeerOptions } from '../../src/transport/webrtc-peer.ts';
import { startLocalStunServer, type LocalStunServer } from '../../src/transport/stun-server.ts';

/**
 * SRTP rollover across a sequence-number wrap over real werift peers on loopback (docs/werift.md):
 * packets are lost on the wire, after the sender's SRTP (as a network would lose them), or the
 * sender itself skips sequence numbers (a sparse stream).
 *
 * Checked once by hand (2026-11-23): with `srtpIndexEstimation: false` on the lab pair, the
 * outage and wire-sparse cases fail (nothing after the wrap arrives), and with it off on the
 * sender only, the sender-sparse case fails (werift's sender keeps ROC 0 after the wrap, the lab
 * receiver guesses ROC 1). With werift on both ends the sender-sparse case passes: both keep ROC 0,
 * wrong the same way (a libsrtp receiver such as Chrome's would guess ROC 1 and drop the packets).
 * The "werift alone" pair below keeps the first part checked for good.
 */

/** Drops, on the sender's wire (after SRTP), the RTP packets for which `drop(ssrc, seq)` is true. */
type WireDrop = (ssrc: number, seq: number) => boolean;

interface Pair {
  sender: SenderPeer;
  receiver: ReceiverPeer;
  media: NegotiatedMedia;
  /** received RTP (after SRTP) by SSRC: sequence numbers in arrival order */
  received: Map<number, number[]>;
  drops: WireDrop[];
}

/** Connects a sender and a receiver; the sender's DTLS offers only `profile` (werift offers GCM, then AES-CM). */
async function connectPair(options: PeerOptions, profile: number): Promise<Pair> {
  const sender = SenderPeer.create(options);
  const receiver = ReceiverPeer.create(options);
  const offer = await sender.offer();
  (senderDtls(sender) as unknown as { srtpProfiles: number[] }).srtpProfiles = [profile];
  const answer = await receiver.answer(offer);
  const [media] = await Promise.all([sender.accept(answer), receiver.waitConnected()]);
  const received = new Map<number, number[]>();
  receiver.onRtp((raw) => {
    const ssrc = raw.readUInt32BE(8);
    received.set(ssrc, [...(received.get(ssrc) ?? []), raw.readUInt16BE(2)]);
  });
  // The sender's wire: werift keeps its ICE connection private; the test reaches it to lose packets.
  const dtls = senderDtls(sender);
  const connection = dtls.iceTransport.connection;
  const send = connection.send.bind(connection);
  const drops: WireDrop[] = [];
  connection.send = async (data: Buffer) => {
    const isRtp = data.length >= 12 && data[0]! >> 6 === 2 && !(data[1]! >= 192 && data[1]! <= 223);
    if (isRtp && drops.some((drop) => drop(data.readUInt32BE(8), data.readUInt16BE(2)))) return;
    return send(data);
  };
  return { sender, receiver, media, received, drops };
}

/**
 * Sends extended sequence numbers `seqs` on `ssrc` (only their low 16 bits go on the wire), then
 * waits until `expectedCount` packets of `ssrc` arrived (at most 8 s: a loaded machine is slow),
 * and 200 ms more for any packet beyond them.
 */
async function sendSeqs(pair: Pair, ssrc: number, seqs: readonly number[], expectedCount: number): Promise<void> {
  for (const seq of seqs) {
    const header = new RtpHeader({ payloadType: pair.media.payloadType, sequenceNumber: seq & 0xffff, timestamp: seq * 3000, ssrc, marker: true });
    await pair.sender.sendRtp(new RtpPacket(header, Buffer.alloc(300, seq & 0xff)).serialize());
  }
  const deadline = Date.now() + 8000;
  while ((pair.received.get(ssrc)?.length ?? 0) < expectedCount && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 200));
}

const range = (first: number, end: number, step = 1): number[] => {
  const out: number[] = [];
  for (let seq = first; seq < end; seq += step) out.push(seq);
  return out;
};
const low16 = (seqs: number[]): number[] => seqs.map((seq) => seq & 0xffff);

/** Outage: 65000 .. 65000+1000 with 400 packets lost on the wire from 65300 (across the wrap). */
const OUTAGE = { ssrc: 0x0a0a_0001, all: range(65_000, 66_000), lost: (seq: number) => seq >= 65_300 || seq < 164 } as const;
/**
 * Sparse on the wire: every sequence number is sent, one in 500 reaches the receiver. Not the
 * multiples of 500: werift advances its ROC on any SEQ 0 (after a s_l above 100), which would hide the problem.
 */
const WIRE_SPARSE = { ssrc: 0x0a0a_0002, all: range(60_000, 0x10000 + 6_000), kept: (seq: number) => seq % 500 === 250 } as const;
/** Sparse at the sender: only every 500th sequence number is ever sent, across two wraps. */
const SENDER_SPARSE = { ssrc: 0x0a0a_0003, sent: range(60_000, 2 * 0x10000 + 6_000, 500) } as const;

/** Sender-side DTLS transport of a pair's sender (werift keeps it on the private transceiver). */
function senderDtls(sender: SenderPeer): RTCDtlsTransport {
  return (sender as unknown as { pc: RTCPeerConnection }).pc.getTransceivers()[0]!.sender.dtlsTransport;
}

/** The SRTP profile DTLS negotiated on a connected pair. */
function negotiatedProfile(pair: Pair): number | undefined {
  return (senderDtls(pair.sender) as unknown as { dtls?: { srtp: { srtpProfile?: number } } }).dtls?.srtp.srtpProfile;
}

/** Per-test limit, ms: each waits up to 8 s for its packets on a loaded machine. */
const TEST_TIMEOUT_MS = 20_000;

const profiles = [
  ['AES-128-GCM (werift prefers it)', ProtectionProfileAeadAes128Gcm],
  ['AES-CM + HMAC-SHA1-80', ProtectionProfileAes128CmHmacSha1_80],
] as const;

describe.each(profiles)('SRTP rollover over werift on loopback, %s', (_name, profile) => {
  let stun: LocalStunServer;
  let lab: Pair;
  let weriftAlone: Pair;

  beforeAll(async () => {
    stun = await startLocalStunServer('127.0.0.1');
    lab = await connectPair({ hostAddress: '127.0.0.1', stunUrl: stun.url }, profile);
    weriftAlone = await connectPair({ hostAddress: '127.0.0.1', stunUrl: stun.url, srtpIndexEstimation: false }, profile);
    for (const pair of [lab, weriftAlone]) {
      pair.drops.push((ssrc, seq) => ssrc === OUTAGE.ssrc && OUTAGE.lost(seq));
      pair.drops.push((ssrc, seq) => ssrc === WIRE_SPARSE.ssrc && !WIRE_SPARSE.kept(seq));
    }
  }, 60_000);

  afterAll(async () => {
    for (const pair of [lab, weriftAlone]) {
      await pair?.sender.close();
      await pair?.receiver.close();
    }
    await stun?.close();
  });

  it('negotiated the profile under test', () => {
    expect(negotiatedProfile(lab)).toBe(profile);
    expect(negotiatedProfile(weriftAlone)).toBe(profile);
  });

  it('an outage of 400 packets across the wrap: the lab receiver gets every packet after it', async () => {
    const expected = low16(OUTAGE.all).filter((seq) => !OUTAGE.lost(seq));
    await sendSeqs(lab, OUTAGE.ssrc, OUTAGE.all, expected.length);
    expect(expected.length).toBe(600);
    expect(lab.received.get(OUTAGE.ssrc)).toEqual(expected);
  }, TEST_TIMEOUT_MS);

  it('werift alone: after the same outage nothing arrives again (the stream is dead)', async () => {
    await sendSeqs(weriftAlone, OUTAGE.ssrc, OUTAGE.all, 300);
    expect(weriftAlone.received.get(OUTAGE.ssrc)).toEqual(range(65_000, 65_300));
  }, TEST_TIMEOUT_MS);

  it('a stream of which one packet in 500 reaches the receiver, across the wrap', async () => {
    const expected = low16(WIRE_SPARSE.all).filter(WIRE_SPARSE.kept);
    await sendSeqs(lab, WIRE_SPARSE.ssrc, WIRE_SPARSE.all, expected.length);
    expect(expected.filter((seq) => seq < 60_000).length).toBeGreaterThan(10);
    expect(lab.received.get(WIRE_SPARSE.ssrc)).toEqual(expected);
    const beforeWrap = expected.filter((seq) => seq >= 60_000);
    await sendSeqs(weriftAlone, WIRE_SPARSE.ssrc, WIRE_SPARSE.all, beforeWrap.length);
    expect(weriftAlone.received.get(WIRE_SPARSE.ssrc)).toEqual(beforeWrap);
  }, TEST_TIMEOUT_MS);

  it('a sender that only sends every 500th sequence number, across two wraps', async () => {
    await sendSeqs(lab, SENDER_SPARSE.ssrc, SENDER_SPARSE.sent, SENDER_SPARSE.sent.length);
    expect(lab.received.get(SENDER_SPARSE.ssrc)).toEqual(low16(SENDER_SPARSE.sent));
  }, TEST_TIMEOUT_MS);
});
