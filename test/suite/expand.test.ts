/**
 * Suite expansion without I/O: deep merge (mappings merge, lists and scalars replace), the cross
 * product in axis order, exclude patterns, globs, and which variant set a field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossAxes, deepMerge, globToRegExp, isExcluded, matchesPattern, mergeCombination, variantSetting, type ExcludeEntry, type SuiteAxis } from '../../lab/suite/expand.ts';

const axes: SuiteAxis[] = [
  {
    name: 'protection',
    variants: [
      { name: 'none', set: { protection: { mode: 'none' } } },
      { name: 'fec', set: { protection: { mode: 'fec', mask: 'bursty' } } },
    ],
  },
  {
    name: 'loss',
    variants: [
      { name: '1pct', set: { link: { up: { loss: { model: 'random', p: '1%' } } } } },
      { name: 'ge', set: { link: { up: { loss: { model: 'gemodel', p: '2%', r: '30%' } } } } },
      { name: 'clean', set: { link: 'none' } },
    ],
  },
  { name: 'rtt', variants: [{ name: 'rtt20', set: { link: { delay: '10ms' } } }, { name: 'rtt100', set: { link: { delay: '50ms' } } }] },
];

describe('deepMerge', () => {
  it('merges mappings key by key and replaces lists and scalars', () => {
    const base = { encoder: { codec: 'x264', bitrate: '1Mbps' }, budgets: ['a', 'b'], fps: 30, link: { delay: '5ms', up: { loss: '1%' } } };
    const merged = deepMerge(base, { encoder: { bitrate: '400kbps' }, budgets: ['c'], fps: 15, link: { up: { jitter: '2ms' } } });
    expect(merged).toEqual({ encoder: { codec: 'x264', bitrate: '400kbps' }, budgets: ['c'], fps: 15, link: { delay: '5ms', up: { loss: '1%', jitter: '2ms' } } });
    // inputs untouched
    expect(base.encoder.bitrate).toBe('1Mbps');
    expect(base.budgets).toEqual(['a', 'b']);
  });

  it('a scalar replaces a mapping and a mapping replaces a scalar', () => {
    expect(deepMerge({ link: { delay: '5ms' } }, { link: 'none' })).toEqual({ link: 'none' });
    expect(deepMerge({ link: 'none' }, { link: { delay: '5ms' } })).toEqual({ link: { delay: '5ms' } });
  });

  it('property: every leaf of the patch is in the result, every base key the patch does not name survives', () => {
    const leaf = fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 3 }));
    const tree = fc.letrec((tie) => ({ node: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.oneof({ depthSize: 'small' }, leaf, tie('node')), { maxKeys: 3 }) })).node;
    fc.assert(
      fc.property(tree, tree, (base, patch) => {
        const merged = deepMerge(base, patch);
        const check = (m: Record<string, unknown>, b: Record<string, unknown>, p: Record<string, unknown>): void => {
          for (const [key, value] of Object.entries(p)) {
            const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
            if (isMap(value) && isMap(b[key])) check(m[key] as Record<string, unknown>, b[key], value);
            else expect(m[key]).toEqual(value);
          }
          for (const key of Object.keys(b)) if (!(key in p)) expect(m[key]).toEqual(b[key]);
        };
        check(merged, base, patch);
      }),
    );
  });
});

describe('crossAxes', () => {
  it('crosses in axis order, the first axis outermost, naming runs suite + variants', () => {
    const combinations = crossAxes('s', axes);
    expect(combinations).toHaveLength(2 * 3 * 2);
    expect(combinations.slice(0, 3).map((c) => c.runName)).toEqual(['s-none-1pct-rtt20', 's-none-1pct-rtt100', 's-none-ge-rtt20']);
    expect(combinations.at(-1)!.runName).toBe('s-fec-clean-rtt100');
    expect(combinations[7]!.variants).toEqual({ protection: 'fec', loss: '1pct', rtt: 'rtt100' });
    expect(combinations[7]!.indices).toEqual([1, 0, 1]);
    expect(new Set(combinations.map((c) => c.runName)).size).toBe(12);
  });

  it('merges each variant into the base in axis order; later axes win', () => {
    const base = { duration: '5s', protection: { mode: 'nack', maxRetries: 3 }, link: { delay: '1ms', rate: '20mbit' } };
    const [, , , , , , , fecLossRtt100] = crossAxes('s', axes);
    expect(mergeCombination(base, axes, fecLossRtt100!)).toEqual({
      name: 's-fec-1pct-rtt100',
      duration: '5s',
      protection: { mode: 'fec', mask: 'bursty', maxRetries: 3 },
      link: { delay: '50ms', rate: '20mbit', up: { loss: { model: 'random', p: '1%' } } },
    });
  });
});

describe('exclude and filter patterns', () => {
  it('globs match whole names; * and ? are the only wildcards', () => {
    expect(globToRegExp('fec-*').test('fec-random')).toBe(true);
    expect(globToRegExp('fec-*').test('hybrid-fec-random')).toBe(false);
    expect(globToRegExp('rtt?00').test('rtt100')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
    expect(matchesPattern('nack', ['none', 'n*k'])).toBe(true);
    expect(matchesPattern('fec', ['none', 'nack'])).toBe(false);
  });

  it('an entry leaves out the combinations matching every axis it names', () => {
    const combinations = crossAxes('s', axes);
    const exclude: ExcludeEntry[] = [{ protection: 'none', rtt: 'rtt100' }, { loss: ['clean', 'g?'], protection: 'f*' }];
    const kept = combinations.filter((c) => !isExcluded(c, exclude)).map((c) => c.runName);
    expect(kept).toEqual(['s-none-1pct-rtt20', 's-none-ge-rtt20', 's-none-clean-rtt20', 's-fec-1pct-rtt20', 's-fec-1pct-rtt100']);
    // an entry naming an axis the combination lacks matches nothing
    expect(combinations.some((c) => isExcluded(c, [{ bitrate: '*' }]))).toBe(false);
  });
});

describe('variantSetting', () => {
  const [combination] = crossAxes('s', axes).filter((c) => c.runName === 's-fec-clean-rtt20');
  it('names the last variant whose set holds the path; -1 for the base', () => {
    expect(variantSetting(axes, combination!, ['protection', 'mask'])).toBe(0);
    expect(variantSetting(axes, combination!, ['link', 'delay'])).toBe(2);
    expect(variantSetting(axes, combination!, ['duration'])).toBe(-1);
    expect(variantSetting(axes, combination!, ['protection', 'fec'])).toBe(-1);
  });
  it('a scalar set higher up owns the fields below it', () => {
    const [clean] = crossAxes('s', axes.slice(0, 2)).filter((c) => c.runName === 's-fec-clean');
    expect(variantSetting(axes.slice(0, 2), clean!, ['link', 'up', 'loss'])).toBe(1);
  });
});
