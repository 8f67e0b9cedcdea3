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

const control = await startChild('receiver', process.argv);
const { channel, config } = control;

try {
  const native = loadNative();
  const decoder = new native.Decoder({ codec: 'h264', readMarker: true });
  const records = new NdjsonWriter<LabRecord>(path.join(config.runDir, 'receiver.ndjson'), { onError: (error) => control.reportFailure(error) });
  const peer = ReceiverPeer.create({ hostAddress: config.hostAddress, stunUrl: config.stunUrl });
  channel.send({ type: 'ready', detail: { decoder: 'libavcodec h264 (low delay, no frame threads)', markerReader: 'native' } });

  const { sdp: offer } = await channel.next('offer', 60_000);
  channel.send({ type: 'answer', sdp: await peer.answer(offer) });
  await peer.waitConnected();

  const { recovery } = config.receiver;
  // transport-wide feedback needs the id the answer gave the transport-wide sequence number
  const transportFeedbackId = config.receiver.transportFeedback ? peer.negotiatedExtensions()[TRANSPORT_WIDE_SEQ_URI] : undefined;
  const receiver = new VideoReceiver({
    decoder,
    records,
    sendRtcp: (packet) => peer.sendRtcp(packet),
    pliIntervalMs: config.receiver.pliIntervalMs,
    localSsrc: RECEIVER_RTCP_SSRC,
    maxWaitMs: recovery?.assemblerMaxWaitMs ?? 0,
    ...(recovery ? { recovery } : {}),
    ...(transportFeedbackId !== undefined ? { transportFeedback: { extensionId: transportFeedbackId } } : {}),
    onError: (error) => control.fail(error),
  });
  peer.onRtp((packet, arrivalNs) => receiver.handleRtp(packet, arrivalNs));
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
