import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenericNack, RTCPeerConnection, PictureLossIndication, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback, RtpHeader, RtpPacket } from 'werift';
import { EXTENSION_URIS, ReceiverPeer, SenderPeer, type NegotiatedMedia } from '../../src/transport/webrtc-peer.ts';
import { startLocalStunServer, type LocalStunServer } from '../../src/transport/stun-server.ts';
import { parseCompound } from '../../src/shared/rtcp/compound.ts';
import { labIceOptions, sdpAddresses } from '../../src/transport/lab-address.ts';

/**
 * What werift does by itself, checked over loopback (docs/werift.md): these tests fail if a werift
 * upgrade starts retransmitting, NACKing, rewriting or reaching outside the lab's addresses.
 */
describe('werift peers as the lab sets them up', () => {
  let stun: LocalStunServer;
  let sender: SenderPeer;
  let receiver: ReceiverPeer;
  let media: NegotiatedMedia;
  let offer: string;
  let answer: string;
  const received: { raw: Buffer; at: bigint }[] = [];
  const rtcpAtSender: Buffer[] = [];
  const weriftRtcpFromReceiver: string[] = [];

  beforeAll(async () => {
    stun = await startLocalStunServer('127.0.0.1');
    const options = { hostAddress: '127.0.0.1', stunUrl: stun.url };
    sender = SenderPeer.create(options);
    receiver = ReceiverPeer.create(options);
    offer = await sender.offer();
    answer = await receiver.answer(offer);
    [media] = await Promise.all([sender.accept(answer), receiver.waitConnected()]);
    receiver.onRtp((raw, at) => received.push({ raw, at }));
    receiver.observeWeriftRtcp((kind) => weriftRtcpFromReceiver.push(kind));
    sender.onRtcp((raw) => rtcpAtSender.push(raw));
  });

  afterAll(async () => {
    await sender?.close();
    await receiver?.close();
    await stun?.close();
  });

  it('uses only the lab address and the lab STUN server', () => {
    for (const sdp of [offer, answer]) {
      const candidates = sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
      expect(candidates.length).toBeGreaterThan(0);
      for (const c of candidates) expect(c.split(' ')[4]).toBe('127.0.0.1');
      // no line (o=, c=, candidate, raddr, a=rtcp) names another address
      expect(sdpAddresses(sdp).filter((a) => a.address !== '127.0.0.1')).toEqual([]);
      expect(sdp).not.toMatch(/rtcp-fb/);
    }
    expect(stun.requestsAnswered).toBeGreaterThan(0);
    expect(media.payloadType).toBe(102);
    expect(Object.keys(media.extensions).sort()).toEqual(Object.values(EXTENSION_URIS).sort());
  });

  it('under labIceOptions werift itself gathers on the lab address only (before any SDP filtering)', async () => {
    const pc = new RTCPeerConnection({ iceServers: [{ urls: stun.url }], ...labIceOptions('127.0.0.1'), iceStunGatherTimeout: 1 });
    try {
      pc.addTransceiver('video', { direction: 'sendonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        else pc.iceGatheringStateChange.subscribe((state) => state === 'complete' && resolve());
      });
      const raw = sdpAddresses(pc.localDescription!.sdp);
      expect(raw.filter((a) => a.field === 'candidate').length).toBeGreaterThan(0);
      // only werift's "no address yet" placeholder besides the lab address
      expect(raw.filter((a) => a.address !== '127.0.0.1' && a.address !== '0.0.0.0')).toEqual([]);
      expect(raw.filter((a) => a.address === '0.0.0.0').map((a) => a.field).sort()).toEqual(['connection', 'origin', 'rtcp']);
    } finally {
      await pc.close();
    }
  });

  it('delivers the lab packets byte for byte and never retransmits or NACKs by itself', async () => {
    const sent: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 15 || i === 16) continue; // a gap werift's receiver would NACK if its NACK were on
      const header = new RtpHeader({
        payloadType: media.payloadType,
        sequenceNumber: 5000 + i,
        timestamp: 1000 + Math.floor(i / 4) * 3000,
        ssrc: media.ssrc,
        marker: i % 4 === 3,
      });
      const raw = new RtpPacket(header, Buffer.alloc(900, i)).serialize();
      sent.push(raw);
      await sender.sendRtp(raw);
    }
    await new Promise((r) => setTimeout(r, 200));
    // The receiver asks for two packets (one that arrived, one lost) and a keyframe, at the RTCP level.
    const nack = new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: media.ssrc, lost: [5010, 5015] }) });
    const pli = new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: 1, mediaSsrc: media.ssrc }) });
    await receiver.sendRtcp(Buffer.concat([nack.serialize(), pli.serialize()]));
    await new Promise((r) => setTimeout(r, 700));

    expect(received.map((r) => r.raw.toString('hex'))).toEqual(sent.map((s) => s.toString('hex')));
    // the NACK and PLI reached the sender's RTCP handler: the lab owns the answer
    const types = rtcpAtSender.flatMap((datagram) => {
      const parsed = parseCompound(datagram);
      return parsed.ok ? parsed.value.map((p) => p.type) : [];
    });
    expect(types).toContain('nack');
    expect(types).toContain('pli');
    // werift did not NACK the gap by itself: whatever it sent on its own is only reports
    for (const kind of weriftRtcpFromReceiver) expect(kind).toMatch(/Rr|Sr|Twcc|TransportWideCC|Sdes/i);
  });
});
