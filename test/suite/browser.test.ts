/**
 * suite.html in headless Chromium with every non-file request failed: each chart draws data from
 * the fixture runs, nothing is requested from the network, no error is logged, and each run's
 * link opens that run's report.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchOfflineChromium, openOffline, type OfflineBrowser } from '../helpers/offline-chromium.ts';
import { parseSuiteText } from '../../lab/suite/load.ts';
import { SUITE_CHART_IDS } from '../../lab/suite/render.ts';
import { runSuite, type SuiteOutcome } from '../../lab/suite/runner.ts';
import { fixtureRunFolder, type RecoveryNumbers } from './fixtures.ts';


/** The few browser APIs the in-page checks use (the project's tsconfig has no DOM lib). */
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
interface PageGlobals {
  Chart: { getChart(canvas: PageCanvas): { data: { datasets: { label: string; data: unknown[] }[] } } | undefined };
  document: {
    getElementById(id: string): PageCanvas | null;
    querySelectorAll(selector: string): { length: number; [index: number]: { getAttribute(name: string): string | null } };
    body: { innerText: string };
  };
}

const SUITE = `suite: br
base: { duration: 2s, resolution: 360p }
matrix:
  protection:
    - { name: none }
    - { name: fec }
    - { name: hybrid }
  loss:
    - { name: l5 }
    - { name: l20 }
`;

const run = (mode: RecoveryNumbers['mode'], fec: number, rtx: number, tooLate: number, never: number, fecOverhead: number): RecoveryNumbers => ({
  mode,
  sent: 2000,
  fec,
  rtx,
  tooLate,
  never,
  fecOverhead,
  nackToRtxP50Ms: rtx > 0 ? 70 : null,
  keyframeRequests: never > 20 ? 3 : 0,
});
const RECOVERY: (RecoveryNumbers | null)[] = [
  run('none', 0, 0, 0, 100, 0),
  run('none', 0, 0, 0, 400, 0),
  run('fec', 80, 0, 5, 15, 0.12),
  run('fec', 250, 0, 30, 120, 0.3),
  run('hybrid', 60, 38, 1, 1, 0.08),
  null,
];

describe.skipIf(!hasChromium())('suite.html in headless Chromium (offline)', () => {
  let chromium: OfflineBrowser;
  let root: string;
  let outcome: SuiteOutcome;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'glasslab-suite-browser-'));
    const suite = await parseSuiteText(SUITE, path.join(root, 'br.yaml'), 1);
    outcome = await runSuite(suite, suite.runs, {
      outRoot: root,
      runOne: async (scenario, runsRoot, _signal, index) => {
        const { runDir, results } = await fixtureRunFolder(runsRoot, scenario.name, { seed: index + 1, recovery: RECOVERY[index] ?? null });
        return { runDir, state: 'completed', results };
      },
    });
    chromium = await launchOfflineChromium();
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('draws each comparison chart, requests nothing and logs no error; the links open run reports', async () => {
    const { page, blocked, errors } = await openOffline(chromium.browser, outcome.reportPath, { width: 1280, height: 1000 });
    const state = await page.evaluate((ids: readonly string[]) => {
      const { Chart: chartApi, document } = globalThis as unknown as PageGlobals;
      const charts = ids.map((id) => {
        const canvas = document.getElementById(id);
        if (canvas === null) return { id, found: false, labels: [] as string[], points: 0, nonNull: 0, ink: 0 };
        const chart = chartApi.getChart(canvas);
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) ink += 1;
        const datasets = chart?.data.datasets ?? [];
        return {
          id,
          found: chart !== undefined,
          labels: datasets.map((d) => d.label),
          points: datasets.reduce((n, d) => n + d.data.length, 0),
          nonNull: datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0),
          ink,
        };
      });
      const links = document.querySelectorAll('#suite-table a');
      const hrefs: string[] = [];
      for (let i = 0; i < links.length; i++) hrefs.push(links[i]!.getAttribute('href')!);
      return { charts, hrefs, text: document.body.innerText };
    }, SUITE_CHART_IDS);

    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    const chart = (id: string): (typeof state.charts)[number] => state.charts.find((c) => c.id === id)!;
    for (const c of state.charts) {
      expect(c.found, `${c.id} has a chart`).toBe(true);
      expect(c.ink, `${c.id} drawn pixels`).toBeGreaterThan(2000);
    }
    // stacked fates: 4 datasets × 6 runs, the run without a recovery section left empty
    expect(chart('chart-suite-recovery').labels).toEqual(['FEC', 'RTX', 'too late', 'never']);
    expect(chart('chart-suite-recovery').nonNull).toBe(4 * 5);
    // scatter: one dataset per protection variant, one point per run with a recovery section
    expect(chart('chart-suite-overhead').labels).toEqual(['none', 'fec', 'hybrid']);
    expect(chart('chart-suite-overhead').points).toBe(5);
    // G2G p95: one bar per run, coloured by protection variant
    expect(chart('chart-suite-g2g').labels).toEqual(['none', 'fec', 'hybrid']);
    expect(chart('chart-suite-g2g').nonNull).toBe(6);

    expect(state.hrefs).toEqual(outcome.suite.runs.map((r) => `${r.runDir}/report.html`));
    expect(state.text).toContain('br-hybrid-l20');
    // a link opens the run's own report
    await page.goto(new URL(state.hrefs[2]!, pathToFileURL(outcome.reportPath).href).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 10_000 });
    const runText = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);
    await page.close();
    expect(runText).toContain('br-fec-l5');
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  });
});
