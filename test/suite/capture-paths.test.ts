/**
 * The capture-path suite: the shipped file's expansion (path × encoder × resolution, each path
 * in its own pixel format); a configuration the machine cannot run listed as skipped with its
 * reason (suite.json, the runs table, the Capture paths section) and not counted against the
 * suite; the sender's CPU and source counters copied from run.ndjson; the section's grouping by
 * resolution and its choice of the fastest configuration.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../lab/cli/commands/report.ts';
import { captureGroups, captureRow, captureSection, fastestRow, resolutionKey, showsCaptureSection } from '../../lab/suite/capture-section.ts';
import { loadSuite, parseSuiteText } from '../../lab/suite/load.ts';
import { renderSuiteReport } from '../../lab/suite/render.ts';
import { runSuite, suitePassed } from '../../lab/suite/runner.ts';
import { senderProcessFromEvents } from '../../lab/suite/sender-process.ts';
import { suiteJsonSchema, type KeyResults, type RunConfig, type SuiteJson, type SuiteRunEntry } from '../../lab/suite/suite-json.ts';
import type { EventRecord } from '../../src/shared/records.ts';
import { fromRepositoryRoot } from '../../src/shared/repository-root.ts';
import { fixtureRunFolder } from './fixtures.ts';

describe('scenarios/capture-paths/suite.yaml', () => {
  it('expands to capture path × encoder × resolution, each path in the format it produces', async () => {
    const suite = await loadSuite(fromRepositoryRoot('scenarios/capture-paths/suite.yaml'), 1);
    expect(suite.axes).toEqual([
      { name: 'resolution', variants: ['720p60', '1080p60', '4k30'] },
      { name: 'path', variants: ['readback', 'gpu-convert', 'zero-copy'] },
      { name: 'encoder', variants: ['x264', 'openh264', 'h264_nvenc'] },
    ]);
    expect(suite.runs).toHaveLength(27);
    expect(suite.excluded).toBe(0);
    const sizes = new Set(suite.runs.map((run) => `${run.scenario.width}x${run.scenario.height}@${run.scenario.fps}`));
    expect([...sizes]).toEqual(['1280x720@60', '1920x1080@60', '3840x2160@30']);
    for (const run of suite.runs) {
      expect(run.scenario.capture.format).toBe(run.scenario.capture.path === 'readback' ? 'i420' : 'nv12');
      expect(run.scenario.encoder.codec).toBe(run.variants.encoder);
      expect(run.scenario.durationMs).toBeLessThanOrEqual(5000);
      expect(run.scenario.link).toBe('none');
    }
    expect(suite.runs.map((run) => run.name)).toContain('capture-paths-1080p60-gpu-convert-h264_nvenc');
  });
});

const SUITE = `suite: cp
base: { duration: 1s, resolution: 360p }
matrix:
  path:
    - { name: readback, set: { capture: { path: readback, format: i420 } } }
    - { name: zero-copy, set: { capture: { path: zero-copy, format: nv12 }, encoder: { codec: h264_nvenc } } }
`;

describe('runSuite with configurations this machine cannot run', () => {
  let root: string;
  let suiteJson: SuiteJson;
  let html: string;
  let suiteDir: string;
  const ran: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'glasslab-capture-suite-'));
    const suite = await parseSuiteText(SUITE, path.join(root, 'cp.yaml'), 5);
    const outcome = await runSuite(suite, suite.runs, {
      outRoot: root,
      unavailable: (scenario) => Promise.resolve(scenario.capture.path === 'zero-copy' ? 'capture path zero-copy (nv12, 640x360): no CUDA' : undefined),
      runOne: async (scenario, runsRoot) => {
        ran.push(scenario.name);
        const { runDir, results } = await fixtureRunFolder(runsRoot, scenario.name);
        // as the orchestrator writes it from the sender's `stopped` message
        const stopped = { type: 'event', side: 'orchestrator', timeMs: 1, name: 'child-stopped', detail: { role: 'sender', cpuTotalMs: 900, cpuRunningMs: 600, framesSent: results.summary.frames.sent, rendered: 40, droppedQueueFull: 3, missedTicks: 7 } };
        await appendFile(path.join(runDir, 'run.ndjson'), `${JSON.stringify(stopped)}\n`);
        return { runDir, state: 'completed', results };
      },
    });
    suiteDir = outcome.suiteDir;
    suiteJson = suiteJsonSchema.parse(JSON.parse(await readFile(outcome.jsonPath, 'utf8')));
    html = await readFile(outcome.reportPath, 'utf8');
  }, 60_000);
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists the configuration as skipped with its reason and never runs it', () => {
    expect(ran).toEqual(['cp-readback']);
    const [readback, zeroCopy] = suiteJson.runs;
    expect(readback).toMatchObject({ outcome: 'completed', config: { sender: 'glasslab', capturePath: 'readback', pixelFormat: 'i420', codec: 'x264', width: 640, height: 360, fps: 30, durationMs: 1000 } });
    expect(readback!.unavailable).toBeUndefined();
    expect(zeroCopy).toMatchObject({ outcome: 'skipped', unavailable: true, message: 'capture path zero-copy (nv12, 640x360): no CUDA', runDir: null, results: null, config: { capturePath: 'zero-copy', codec: 'h264_nvenc' } });
  });

  it('a configuration that cannot run does not fail the suite; one that ran and failed does', () => {
    expect(suitePassed(suiteJson)).toBe(true);
    const failed = structuredClone(suiteJson);
    failed.runs[0]!.outcome = 'failed';
    expect(suitePassed(failed)).toBe(false);
    // nothing that could run ran: not a pass
    const none = structuredClone(suiteJson);
    none.runs = none.runs.filter((run) => run.unavailable);
    expect(suitePassed(none)).toBe(false);
  });

  it('glasslab report <suite-dir> keeps the skipped run and its reason, and passes the suite', async () => {
    const out: string[] = [];
    const code = await runReportCommand(suiteDir, {}, { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(code).toBe(0);
    const rebuilt = suiteJsonSchema.parse(JSON.parse(await readFile(path.join(suiteDir, 'suite.json'), 'utf8')));
    expect(rebuilt.runs[1]).toEqual(suiteJson.runs[1]);
    // CPU and source counters read again from run.ndjson
    expect(rebuilt.runs[0]!.results!.sender).toEqual(suiteJson.runs[0]!.results!.sender);
  });

  it("copies the sender's stage times from results.json and its CPU and source counters from run.ndjson", () => {
    const results = suiteJson.runs[0]!.results!;
    expect(results.sender).toMatchObject({ cpuRunningMs: 600, framesRendered: 40, droppedQueueFull: 3, missedTicks: 7, senderDropped: expect.any(Number) });
    expect(results.sender!.cpuMsPerFrame).toBeCloseTo(600 / results.framesSent, 9);
    expect(results.sender!.stages.render.p50).not.toBeNull();
  });

  it('the report shows the reason in the runs table and in the Capture paths section', () => {
    const row = /<tr data-run="cp-zero-copy">(.*?)<\/tr>/.exec(html)![1]!;
    expect(row).toContain('<span class="badge skipped">skipped</span>');
    expect(row).toMatch(/<td colspan="\d+" class="reason">not run here: capture path zero-copy \(nv12, 640x360\): no CUDA<\/td>/);
    expect(html).toContain('<section id="capture-paths">');
    const captureRowHtml = /<tr data-capture-run="cp-zero-copy">(.*?)<\/tr>/.exec(html)![1]!;
    expect(captureRowHtml).toContain('no CUDA');
    expect(html).toMatch(/1 completed, 1 not available here/);
  });
});

const config = (capturePath: string, codec: string, width = 1280, height = 720, fps = 60): RunConfig => ({ sender: 'glasslab', capturePath, pixelFormat: capturePath === 'readback' ? 'i420' : 'nv12', codec, width, height, fps, durationMs: 4000 });

function results(g2gP50Ms: number | null, framesSent: number, g2gP95Ms: number | null = g2gP50Ms === null ? null : g2gP50Ms * 2): KeyResults {
  return { framesSent, framesDisplayed: framesSent, g2gP50Ms, g2gP95Ms, freezes: 0, residualLoss: 0, budgetsPassed: true, budgetsBroken: [], recovery: null };
}

function entry(name: string, runConfig: RunConfig, keyResults: KeyResults | null, outcome: SuiteRunEntry['outcome'] = 'completed'): SuiteRunEntry {
  return { name, variants: {}, config: runConfig, runDir: keyResults ? name : null, outcome, wallMs: 1, results: keyResults };
}

function suiteOf(runs: SuiteRunEntry[]): SuiteJson {
  return { schemaVersion: 1, suite: 's', file: '/s.yaml', seed: 1, filter: null, state: 'completed', startedAt: '2026-01-01T00:00:00.000Z', axes: [], excluded: 0, runs };
}

describe('the Capture paths section: groups and the fastest configuration', () => {
  it('groups by resolution in suite order and marks the lowest G2G p50 of the runs that kept up', () => {
    const suite = suiteOf([
      entry('a', config('readback', 'x264'), results(40, 240)),
      entry('b', config('gpu-convert', 'x264'), results(35, 240)),
      // lowest G2G, but it sent 200 of 240 frames: did not keep up
      entry('c', config('gpu-convert', 'openh264'), results(20, 200)),
      entry('d', config('readback', 'x264', 3840, 2160, 30), results(150, 90)),
      entry('e', config('gpu-convert', 'x264', 3840, 2160, 30), results(120, 60)),
      entry('f', config('zero-copy', 'h264_nvenc', 3840, 2160, 30), null, 'skipped'),
    ]);
    const groups = captureGroups(suite);
    expect(groups.map((g) => [g.resolution, g.rows.map((r) => r.run.name), g.fastest, g.fastestKeptUp])).toEqual([
      ['1280x720@60', ['a', 'b', 'c'], 'b', true],
      // no 4K run kept up (120 frames expected): the lowest G2G of all, said so
      ['3840x2160@30', ['d', 'e', 'f'], 'e', false],
    ]);
    expect(captureRow(suite.runs[2]!, suite.runs[2]!.config!)).toMatchObject({ expectedFrames: 240, keptUp: false });
    expect(captureRow(suite.runs[5]!, suite.runs[5]!.config!).keptUp).toBeNull();
  });

  it('ties on p50 go to the lower p95; failed runs and runs without a G2G are never fastest', () => {
    const rows = [
      entry('slow-tail', config('readback', 'x264'), results(30, 240, 90)),
      entry('steady', config('gpu-convert', 'x264'), results(30, 240, 45)),
      entry('broken', config('gpu-convert', 'openh264'), results(5, 240), 'failed'),
      entry('blind', config('readback', 'openh264'), results(null, 240)),
    ].map((run) => captureRow(run, run.config!));
    expect(fastestRow(rows)?.run.name).toBe('steady');
    expect(fastestRow(rows.slice(2))).toBeUndefined();
  });

  it('shown only when the lab-sender runs differ in capture path or encoder', () => {
    const same = suiteOf([entry('a', config('readback', 'x264'), results(40, 240)), entry('b', config('readback', 'x264', 640, 360), results(30, 240))]);
    expect(showsCaptureSection(same)).toBe(false);
    expect(captureSection(same)).toBe('');
    const differ = suiteOf([...same.runs, entry('c', config('gpu-convert', 'x264'), results(30, 240))]);
    expect(showsCaptureSection(differ)).toBe(true);
    // entries written before `config` existed: no section, and the report still renders
    const old = suiteOf(differ.runs.map(({ config: _config, ...rest }) => rest));
    expect(showsCaptureSection(old)).toBe(false);
    expect(renderSuiteReport(old)).not.toContain('id="capture-paths"');
  });

  it('marks the fastest row in the HTML and flags a run that did not keep up', () => {
    const suite = suiteOf([entry('a', config('readback', 'x264'), results(40, 240)), entry('b', config('gpu-convert', 'x264'), results(35, 100))]);
    const html = captureSection(suite);
    expect(/<tr data-capture-run="a" class="fastest">.*?<\/tr>/.exec(html)![0]).toContain('>fastest<');
    expect(/<tr data-capture-run="b">.*?<\/tr>/.exec(html)![0]).toContain('<td class="num fail">100 / 240</td>');
    expect(resolutionKey(config('readback', 'x264', 1920, 1080, 59.94))).toBe('1920x1080@59.94');
  });
});

describe('senderProcessFromEvents', () => {
  it("reads the sender's child-stopped summary; null without one", () => {
    const events: EventRecord[] = [
      { type: 'event', side: 'orchestrator', timeMs: 1, name: 'child-stopped', detail: { role: 'receiver', cpuRunningMs: 5 } },
      { type: 'event', side: 'orchestrator', timeMs: 2, name: 'child-stopped', detail: { role: 'sender', cpuRunningMs: 12.5, framesSent: 10, rendered: 11 } },
    ];
    expect(senderProcessFromEvents(events)).toEqual({ cpuRunningMs: 12.5, framesSent: 10, rendered: 11, droppedQueueFull: null, missedTicks: null });
    expect(senderProcessFromEvents(events.slice(0, 1))).toBeNull();
  });
});
