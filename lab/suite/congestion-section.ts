/**
 * The suite report's "Congestion control side by side" section, for suites whose runs differ in
 * who controls the rate (a fixed target, the lab's googcc, libwebrtc in the Chromium sender): per
 * link configuration (every other axis), each sender's capacity tracking on the same seeded link
 * (results.congestion: lowest utilisation, slowest adaptation to a drop, slowest rise to 90 %,
 * worst queueing p95, overshoot loss) and the verdict the issue's goal asks for: does the lab's
 * estimator at least match libwebrtc's on utilisation and time to adapt, with queueing p95 no
 * worse, and by how much when not.
 */
import { escapeHtml as h, formatMs, formatPercent } from '../report/format.ts';
import type { SuiteJson, SuiteRunEntry } from './suite-json.ts';
import { groupByOtherAxes } from './axis-groups.ts';

const dash = '—';
const num = (value: string): string => `<td class="num">${value}</td>`;

type Tracking = NonNullable<NonNullable<SuiteRunEntry['results']>['congestion']>;

/** The axis whose variants give the runs different congestion modes; undefined when none does. */
export function controllerAxis(suite: SuiteJson): string | undefined {
  const analysed = suite.runs.filter((run) => run.results?.congestion);
  const modes = new Set(analysed.map((run) => run.results!.congestion!.mode));
  if (modes.size < 2 || !modes.has('libwebrtc')) return undefined;
  return suite.axes.find((axis) => {
    const modeOf = new Map<string, string>();
    return analysed.every((run) => {
      const variant = run.variants[axis.name] ?? '';
      const mode = run.results!.congestion!.mode;
      const seen = modeOf.get(variant);
      modeOf.set(variant, mode);
      return seen === undefined || seen === mode;
    });
  })?.name;
}

/** One comparison of the lab's googcc with libwebrtc on the same link: each criterion met or by how much not. */
export interface SideBySide {
  utilisation: { lab: number | null; libwebrtc: number | null; met: boolean | null };
  adaptMs: { lab: number | null; libwebrtc: number | null; met: boolean | null };
  reach90Ms: { lab: number | null; libwebrtc: number | null; met: boolean | null };
  queueP95Ms: { lab: number | null; libwebrtc: number | null; met: boolean | null };
}

/**
 * The goal's comparison: utilisation ≥ libwebrtc's, time to adapt and to reach 90 % ≤ libwebrtc's
 * (a drop never settled counts as slower than any time), queueing p95 ≤ libwebrtc's. A criterion
 * neither side measured (no drop, no rise) is null.
 */
export function compareWithLibwebrtc(lab: Tracking, libwebrtc: Tracking): SideBySide {
  const higherIsBetter = (a: number | null, b: number | null): boolean | null => (a === null || b === null ? null : a >= b);
  const lowerIsBetter = (a: number | null, b: number | null): boolean | null => (a === null || b === null ? null : a <= b);
  // null adapt/reach times mean "never" only where the run had the change: then the other side wins
  const time = (a: number | null | undefined, b: number | null | undefined, hadChange: boolean): boolean | null => {
    if (!hadChange) return null;
    if (a === null || a === undefined) return b === null || b === undefined ? true : false;
    if (b === null || b === undefined) return true;
    return a <= b;
  };
  return {
    utilisation: { lab: lab.minUtilisation, libwebrtc: libwebrtc.minUtilisation, met: higherIsBetter(lab.minUtilisation, libwebrtc.minUtilisation) },
    adaptMs: { lab: lab.worstAdaptMs, libwebrtc: libwebrtc.worstAdaptMs, met: time(lab.worstAdaptMs, libwebrtc.worstAdaptMs, lab.worstAdaptMs !== null || libwebrtc.worstAdaptMs !== null || lab.maxOvershootLoss !== null || libwebrtc.maxOvershootLoss !== null) },
    reach90Ms: {
      lab: lab.worstReach90Ms ?? null,
      libwebrtc: libwebrtc.worstReach90Ms ?? null,
      met: time(lab.worstReach90Ms, libwebrtc.worstReach90Ms, (lab.worstReach90Ms ?? null) !== null || (libwebrtc.worstReach90Ms ?? null) !== null),
    },
    queueP95Ms: { lab: lab.worstQueueDelayP95Ms, libwebrtc: libwebrtc.worstQueueDelayP95Ms, met: lowerIsBetter(lab.worstQueueDelayP95Ms, libwebrtc.worstQueueDelayP95Ms) },
  };
}

