/**
 * `glasslab run <suite>` through the CLI: bad input exits 2 before anything runs (in-process, no
 * root needed); one real suite of 2 tiny configurations (2 s each) through the userspace link,
 * which needs root and /dev/net/tun and is skipped otherwise.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lab/cli/main.ts';
import { validateResults } from '../../lab/results/schema.ts';
import { suiteJsonSchema, type SuiteJson } from '../../lab/suite/suite-json.ts';
import { listNamespaces } from '../../lab/topology/ip.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

/** Runs the CLI in this process; returns its exit code and output. */
async function cliRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'glasslab', ...args], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('glasslab run <suite> with bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-suite-cli-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an invalid expanded scenario exits 2, names file:line, run, variants and field, and runs nothing', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'suite: bad\nbase: { duration: 2s }\nmatrix:\n  rate:\n    - { name: ok, set: { encoder: { bitrate: 400kbps } } }\n    - { name: silly, set: { encoder: { bitrate: fast } } }\n');
    const result = await cliRun(['run', file, '--runs', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`glasslab: invalid suite\n${file}:6: run bad-silly (rate=silly): encoder.bitrate: expected a bitrate`);
    expect((await readdir(dir)).filter((name) => name !== 'bad.yaml')).toEqual([]);
  });

  it('a --filter that matches no run, and --filter on a scenario, exit 2', async () => {
    const file = path.join(dir, 'two.yaml');
    await writeFile(file, 'suite: two\nbase: { duration: 2s }\nmatrix:\n  fps:\n    - { name: f15, set: { fps: 15 } }\n    - { name: f30, set: { fps: 30 } }\n');
    const none = await cliRun(['run', file, '--runs', dir, '--filter', '*-f60']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('glasslab: --filter "*-f60" matches none of the 2 runs of two (e.g. two-f15)');
    const scenario = path.join(dir, 'scenario.yaml');
    await writeFile(scenario, 'name: plain\n');
    const onScenario = await cliRun(['run', scenario, '--runs', dir, '--filter', '*']);
    expect(onScenario.code).toBe(2);
    expect(onScenario.stderr).toContain('--filter applies to suites only');
    const seed = await cliRun(['run', file, '--runs', dir, '--seed', '-4']);
    expect(seed.code).toBe(2);
  });
});

describePrivileged(rootLink())('glasslab run <suite>: 2 configurations of 2 s through the userspace link (needs root and /dev/net/tun)', () => {
  let dir: string;
  let exitCode: number | undefined;
  let stdout: string;
  let stderr: string;
  let pid: number | undefined;
  let suiteDir: string;
  let suite: SuiteJson;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-suite-e2e-'));
    const file = path.join(dir, 'tiny.yaml');
    await writeFile(
      file,
      `suite: tiny
base:
  duration: 2s
  resolution: 640x360
  encoder: { codec: x264, bitrate: 400kbps }
  link: { backend: userspace, delay: 10ms, up: { loss: 5% } }
matrix:
  protection:
    - { name: none, set: { protection: { mode: none } } }
    - { name: nack, set: { protection: { mode: nack } } }
budgets: ["g2g.p95 <= 5000ms"]
`,
    );
    const subprocess = execa(process.execPath, [cli, 'run', file, '--runs', path.join(dir, 'runs'), '--seed', '11'], { reject: false, timeout: 150_000 });
    pid = subprocess.pid;
    const result = await subprocess;
    exitCode = result.exitCode;
    stdout = result.stdout;
    stderr = result.stderr;
    const report = /^report: (.*)$/m.exec(stdout)?.[1];
    suiteDir = path.dirname(report ?? '');
    suite = suiteJsonSchema.parse(JSON.parse(await readFile(path.join(suiteDir, 'suite.json'), 'utf8')));
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs both into one suite folder, a progress line per run, exit 0', () => {
    expect(exitCode, `${stdout}\n${stderr}`).toBe(0);
    expect(path.dirname(suiteDir)).toBe(path.join(dir, 'runs'));
    expect(path.basename(suiteDir)).toMatch(/^\d{8}-\d{6}-tiny$/);
    expect(stderr).toMatch(/\[suite\] tiny: 2 of 2 runs, seed 11, into /);
    expect(stderr).toMatch(/\[suite\] 1\/2 tiny-none: completed, \d+\/\d+ displayed/);
    expect(stderr).toMatch(/\[suite\] 2\/2 tiny-nack: completed, \d+\/\d+ displayed/);
    expect(stdout).toContain('tiny: 2/2 runs completed');
  });

  it('suite.json lists both runs with their folders and key results; each run folder is complete', async () => {
    expect(suite.state).toBe('completed');
    expect(suite.seed).toBe(11);
    expect(suite.runs.map((r) => [r.name, r.outcome])).toEqual([
      ['tiny-none', 'completed'],
      ['tiny-nack', 'completed'],
    ]);
    for (const run of suite.runs) {
      const runDir = path.join(suiteDir, run.runDir!);
      const parsed = validateResults(JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      expect(run.results!.framesDisplayed).toBe(parsed.results.summary.frames.displayed);
      expect(run.results!.g2gP95Ms).toBe(parsed.results.summary.g2g.p95);
      expect(parsed.results.budgets.map((b) => b.expression)).toEqual(['g2g.p95 <= 5000ms']);
      // the userspace link keeps a fate log: the recovery numbers are copied from results.recovery
      const recovery = parsed.results.recovery;
      expect(recovery).not.toBeNull();
      expect(run.results!.recovery).toMatchObject({
        mode: run.variants.protection,
        dropped: recovery!.totals.dropped,
        never: recovery!.totals.never,
        rtx: recovery!.totals.rtx,
        residualLoss: recovery!.residualLoss,
      });
      expect(existsSync(path.join(runDir, 'report.html'))).toBe(true);
      const scenario = JSON.parse(await readFile(path.join(runDir, 'scenario.json'), 'utf8')) as { name: string; seed: number; protection: { mode: string } };
      expect([scenario.name, scenario.seed, scenario.protection.mode]).toEqual([run.name, 11, run.variants.protection]);
      // 2 s at 30 fps
      expect(run.results!.framesSent).toBeGreaterThan(40);
    }
    const html = await readFile(path.join(suiteDir, 'suite.html'), 'utf8');
    for (const run of suite.runs) expect(html).toContain(`href="${run.runDir}/report.html"`);
  });

  it('leaves no namespace or process of its runs behind', async () => {
    for (const run of suite.runs) {
      const events = await readFile(path.join(suiteDir, run.runDir!, 'run.ndjson'), 'utf8');
      const topology = /"name":"link-up".*?"topology":"([^"]+)"/.exec(events)?.[1];
      expect(topology).toBeDefined();
      expect(listNamespaces().filter((name) => name.includes(topology!))).toEqual([]);
    }
    const leftovers = await execa('pgrep', ['-f', `src/(sender|receiver)/main\\.[jt]s --control [^ ]*glasslab-ctl-${pid}-`], { reject: false });
    expect(leftovers.stdout.trim()).toBe('');
  });
});

