// Signals work from the first moment of the process. A signal in Node's own start-up (before
// bin/glasslab.js runs) ends it by the default action; from the entry's first line on, the CLI
// exits at once with 143 (SIGTERM) / 130 (SIGINT) until a run starts (then it aborts the run, as
// test/e2e covers). Before, no handler existed until a run began: a signal while the modules
// loaded killed the process without an exit code, and once the run's handler was in, a SIGTERM
// only aborted a controller nobody listened to yet (`--runs /proc/x` then spun for good).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from './spawn.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'glasslab-cli-signals-'));
const scenario = path.join(dir, 'ok.yaml');
writeFileSync(scenario, 'name: ok\nduration: 1s\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = ['run', '--runs', path.join(dir, 'runs'), scenario];

describe('a signal before a run has started', () => {
  it('SIGTERM 100 ms after start ends the process within a second', async () => {
    const result = await spawnCli(run, { signalAt: { signal: 'SIGTERM', afterMs: 100 }, killAfterMs: 10_000 });
    expect(result.killed).toBe(false);
    // by the default action when it lands in Node's own start-up, by the entry's handler after
    expect(result.signal === 'SIGTERM' || result.code === 143).toBe(true);
    expect(result.elapsedMs - result.signalSentAtMs!).toBeLessThan(1000);
  });

  // 600 ms: inside the entry (handler installed) while the CLI's modules still load through tsx with
  // its cache off (1-3 s here; with a warm cache a run's modules loaded before 600 ms once, and
  // compiled from dist/ they load in about 0.4 s: too short a window to aim at)
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s while the CLI loads: exit %i within a second', async (signal, exitCode) => {
    const result = await spawnCli(run, { signalAt: { signal, afterMs: 600 }, killAfterMs: 10_000, env: { GLASSLAB_CODE: 'tsx', TSX_DISABLE_CACHE: '1' } });
    expect(result.killed).toBe(false);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(exitCode);
    expect(result.elapsedMs - result.signalSentAtMs!).toBeLessThan(1000);
  });
});
