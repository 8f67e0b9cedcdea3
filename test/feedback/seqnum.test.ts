import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NewestSeqUnwrapper as SeqUnwrapper, seqDiff, isNewerSeq } from '../../src/shared/rtp/seq.ts';
import { Fifo } from '../../src/shared/fifo.ts';

describe('sequence-number helpers', () => {
  it('unwrap follows any walk whose steps stay within ±32767 of the newest', () => fc.assert(fc.property(
    fc.nat({ max: 0xffff }), fc.array(fc.integer({ min: -30000, max: 32767 }), { maxLength: 300 }),
    (start, steps) => {
      const u = new SeqUnwrapper();
      expect(u.unwrap(start)).toBe(start);
      let newest = start;
      let ext = start;
      for (const step of steps) {
        const next = Math.max(ext + step, newest - 32767);
        expect(u.unwrap(next & 0xffff)).toBe(next);
        ext = next;
        newest = Math.max(newest, next);
        expect(u.newestSeen).toBe(newest);
      }
    })));

  it('seqDiff and isNewerSeq agree with plain arithmetic across the wrap', () => fc.assert(fc.property(
    fc.nat({ max: 0xffff }), fc.integer({ min: -32767, max: 32767 }),
    (a, d) => {
      const b = (a + d) & 0xffff;
      expect(seqDiff(b, a)).toBe(d);
      expect(isNewerSeq(b, a)).toBe(d > 0);
    })));

  it('the value half a ring away counts as newer, in both helpers', () => {
    expect(seqDiff(0x8000, 0)).toBe(0x8000);
    expect(seqDiff(0, 0x8000)).toBe(0x8000);
    expect(isNewerSeq(0x8000, 0)).toBe(true);
  });

  it('peek does not move the reference', () => {
    const u = new SeqUnwrapper();
    u.unwrap(65535);
    expect(u.peek(3)).toBe(65539);
    expect(u.newestSeen).toBe(65535);
    expect(u.unwrap(65534)).toBe(65534);
  });

  it('Fifo keeps order through compaction and resets when drained', () => {
    const f = new Fifo<number>();
    const seen: number[] = [];
    for (let i = 0; i < 5000; i++) { f.push(i); f.push(i + 0.5); seen.push(f.shift()!); }
    while (f.length) seen.push(f.shift()!);
    expect(seen).toEqual([...Array.from({ length: 5000 }, (_, i) => [i, i + 0.5]).flat()]);
    expect(f.shift()).toBeUndefined();
    expect(f.peek()).toBeUndefined();
  });
});