describePrivileged(rootLink())('a suite stopped with SIGINT during its second run (needs root and /dev/net/tun)', () => {
  it('keeps the finished run, ends the current one interrupted, skips the rest, tears the network down, exits 1', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-suite-int-'));
    try {
      const file = path.join(dir, 'int.yaml');
      await writeFile(
        file,
        'suite: int\nbase: { duration: 3s, resolution: 640x360, encoder: { bitrate: 400kbps }, link: { backend: userspace, delay: 10ms } }\nmatrix:\n  fps:\n    - { name: a, set: { fps: 30 } }\n    - { name: b, set: { fps: 30 } }\n    - { name: c, set: { fps: 30 } }\n',
      );
      const runsRoot = path.join(dir, 'runs');
      const subprocess = execa(process.execPath, [cli, '--json', 'run', file, '--runs', runsRoot], { reject: false, timeout: 150_000 });
      // wait until the second run's media flows
      let secondRunDir: string | undefined;
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && secondRunDir === undefined) {
        await new Promise((r) => setTimeout(r, 250));
        const suiteDirs = await readdir(runsRoot).catch(() => [] as string[]);
        if (suiteDirs.length !== 1) continue;
        const suiteDir = path.join(runsRoot, suiteDirs[0]!);
        const candidate = (await readdir(suiteDir)).find((name) => name.endsWith('-int-b'));
        if (candidate === undefined) continue;
        const events = await readFile(path.join(suiteDir, candidate, 'run.ndjson'), 'utf8').catch(() => '');
        if (events.includes('"media-start"')) secondRunDir = path.join(suiteDir, candidate);
      }
      expect(secondRunDir, 'the second run reached its media phase').toBeDefined();
      subprocess.kill('SIGINT');
      const ended = await subprocess;
      expect(ended.exitCode, ended.stderr).toBe(1);
      const summary = JSON.parse(ended.stdout.trim().split('\n').at(-1)!) as { suiteDir: string; state: string; completed: number; interrupted: number; skipped: number };
      expect(summary).toMatchObject({ state: 'interrupted', completed: 1, interrupted: 1, skipped: 1 });
      const suite = suiteJsonSchema.parse(JSON.parse(await readFile(path.join(summary.suiteDir, 'suite.json'), 'utf8')));
      expect(suite.state).toBe('interrupted');
      expect(suite.runs.map((r) => r.outcome)).toEqual(['completed', 'interrupted', 'skipped']);
      expect(path.join(summary.suiteDir, suite.runs[1]!.runDir!)).toBe(secondRunDir);
      expect(existsSync(path.join(summary.suiteDir, 'suite.html'))).toBe(true);
      expect(existsSync(path.join(secondRunDir!, 'report.html'))).toBe(true);
      const events = await readFile(path.join(secondRunDir!, 'run.ndjson'), 'utf8');
      const topology = /"name":"link-up".*?"topology":"([^"]+)"/.exec(events)?.[1];
      expect(listNamespaces().filter((name) => name.includes(topology!))).toEqual([]);
      // the third run never started: no folder of it
      expect((await readdir(summary.suiteDir)).some((name) => name.endsWith('-int-c'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
