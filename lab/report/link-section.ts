/**
 * The report's link section: configured vs measured per direction and timeline segment, the fate
 * accounting of the sender's media packets, and four charts over time (delay, loss, rate, queue;
 * both directions, configured dashed, the timeline's changes as vertical markers), drawn by
 * report-client.js from the embedded link series.
 */
import type { Results } from '../results/schema.ts';
import { escapeHtml as h, formatBitrate, formatCount, formatMs, formatPercent } from './format.ts';

/** Ids of the link charts, in page order. */
export const LINK_CHART_IDS = ['chart-link-delay', 'chart-link-loss', 'chart-link-rate', 'chart-link-queue'] as const;

const titles: Record<(typeof LINK_CHART_IDS)[number], string> = {
  'chart-link-delay': 'Link delay: configured vs measured (mean per bin)',
  'chart-link-loss': 'Link loss: configured vs measured',
  'chart-link-rate': 'Link rate: configured capacity vs delivered',
  'chart-link-queue': 'Link queue: limit vs packets held (max per bin)',
};

const reasons = (byReason: Record<string, number>): string =>
  Object.keys(byReason).length === 0 ? 'none' : Object.entries(byReason).map(([reason, n]) => `${h(reason)}: ${formatCount(n)}`).join(', ');

function segmentsTable(link: NonNullable<Results['link']>): string {
  const rows: string[] = [];
  for (const dir of ['up', 'down'] as const) {
    const d = link.directions[dir];
    d.segments.forEach((seg, i) => {
      const c = seg.configured;
      const m = seg.measured;
      const queue = c.queuePackets === null ? '—' : formatCount(c.queuePackets);
      rows.push(
        `<tr><td>${dir}</td><td>${i === 0 ? 'initial' : `change ${i}`}</td><td class="num">${formatMs(c.delayMs)} ± ${formatMs(c.jitterMs)} / ${formatMs(m.delayMeanMs)}</td><td class="num">${formatPercent(c.loss)} / ${formatPercent(m.loss)}</td><td class="num">${c.rateBps === null ? 'unlimited' : formatBitrate(c.rateBps)} / ${formatBitrate(m.rateBps)}</td><td class="num">${queue} / ${formatCount(m.queueMaxPackets)}</td><td class="num">${formatCount(m.packets)}</td></tr>`,
      );
    });
  }
  const head = '<tr><th>dir</th><th>segment</th><th class="num">delay conf. / meas.</th><th class="num">loss conf. / meas.</th><th class="num">rate conf. / delivered</th><th class="num">queue limit / max held</th><th class="num">packets</th></tr>';
  return `<table id="link-segments"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * The userspace data plane's own timing per direction (only where the fate log has wire times):
 * lateness after the model's scheduled release, next to the configured and measured delay of each
 * segment, so a user sees how much of the measured delay the lab itself added.
 */
function timingTable(link: NonNullable<Results['link']>): string {
  const rows: string[] = [];
  for (const dir of ['up', 'down'] as const) {
    const d = link.directions[dir];
    const t = d.timing;
    if (t === undefined) continue;
    const configured = d.segments.map((seg) => formatMs(seg.configured.delayMs)).join(' → ');
    const measured = d.segments.map((seg) => formatMs(seg.measured.delayMeanMs)).join(' → ');
    const error = t.delayErrorMs.count === 0 ? '— (delay not fixed)' : `${formatMs(t.delayErrorMs.p50)} / ${formatMs(t.delayErrorMs.p99)}`;
    const b = t.readBacklogMs;
    const backlog = b === undefined || b.count === 0 ? '—' : `${formatMs(b.p50)} / ${formatMs(b.p99)} / ${formatMs(b.max)}`;
    rows.push(
      `<tr><td>${dir}</td><td class="num">${configured}</td><td class="num">${measured}</td><td class="num">${formatMs(t.latenessMs.p50)} / ${formatMs(t.latenessMs.p99)} / ${formatMs(t.latenessMs.max)}</td><td class="num">${formatPercent(t.lateRatio)}</td><td class="num">${error}</td><td class="num">${backlog}</td><td class="num">${formatCount(t.wirePackets)}</td></tr>`,
    );
  }
  if (rows.length === 0) return '';
  const tolerance = formatMs(link.directions.up.timing?.lateToleranceMs ?? link.directions.down.timing?.lateToleranceMs);
  const head = `<tr><th>dir</th><th class="num">delay configured</th><th class="num">delay scheduled (mean)</th><th class="num">lateness p50 / p99 / max</th><th class="num">late &gt; ${tolerance}</th><th class="num">delay error p50 / p99</th><th class="num">send → link read p50 / p99 / max</th><th class="num">packets</th></tr>`;
  const note = `<p class="note">The data plane's own timing. Scheduled delay: the link model's release − entry (what the segments table measures). Lateness: when the data plane wrote a packet to the far device − its scheduled release (CPU contention shows here, and the receiver sees it on top of the scheduled delay). Delay error: written − entered − configured delay, where the delay alone sets the release. Send → link read: the sender's record of a packet → the data plane read it from the TUN device (SRTP, socket and kernel on the sending side, and any backlog in front of the link: time spent before the link, not in it).</p>`;
  return `${note}\n<table id="link-timing"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function fateTable(link: NonNullable<Results['link']>): string {
  const lines: [string, string][] = [];
  for (const dir of ['up', 'down'] as const) {
    const d = link.directions[dir];
    lines.push([`${dir}: packets in / delivered / dropped`, `${formatCount(d.packets)} / ${formatCount(d.delivered)} / ${formatCount(d.dropped)} (${reasons(d.droppedByReason)}); duplicates ${formatCount(d.duplicates)}, reordered ${formatCount(d.reordered)}`]);
    // a write error is the lab failing, not the emulated network: shown on its own line, only when it happened
    if (d.writeErrors > 0) lines.push([`${dir}: write errors`, `${formatCount(d.writeErrors)} ${d.writeErrors === 1 ? 'packet' : 'packets'} released by the link could not be written to the far device (counted as dropped)`]);
  }
  const f = link.mediaFates;
  if (f === null) lines.push(['media packets', 'no fate log in this run (the backend keeps none)']);
  else {
    lines.push(['media packets sent / in the fate log once', `${formatCount(f.sent)} / ${formatCount(f.loggedOnce)} ${f.complete ? '(every one accounted for)' : `(missing ${formatCount(f.missing)}, repeated ${formatCount(f.repeated)})`}`]);
    lines.push(['media delivered / dropped by the link', `${formatCount(f.delivered)} / ${reasons(f.droppedByReason)}`]);
  }
  const changes = link.changes.map((c) => `change ${c.index + 1}: ${c.lateMs === null ? 'not applied' : `applied ${formatMs(c.lateMs)} after its time`}`);
  lines.push(['timeline', changes.length === 0 ? 'no changes' : changes.map(h).join('<br>')]);
  return `<table id="link-fates"><tbody>${lines.map(([k, v]) => `<tr><th>${h(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

/** The link section's HTML ('' for loopback runs). */
export function linkSection(results: Results): string {
  const link = results.link;
  if (link === null) return '';
  const charts = LINK_CHART_IDS.map(
    (id) => `<section><h3>${h(titles[id])}</h3><div class="chart"><canvas id="${id}" role="img" aria-label="${h(titles[id])}"></canvas></div></section>`,
  ).join('\n');
  return `<section id="link"><h2>Link (${h(link.backend ?? 'unknown backend')})</h2>
<p class="note">up = sender → receiver, down = receiver → sender. Configured loss is the model's long-run mean; measured loss counts drops for "loss" only (queue drops are listed by reason). Segments are measured from media start (the link is unimpaired while the peers connect). Dashed: configured; vertical lines: timeline changes.</p>
${segmentsTable(link)}
${timingTable(link)}
${fateTable(link)}
<div class="grid">
${charts}
</div></section>`;
}
