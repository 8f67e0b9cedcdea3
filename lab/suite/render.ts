/**
 * suite.html: one self-contained page comparing a suite's runs side by side. The table is rendered
 * here (one row per run, grouped by the first axis, each linking to its run's report.html); the
 * charts are drawn in the page by the inlined Chart.js from suite.json embedded as JSON. Same
 * stylesheet and CSP as the run report: no network access, readable offline.
 */
import { captureSection } from './capture-section.ts';
import { interopSection } from './interop-section.ts';
import { congestionSideBySideSection } from './congestion-section.ts';
import { relaySection } from './relay-section.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeHtml as h, formatCount, formatMs, formatPercent, jsonForScript, scriptForInline } from '../report/format.ts';
import { chartJsSource } from '../report/render.ts';
import type { SuiteJson, SuiteRunEntry } from './suite-json.ts';
import { fromRepositoryRoot } from '../../src/shared/repository-root.ts';

const HERE = fromRepositoryRoot('lab/suite');
const asset = (file: string): string => readFileSync(file, 'utf8');
const REPORT_CSS = path.join(HERE, '../report/assets/report.css');
const SUITE_CLIENT = path.join(HERE, 'assets/suite-client.js');
const CHART_COMMON = path.join(HERE, '../report/assets/chart-common.js');

/** Chart canvases of the suite report, by id. */
export const SUITE_CHART_IDS = ['chart-suite-recovery', 'chart-suite-overhead', 'chart-suite-g2g'] as const;

const SUITE_CSS = `
#suite-table td, #capture-table td { white-space: nowrap; }
td.run a { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12.5px; }
tr.group th { background: var(--bg); color: var(--fg); padding-top: 10px; }
.badge.running, .badge.pending, .badge.skipped { background: #6b7280; }
#suite-table td.reason { min-width: 24em; }
#suite-table td.reason, #capture-table td.reason { white-space: normal; color: var(--muted); }
tr.fastest td { font-weight: 600; }
.wide { overflow-x: auto; }
.wide table { font-size: 13px; }
.chart.tall { height: 360px; }
`;

function badge(kind: string, text: string): string {
  return `<span class="badge ${h(kind)}">${h(text)}</span>`;
}

/** A relative link to the run's report.html, each path segment URL-encoded. */
export function runReportHref(runDir: string): string {
  return `${runDir.split(/[\\/]/).map(encodeURIComponent).join('/')}/report.html`;
}

const num = (value: string): string => `<td class="num">${value}</td>`;
/** A recovery ratio 0..1 as a percentage with at most one decimal ("83.3%"); "—" for null. */
const ratio1 = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : `${Number((value * 100).toFixed(1))}%`);

function runRow(run: SuiteRunEntry, axes: SuiteJson['axes'], withCongestion: boolean, columns: number): string {
  const r = run.results;
  const rec = r?.recovery ?? null;
  const dash = '—';
  const name = run.runDir !== null && r !== null ? `<a href="${h(runReportHref(run.runDir))}">${h(run.name)}</a>` : h(run.name);
  const outcome = run.outcome === 'completed' && r !== null && !r.budgetsPassed ? badge('fail', 'budget') : badge(run.outcome, run.outcome);
  const title = [run.message, ...(r?.budgetsBroken ?? []).map((b) => `broken: ${b}`)].filter((t) => t !== undefined).join('\n');
  const lead = [`<td class="run">${name}</td>`, ...axes.map((axis) => `<td>${h(run.variants[axis.name] ?? dash)}</td>`), `<td${title ? ` title="${h(title)}"` : ''}>${outcome}</td>`];
  // a configuration this machine cannot run: its reason where its numbers would be
  if (run.unavailable) return `<tr data-run="${h(run.name)}">${lead.join('')}<td colspan="${columns - lead.length}" class="reason">not run here: ${h(run.message ?? 'not available')}</td></tr>`;
  const cells = [
    ...lead,
    num(r === null ? dash : `${formatCount(r.framesDisplayed)}/${formatCount(r.framesSent)}`),
    num(formatMs(r?.g2gP50Ms)),
    num(formatMs(r?.g2gP95Ms)),
    num(r === null ? dash : formatCount(r.freezes)),
    num(rec === null ? dash : formatCount(rec.dropped)),
    num(ratio1(rec?.fecRecoveryRatio)),
    num(ratio1(rec?.rtxRecoveryRatio)),
    num(rec === null ? dash : formatCount(rec.tooLate)),
    num(rec === null ? dash : formatCount(rec.never)),
    num(formatPercent(rec?.residualLoss)),
    num(ratio1(rec?.fecOverhead)),
    num(formatMs(rec?.nackToRtxP50Ms)),
    num(rec === null ? dash : formatCount(rec.keyframeRequests)),
  ];
  if (withCongestion) {
    const c = r?.congestion ?? null;
    // a drop that never settled: "never" (its time to adapt is null, the budget on it fails)
    cells.push(num(formatPercent(c?.minUtilisation)), num(formatMs(c?.worstQueueDelayP95Ms)), num(c === null ? dash : c.worstAdaptMs === null ? 'never / no drop' : formatMs(c.worstAdaptMs)), num(formatPercent(c?.maxOvershootLoss)));
  }
  return `<tr data-run="${h(run.name)}">${cells.join('')}</tr>`;
}

