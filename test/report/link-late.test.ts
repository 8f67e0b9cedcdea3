/**
 * A run whose userspace data plane wrote packets late (lateness p99 > 0.5 ms in a direction) is
 * flagged LINK_LATE, naming the direction, the p99 and the max; the report's link section shows
 * lateness p50/p99/max and the late share per direction beside the configured and measured delay.
 */
import { readFile, rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { computeRunMetrics } from '../../lab/metrics/compute.ts';
import { computeLinkMetrics } from '../../lab/metrics/link.ts';
import { LINK_LATE_TOLERANCE_MS } from '../../lab/metrics/link-timing.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import { runWarnings } from '../../lab/metrics/warnings.ts';
import { buildReport } from '../../lab/report/build.ts';
import { linkSection } from '../../lab/report/link-section.ts';
import { validateResults, type Results } from '../../lab/results/schema.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';
import { syntheticLink, syntheticRun, writeSyntheticRunDir } from './fixtures.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** 100 released packets per direction, 20 ms fixed delay; `lateMs(dir, i)` after the scheduled release. */
function linkSummary(lateMs: (dir: 'up' | 'down', i: number) => number) {
  const fates: LinkFateRecord[] = [];
  for (const dir of ['up', 'down'] as const)
    for (let i = 0; i < 100; i++) fates.push({ type: 'fate', side: 'link', dir, id: i, size: 1000, enqueueMs: 1000 + i, releaseMs: 1020 + i, wireMs: 1020 + i + lateMs(dir, i) });
  const link = { params: { up: { delayUs: 20_000 }, down: { delayUs: 20_000 } }, timeline: [] };
  return computeLinkMetrics({ link, backend: 'userspace', fates, events: [], packets: [], originMs: 1000 }).summary;
}

const cleanSummary = computeRunMetrics(sortRecords([])).summary;

describe('the LINK_LATE warning', () => {
  it('is absent while lateness p99 is at most the tolerance, present above it, per direction', () => {
    expect(LINK_LATE_TOLERANCE_MS).toBe(0.5);
    // one packet in 100 late: p99 (nearest rank 99 of 100) is still on time
    expect(runWarnings(cleanSummary, linkSummary((_, i) => (i === 50 ? 8 : 0.05)))).toEqual([]);
    // p99 exactly at the tolerance is not flagged
    expect(runWarnings(cleanSummary, linkSummary((_, i) => (i >= 98 ? 0.5 : 0.05)))).toEqual([]);
    // two late packets up: p99 = 2.4 ms, max 9.9 ms; down on time
    const warnings = runWarnings(cleanSummary, linkSummary((dir, i) => (dir === 'up' && i === 10 ? 9.9 : dir === 'up' && i === 20 ? 2.4 : 0.05)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.code).toBe('LINK_LATE');
    expect(warnings[0]!.message).toMatch(/^link up: .*p99 2\.4 ms, max 9\.9 ms/);
    expect(warnings[0]!.message).toContain('CPU contention');
    expect(warnings[0]!.message).toContain('measured latency includes');
    expect(warnings[0]!.message).toContain('2% of 100 packets late');
  });

  it('names each late direction, and says nothing without a link or wire times', () => {
    const both = runWarnings(cleanSummary, linkSummary((dir, i) => (i % 10 === 0 ? (dir === 'up' ? 1 : 3) : 0)));
    expect(both.map((w) => [w.code, w.message.slice(0, 8)])).toEqual([
      ['LINK_LATE', 'link up:'],
      ['LINK_LATE', 'link dow'],
    ]);
    expect(both[1]!.message).toContain('p99 3 ms, max 3 ms');
    expect(runWarnings(cleanSummary, null)).toEqual([]);
    const noWire = computeLinkMetrics({
      link: { params: { up: {}, down: {} }, timeline: [] },
      backend: 'userspace',
      fates: [{ type: 'fate', side: 'link', dir: 'up', id: 0, size: 100, enqueueMs: 0, releaseMs: 30 }],
      events: [],
      packets: [],
      originMs: 0,
    }).summary;
    expect(runWarnings(cleanSummary, noWire)).toEqual([]);
  });

  it('the link section shows lateness p50/p99/max, the late share and the delay error per direction; no table without wire times', () => {
    const summary = linkSummary((dir, i) => (dir === 'up' ? (i < 3 ? 7.5 : 0.25) : 0.125));
    const html = linkSection({ link: summary } as Pick<Results, 'link'> as Results);
    expect(html).toContain('<table id="link-timing">');
    expect(html).toContain('<th class="num">late &gt; 0.500 ms</th>');
    expect(html).toContain('<tr><td>up</td><td class="num">20.0 ms</td><td class="num">20.0 ms</td><td class="num">0.250 ms / 7.50 ms / 7.50 ms</td><td class="num">3%</td><td class="num">0.250 ms / 7.50 ms</td><td class="num">—</td><td class="num">100</td></tr>');
    expect(html).toContain('<tr><td>down</td><td class="num">20.0 ms</td><td class="num">20.0 ms</td><td class="num">0.125 ms / 0.125 ms / 0.125 ms</td><td class="num">0%</td><td class="num">0.125 ms / 0.125 ms</td><td class="num">—</td><td class="num">100</td></tr>');
    const { timing: _up, ...up } = summary.directions.up;
    const { timing: _down, ...down } = summary.directions.down;
    expect(linkSection({ link: { ...summary, directions: { up, down } } } as Pick<Results, 'link'> as Results)).not.toContain('link-timing');
  });

  it('reaches results.json, the warnings at the top of the report and the link section', async () => {
    const run = syntheticRun({ frameCount: 120, lostFrames: [], unreadableFrames: [], incompleteFrames: [], droppedFrames: [] });
    // up: every 20th packet 4 ms late (5 %), down: on time within 0.1 ms
    const link = syntheticLink(run, { wireLateMs: (dir, id) => (dir === 'up' && id % 20 === 0 ? 4 : 0.1) });
    run.run.push(...link.events);
    const dir = await writeSyntheticRunDir(run, { 'scenario.json': JSON.stringify({ name: 'late-link', link: link.link }), 'link.ndjson': link.fateLog });
    dirs.push(dir);
    const built = await buildReport(dir);
    const written: unknown = JSON.parse(await readFile(built.resultsPath, 'utf8'));
    expect(validateResults(written).ok).toBe(true);
    const up = built.results.link!.directions.up.timing!;
    expect(up.latenessMs.p99).toBeCloseTo(4, 9);
    expect(up.lateRatio).toBeGreaterThan(0.04);
    expect(up.delayErrorMs.count).toBe(0); // up has a rate limit: its delay is not fixed
    expect(built.results.link!.directions.down.timing).toBeUndefined(); // no feedback in a run without loss: nothing went down
    expect(built.results.warnings?.map((w) => w.code)).toEqual(['LINK_LATE']);
    const html = await readFile(built.reportPath, 'utf8');
    const body = html.slice(0, html.indexOf('<script'));
    expect(body).toMatch(/<section id="warnings"><p class="note warning" data-code="LINK_LATE"><b>Warning:<\/b> link up: the data plane wrote packets late, release lateness p99 4 ms, max 4 ms/);
    expect(body).toContain('<table id="link-timing">');
    expect(body).toMatch(/<tr><td>up<\/td><td class="num">[^<]+ → [^<]+<\/td><td class="num">[^<]+<\/td><td class="num">0\.100 ms \/ 4\.00 ms \/ 4\.00 ms<\/td><td class="num">5(\.\d+)?%<\/td><td class="num">— \(delay not fixed\)<\/td>/);
  });
});
