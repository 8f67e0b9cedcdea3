/**
 * The Chromium sender process (scenario `sender: { kind: chromium }`): in the sender's namespace
 * it starts /usr/bin/chromium headless on the lab's sender page, which draws the marked scene into
 * a canvas and sends it with libwebrtc (its H.264 encoder, pacer, bandwidth estimation, RTX and
 * FEC). The process relays the offer and answer, maps the page clock onto CLOCK_MONOTONIC (the
 * marker's capture times are on it), and writes the page's frame records and getStats samples to
 * sender.ndjson.
 */
import path from 'node:path';
import { z } from 'zod';
import { startChild } from '../control/child.ts';
import { NdjsonWriter } from '../shared/ndjson.ts';
import type { LabRecord } from '../shared/records.ts';
import { confineSdpToAddress } from '../transport/lab-address.ts';
import { startCpuAccount } from '../control/process-cpu.ts';
import { senderPageSource } from '../chromium/page-bundle.ts';
import { monotonicMs, startPageSession } from '../chromium/page-session.ts';
import { pageSenderDrainSchema, senderFrameRecordOf, senderStatsRecordOf, type PageSenderDrain } from './chromium/page-records.ts';

const STATS_INTERVAL_MS = 200;
const DRAIN_INTERVAL_MS = 250;

const control = await startChild('sender', process.argv);
const { channel, config } = control;
const run = config.sender;

try {
  const records = new NdjsonWriter<LabRecord>(path.join(config.runDir, 'sender.ndjson'), { onError: (error) => control.reportFailure(error) });
  // libwebrtc sends FlexFEC-03 only behind its field trials (it advertises it for receiving)
  const flexfec = run.protection !== undefined && run.protection.mode !== 'nack' && run.protection.fecScheme === 'flexfec';
  const session = await startPageSession(await senderPageSource(), flexfec ? ['--force-fieldtrials=WebRTC-FlexFEC-03-Advertised/Enabled/WebRTC-FlexFEC-03/Enabled/'] : []);
  const { chromium, mapping, call } = session;
  const { page } = chromium;
  records.write({ type: 'event', side: 'sender', timeMs: monotonicMs(), name: 'chromium-clock-mapping', detail: { browser: chromium.version, offsetMs: mapping.offsetMs, errorBoundMs: mapping.errorBoundMs, samples: mapping.samples } });
  const { width, height, fps } = run.frameSource;
  channel.send({ type: 'ready', detail: { sender: 'chromium', browser: chromium.version, encoder: 'libwebrtc (Chromium) H.264', capturePath: 'canvas captureStream + requestFrame', clockMappingErrorMs: Number(mapping.errorBoundMs.toFixed(3)) } });

  const offer = await call(`window.glasslab.offer(${JSON.stringify({ width, height, maxBitrateBps: run.encoder.bitrateBps, iceServers: [{ urls: config.stunUrl }], scene: run.chromiumScene ?? 'smooth' })})`, z.string());
  // Chromium offers candidates on every interface of the namespace: hand on the run's address only
  channel.send({ type: 'offer', sdp: confineSdpToAddress(offer, config.hostAddress) });
  const { sdp: answer } = await channel.next('answer', 60_000);
  await page.evaluate(`window.glasslab.accept(${JSON.stringify(answer)})`);
  await session.waitConnected();
  channel.send({ type: 'connected' });

  let framesSent = 0;
  const take = (drained: PageSenderDrain): void => {
    for (const frame of drained.frames) {
      framesSent++;
      records.write(senderFrameRecordOf(frame, mapping.offsetMs));
    }
    for (const sample of drained.stats) records.write(senderStatsRecordOf(sample, mapping.offsetMs));
    for (const problem of drained.problems) records.write({ type: 'event', side: 'sender', timeMs: monotonicMs(), name: 'chromium-page-problem', detail: { message: problem } });
    for (const error of chromium.errors.splice(0)) records.write({ type: 'event', side: 'sender', timeMs: monotonicMs(), name: 'chromium-console-error', detail: { message: error } });
  };
  const drain = async (): Promise<void> => take(await call('window.glasslab.drain()', pageSenderDrainSchema));

  await channel.next('start', 600_000);
  const cpuAtStop = startCpuAccount();
  const browserCpuAtStart = session.browserCpuMs();
  await page.evaluate(`window.glasslab.start(${fps}, ${mapping.offsetMs}, ${STATS_INTERVAL_MS})`);
  let draining = Promise.resolve();
  const drainer = setInterval(() => {
    draining = draining.then(drain).catch((error: unknown) => control.fail(error));
    channel.send({ type: 'progress', progress: { framesSent } });
  }, DRAIN_INTERVAL_MS);

  await channel.next('stop', 24 * 3600_000);
  clearInterval(drainer);
  await draining;
  await page.evaluate('window.glasslab.stop()');
  await drain();
  const browserCpuRunningMs = session.browserCpuMs() - browserCpuAtStart;
  // libwebrtc keeps answering NACKs for a while after the last frame, as the lab's sender does
  await new Promise((resolve) => setTimeout(resolve, run.nackTailMs));
  await page.evaluate('window.glasslab.close()');
  records.close();
  channel.send({ type: 'stopped', summary: { ...cpuAtStop(), browserCpuRunningMs, framesSent } });
  await chromium.close();
  channel.close();
  process.exit(0);
} catch (error) {
  control.fail(error);
}
