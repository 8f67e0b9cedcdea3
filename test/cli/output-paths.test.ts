// Unusable output folders (`run --runs`, `report -o`) are refused before anything runs: exit 2,
// one line naming the flag, the path and the cause. The check itself takes well under a second
// (timed directly below); the CLI's start-up alone (measured as `--version`) takes 1-3 s on the
// shared 2-core lab machine, so a spawned CLI gets that start-up twice plus a second. Before:
// `--runs /proc/x` spun for good at 90 % CPU in Node 20's recursive mkdir.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWritableFolder, OutputPathError } from '../../lab/cli/output-path.ts';
import { spawnCli } from './spawn.ts';

const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(path.join(tmpdir(), 'glasslab-cli-paths-'));
const scenario = path.join(dir, 'ok.yaml');
writeFileSync(scenario, 'name: ok\nduration: 1s\n');
const aFile = path.join(dir, 'a-file');
writeFileSync(aFile, 'x');
const readOnly = path.join(dir, 'ro');
let startupMs = 0;
let mounted = false;

beforeAll(async () => {
  const version = await spawnCli(['--version']);
  expect(version.code).toBe(0);
  startupMs = version.elapsedMs;
  if (isRoot) {
    mkdirSync(readOnly);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]);
    mounted = true;
  }
}, 30_000);

afterAll(() => {
  if (mounted) execFileSync('umount', [readOnly]);
  rmSync(dir, { recursive: true, force: true });
});

/** Exit 2, nothing on stdout, exactly one line on stderr matching `line`, and fast. */
function expectRefused(result: Awaited<ReturnType<typeof spawnCli>>, line: RegExp): void {
  expect(result.killed).toBe(false);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(result.elapsedMs).toBeLessThan(2 * startupMs + 1000);
}

describe('ensureWritableFolder', () => {
  it('refuses in well under a second, and makes a missing folder one level at a time', () => {
    for (const bad of ['/proc/x', '/sys/x', aFile, path.join(aFile, 'sub')]) {
      const started = performance.now();
      expect(() => ensureWritableFolder('--runs', bad)).toThrow(OutputPathError);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    const fresh = path.join(dir, 'a', 'b', 'c');
    expect(ensureWritableFolder('--runs', fresh)).toBe(fresh);
    expect(statSync(fresh).isDirectory()).toBe(true);
    expect(readdirSync(fresh)).toEqual([]); // the probe file is gone
  });

  it.skipIf(!isRoot)('refuses a proc mount outside /proc by its file system type', () => {
    const procMount = path.join(dir, 'proc-here');
    mkdirSync(procMount);
    execFileSync('mount', ['-t', 'proc', 'proc', procMount]);
    try {
      expect(() => ensureWritableFolder('--runs', path.join(procMount, 'x'))).toThrow(`--runs ${procMount}/x: is on a proc mount, a kernel pseudo file system`);
    } finally {
      execFileSync('umount', [procMount]);
    }
  });
});

describe('glasslab run --runs <unusable folder>', () => {
  it('under /proc: refused at once (it used to spin for good)', async () => {
    expectRefused(await spawnCli(['run', '--runs', '/proc/x', scenario], { killAfterMs: 10_000 }), /^glasslab: --runs \/proc\/x: is under \/proc, a kernel pseudo file system$/);
  });

  it('under /sys', async () => {
    expectRefused(await spawnCli(['run', '--runs', '/sys/glasslab-x', scenario], { killAfterMs: 10_000 }), /^glasslab: --runs \/sys\/glasslab-x: is under \/sys/);
  });

  it('a file, and a path through a file', async () => {
    expectRefused(await spawnCli(['run', '--runs', aFile, scenario]), new RegExp(`^glasslab: --runs ${aFile}: is a file, not a folder$`));
    expectRefused(await spawnCli(['run', '--runs', path.join(aFile, 'sub'), scenario]), /: a part of the path is a file, not a folder \(ENOTDIR\)$/);
  });

  it.skipIf(!isRoot)('a read-only mount (root ignores permission bits, not a read-only mount)', async () => {
    expectRefused(await spawnCli(['run', '--runs', readOnly, scenario]), new RegExp(`^glasslab: --runs ${readOnly}: cannot write into it: read-only file system \\(EROFS\\)$`));
    expectRefused(await spawnCli(['run', '--runs', path.join(readOnly, 'new'), scenario]), /: cannot create .*\/ro\/new: read-only file system \(EROFS\)$/);
  });

  it.skipIf(isRoot)('a chmod 0500 folder (only where not root)', async () => {
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    expectRefused(await spawnCli(['run', '--runs', locked, scenario]), /cannot write into it: permission denied \(EACCES\)$/);
  });
});

describe('glasslab report -o <unusable folder>', () => {
  it('under /proc and a file are refused with exit 2 and one line', async () => {
    expectRefused(await spawnCli(['report', '-o', '/proc/x', dir], { killAfterMs: 10_000 }), /^glasslab report: --out \/proc\/x: is under \/proc/);
    expectRefused(await spawnCli(['report', '--out', aFile, dir]), new RegExp(`^glasslab report: --out ${aFile}: is a file, not a folder$`));
  });

  it.skipIf(!isRoot)('a read-only mount', async () => {
    expectRefused(await spawnCli(['report', '-o', readOnly, dir]), /cannot write into it: read-only file system \(EROFS\)$/);
  });
});
