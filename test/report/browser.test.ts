/**
 * Loads a generated report in headless Chromium with every non-file request failed, and checks
 * that each chart rendered real data with no console or page errors.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, type BuiltReport } from '../../lab/report/build.ts';
import { LINK_CHART_IDS } from '../../lab/report/link-section.ts';
import { RECOVERY_CHART_IDS } from '../../lab/report/recovery-section.ts';
import { hasChromium, launchOfflineChromium, openOffline, type OfflineBrowser } from '../helpers/offline-chromium.ts';
import { syntheticLink, syntheticRun, withRecoveries, writeSyntheticRunDir } from './fixtures.ts';

const CHART_IDS = ['chart-g2g-timeline', 'chart-g2g-cdf', 'chart-stages', 'chart-bitrate', 'chart-packets', ...RECOVERY_CHART_IDS, ...LINK_CHART_IDS];

/** The few browser APIs the in-page checks use (the project's tsconfig has no DOM lib). */
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
interface PageGlobals {
  Chart: { getChart(canvas: PageCanvas): { data: { datasets: { data: unknown[] }[] } } | undefined };
  document: { getElementById(id: string): (PageCanvas & { textContent: string | null }) | null; title: string; body: { innerText: string } };
  pwned?: number;
}

interface CanvasState {
  id: string;
  hasChart: boolean;
  datasets: number;
  points: number;
  width: number;
  height: number;
  inkPixels: number;
  /** pixels in the timeline markers' colour (#c0262d) */
  markerPixels: number;
}

describe.skipIf(!hasChromium())('report in headless Chromium (offline)', () => {
  let chromium: OfflineBrowser;
  let runDir: string;
  let built: BuiltReport;

  beforeAll(async () => {
    const run = withRecoveries(syntheticRun());
    const link = syntheticLink(run);
    run.run.push(...link.events);
    runDir = await writeSyntheticRunDir(run, {
      'scenario.yaml': `name: synthetic-30fps\nbudgets:\n  - g2g.p95 <= 120ms\n  - fps >= 29\n  - residualLoss <= 0.1%\nlink: ${JSON.stringify(link.link)}\n`,
      'link.ndjson': link.fateLog,
      'environment.json': JSON.stringify({ versions: { werift: '0.25.2', chromium: '156' }, devices: ['llvmpipe (lavapipe)'], encoders: ['libx264'], skipped: [{ what: 'nvenc', why: 'no NVIDIA GPU' }] }),
    });
    built = await buildReport(runDir);
    chromium = await launchOfflineChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    if (runDir) await rm(runDir, { recursive: true, force: true });
  });

  it('renders every chart with data, makes no network request and logs no error', async () => {
    const { page, blocked, errors } = await openOffline(chromium.browser, built.reportPath, { width: 1280, height: 900 });

    const states = await page.evaluate((ids: string[]) => {
      const { Chart: chartApi, document } = globalThis as unknown as PageGlobals;
      return ids.map((id) => {
        const canvas = document.getElementById(id);
        if (canvas === null) return { id, hasChart: false, datasets: 0, points: 0, width: 0, height: 0, inkPixels: 0, markerPixels: 0 };
        const chart = chartApi.getChart(canvas);
        const context = canvas.getContext('2d');
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let inkPixels = 0;
        let markerPixels = 0;
        for (let i = 3; i < pixels.length; i += 4) {
          if (pixels[i]! > 0) inkPixels += 1;
          if (pixels[i]! > 200 && Math.abs(pixels[i - 3]! - 0xc0) < 12 && Math.abs(pixels[i - 2]! - 0x26) < 12 && Math.abs(pixels[i - 1]! - 0x2d) < 12) markerPixels += 1;
        }
        const datasets = chart?.data.datasets ?? [];
        return { id, hasChart: chart !== undefined, datasets: datasets.length, points: datasets.reduce((n, d) => n + d.data.length, 0), width: canvas.width, height: canvas.height, inkPixels, markerPixels };
      });
    }, CHART_IDS);

    const screenshotPath = path.join(os.tmpdir(), 'glasslab-report-test.png');
    await page.screenshot({ path: screenshotPath, fullPage: true });
    const text = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);
    await page.close();

    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    for (const state of states as CanvasState[]) {
      expect(state.hasChart, `${state.id} has a Chart instance`).toBe(true);
      expect(state.datasets, `${state.id} datasets`).toBeGreaterThan(0);
      expect(state.points, `${state.id} data points`).toBeGreaterThan(0);
      expect(state.width * state.height).toBeGreaterThan(0);
      // axes + data draw well over a few hundred pixels; a blank canvas has none
      expect(state.inkPixels, `${state.id} drawn pixels`).toBeGreaterThan(2000);
    }
    const timeline = (states as CanvasState[]).find((state) => state.id === 'chart-g2g-timeline')!;
    expect(timeline.points).toBe(built.results.summary.g2g.count + built.results.summary.freezes.count);
    expect(text).toContain('synthetic-30fps');
    expect(text).toContain('residualLoss <= 0.1%');
    expect(text).toContain('FAIL');
    expect(text).toContain('no NVIDIA GPU');
    expect(text).toContain('every one accounted for');
    // loss recovery: 4 packets rebuilt by FEC, 4 by RTX, the lost frames' 55 packets never
    const recovery = built.results.recovery!;
    expect(recovery.totals).toEqual({ dropped: 63, fec: 4, rtx: 4, tooLate: 0, never: 55 });
    expect(recovery.fecRecoverable).toBe(4);
    expect(text).toContain('FEC recovered 6.3 % of the 63 media packets the link dropped; RTX recovered 6.3 %, median');
    const byId = (id: string): CanvasState => (states as CanvasState[]).find((state) => state.id === id)!;
    expect(byId('chart-recovery-over-time').datasets).toBe(4);
    expect(byId('chart-recovery-over-time').points).toBe(4 * recovery.overTime.bins.length);
    expect(byId('chart-recovery-latency').points).toBe(built.recoverySeries!.nackToRtxCdf.length + built.recoverySeries!.lossToRtxCdf.length);
    expect(built.recoverySeries!.nackToRtxCdf.length).toBe(4);
    expect(byId('chart-recovery-g2g').points).toBe(9);
    expect(byId('chart-fec-rates').datasets).toBe(4);
    // each link chart: up and down, measured and configured
    // and the timeline change drawn as a vertical line on each of them and on the bitrate chart
    for (const id of LINK_CHART_IDS) expect((states as CanvasState[]).find((state) => state.id === id)!.datasets).toBe(4);
    for (const id of [...LINK_CHART_IDS, 'chart-bitrate']) expect((states as CanvasState[]).find((state) => state.id === id)!.markerPixels, `${id} marker`).toBeGreaterThan(60);
    expect(built.results.link?.changes[0]?.lateMs).toBeCloseTo(0.4, 6);
  });

  it('a report without network access still works when the data contains </script>', async () => {
    const hostile = await buildReport(runDir, { scenario: 'x</script><script>window.pwned=1</script>', runId: 'r<!--1' });
    const page = await chromium.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(pathToFileURL(hostile.reportPath).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 10_000 });
    const outcome = await page.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      return {
        pwned: page.pwned,
        scenario: (JSON.parse(page.document.getElementById('glasslab-data')!.textContent!) as { results: { scenario: string } }).results.scenario,
        title: page.document.title,
      };
    });
    await page.close();
    expect(errors).toEqual([]);
    expect(outcome.pwned).toBeUndefined();
    expect(outcome.scenario).toBe('x</script><script>window.pwned=1</script>');
    expect(outcome.title).toContain('x</script>');
  });
});
