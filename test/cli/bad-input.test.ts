// Bad scenario input through the real CLI: exit 2 and a message naming the file, line and
// field, before anything runs, and never the content of a file the scenario pointed at.
// Before: `run /dev/zero` grew memory without bound, a 50 MB scenario took 2.3 GB and then failed
// with a control-channel timeout, and /etc/passwd's first line was printed in the error.
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from './spawn.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'glasslab-cli-input-'));
const runs = path.join(dir, 'runs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(name: string, body: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nduration: 2s\n${body}`);
  return file;
}

/** The first line of each file, the text that must not leak (skipped for a file that is unreadable or empty). */
const secrets = ['/etc/passwd', '/etc/shadow'].map((file) => {
  try {
    return readFileSync(file, 'utf8').split('\n')[0]!.split(':').slice(0, 2).join(':');
  } catch {
    return '';
  }
});

describe('glasslab run with bad scenario input', () => {
  it('/dev/zero as the scenario: exit 2 at once (it used to read without end)', async () => {
    const result = await spawnCli(['run', '--runs', runs, '/dev/zero'], { killAfterMs: 15_000 });
    expect(result.killed).toBe(false);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('glasslab: invalid scenario\n/dev/zero: (document): is not a regular file (character device)\n');
  });

  it('a 50 MB scenario: exit 2 naming the limit, nothing read', async () => {
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, 'name: big\n');
    truncateSync(big, 50 * 1024 * 1024);
    const result = await spawnCli(['run', '--runs', runs, big], { killAfterMs: 15_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`glasslab: invalid scenario\n${big}: (document): 52428800 bytes, over the 1 MiB limit for a scenario or suite file\n`);
  });

  it('rateTable: /etc/passwd is refused as outside the folder, saying how to allow it; once allowed, its text is never printed', async () => {
    const file = scenario('passwd', 'protection: { mode: fec, rateTable: /etc/passwd }\n');
    const refused = await spawnCli(['run', '--runs', runs, file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${file}:3: protection.rateTable: FEC rate table FEC_TABLE_READ: /etc/passwd: is outside the folders it may be read from (${dir}, `);
    expect(refused.stderr).toMatch(/; to allow it, run with --allow-path \/etc\n$/);
    const allowed = await spawnCli(['run', '--runs', runs, '--allow-path', '/etc', file]);
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/protection\.rateTable: FEC rate table FEC_TABLE_JSON: \/etc\/passwd: not valid JSON/);
    expect(allowed.stderr).not.toContain('root');
    for (const secret of secrets.filter((text) => text.length > 0)) expect(allowed.stderr).not.toContain(secret);
  });

  it('rate_trace: /etc/shadow, once allowed, gives the line and the expected shape, not the text', async () => {
    const allowed = await spawnCli(['run', '--runs', runs, '--allow-path', '/etc', scenario('shadow', 'link: { up: { rate_trace: /etc/shadow } }\n')]);
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/link\.up\.rate_trace: \/etc\/shadow: line 1: expected a whole number of ms/);
    expect(allowed.stderr).not.toContain('root');
    for (const secret of secrets.filter((text) => text.length > 0)) expect(allowed.stderr).not.toContain(secret);
  });

  it('duration: 30 is exit 2 with the units to write (it used to be a 30 ms run of one frame that exited 0)', async () => {
    const file = path.join(dir, 'bare.yaml');
    writeFileSync(file, 'name: bare\nduration: 30\n');
    const result = await spawnCli(['run', '--runs', runs, file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`glasslab: invalid scenario\n${file}:2: duration: a bare number is not a duration: write the unit, e.g. "30s" or "30ms"\n`);
  });
});
