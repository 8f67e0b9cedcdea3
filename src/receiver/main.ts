/**
 * The receiver process: werift transport → frame assembly → native decoder → marker read.
 * Started by the orchestrator (`--control <socket>`); writes receiver.ndjson in the run folder.
 */
import path from 'node:path';
import { startChild } from '../control/child.ts';
import { loadNative } from '../native/addon.ts';
import { ReceiverPeer } from '../transport/webrtc-peer.ts';
import { NdjsonWriter } from '../shared/ndjson.ts';
import type { LabRecord } from '../shared/records.ts';
import { VideoReceiver } from './video-receiver.ts';
import { RECEIVER_RTCP_SSRC } from './run-options.ts';
import { TRANSPORT_WIDE_SEQ_URI } from '../shared/rtp/extensions/transport-wide-seq.ts';
import { startCpuAccount } from '../control/process-cpu.ts';
import { chromiumAnswer, offerForWerift, parseChromiumOffer, type ChromiumOfferedStreams } from '../transport/chromium-answer.ts';
import type { ProtectionStreams } from '../shared/protection-streams.ts';
import { RtpCapture } from '../shared/rtp-capture.ts';
import { RelayForwarder } from './relay-forwarder.ts';
import type { AssembledFrame } from './frame-assembler-types.ts';
import type { RtpPacket } from '../shared/rtp/packet.ts';

/** The recovery streams as Chromium's offer names them (the plan's seeded ones where it names none). */
function streamsFromOffer(seeded: ProtectionStreams, offered: ChromiumOfferedStreams): ProtectionStreams {
  return {
    rtx: offered.rtx?.ssrc !== undefined ? { ssrc: offered.rtx.ssrc, payloadType: offered.rtx.payloadType } : seeded.rtx,
    flexfec: offered.flexfec?.ssrc !== undefined ? { ssrc: offered.flexfec.ssrc, payloadType: offered.flexfec.payloadType } : seeded.flexfec,
    red: offered.red?.ulpfecPayloadType !== undefined ? { payloadType: offered.red.payloadType, ulpfecPayloadType: offered.red.ulpfecPayloadType } : seeded.red,
  };
}

const control = await startChild('receiver', process.argv);
const { channel, config } = control;

