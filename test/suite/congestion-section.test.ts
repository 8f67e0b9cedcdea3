import { describe, expect, it } from 'vitest';
import { compareWithLibwebrtc, congestionSideBySideSection, controllerAxis } from '../../lab/suite/congestion-section.ts';
import type { SuiteJson } from '../../lab/suite/suite-json.ts';

type Tracking = Parameters<typeof compareWithLibwebrtc>[0];

const tracking = (mode: Tracking['mode'], over: Partial<Tracking> = {}): Tracking => ({
  mode, minUtilisation: 0.8, worstQueueDelayP95Ms: 40, worstAdaptMs: 1500, maxOvershootLoss: 0.02, worstReach90Ms: 3000, ...over,
});

/** The fields the section reads; the rest of a suite.json does not matter to it. */
function suite(runs: { path: string; sender: string; congestion: Tracking | null }[]): SuiteJson {
  return {
    axes: [{ name: 'path', variants: [...new Set(runs.map((r) => r.path))] }, { name: 'sender', variants: [...new Set(runs.map((r) => r.sender))] }],
    runs: runs.map((r) => ({
      name: `c-${r.path}-${r.sender}`,
      variants: { path: r.path, sender: r.sender },
      results: { congestion: r.congestion, g2gP50Ms: 30, g2gP95Ms: 60 },
    })),
  } as unknown as SuiteJson;
}

describe('congestion control side by side', () => {
  it('compares each criterion the goal names, in the direction that is better', () => {
    const lab = tracking('googcc', { minUtilisation: 0.85, worstAdaptMs: 1200, worstReach90Ms: 4000, worstQueueDelayP95Ms: 45 });
    const chrome = tracking('libwebrtc', { minUtilisation: 0.8, worstAdaptMs: 1500, worstReach90Ms: 3000, worstQueueDelayP95Ms: 40 });
    const cmp = compareWithLibwebrtc(lab, chrome);
    expect(cmp.utilisation.met).toBe(true);
    expect(cmp.adaptMs.met).toBe(true);
    expect(cmp.reach90Ms.met).toBe(false);
    expect(cmp.queueP95Ms.met).toBe(false);
  });

  it('a drop that never settled loses to any time; no drop on either side is not compared', () => {
    expect(compareWithLibwebrtc(tracking('googcc', { worstAdaptMs: null }), tracking('libwebrtc')).adaptMs.met).toBe(false);
    expect(compareWithLibwebrtc(tracking('googcc'), tracking('libwebrtc', { worstAdaptMs: null })).adaptMs.met).toBe(true);
    const noDrop = { worstAdaptMs: null, maxOvershootLoss: null };
    expect(compareWithLibwebrtc(tracking('googcc', noDrop), tracking('libwebrtc', noDrop)).adaptMs.met).toBeNull();
    expect(compareWithLibwebrtc(tracking('googcc', { worstReach90Ms: null }), tracking('libwebrtc', { worstReach90Ms: null })).reach90Ms.met).toBeNull();
  });

  it('finds the axis that picks the controller and renders one verdict per link configuration', () => {
    const s = suite([
      { path: 'step-down', sender: 'fixed', congestion: tracking('fixed', { worstAdaptMs: null }) },
      { path: 'step-down', sender: 'googcc', congestion: tracking('googcc', { minUtilisation: 0.9 }) },
      { path: 'step-down', sender: 'chromium', congestion: tracking('libwebrtc') },
      { path: 'loss1pct', sender: 'googcc', congestion: tracking('googcc', { minUtilisation: 0.5, maxOvershootLoss: null, worstAdaptMs: null, worstReach90Ms: null }) },
      { path: 'loss1pct', sender: 'chromium', congestion: tracking('libwebrtc', { minUtilisation: 0.7, maxOvershootLoss: null, worstAdaptMs: null, worstReach90Ms: null }) },
    ]);
    expect(controllerAxis(s)).toBe('sender');
    const html = congestionSideBySideSection(s);
    expect(html).toContain('at least matches libwebrtc on every criterion in <b>1 of 2</b> link configurations');
    expect(html).toContain('missed (-20.0 points)');
    expect(html.match(/class="verdict"/g)).toHaveLength(2);
  });

  it('is absent without a libwebrtc run', () => {
    const s = suite([
      { path: 'step-down', sender: 'fixed', congestion: tracking('fixed') },
      { path: 'step-down', sender: 'googcc', congestion: tracking('googcc') },
    ]);
    expect(controllerAxis(s)).toBeUndefined();
    expect(congestionSideBySideSection(s)).toBe('');
  });
});
