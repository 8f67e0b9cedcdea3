import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, type BuiltReport } from '../../lab/report/build.ts';
import { renderJunit } from '../../lab/results/junit.ts';
import { RESULTS_SCHEMA_VERSION, validateResults, type Results } from '../../lab/results/schema.ts';
import { generatedSchemas, REPO_ROOT } from '../../scripts/gen-schemas.ts';
import { syntheticRun, writeSyntheticRunDir } from './fixtures.ts';

let runDir: string;
let built: BuiltReport;
let onDisk: unknown;

beforeAll(async () => {
  runDir = await writeSyntheticRunDir(syntheticRun(), { 'scenario.yaml': 'name: synthetic\nbudgets: ["g2g.p95 <= 120ms", "residualLoss <= 0.1%", "fps >= 29"]\n' });
  built = await buildReport(runDir);
  onDisk = JSON.parse(await readFile(built.resultsPath, 'utf8'));
});
afterAll(async () => {
  await rm(runDir, { recursive: true, force: true });
});

const clone = (): Results => structuredClone(onDisk) as Results;
const issuesOf = (value: unknown): string => {
  const result = validateResults(value);
  return result.ok ? '' : result.error.message;
};

describe('results.json schema', () => {
  it('validates the results.json a build wrote', () => {
    const result = validateResults(onDisk);
    expect(result.ok).toBe(true);
    expect(onDisk).toMatchObject({ schemaVersion: RESULTS_SCHEMA_VERSION, scenario: 'synthetic-30fps', outcome: { status: 'completed' }, budgetsPassed: false });
  });

  it.each<[string, (results: Record<string, unknown>) => void, string]>([
    ['a missing field', (r) => delete r.summary, 'summary'],
    ['another schema version', (r) => (r.schemaVersion = RESULTS_SCHEMA_VERSION + 1), 'schemaVersion'],
    ['a link section without directions', (r) => (r.link = { backend: null, fateLog: false, changes: [], directions: {}, mediaFates: null }), 'link.directions'],
    ['an unknown outcome', (r) => ((r.outcome as { status: string }).status = 'crashed'), 'outcome.status'],
    ['a negative count', (r) => (((r.summary as Results['summary']).frames.neverDisplayed) = -1), 'summary.frames.neverDisplayed'],
    ['a non-integer count', (r) => (((r.summary as Results['summary']).g2g.count) = 2.5), 'summary.g2g.count'],
    ['a loss ratio above 1', (r) => (((r.summary as Results['summary']).residualLoss as number) = 3.6), 'summary.residualLoss'],
    ['an unknown field', (r) => (r.extra = true), 'extra'],
    ['a bad wall clock', (r) => ((r.start as { wallClock: string }).wallClock = 'yesterday'), 'start.wallClock'],
    ['a string where a number belongs', (r) => (((r.summary as Results['summary']).g2g as unknown as { p95: string }).p95 = '37'), 'summary.g2g.p95'],
  ])('rejects a document with %s and names the path', (_label, corrupt, pathText) => {
    const results = clone() as unknown as Record<string, unknown>;
    corrupt(results);
    expect(issuesOf(results)).toContain(pathText);
  });

  it('the committed schemas/results.schema.json is what scripts/gen-schemas.ts generates', async () => {
    for (const [relativePath, text] of Object.entries(generatedSchemas())) {
      const committed = await readFile(path.join(REPO_ROOT, relativePath), 'utf8');
      expect(committed, `${relativePath} is stale: run npx tsx scripts/gen-schemas.ts`).toBe(text);
    }
    const schema = JSON.parse(generatedSchemas()['schemas/results.schema.json']!) as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'summary', 'budgets', 'outcome', 'environment']));
  });
});

describe('JUnit XML', () => {
  it('has one testcase per budget and a failure with measured vs limit for each broken one', async () => {
    const xml = await readFile(built.junitPath!, 'utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(2);
    expect(xml).toContain('tests="3" failures="2"');
    expect(xml).toMatch(/name="g2g.p95 &lt;= 120ms" time="0">\s*<system-out>/);
    expect(xml).toMatch(/<failure message="residualLoss = 3\.6\d+%, limit &lt;= 0\.1%" type="BudgetExceeded">budget residualLoss &lt;= 0\.1%: measured 0\.036\d+ fraction, limit &lt;= 0\.001 fraction<\/failure>/);
    expect(xml).toMatch(/<failure message="fps = 28\.\d+ fps, limit &gt;= 29 fps"/);
  });

  it('escapes names and drops characters XML cannot hold', () => {
    const results = clone();
    results.scenario = 'a&b "c" <d>\u0001';
    const xml = renderJunit(results);
    expect(xml).toContain('glasslab.a&amp;b &quot;c&quot; &lt;d&gt;\uFFFD');
    expect(xml).not.toContain('\u0001');
  });
});
