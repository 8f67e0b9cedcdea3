import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicWriteError, writeFileAtomic, writeFileAtomicSync } from '../../lab/results/atomic.ts';
import { NdjsonWriter, NdjsonWriterError, parseNdjson, readNdjsonFile } from '../../src/shared/ndjson.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomic writes', () => {
  it('a concurrent reader only ever sees a whole old or whole new file', async () => {
    const target = path.join(dir, 'results.json');
    const versions = [Buffer.alloc(3 * 1024 * 1024, 'a'), Buffer.alloc(2 * 1024 * 1024 + 7, 'b')];
    await writeFileAtomic(target, versions[0]!);
    let writing = true;
    const seen = new Set<string>();
    const reader = (async () => {
      let reads = 0;
      while (writing || reads < 5) {
        const content = await readFile(target);
        reads += 1;
        const whole = versions.findIndex((version) => version.equals(content));
        seen.add(whole === -1 ? `partial:${content.length}` : `v${whole}`);
      }
      return reads;
    })();
    for (let round = 0; round < 24; round += 1) await writeFileAtomic(target, versions[round % 2 === 0 ? 1 : 0]!);
    writing = false;
    const reads = await reader;
    expect(reads).toBeGreaterThan(0);
    expect([...seen].filter((entry) => entry.startsWith('partial'))).toEqual([]);
    expect(seen.has('v0') && seen.has('v1')).toBe(true); // the reads did interleave with the writes
    expect(await readdir(dir)).toEqual(['results.json']); // no temp files left
  });

  it('writes strings and bytes, sync and async, and leaves no temp file', async () => {
    const target = path.join(dir, 'report.html');
    await writeFileAtomic(target, '<p>é</p>');
    expect(await readFile(target, 'utf8')).toBe('<p>é</p>');
    writeFileAtomicSync(target, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(target))]).toEqual([1, 2, 3]);
    expect((await stat(target)).mode & 0o777).toBe(0o644);
    expect(await readdir(dir)).toEqual(['report.html']);
  });

  it('fails with a typed error and leaves the old file when the write cannot happen', async () => {
    const target = path.join(dir, 'keep.json');
    await writeFile(target, 'old');
    await expect(writeFileAtomic(path.join(dir, 'missing', 'x.json'), 'new')).rejects.toBeInstanceOf(AtomicWriteError);
    expect(() => writeFileAtomicSync(path.join(dir, 'missing', 'x.json'), 'new')).toThrow(AtomicWriteError);
    expect(await readFile(target, 'utf8')).toBe('old');
  });
});

describe('NDJSON reader', () => {
  it('reads every complete line and reports a truncated last line', () => {
    const result = parseNdjson('{"a":1}\n{"a":2}\n{"a":3,"b":[1,2');
    expect(result.records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(result.truncatedLastLine).toEqual({ lineNumber: 3, bytes: 15, excerpt: '{"a":3,"b":[1,2' });
    expect(result.recordLines).toEqual([1, 2]);
    expect(result.badLines).toEqual([]);
  });

  it('keeps a complete last line without newline, and reports bad middle lines without throwing', () => {
    const result = parseNdjson('{"a":1}\nnot json\n[1]\n\n{"a":2}');
    expect(result.records).toEqual([{ a: 1 }, { a: 2 }]);
    expect(result.truncatedLastLine).toBeUndefined();
    expect(result.badLines.map((line) => line.lineNumber)).toEqual([2, 3]);
  });

  it('property: a file cut at any byte yields a prefix of the records, never a bad line', () => {
    const record = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null)), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.nat(), (records, cutSeed) => {
        const text = records.map((item) => JSON.stringify(item) + '\n').join('');
        const cut = text.length === 0 ? 0 : cutSeed % (text.length + 1);
        const result = parseNdjson(text.slice(0, cut));
        const completeLines = text.slice(0, cut).split('\n').length - 1;
        expect(result.badLines).toEqual([]);
        expect(result.records).toEqual(records.slice(0, result.records.length));
        expect(result.records.length - completeLines).toBeGreaterThanOrEqual(0);
        expect(result.records.length - completeLines).toBeLessThanOrEqual(1);
        if (result.truncatedLastLine !== undefined) expect(result.records.length).toBe(completeLines);
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (text) => void parseNdjson(text)));
  });

  it('reads a missing file as empty', async () => {
    expect(await readNdjsonFile(path.join(dir, 'none.ndjson'))).toEqual({ records: [], recordLines: [], badLines: [], missing: true });
  });
});

describe('NDJSON writer', () => {
  it('flushes on its interval without close, and on size', async () => {
    const file = path.join(dir, 'timed.ndjson');
    // an interval long enough that the read right after the write finishes first on a loaded machine (20 ms did not, once)
    const writer = new NdjsonWriter(file, { flushIntervalMs: 300, maxBufferBytes: 1 << 20 });
    writer.write({ n: 1 });
    expect(await readFile(file, 'utf8')).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await readFile(file, 'utf8')).toBe('{"n":1}\n');
    const sized = new NdjsonWriter(path.join(dir, 'sized.ndjson'), { flushIntervalMs: 60_000, maxBufferBytes: 30 });
    sized.write({ text: 'abcdefghijklmnopqrstuvwxyz' });
    expect((await readNdjsonFile(sized.filePath)).records).toHaveLength(1);
    writer.close();
    sized.close();
    expect(() => writer.write({ n: 2 })).toThrow(NdjsonWriterError);
  });

  it('appends to an existing file', async () => {
    const file = path.join(dir, 'append.ndjson');
    await writeFile(file, '{"n":0}\n');
    const writer = new NdjsonWriter(file);
    writer.write({ n: 1 });
    writer.close();
    expect((await readNdjsonFile(file)).records).toEqual([{ n: 0 }, { n: 1 }]);
  });

  it('a SIGKILLed writer leaves every flushed record readable, in order', async () => {
    const file = path.join(dir, 'killed.ndjson');
    const script = path.join(dir, 'writer.mts');
    await writeFile(
      script,
      `import { NdjsonWriter } from ${JSON.stringify(path.join(REPO_ROOT, 'src/shared/ndjson.ts'))};
const writer = new NdjsonWriter(${JSON.stringify(file)}, { flushIntervalMs: 10 });
let n = 0;
setInterval(() => { for (let i = 0; i < 50; i += 1) writer.write({ type: 'event', n: n++, pad: 'x'.repeat(200) }); }, 1);`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const size = await stat(file).then((info) => info.size, () => 0);
      if (size > 200_000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const result = await readNdjsonFile(file);
    expect(result.badLines).toEqual([]);
    expect(result.records.length).toBeGreaterThan(500);
    expect(result.records.every((record, index) => (record as { n: number }).n === index)).toBe(true);
  });
});