function runTable(suite: SuiteJson): string {
  const headers = [
    'run',
    ...suite.axes.map((axis) => h(axis.name)),
    'outcome',
    'frames displayed',
    'G2G p50',
    'G2G p95',
    'freezes',
    'media dropped',
    'FEC recovered',
    'RTX recovered',
    'too late',
    'never',
    'residual loss',
    'FEC overhead',
    'NACK→RTX p50',
    'keyframe requests',
  ];
  const withCongestion = suite.runs.some((run) => run.results?.congestion);
  if (withCongestion) headers.push('utilisation (min)', 'queueing p95 (worst)', 'time to adapt', 'overshoot loss');
  const head = `<tr>${headers.map((text, i) => `<th${i > suite.axes.length + 1 ? ' class="num"' : ''}>${text}</th>`).join('')}</tr>`;
  const first = suite.axes[0]?.name;
  const rows: string[] = [];
  let group: string | undefined;
  for (const run of suite.runs) {
    const value = first === undefined ? undefined : run.variants[first];
    if (first !== undefined && value !== group) {
      group = value;
      rows.push(`<tr class="group"><th colspan="${headers.length}">${h(first)}: ${h(value ?? '—')}</th></tr>`);
    }
    rows.push(runRow(run, suite.axes, withCongestion, headers.length));
  }
  return `<section id="runs"><h2>Runs</h2><div class="wide"><table id="suite-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>
<p class="note">Recovery columns come from each run's wire-truth recovery section (the link's fate log joined with the records): FEC / RTX recovered are of the media packets the link dropped; too late and never are packets; residual loss = never usable / media packets sent; FEC overhead = FEC bytes / media bytes. "—": not measured (no fate log, or nothing dropped).${withCongestion ? ' Capacity columns (results.congestion, up direction): the lowest utilisation of a segment (carried ÷ configured rate), the worst queueing delay p95, the slowest time to adapt after a capacity drop ("never / no drop": it never settled, or there was none), the worst overshoot loss.' : ''} Each run name links to its report.</p></section>`;
}

function counts(suite: SuiteJson): string {
  const by = new Map<string, number>();
  for (const run of suite.runs) {
    const kind = run.unavailable ? 'not available here' : run.outcome;
    by.set(kind, (by.get(kind) ?? 0) + 1);
  }
  const broken = suite.runs.filter((run) => run.results !== null && !run.results.budgetsPassed).length;
  const parts = [...by.entries()].map(([outcome, n]) => `${n} ${outcome}`);
  if (broken > 0) parts.push(`${broken} with broken budgets`);
  return parts.join(', ');
}

function chart(id: string, title: string, note: string, tall = false): string {
  return `<section><h2>${h(title)}</h2><div class="chart${tall ? ' tall' : ''}"><canvas id="${id}" role="img" aria-label="${h(title)}"></canvas></div><p class="note">${h(note)}</p></section>`;
}

/** Renders the complete suite report (an HTML document). */
export function renderSuiteReport(suite: SuiteJson): string {
  const axes = suite.axes.map((axis) => `${h(axis.name)} (${axis.variants.map(h).join(', ')})`).join(' × ');
  const first = suite.axes[0]?.name ?? 'run';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>glasslab suite · ${h(suite.suite)}</title>
<style>${asset(REPORT_CSS)}${SUITE_CSS}</style></head>
<body><main>
<header><h1>${h(suite.suite)}</h1><span class="meta">suite · ${h(suite.startedAt)} · seed ${suite.seed}${suite.filter !== null ? ` · filter <code>${h(suite.filter)}</code>` : ''}</span>${badge(suite.state === 'completed' ? 'completed' : suite.state === 'running' ? 'running' : 'interrupted', suite.state)}</header>
${suite.description ? `<p class="note">${h(suite.description)}</p>` : ''}
<section id="overview"><h2>Overview</h2><dl class="kv"><dt>matrix</dt><dd>${axes}</dd><dt>runs</dt><dd>${suite.runs.length} (${h(counts(suite))})${suite.excluded > 0 ? `; ${suite.excluded} combinations excluded` : ''}</dd><dt>file</dt><dd><code>${h(suite.file)}</code></dd>${suite.message ? `<dt>note</dt><dd>${h(suite.message)}</dd>` : ''}</dl></section>
${runTable(suite)}
${captureSection(suite)}
${interopSection(suite)}
${congestionSideBySideSection(suite)}
${relaySection(suite)}
${chart('chart-suite-recovery', 'What became of the media packets the link dropped', `Per run, % of dropped media packets recovered by FEC, by RTX, too late, or never. Colour groups and order follow the first axis (${first}).`, true)}
${chart('chart-suite-overhead', 'FEC overhead vs residual loss', `One point per run, one colour per ${first} variant: what the FEC bytes bought.`)}
${chart('chart-suite-g2g', 'Glass-to-glass p95 per run', `Bars coloured by ${first} variant, in the order of the table.`, true)}
<footer>Generated by glasslab · suite.json schema v${suite.schemaVersion} · self-contained, no network access needed.</footer>
</main>
<script type="application/json" id="glasslab-suite-data">${jsonForScript(suite)}</script>
<script>${scriptForInline(chartJsSource())}</script>
<script>${scriptForInline(asset(CHART_COMMON))}</script>
<script>${scriptForInline(asset(SUITE_CLIENT))}</script>
</body></html>
`;
}
