/**
 * The report's "Loss recovery" section: one sentence computed from results.recovery, a table of the
 * counts, ratios and overheads, G2G by recovery path, and the charts report-client.js draws from
 * the embedded recovery series (outcomes over time, NACK→RTX / loss→RTX CDF, G2G by path, FEC
 * factors over time when the run has them).
 */
import type { RecoverySeries } from '../metrics/recovery.ts';
import type { RecoverySummary, Results } from '../results/schema.ts';
import { escapeHtml as h, formatCount, formatMs, formatPercent } from './format.ts';

/** Ids of the recovery charts, in page order (the FEC factor chart only when there is data). */
export const RECOVERY_CHART_IDS = ['chart-recovery-over-time', 'chart-recovery-latency', 'chart-recovery-g2g', 'chart-fec-rates'] as const;

const titles: Record<(typeof RECOVERY_CHART_IDS)[number], string> = {
  'chart-recovery-over-time': 'Media packets the link dropped, by outcome (per second of drop time)',
  'chart-recovery-latency': 'RTX latency: first NACK → RTX and link drop → RTX (CDF)',
  'chart-recovery-g2g': 'Glass-to-glass by recovery path',
  'chart-fec-rates': 'FEC protection factors over time',
};

/** A share as a short percentage: "83 %", "4.2 %", "0.35 %". */
function share(part: number, whole: number): string {
  const percent = (part * 100) / whole;
  const text = percent >= 10 || percent === 0 ? percent.toFixed(0) : percent >= 1 ? percent.toFixed(1) : percent.toPrecision(2);
  return `${text} %`;
}

const plural = (n: number, word: string): string => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/**
 * The section's headline, e.g. "FEC recovered 83 % of the 1,204 media packets the link dropped;
 * RTX recovered 12 %, median 41 ms after the loss; 5 % never; 2 freezes." Plain text.
 */