try {
  const native = loadNative();
  const decoder = new native.Decoder({ codec: 'h264', readMarker: true });
  const records = new NdjsonWriter<LabRecord>(path.join(config.runDir, 'receiver.ndjson'), { onError: (error) => control.reportFailure(error) });
  const peer = ReceiverPeer.create({ hostAddress: config.hostAddress, stunUrl: config.stunUrl });
  channel.send({ type: 'ready', detail: { decoder: 'libavcodec h264 (low delay, no frame threads)', markerReader: 'native' } });

  const { sdp: offer } = await channel.next('offer', 60_000);
  const fromChromium = config.receiver.senderKind === 'chromium';
  // Chromium names its own payload types and repair SSRCs: the recovery plan takes them from its offer
  const offered = fromChromium ? parseChromiumOffer(offer) : undefined;
  const plan = config.receiver.recovery;
  const recovery = plan && offered ? { ...plan, streams: streamsFromOffer(plan.streams, offered) } : plan;
  if (offered) {
    // the analysis tells Chromium's packets apart on the fate log by these (lab/metrics/peer-sender-packets.ts)
    const streams = recovery?.streams;
    records.write({
      type: 'event', side: 'receiver', timeMs: Number(process.hrtime.bigint()) / 1e6, name: 'chromium-streams',
      detail: {
        mediaPayloadType: offered.mediaPayloadType, mediaSsrc: offered.mediaSsrc ?? null,
        rtxSsrc: offered.rtx?.ssrc ?? null, rtxPayloadType: offered.rtx?.payloadType ?? null,
        flexfecSsrc: offered.flexfec?.ssrc ?? null, flexfecPayloadType: offered.flexfec?.payloadType ?? null,
        redPayloadType: offered.red?.payloadType ?? null, ulpfecPayloadType: offered.red?.ulpfecPayloadType ?? null,
        ...(streams ? { recoveryRtxSsrc: streams.rtx.ssrc } : {}),
      },
    });
    const fec = recovery?.mode === 'fec' || recovery?.mode === 'hybrid';
    const wants = {
      nack: recovery?.mode === 'nack' || recovery?.mode === 'hybrid',
      ulpfec: fec && recovery?.fecScheme === 'ulpfec',
      flexfec: fec && recovery?.fecScheme === 'flexfec',
      transportCc: config.receiver.transportFeedback === true,
    };
    channel.send({ type: 'answer', sdp: chromiumAnswer(await peer.answer(offerForWerift(offer)), offered, wants) });
  } else {
    channel.send({ type: 'answer', sdp: await peer.answer(offer) });
  }
  await peer.waitConnected();

  // transport-wide feedback needs the id the answer gave the transport-wide sequence number
  const transportFeedbackId = config.receiver.transportFeedback ? peer.negotiatedExtensions()[TRANSPORT_WIDE_SEQ_URI] : undefined;
  // a target that reconnects waits for a keyframe: the receiver (made below) asks the sender for one
  const keyframes = { ask: (): void => {} };
  const relay = config.receiver.relay
    ? await RelayForwarder.create({ ...config.receiver.relay, upstreamExtensions: peer.negotiatedExtensions(), onNeedKeyframe: () => keyframes.ask() })
    : undefined;
  // WHIP sessions (ICE and DTLS over the target hop) come up before the media starts
  await relay?.settle(5000);
  const relayTick = relay ? setInterval(() => relay.tick(Number(process.hrtime.bigint()) / 1e6), 200) : undefined;
  const receiver = new VideoReceiver({
    decoder,
    ...(relay ? { onAccessUnit: (frame: AssembledFrame, atMs: number) => relay.forward(frame, atMs) } : {}),
    ...(relay?.wantsPackets ? { onMediaPacket: (packet: RtpPacket, arrivalMs: number) => relay.forwardPacket(packet, arrivalMs) } : {}),
    records,
    sendRtcp: (packet) => peer.sendRtcp(packet),
    pliIntervalMs: config.receiver.pliIntervalMs,
    localSsrc: RECEIVER_RTCP_SSRC,
    maxWaitMs: recovery?.assemblerMaxWaitMs ?? 0,
    ...(recovery ? { recovery } : {}),
    ...(transportFeedbackId !== undefined ? { transportFeedback: { extensionId: transportFeedbackId } } : {}),
    // RFC 8888 feedback names packets by SSRC and RTP sequence number: no header extension needed
    ...(config.receiver.ccfb ? { ccfb: {} } : {}),
    onError: (error) => control.fail(error),
  });
  keyframes.ask = () => receiver.requestKeyframe('relay-target');
  const capture = config.receiver.captureRtp ? new RtpCapture() : undefined;
  peer.onRtp((packet, arrivalNs) => {
    capture?.add(packet, arrivalNs);
    receiver.handleRtp(packet, arrivalNs);
  });
  if (recovery || transportFeedbackId !== undefined) peer.onRtcp((packet, arrivalNs) => receiver.handleRtcp(packet, arrivalNs));
  peer.observeWeriftRtcp((kind) => records.write({ type: 'feedback', side: 'receiver', dir: 'out', kind: 'rr', timeMs: Number(process.hrtime.bigint()) / 1e6, by: 'werift', weriftKind: kind }));
  channel.send({ type: 'connected' });

  await channel.next('start', 600_000);
  const cpuAtStop = startCpuAccount();
  const progress = setInterval(() => {
    const g2gP50Ms = receiver.recentG2gP50();
    channel.send({
      type: 'progress',
      progress: { framesReceived: receiver.framesReceived, framesDisplayed: receiver.framesDisplayed, ...(g2gP50Ms !== undefined ? { g2gP50Ms } : {}) },
    });
  }, 500);

  await channel.next('stop', 24 * 3600_000);
  clearInterval(progress);
  await receiver.finish();
  receiver.close();
  if (relay) {
    clearInterval(relayTick);
    await relay.close();
    for (const [index, t] of relay.stats().entries()) {
      const common = { index, url: t.url, frames: t.stats.frames, bytes: t.stats.bytes, dropped: t.stats.dropped, reconnects: t.stats.reconnects, state: t.stats.state, ...(t.stats.lastError ? { lastError: t.stats.lastError } : {}) };
      const detail = t.protocol === 'whip'
        ? {
            ...common, forwarded: relay.packetsForwarded, packets: t.stats.packets, sessions: t.stats.sessions, nacksReceived: t.stats.nacksReceived, retransmitted: t.stats.retransmitted,
            notInHistory: t.stats.notInHistory, keyframeRequests: t.stats.keyframeRequests,
            ...(t.stats.forwardMsP50 !== undefined ? { forwardMsP50: t.stats.forwardMsP50, forwardMsP95: t.stats.forwardMsP95 ?? null, forwardMsMax: t.stats.forwardMsMax ?? null } : {}),
          }
        : { ...common, forwarded: relay.forwarded, ...(t.stats.queueDelayMsP50 !== undefined ? { queueDelayMsP50: t.stats.queueDelayMsP50 } : {}) };
      records.write({ type: 'event', side: 'receiver', timeMs: Number(process.hrtime.bigint()) / 1e6, name: 'relay-target', detail });
    }
  }
  if (capture) {
    await capture.write(path.join(config.runDir, 'receiver-rtp.pcap'));
    records.write({ type: 'event', side: 'receiver', timeMs: Number(process.hrtime.bigint()) / 1e6, name: 'rtp-capture', detail: { file: 'receiver-rtp.pcap', packets: capture.captured, notCaptured: capture.notCaptured } });
  }
  records.close();
  channel.send({
    type: 'stopped',
    summary: { ...cpuAtStop(), framesReceived: receiver.framesReceived, framesDisplayed: receiver.framesDisplayed, keyframeRequests: receiver.keyframeRequests, badPackets: receiver.badPackets, nacksSent: receiver.nacksSent, recoveredByRtx: receiver.recoveredByRtx, recoveredByFec: receiver.recoveredByFec },
  });
  decoder.close();
  await peer.close();
  channel.close();
  process.exit(0);
} catch (error) {
  control.fail(error);
}
