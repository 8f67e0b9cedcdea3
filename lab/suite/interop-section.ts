/**
 * The suite report's "Interop" section, for suites with Chromium-received runs: per configuration
 * (every axis but the one that picks the receiver), the lab's receiver and Chromium side by side
 * on the same seeded link (G2G, frames, freezes, keyframe requests, NACKs, RTX and FEC as each
 * counts them), and every libwebrtc counter that disagrees with the wire truth beyond its
 * tolerance (results.chromium's cross-checks).
 */
import { escapeHtml as h, formatCount, formatMs } from '../report/format.ts';
import type { SuiteJson, SuiteRunEntry } from './suite-json.ts';
import { groupByOtherAxes } from './axis-groups.ts';

const dash = '—';
const num = (value: string): string => `<td class="num">${value}</td>`;
const count = (value: number | null | undefined): string => (value === null || value === undefined ? dash : formatCount(value));

/** The axis whose variant decides whether Chromium received; undefined when none does. */
export function receiverAxis(suite: SuiteJson): string | undefined {
  const analysed = suite.runs.filter((run) => run.results !== null);
  if (!analysed.some((run) => run.results!.chromium)) return undefined;
  return suite.axes.find((axis) => {
    const chromiumOf = new Map<string, boolean>();
    return analysed.every((run) => {
      const variant = run.variants[axis.name] ?? '';
      const isChromium = run.results!.chromium !== undefined;
      const seen = chromiumOf.get(variant);
      chromiumOf.set(variant, isChromium);
      return seen === undefined || seen === isChromium;
    });
  })?.name;
}

function peerRow(run: SuiteRunEntry, receiver: string): string {
  const r = run.results;
  const c = r?.chromium;
  const rec = r?.recovery ?? null;
  const counter = (name: string): number | undefined => c?.counters[name];
  const keyframeRequests = c ? (counter('pliCount') ?? 0) + (counter('firCount') ?? 0) : rec?.keyframeRequests;
  const nacks = c ? counter('nackCount') : rec?.nacksSent;
  const checks = c
    ? c.disagreements.length === 0
      ? `<td class="pass">${c.checks.filter((x) => x.agree === true).length} agree</td>`
      : `<td class="fail" title="${h(c.checks.filter((x) => x.agree === false).map((x) => `${x.counter}: libwebrtc ${x.chromium ?? dash}, lab ${x.lab ?? dash}`).join('\n'))}">disagree: ${h(c.disagreements.join(', '))}</td>`
    : `<td>${dash}</td>`;
  return `<tr><td>${h(receiver)}</td>${num(r === null ? dash : `${formatCount(r.framesDisplayed)}/${formatCount(r.framesSent)}`)}${num(c ? count(counter('framesDecoded')) : dash)}${num(formatMs(r?.g2gP50Ms))}${num(formatMs(r?.g2gP95Ms))}${num(r === null ? dash : formatCount(c ? (counter('freezeCount') ?? 0) : r.freezes))}${num(count(keyframeRequests))}${num(count(nacks))}${num(c ? count(counter('retransmittedPacketsReceived') ?? 0) : count(rec?.rtx))}${num(c ? count(counter('fecPacketsReceived')) : count(rec?.fec))}${checks}</tr>`;
}

export function interopSection(suite: SuiteJson): string {
  const axis = receiverAxis(suite);
  if (axis === undefined) return '';
  const groups = groupByOtherAxes(suite, axis);
  const others = suite.axes.filter((a) => a.name !== axis);
  const rows: string[] = [];
  for (const [key, runs] of groups) {
    rows.push(`<tr class="group"><th colspan="11">${h(key)}</th></tr>`);
    for (const run of runs) rows.push(peerRow(run, run.variants[axis] ?? run.name));
  }
  const head = [axis, 'frames displayed', 'frames decoded (libwebrtc)', 'G2G p50', 'G2G p95', 'freezes', 'keyframe requests', 'NACKs', 'RTX received / recovered', 'FEC received / recovered', 'libwebrtc vs wire truth'];
  return `<section id="interop"><h2>Interop: the lab and Chromium on the same link</h2><div class="wide"><table id="interop-table"><thead><tr>${head.map((t, i) => `<th${i > 0 && i < 10 ? ' class="num"' : ''}>${h(t)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>
<p class="note">Per configuration (${h(others.map((a) => a.name).join(' × ') || 'one')}), each receiver on the same seeded link. The lab's receiver: freezes, keyframe requests, RTX and FEC recovered are its own records joined with the fate log; Chromium: libwebrtc's last getStats counters (freezeCount, pliCount + firCount, nackCount, retransmittedPacketsReceived, fecPacketsReceived — Chromium reports FEC for FlexFEC only). Frames displayed for Chromium are the frames requestVideoFrameCallback saw with a readable marker (it fires at most once per vsync). The last column holds each libwebrtc counter against the lab's wire truth within its stated tolerance (hover for the numbers; each run's report states the tolerances and why).</p></section>`;
}