export function recoverySentence(r: RecoverySummary): string {
  const t = r.totals;
  const freezes = plural(r.freezes, 'freeze');
  if (t.dropped === 0) return `The link dropped none of the ${formatCount(r.mediaPacketsSent)} media packets sent; ${freezes}.`;
  const dropped = `${formatCount(t.dropped)} media packet${t.dropped === 1 ? '' : 's'} the link dropped`;
  const usesFec = r.fecScheme !== null || t.fec > 0;
  const usesRtx = r.mode === 'nack' || r.mode === 'hybrid' || r.rtxSent > 0 || t.rtx > 0;
  const rtxWhen = r.lossToRtxMs.p50 === null ? '' : `, median ${formatMs(r.lossToRtxMs.p50)} after the loss`;
  const parts: string[] = [];
  if (usesFec) parts.push(`FEC recovered ${share(t.fec, t.dropped)} of the ${dropped}`);
  if (usesRtx) parts.push(`RTX recovered ${share(t.rtx, t.dropped)}${usesFec ? '' : ` of the ${dropped}`}${rtxWhen}`);
  if (parts.length === 0) parts.push(`nothing recovered the ${dropped} (protection: ${r.mode})`);
  if (t.tooLate > 0) parts.push(`${share(t.tooLate, t.dropped)} too late`);
  if (t.never > 0 || parts.length === 1) parts.push(`${share(t.never, t.dropped)} never`);
  parts.push(freezes);
  const sentence = parts.join('; ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

const countAndShare = (n: number, of: number): string => `${formatCount(n)}${of > 0 ? ` (${formatPercent(n / of)})` : ''}`;
const dist = (d: RecoverySummary['lossToRtxMs']): string =>
  d.count === 0 ? '—' : `${formatMs(d.p50)} / ${formatMs(d.p95)} / ${formatMs(d.max)} (${formatCount(d.count)})`;

function countsTable(r: RecoverySummary): string {
  const t = r.totals;
  const refused = Object.entries(r.rtxRefused).map(([reason, n]) => `${h(reason)}: ${formatCount(n)}`).join(', ');
  const fec = r.fecScheme === null ? '' : ` · ${h(r.fecScheme)}${r.maskType ? `, ${h(r.maskType)} masks` : ''}`;
  const rows: [string, string][] = [
    ['protection', `${h(r.mode)}${fec}`],
    ['media packets sent / dropped by the link', `${formatCount(r.mediaPacketsSent)} / ${countAndShare(t.dropped, r.mediaPacketsSent)}`],
    ['recovered by FEC in time', countAndShare(t.fec, t.dropped)],
    ['recovered by RTX in time', countAndShare(t.rtx, t.dropped)],
    ['recovered too late', countAndShare(t.tooLate, t.dropped)],
    ['never recovered', countAndShare(t.never, t.dropped)],
    ['residual loss (never + too late) / sent', formatPercent(r.residualLoss)],
    ['FEC could recover (masks, wire truth)', r.fecRecoverable === null ? (r.fecScheme === null ? '— (no FEC)' : '— (no fec-block records)') : `${countAndShare(r.fecRecoverable, t.dropped)} of the dropped`],
    ['FEC rate table', rateTableText(r.rateTable)],
    ['FEC overhead (bytes) · packets sent / dropped', `${formatPercent(r.fecOverhead)} · ${formatCount(r.fecPacketsSent)} / ${formatCount(r.fecPacketsDropped)}`],
    ['RTX overhead (bytes) · packets sent / dropped', `${formatPercent(r.rtxOverhead)} · ${formatCount(r.rtxSent)} / ${formatCount(r.rtxDropped)}`],
    ['NACKs sent (seqs asked) / reached the sender', `${formatCount(r.nacksSent)} (${formatCount(r.nackedSeqsSent)}) / ${formatCount(r.nacksReceived)}`],
    ['RTX refused by the sender', refused === '' ? 'none' : refused],
    ['spurious RTX · NACKs given up', `${formatCount(r.spuriousRtx)} · ${formatCount(r.nackGivenUp)}`],
    ['link drop → RTX arrival p50 / p95 / max', dist(r.lossToRtxMs)],
    ['first NACK → RTX arrival p50 / p95 / max', dist(r.nackToRtxMs)],
    ['keyframe requests · freezes', `${formatCount(r.keyframeRequests)} · ${formatCount(r.freezes)}`],
  ];
  return `<table id="recovery-table"><tbody>${rows.map(([k, v]) => `<tr><th>${h(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

function pathTable(r: RecoverySummary): string {
  const names = { clean: 'no packet lost', fec: 'FEC recovered (no RTX)', rtx: 'RTX recovered' } as const;
  const rows = (['clean', 'fec', 'rtx'] as const).map((path) => {
    const d = r.g2gByPath[path];
    return `<tr><td>${h(names[path])}</td><td class="num">${formatCount(d.count)}</td><td class="num">${formatMs(d.p50)}</td><td class="num">${formatMs(d.p95)}</td><td class="num">${formatMs(d.max)}</td></tr>`;
  });
  return `<table id="recovery-g2g"><thead><tr><th>frames</th><th class="num">count</th><th class="num">p50</th><th class="num">p95</th><th class="num">max</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A warning when some media packets have no record in the fate log (they cannot be classified). */
function fateGap(results: Results): string {
  const fates = results.link?.mediaFates;
  if (fates === null || fates === undefined || fates.complete || fates.sent === 0) return '';
  return `<p class="note interrupted">The fate log does not account for every media packet sent (${formatCount(fates.missing)} missing, ${formatCount(fates.repeated)} repeated of ${formatCount(fates.sent)}): packets without a fate record are not counted as dropped.</p>`;
}

/** The section's HTML ('' when the run has no recovery section). */
export function recoverySection(results: Results, series: RecoverySeries | null): string {
  const r = results.recovery;
  if (r === null) return '';
  const withFecRates = series !== null && (series.fecRates.length > 0 || series.blockRates.length > 0);
  const charts = RECOVERY_CHART_IDS.filter((id) => id !== 'chart-fec-rates' || withFecRates)
    .map((id) => `<section><h3>${h(titles[id])}</h3><div class="chart"><canvas id="${id}" role="img" aria-label="${h(titles[id])}"></canvas></div></section>`)
    .join('\n');
  return `<section id="recovery"><h2>Loss recovery</h2>
<p class="headline" id="recovery-sentence">${h(recoverySentence(r))}</p>${fateGap(results)}
<p class="note">Wire truth: each media packet whose first transmission the link dropped is counted once, as recovered by FEC or RTX in time, too late (after its frame or sequence number was given up, or later than the receiver's useful window), or never. Ratios are of the packets dropped.</p>
${countsTable(r)}
<h3>Glass-to-glass by recovery path</h3>
${pathTable(r)}
<div class="grid">
${charts}
</div></section>`;
}

/** "libwebrtc (same as libwebrtc's)" or "tuned.json: 312 of 6 450 cells differ from libwebrtc's, by up to 40/255 (mean +3.1/255)". */
function rateTableText(t: RecoverySummary['rateTable']): string {
  if (t === null) return '— (fixed factors or no FEC)';
  const name = h(t.source === 'libwebrtc' ? 'libwebrtc' : t.source.split('/').at(-1) ?? t.source);
  if (t.differingCells === 0 && t.rows === 50) return `${name} (same as libwebrtc's)`;
  const rows = t.rows === 50 ? '' : `, ${formatCount(t.rows)} rows (libwebrtc 50)`;
  return `${name}: ${formatCount(t.differingCells)} of ${formatCount(t.comparedCells)} cells differ from libwebrtc's, by up to ${t.maxAbsDiff}/255 (mean ${t.meanDiff >= 0 ? '+' : ''}${t.meanDiff.toFixed(1)}/255)${rows}`;
}
