/**
 * The sender process: native frame source → encoder → RTP packetizer → werift transport.
 * Started by the orchestrator (`--control <socket>`); writes sender.ndjson in the run folder.
 */
import path from 'node:path';
import { startChild } from '../control/child.ts';
import { loadNative } from '../native/addon.ts';
import { SenderPeer } from '../transport/webrtc-peer.ts';
import { NdjsonWriter } from '../shared/ndjson.ts';
import type { LabRecord } from '../shared/records.ts';
import { VideoSender } from './video-sender.ts';
import { describeEncoderOptions } from './encoder-options.ts';
import { rateTableFromData, sendProtectionOptions } from './protection/realtime-options.ts';
import { defaultFecRateTable, diffRateTables } from './fec-controller/index.ts';
import { startCpuAccount } from '../control/process-cpu.ts';
import { chromiumOffer } from '../transport/chromium-offer.ts';
import { chromiumOfferStreams } from './chromium-streams.ts';
import { openFrameSource } from './capture-choice.ts';

const control = await startChild('sender', process.argv);
const { channel, config } = control;
const run = config.sender;

try {
  const native = loadNative();
  const { source, refused } = openFrameSource(native, { ...run.frameSource }, run.encoder.codec, run.captureFallback === true);
  // zero-copy frames are CUDA surfaces: the NVENC encoder opens on the same CUDA device
  const encoderOptions = source.cudaDevice !== null ? { ...run.encoder, cudaDevice: source.cudaDevice } : run.encoder;
  const encoder = new native.Encoder(encoderOptions);
  const records = new NdjsonWriter<LabRecord>(path.join(config.runDir, 'sender.ndjson'), { onError: (error) => control.reportFailure(error) });
  const peer = SenderPeer.create({ hostAddress: config.hostAddress, stunUrl: config.stunUrl });

  channel.send({
    type: 'ready',
    detail: {
      vulkanDevice: source.device.name,
      vulkanDriver: `${source.device.driverName} ${source.device.driverInfo}`.trim(),
      deviceChoice: source.deviceChoice,
      capturePath: source.capturePath,
      // the paths capture.fallback passed over, as JSON [{path, reason}] (lab/run/environment.ts)
      ...(refused.length > 0 ? { captureRefused: JSON.stringify(refused) } : {}),
      encoder: encoder.codec,
      encoderImplementation: encoder.implementation,
      encoderOptions: describeEncoderOptions(encoderOptions),
    },
  });

  const offer = await peer.offer();
  channel.send({ type: 'offer', sdp: run.receiverKind === 'chromium' ? chromiumOffer(offer, chromiumOfferStreams(run)) : offer });
  const { sdp: answer } = await channel.next('answer', 60_000);
  const media = await peer.accept(answer);
  peer.observeWeriftRtcp((kind) => records.write({ type: 'feedback', side: 'sender', dir: 'out', kind: kind.toLowerCase().includes('sr') ? 'sr' : 'rr', timeMs: Number(process.hrtime.bigint()) / 1e6, by: 'werift' }));
  channel.send({ type: 'connected' });

  const sender = new VideoSender({
    encoder,
    records,
    media,
    mtu: run.mtu,
    seed: run.seed,
    send: (packet) => peer.sendRtp(packet),
    sendRtcp: (packet) => peer.sendRtcp(packet),
    ...(run.protection ? { protection: sendProtectionOptions(run.protection, media) } : {}),
    pacing: run.pacing,
    ...(run.congestion ? { congestion: run.congestion } : {}),
    onError: (error) => control.fail(error),
  });
  peer.onRtcp((packet, arrivalNs) => sender.handleRtcp(packet, arrivalNs));
  const protection = run.protection;
  if (protection && (protection.mode === 'fec' || protection.mode === 'hybrid') && protection.rateTableName !== undefined) {
    // the report says which table set the factors and how far it is from libwebrtc's
    const diff = diffRateTables(rateTableFromData(protection.controller.table), defaultFecRateTable());
    records.write({ type: 'event', side: 'sender', timeMs: Number(process.hrtime.bigint()) / 1e6, name: 'fec-rate-table', detail: { ...diff, source: protection.rateTableName } });
  }

  await channel.next('start', 600_000);
  const cpuAtStop = startCpuAccount();
  source.start(
    (frame) => sender.handleFrame(frame),
    (error) => control.fail(error),
  );
  const progress = setInterval(() => channel.send({ type: 'progress', progress: { framesSent: sender.framesSent } }), 500);

  await channel.next('stop', 24 * 3600_000);
  clearInterval(progress);
  await source.stop();
  await sender.drain();
  // the receiver may still NACK the last frames' losses: answer them before closing the records
  const tailMs = run.nackTailMs;
  if (tailMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, tailMs));
    await sender.drain();
  }
  sender.stop();
  const stats = source.stats();
  sender.recordSourceStats(stats);
  records.close();
  channel.send({
    type: 'stopped',
    summary: { ...cpuAtStop(), framesSent: sender.framesSent, packetsSent: sender.packetsSent, rtxSent: sender.rtxSent, fecSent: sender.fecSent, rendered: stats.rendered, droppedQueueFull: stats.droppedQueueFull, missedTicks: stats.missedTicks },
  });
  encoder.close();
  source.close();
  // The last datagrams may still sit in the UDP socket's send queue: closing the peer (and
  // exiting) right away would drop them.
  await new Promise((resolve) => setTimeout(resolve, 250));
  await peer.close();
  channel.close();
  process.exit(0);
} catch (error) {
  control.fail(error);
}
