// The one reader of files that input names: regular files only (fstat after open), a size limit
// per kind, optional confinement to folders with symlinks resolved; messages never quote content.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NAMED_FILE_LIMITS, readNamedFileSync } from '../../src/shared/named-file.ts';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'glasslab-named-file-')));
const inside = path.join(dir, 'inside');
mkdirSync(inside);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(result: ReturnType<typeof readNamedFileSync>): { code: string; message: string } {
  if ('text' in result) throw new Error('expected an error');
  return { code: result.error.code, message: result.error.message };
}

describe('readNamedFileSync', () => {
  it('reads a regular file', () => {
    const file = path.join(inside, 'ok.trace');
    writeFileSync(file, '1\n2\n');
    expect(readNamedFileSync(file, 'trace')).toEqual({ text: '1\n2\n' });
  });

  it('refuses a character device, a folder and a FIFO without reading or blocking', () => {
    expect(errorOf(readNamedFileSync('/dev/zero', 'rateTable'))).toEqual({ code: 'FILE_NOT_REGULAR', message: '/dev/zero: is not a regular file (character device)' });
    expect(errorOf(readNamedFileSync(inside, 'trace'))).toEqual({ code: 'FILE_NOT_REGULAR', message: `${inside}: is not a regular file (folder)` });
    const fifo = path.join(inside, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(errorOf(readNamedFileSync(fifo, 'trace'))).toEqual({ code: 'FILE_NOT_REGULAR', message: `${fifo}: is not a regular file (FIFO)` });
  });

  it('refuses a file over the limit of its kind by its size, naming the limit', () => {
    const big = path.join(inside, 'big.yaml');
    writeFileSync(big, '');
    truncateSync(big, 50 * 1024 * 1024); // sparse: 50 MB on paper, nothing read
    expect(errorOf(readNamedFileSync(big, 'scenario'))).toEqual({ code: 'FILE_TOO_LARGE', message: `${big}: 52428800 bytes, over the 1 MiB limit for a scenario or suite file` });
    const trace = path.join(inside, 'big.trace');
    writeFileSync(trace, '');
    truncateSync(trace, NAMED_FILE_LIMITS.trace + 1);
    expect(errorOf(readNamedFileSync(trace, 'trace')).message).toMatch(/over the 16 MiB limit for a trace file$/);
    truncateSync(trace, NAMED_FILE_LIMITS.trace);
    expect('text' in readNamedFileSync(trace, 'trace')).toBe(true);
  });

  it('confines to folders after resolving symlinks: a link inside that leads outside is refused', () => {
    const outsideFile = path.join(dir, 'secret.txt');
    writeFileSync(outsideFile, 'root:x:0:0\n');
    const link = path.join(inside, 'innocent.trace');
    symlinkSync(outsideFile, link);
    const refused = errorOf(readNamedFileSync(link, 'trace', { within: [inside] }));
    expect(refused).toEqual({ code: 'FILE_OUTSIDE', message: `${link}: resolves to ${outsideFile}, outside the folders it may be read from (${inside})` });
    expect(refused.message).not.toMatch(/root:x/);
    expect(errorOf(readNamedFileSync(outsideFile, 'trace', { within: [inside] })).message).toBe(`${outsideFile}: is outside the folders it may be read from (${inside})`);
    // a link inside that stays inside is fine; so is the same file once its folder is allowed
    const ok = path.join(inside, 'ok2.trace');
    writeFileSync(ok, '5\n');
    symlinkSync(ok, path.join(inside, 'alias.trace'));
    expect(readNamedFileSync(path.join(inside, 'alias.trace'), 'trace', { within: [inside] })).toEqual({ text: '5\n' });
    expect('text' in readNamedFileSync(link, 'trace', { within: [inside, dir] })).toBe(true);
    // a folder that only shares a prefix is not inside
    mkdirSync(`${inside}-other`);
    writeFileSync(path.join(`${inside}-other`, 'x'), '1');
    expect(errorOf(readNamedFileSync(path.join(`${inside}-other`, 'x'), 'trace', { within: [inside] })).code).toBe('FILE_OUTSIDE');
  });

  it('a missing file is a read error with its errno code', () => {
    expect(errorOf(readNamedFileSync(path.join(dir, 'nope'), 'trace'))).toEqual({ code: 'FILE_READ', message: `${path.join(dir, 'nope')}: cannot read: ENOENT` });
    expect(errorOf(readNamedFileSync(path.join(dir, 'nope'), 'trace', { within: [dir] })).code).toBe('FILE_READ');
  });
});
