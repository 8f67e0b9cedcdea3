// Files a scenario names (rate_trace, loss traces, protection.rateTable, link profiles) go through
// the one reader: a regular file under its kind's limit, inside the scenario's folder, the
// repository's scenarios/ and data/, or an --allow-path folder; errors name the field and never
// quote what the file holds. The shipped scenarios and suites still load under these rules.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../../lab/scenario/load.ts';
import { isSuiteFile, loadSuite } from '../../lab/suite/load.ts';
import { SHIPPED_FILE_ROOTS } from '../../lab/scenario/scenario-files.ts';

const repoRoot = path.resolve(path.dirname(SHIPPED_FILE_ROOTS[0]!));
const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'glasslab-scenario-files-')));
const scenarioDir = path.join(dir, 'scenarios');
const elsewhere = path.join(dir, 'elsewhere');
mkdirSync(scenarioDir);
mkdirSync(elsewhere);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// content that must never show up in a message
const SECRET = 'root:$6$very-secret-hash:19000:0:99999:7:::';
const secretFile = path.join(elsewhere, 'shadow');
writeFileSync(secretFile, `${SECRET}\n`);

async function issuesOf(body: string, allowPaths: string[] = [], duration = '2s'): Promise<string> {
  const file = path.join(scenarioDir, 's.yaml');
  writeFileSync(file, `name: s\nduration: ${duration}\n${body}`);
  try {
    await loadScenario(file, 1, { allowPaths });
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  return 'loaded';
}

describe('files a scenario names', () => {
  it('protection.rateTable outside the scenario folder is refused, saying how to allow it', async () => {
    const message = await issuesOf(`protection: { mode: fec, rateTable: ${secretFile} }\n`);
    expect(message).toBe(
      `${scenarioDir}/s.yaml:3: protection.rateTable: FEC rate table FEC_TABLE_READ: ${secretFile}: is outside the folders it may be read from (${scenarioDir}, ${SHIPPED_FILE_ROOTS.join(', ')}); to allow it, run with --allow-path ${elsewhere}`,
    );
  });

  it('once allowed, a rate table that is not JSON is named by its expected shape, not its text', async () => {
    const message = await issuesOf(`protection: { mode: fec, rateTable: ${secretFile} }\n`, [elsewhere]);
    expect(message).toMatch(/protection\.rateTable: FEC rate table FEC_TABLE_JSON: .*shadow: not valid JSON \(.*\); expected \{ "table"/);
    expect(message).not.toContain('root');
    expect(message).not.toContain('secret');
  });

  it('a rate table cell of the wrong type is named by its type, not its text', async () => {
    writeFileSync(path.join(scenarioDir, 'strings.json'), JSON.stringify({ table: [[SECRET]] }));
    const message = await issuesOf('protection: { mode: fec, rateTable: strings.json }\n');
    expect(message).toMatch(/table\[0\]\[0\]: expected an integer 0\.\.255 \(1\/255 units\), got a string$/);
    expect(message).not.toContain('secret');
  });

  it('/dev/zero as a rate table: not a regular file, exit-2 error at load (it used to grow memory without bound)', async () => {
    expect(await issuesOf('protection: { mode: fec, rateTable: /dev/zero }\n', ['/dev'])).toBe(`${scenarioDir}/s.yaml:3: protection.rateTable: FEC rate table FEC_TABLE_READ: /dev/zero: is not a regular file (character device)`);
  });

  it('rate_trace: outside refused; allowed but not a trace: line number and shape, no text', async () => {
    expect(await issuesOf(`link: { up: { rate_trace: ${secretFile} } }\n`)).toMatch(/link\.up\.rate_trace: .*shadow: is outside the folders .*--allow-path/);
    const message = await issuesOf(`link: { up: { rate_trace: ${secretFile} } }\n`, [elsewhere]);
    expect(message).toBe(`${scenarioDir}/s.yaml:3: link.up.rate_trace: ${secretFile}: line 1: expected a whole number of ms (one delivery opportunity per line)`);
  });

  it('a loss trace file: line and column of the first bad character, no text', async () => {
    const message = await issuesOf(`link: { loss: { model: trace, file: ${secretFile} } }\n`, [elsewhere]);
    expect(message).toMatch(/link\.up\.loss\.file: .*shadow: line 1, column 1: expected 0 \(pass\) or 1 \(lose\)/);
    expect(message).not.toContain('root');
  });

  it('a FIFO as a trace is refused at once instead of blocking the load', async () => {
    execFileSync('mkfifo', [path.join(scenarioDir, 'pipe.trace')]);
    expect(await issuesOf('link: { rate_trace: pipe.trace }\n')).toMatch(/link\.up\.rate_trace: .*pipe\.trace: is not a regular file \(FIFO\)/);
  });

  it('a symlink inside the folder that leads outside is refused (real paths are compared)', async () => {
    symlinkSync(secretFile, path.join(scenarioDir, 'looks-local.trace'));
    expect(await issuesOf('link: { rate_trace: looks-local.trace }\n')).toMatch(/looks-local\.trace: resolves to .*elsewhere\/shadow, outside the folders/);
  });

  it('a profile file outside is refused; a YAML profile that does not parse names the line and the error code only', async () => {
    expect(await issuesOf(`link: { profile: ${secretFile}.yaml }\n`)).toMatch(/link\.profile: no such profile/);
    writeFileSync(path.join(elsewhere, 'p.yaml'), `name: p\nsource: x\nlink: { delay: 5ms }\n`);
    expect(await issuesOf(`link: { profile: ${path.join(elsewhere, 'p.yaml')} }\n`)).toMatch(/link\.profile: .*p\.yaml: is outside the folders/);
    writeFileSync(path.join(scenarioDir, 'bad.yaml'), `name: p\nsource: "${SECRET}\n  : [\n`);
    const message = await issuesOf('link: { profile: ./bad.yaml }\n');
    expect(message).toMatch(/link\.profile: .*bad\.yaml:\d+: not a YAML link profile \([A-Z_]+\)$/);
    expect(message).not.toContain('secret');
  });

  it('the scenario file itself: a character device or a 50 MB file is refused before it is read', async () => {
    await expect(loadScenario('/dev/zero')).rejects.toThrow('/dev/zero: (document): is not a regular file (character device)');
    const big = path.join(scenarioDir, 'big.yaml');
    writeFileSync(big, `name: big\ndescription: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    await expect(loadScenario(big)).rejects.toThrow(`${big}: (document): 2097178 bytes, over the 1 MiB limit for a scenario or suite file`);
    expect(await isSuiteFile('/dev/zero')).toBe(false);
    await expect(loadSuite('/dev/zero')).rejects.toThrow('is not a regular file (character device)');
  });
});

describe('the shipped scenarios', () => {
  it('every scenario and suite under scenarios/ still loads (profiles and traces in scenarios/links)', async () => {
    const scenarios = path.join(repoRoot, 'scenarios');
    const files = [
      ...readdirSync(scenarios).filter((f) => f.endsWith('.yaml')).map((f) => path.join(scenarios, f)),
      ...readdirSync(path.join(scenarios, 'loss-recovery')).map((f) => path.join(scenarios, 'loss-recovery', f)),
    ];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      if (await isSuiteFile(file)) expect((await loadSuite(file, 1)).runs.length).toBeGreaterThan(0);
      else expect((await loadScenario(file, 1)).name).toMatch(/./);
    }
    for (const profile of readdirSync(path.join(scenarios, 'links')).filter((f) => f.endsWith('.yaml'))) {
      expect(await issuesOf(`link: { profile: ${profile.replace(/\.yaml$/, '')} }\n`, [], '20s')).toBe('loaded');
    }
  });
});