function verdictCell(met: boolean | null, detail: string): string {
  if (met === null) return `<td>${dash}</td>`;
  return `<td class="${met ? 'pass' : 'fail'}">${met ? 'met' : 'missed'}${detail ? ` (${h(detail)})` : ''}</td>`;
}

function trackingRow(label: string, run: SuiteRunEntry): string {
  const c = run.results?.congestion ?? null;
  const time = (v: number | null | undefined): string => (c === null ? dash : v === null || v === undefined ? 'never / none' : formatMs(v));
  return `<tr><td>${h(label)}</td><td>${h(c?.mode ?? dash)}</td>${num(formatPercent(c?.minUtilisation))}${num(time(c?.worstAdaptMs))}${num(time(c?.worstReach90Ms))}${num(formatMs(c?.worstQueueDelayP95Ms))}${num(formatPercent(c?.maxOvershootLoss))}${num(formatMs(run.results?.g2gP50Ms))}${num(formatMs(run.results?.g2gP95Ms))}</tr>`;
}

export function congestionSideBySideSection(suite: SuiteJson): string {
  const axis = controllerAxis(suite);
  if (axis === undefined) return '';
  const groups = groupByOtherAxes(suite, axis);
  const rows: string[] = [];
  let met = 0;
  let compared = 0;
  for (const [key, runs] of groups) {
    rows.push(`<tr class="group"><th colspan="9">${h(key)}</th></tr>`);
    for (const run of runs) rows.push(trackingRow(run.variants[axis] ?? run.name, run));
    const lab = runs.find((run) => run.results?.congestion?.mode === 'googcc')?.results?.congestion;
    const chrome = runs.find((run) => run.results?.congestion?.mode === 'libwebrtc')?.results?.congestion;
    if (!lab || !chrome) continue;
    const cmp = compareWithLibwebrtc(lab, chrome);
    const diff = (a: number | null, b: number | null, unit: 'ms' | '%'): string =>
      a === null || b === null ? '' : unit === 'ms' ? `${a - b >= 0 ? '+' : ''}${formatMs(a - b)}` : `${((a - b) * 100).toFixed(1)} points`;
    const criteria = [cmp.utilisation.met, cmp.adaptMs.met, cmp.reach90Ms.met, cmp.queueP95Ms.met];
    compared += 1;
    if (criteria.every((c) => c !== false)) met += 1;
    rows.push(
      `<tr class="verdict"><td colspan="2">lab googcc vs libwebrtc</td>${verdictCell(cmp.utilisation.met, diff(cmp.utilisation.lab, cmp.utilisation.libwebrtc, '%'))}${verdictCell(cmp.adaptMs.met, diff(cmp.adaptMs.lab, cmp.adaptMs.libwebrtc, 'ms'))}${verdictCell(cmp.reach90Ms.met, diff(cmp.reach90Ms.lab, cmp.reach90Ms.libwebrtc, 'ms'))}${verdictCell(cmp.queueP95Ms.met, diff(cmp.queueP95Ms.lab, cmp.queueP95Ms.libwebrtc, 'ms'))}<td colspan="3"></td></tr>`,
    );
  }
  const head = [axis, 'controller', 'lowest utilisation', 'slowest adapt (drop)', 'slowest to 90 % (rise)', 'worst queueing p95', 'overshoot loss', 'G2G p50', 'G2G p95'];
  const summary = compared === 0 ? '' : `<p>The lab's googcc at least matches libwebrtc on every criterion in <b>${met} of ${compared}</b> link configurations.</p>`;
  return `<section><h2>Congestion control side by side</h2>${summary}
<p class="note">Same seeded link per group; the Chromium sender's rate is libwebrtc's own GoogCC on the lab receiver's transport-wide feedback. Goal: utilisation ≥ libwebrtc's, time to adapt after a drop and to reach 90 % after a rise ≤ libwebrtc's ("never" loses to any time), queueing p95 no worse; the differences are lab − libwebrtc.</p>
<table id="congestion-side-by-side"><thead><tr>${head.map((c, i) => `<th${i >= 2 ? ' class="num"' : ''}>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}
