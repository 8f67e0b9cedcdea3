/**
 * The Chromium receiver process (scenario `receiver: { kind: chromium }`): in the receiver's
 * namespace it starts /usr/bin/chromium headless on the lab's receiver page, hands it the
 * sender's offer, and turns what the page reads (the marker of each frame at rvfc time, getStats
 * every 200 ms) into receiver.ndjson records on CLOCK_MONOTONIC. libwebrtc does the receiving:
 * jitter buffer, NACK, FEC, PLI and decoding are Chromium's own.
 */
import path from 'node:path';
import { startChild } from '../control/child.ts';
import { NdjsonWriter } from '../shared/ndjson.ts';
import type { LabRecord } from '../shared/records.ts';
import { confineSdpToAddress } from '../transport/lab-address.ts';
import { startCpuAccount } from '../control/process-cpu.ts';
import { receiverPageSource } from '../chromium/page-bundle.ts';
import { monotonicMs, startPageSession } from '../chromium/page-session.ts';
import { frameRecordOf, pageDrainSchema, statsRecordOf, type PageDrain } from './chromium/page-records.ts';
import { z } from 'zod';

const STATS_INTERVAL_MS = 200;
const DRAIN_INTERVAL_MS = 250;
/** after stop: time for the last frames in Chromium's jitter buffer to be displayed */
const LAST_FRAMES_MS = 300;

const control = await startChild('receiver', process.argv);
const { channel, config } = control;

try {
  const records = new NdjsonWriter<LabRecord>(path.join(config.runDir, 'receiver.ndjson'), { onError: (error) => control.reportFailure(error) });
  const session = await startPageSession(await receiverPageSource());
  const { chromium, mapping, call } = session;
  const { page } = chromium;
  records.write({ type: 'event', side: 'receiver', timeMs: monotonicMs(), name: 'chromium-clock-mapping', detail: { browser: chromium.version, offsetMs: mapping.offsetMs, errorBoundMs: mapping.errorBoundMs, samples: mapping.samples } });
  channel.send({ type: 'ready', detail: { receiver: 'chromium', browser: chromium.version, decoder: 'libwebrtc (Chromium)', markerReader: 'TypeScript in the page (rvfc + canvas)', clockMappingErrorMs: Number(mapping.errorBoundMs.toFixed(3)) } });

  const { sdp: offer } = await channel.next('offer', 60_000);
  const answer = await call(`window.glasslab.answer(${JSON.stringify(offer)}, ${JSON.stringify([{ urls: config.stunUrl }])})`, z.string());
  // Chromium offers candidates on every interface of the namespace: hand on the run's address only
  channel.send({ type: 'answer', sdp: confineSdpToAddress(answer, config.hostAddress) });
  await session.waitConnected();
  channel.send({ type: 'connected' });

  let framesReceived = 0;
  let framesDisplayed = 0;
  let withoutRtpTimestamp = 0;
  const recentG2g: number[] = [];
  const take = (drained: PageDrain): void => {
    for (const frame of drained.frames) {
      const record = frameRecordOf(frame, mapping.offsetMs);
      if (!record) {
        withoutRtpTimestamp++;
        continue;
      }
      framesReceived++;
      if (record.marker === 'ok') {
        framesDisplayed++;
        if (record.captureMs !== undefined && record.markerReadMs !== undefined) recentG2g.push(record.markerReadMs - record.captureMs);
      }
      records.write(record);
    }
    for (const sample of drained.stats) records.write(statsRecordOf(sample, mapping.offsetMs));
    for (const problem of drained.problems) records.write({ type: 'event', side: 'receiver', timeMs: monotonicMs(), name: 'chromium-page-problem', detail: { message: problem } });
    for (const error of chromium.errors.splice(0)) records.write({ type: 'event', side: 'receiver', timeMs: monotonicMs(), name: 'chromium-console-error', detail: { message: error } });
  };
  const drain = async (): Promise<void> => take(await call('window.glasslab.drain()', pageDrainSchema));

  await channel.next('start', 600_000);
  const cpuAtStop = startCpuAccount();
  // the browser's whole process tree: libwebrtc's receive, decode and render work happens there
  const browserCpuAtStart = session.browserCpuMs();
  await page.evaluate(`window.glasslab.startStats(${STATS_INTERVAL_MS})`);
  let draining = Promise.resolve();
  const drainer = setInterval(() => {
    draining = draining.then(drain).catch((error: unknown) => control.fail(error));
    const sorted = recentG2g.splice(0).sort((a, b) => a - b);
    channel.send({ type: 'progress', progress: { framesReceived, framesDisplayed, ...(sorted.length > 0 ? { g2gP50Ms: sorted[Math.floor(sorted.length / 2)]! } : {}) } });
  }, DRAIN_INTERVAL_MS);

  await channel.next('stop', 24 * 3600_000);
  await new Promise((resolve) => setTimeout(resolve, LAST_FRAMES_MS));
  clearInterval(drainer);
  await draining;
  const browserCpuRunningMs = session.browserCpuMs() - browserCpuAtStart;
  await page.evaluate('window.glasslab.stop()');
  await drain();
  if (withoutRtpTimestamp > 0) records.write({ type: 'event', side: 'receiver', timeMs: monotonicMs(), name: 'chromium-frames-without-rtp-timestamp', detail: { frames: withoutRtpTimestamp } });
  records.close();
  channel.send({ type: 'stopped', summary: { ...cpuAtStop(), browserCpuRunningMs, framesReceived, framesDisplayed } });
  await chromium.close();
  channel.close();
  process.exit(0);
} catch (error) {
  control.fail(error);
}
