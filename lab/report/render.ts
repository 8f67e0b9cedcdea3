/**
 * One self-contained HTML report for a run: tables rendered here, charts drawn in the page by the
 * inlined Chart.js from data embedded as JSON. No external resources: readable offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RunSeries } from '../metrics/compute.ts';
import type { LinkSeries } from '../metrics/link.ts';
import type { RecoverySeries } from '../metrics/recovery.ts';
import { STAGE_DEFINITIONS, STAGE_NAMES } from '../metrics/stages.ts';
import type { Results } from '../results/schema.ts';
import { linkSection } from './link-section.ts';
import { recoverySection } from './recovery-section.ts';
import { chromiumSection } from './chromium-section.ts';
import { escapeHtml as h, formatBitrate, formatBytes, formatCount, formatMs, formatPercent, jsonForScript, scriptForInline } from './format.ts';
import { fromRepositoryRoot } from '../../src/shared/repository-root.ts';

const ASSETS = fromRepositoryRoot('lab/report/assets');
let cachedChartJs: string | undefined;

/** Chart.js UMD build source (read once from the installed package). */
export function chartJsSource(): string {
  if (cachedChartJs === undefined) {
    const entry = createRequire(import.meta.url).resolve('chart.js'); // …/chart.js/dist/chart.cjs
    cachedChartJs = readFileSync(path.join(path.dirname(entry), 'chart.umd.js'), 'utf8');
  }
  return cachedChartJs;
}

const asset = (name: string): string => readFileSync(path.join(ASSETS, name), 'utf8');

function row(cells: readonly string[], header = false): string {
  const tag = header ? 'th' : 'td';
  return `<tr>${cells.map((cell, index) => `<${tag}${index > 0 ? ' class="num"' : ''}>${cell}</${tag}>`).join('')}</tr>`;
}

function badge(kind: string, text: string): string {
  return `<span class="badge ${h(kind)}">${h(text)}</span>`;
}

function budgetsSection(results: Results): string {
  if (results.budgets.length === 0) return '<section id="budgets"><h2>Budgets</h2><p class="nodata">No budgets were set for this run.</p></section>';
  const rows = results.budgets.map(
    (budget) =>
      `<tr><td>${badge(budget.pass ? 'pass' : 'fail', budget.pass ? 'PASS' : 'FAIL')}</td><td><code>${h(budget.expression)}</code></td><td>${h(budget.message)}</td></tr>`,
  );
  const verdict = results.budgetsPassed ? badge('pass', 'all budgets met') : badge('fail', `${results.budgets.filter((b) => !b.pass).length} broken`);
  return `<section id="budgets"><h2>Budgets ${verdict}</h2><table><thead><tr><th>result</th><th>budget</th><th>measured vs limit</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function summarySection(results: Results): string {
  const s = results.summary;
  const reasons = Object.entries(s.frames.neverDisplayedByReason)
    .map(([reason, n]) => `${h(reason)}: ${formatCount(n)}`)
    .join(', ');
  const rows: [string, string][] = [
    ['G2G p50 / p95 / p99', `${formatMs(s.g2g.p50)} / ${formatMs(s.g2g.p95)} / ${formatMs(s.g2g.p99)}`],
    ['G2G max / mean', `${formatMs(s.g2g.max)} / ${formatMs(s.g2g.mean)}`],
    ['G2G computed over', `${formatCount(s.g2g.count)} of ${formatCount(s.frames.displayed)} displayed frames (those with a readable marker)`],
    ['frames sent / displayed', `${formatCount(s.frames.sent)} / ${formatCount(s.frames.displayed)}${s.frames.senderDropped > 0 ? ` (sender dropped ${formatCount(s.frames.senderDropped)})` : ''}`],
    ['never displayed', `${formatCount(s.frames.neverDisplayed)}${reasons ? ` (${reasons})` : ''}`],
    ['unreadable markers (displayed, CRC failed)', `${formatCount(s.frames.unreadableMarkers)}${s.frames.displayed > 0 ? ` (${formatPercent(s.frames.unreadableMarkers / s.frames.displayed)} of displayed)` : ''}`],
    ['out-of-order / duplicate displays', `${formatCount(s.frames.outOfOrder)} / ${formatCount(s.frames.duplicates)}`],
    ['displayed fps', s.fps === null ? '—' : s.fps.toFixed(2)],
    ['freezes', `${formatCount(s.freezes.count)} (total ${formatMs(s.freezes.totalDurationMs)}, longest ${formatMs(s.freezes.maxDurationMs)})`],
    ['bitrate mean (all / media) / max per bin', `${formatBitrate(s.bitrate.meanBps)} / ${formatBitrate(s.bitrate.mediaMeanBps)} / ${formatBitrate(s.bitrate.maxBinBps)}`],
    ['residual media loss', formatPercent(s.residualLoss)],
    ['keyframe requests sent / received', `${formatCount(s.feedback.keyframeRequests)} / ${formatCount(s.feedback.keyframeRequestsReceived)}`],
    ['NACKs sent (seqs asked)', `${formatCount(s.feedback.byKind.nack?.sent ?? 0)} (${formatCount(s.feedback.nackedSeqs)})`],
  ];
  if (s.records.invalid + s.records.badLines > 0 || s.records.truncatedFiles.length > 0) {
    rows.push(['record problems', `${s.records.invalid} invalid, ${s.records.badLines} bad lines${s.records.truncatedFiles.length > 0 ? `, truncated: ${h(s.records.truncatedFiles.join(', '))}` : ''}`]);
  }
  return `<section id="summary"><h2>Summary</h2><table><tbody>${rows.map(([k, v]) => `<tr><th>${h(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table></section>`;
}

/** The run's warnings, shown above everything else (absent in results written before they existed). */
function warningsSection(results: Results): string {
  const warnings = results.warnings ?? [];
  if (warnings.length === 0) return '';
  const items = warnings.map((warning) => `<p class="note warning" data-code="${h(warning.code)}"><b>Warning:</b> ${h(warning.message)}</p>`);
  return `<section id="warnings">${items.join('')}</section>`;
}

function stageTable(results: Results): string {
  const header = row(['stage', 'frames', 'p50', 'p95', 'p99', 'max', 'mean'], true);
  const rows = STAGE_NAMES.map((name) => {
    const d = results.summary.stages[name];
    return row([`<span title="${h(STAGE_DEFINITIONS[name])}">${h(name)}</span>`, formatCount(d.count), formatMs(d.p50), formatMs(d.p95), formatMs(d.p99), formatMs(d.max), formatMs(d.mean)]);
  });
  return `<table id="stage-table"><thead>${header}</thead><tbody>${rows.join('')}</tbody></table><p class="note">Stages are contiguous from render submit to marker read; hover a name for its definition. Percentiles are nearest-rank.</p>`;
}

function packetTable(results: Results): string {
  const p = results.summary.packets;
  const kinds = ['media', 'rtx', 'fec', 'padding'] as const;
  const rows = kinds.map((kind) => row([kind, formatCount(p.sent[kind].count), formatBytes(p.sent[kind].bytes), formatCount(p.received[kind].count), formatBytes(p.received[kind].bytes)]));
  return `<table><thead>${row(['kind', 'sent', 'sent bytes', 'received', 'received bytes'], true)}</thead><tbody>${rows.join('')}</tbody></table><p class="note">Recovered at the receiver: ${formatCount(p.recovered.fec)} by FEC, ${formatCount(p.recovered.rtx)} by RTX.</p>`;
}

function environmentSection(results: Results): string {
  const env = results.environment;
  const list = (items: readonly string[]): string => (items.length === 0 ? '—' : items.map(h).join('<br>'));
  const map = (entries: Record<string, string>): string =>
    Object.keys(entries).length === 0 ? '—' : Object.entries(entries).map(([k, v]) => `${h(k)}: <code>${h(v)}</code>`).join('<br>');
  const skipped = env.skipped.length === 0 ? 'nothing' : env.skipped.map((item) => `<b>${h(item.what)}</b>: ${h(item.why)}`).join('<br>');
  const host = [env.platform, env.arch, env.kernel, env.cpus].filter((part) => part !== undefined).map((part) => h(part)).join(' · ');
  return `<section id="environment"><h2>Environment</h2><dl class="kv">
<dt>node</dt><dd>${h(env.node)}</dd><dt>host</dt><dd>${host}${env.hostname ? ` (${h(env.hostname)})` : ''}</dd>
<dt>versions</dt><dd>${map(env.versions)}</dd><dt>backends</dt><dd>${map(env.backends)}</dd>
<dt>devices</dt><dd>${list(env.devices)}</dd><dt>encoders</dt><dd>${list(env.encoders)}</dd><dt>skipped</dt><dd>${skipped}</dd></dl></section>`;
}

function endingNote(results: Results): string {
  const { status, message } = results.outcome;
  const text = { completed: 'The run completed.', failed: 'The run failed.', interrupted: 'The run was interrupted before its planned end; the records up to that point were analysed.' }[status];
  return `<p class="note ${h(status)}">${h(text)}${message ? ` ${h(message)}` : ''}</p>`;
}

/** The banner of a simulated run: its figures come from virtual time, not from a real run. */
function simulationNote(results: Results): string {
  const sim = results.simulation;
  if (!sim) return '';
  return `<p class="note simulated"><b>Simulated in virtual time</b> (glasslab sim: the lab's send and receive pipelines, no processes, no encoder, no decoder).
Frames: ${h(sim.frames)}. Link: ${h(sim.link)}. Decode: ${sim.decodeMs} ms fixed; render, capture and encode times are not modelled beyond the trace's encode latency.
${(sim.virtualMs / 1000).toFixed(1)} s simulated in ${(sim.wallMs / 1000).toFixed(2)} s (${sim.speedup.toFixed(0)}× real time).</p>`;
}

/** The congestion chart with its table when the sender estimated; the table alone (fixed target) when the link has a rate. */
function congestionSection(results: Results, series: RunSeries): string {
  const table = congestionTable(results);
  if (series.congestion.some((c) => c.peer === 'chromium')) {
    return chart('chart-congestion', 'Congestion control (Chromium sender): libwebrtc\'s estimate vs link capacity vs sent', `<p class="note">libwebrtc's encoder target (outbound-rtp targetBitrate) and bandwidth estimate (the candidate pair's availableOutgoingBitrate) from the sender page's getStats samples, on the lab receiver's transport-wide feedback; capacity: the link's configured up rate per timeline segment; sent: what the link saw of the sender's packets per bin.</p>${table}`);
  }
  if (series.congestion.length > 0) {
    return chart('chart-congestion', 'Congestion control: estimate vs link capacity vs sent', `<p class="note">Target: the estimator's output (min of the delay- and loss-based rates) after each transport feedback; acknowledged: what the feedback says arrived (500 ms window, on-the-wire bytes); capacity: the link's configured up rate per timeline segment; sent: all packets the sender sent per bin (RTP bytes).</p>${table}`);
  }
  return table === '' ? '' : `<section><h2>Capacity tracking (fixed target)</h2>${table}</section>`;
}

/** Capacity tracking per segment of the up direction and each capacity drop's adaptation (only where the link has a rate). */
function congestionTable(results: Results): string {
  const c = results.congestion;
  if (!c || !c.segments.some((seg) => seg.capacityBps !== null)) return '';
  const seconds = (v: number | null): string => (v === null ? 'start' : `${v.toFixed(1)} s`);
  const segmentRows = c.segments
    .map((seg) => `<tr><td>${seconds(seg.fromS)}</td><td class="num">${seg.capacityBps === null ? 'unlimited' : formatBitrate(seg.capacityBps)}</td><td class="num">${formatBitrate(seg.carriedBps)}${seg.crossCarriedBps !== undefined ? ` (competing flows ${formatBitrate(seg.crossCarriedBps)})` : ''}</td><td class="num">${formatPercent(seg.utilisation)}</td><td class="num">${formatMs(seg.queueDelayMs.p50)} / ${formatMs(seg.queueDelayMs.p95)}</td><td class="num">${formatCount(seg.queueDrops)}</td></tr>`)
    .join('');
  const adaptRows = c.adaptations
    .map((a) => `<tr><td>${a.atS.toFixed(1)} s</td><td class="num">${a.fromBps === null ? 'unlimited' : formatBitrate(a.fromBps)} → ${formatBitrate(a.toBps)}</td><td class="num">${a.adaptMs === null ? 'never' : formatMs(a.adaptMs)}</td><td class="num">${formatPercent(a.overshootLoss)}</td></tr>`)
    .join('');
  const riseRows = (c.rises ?? [])
    .map((r) => `<tr><td>${r.atS.toFixed(1)} s</td><td class="num">${r.fromBps === null ? 'unlimited' : formatBitrate(r.fromBps)} → ${formatBitrate(r.toBps)}</td><td class="num">${r.reach90Ms === null ? 'never' : formatMs(r.reach90Ms)}</td></tr>`)
    .join('');
  return `<p class="note">Capacity tracking (${c.mode === 'googcc' ? `congestion control on, ${formatCount(c.estimates)} estimates` : c.mode === 'libwebrtc' ? `libwebrtc's congestion control (Chromium sender), ${formatCount(c.estimates)} samples` : 'fixed target'}): per segment of the up direction, what the link carried against its configured rate and how long packets queued (release − entry − configured delay); per capacity drop, the time until a 500 ms window entered ≤ 1.1 × the new rate with queueing p95 under ${formatMs(c.settledQueueMs)}, and the queue drops until then; per capacity rise, the time until a 500 ms window in which the link carried ≥ 90 % of the new rate.</p>
<table id="congestion-segments"><thead><tr><th>from</th><th class="num">capacity</th><th class="num">carried</th><th class="num">utilisation</th><th class="num">queueing p50 / p95</th><th class="num">queue drops</th></tr></thead><tbody>${segmentRows}</tbody></table>
${adaptRows ? `<table id="congestion-adaptations"><thead><tr><th>drop at</th><th class="num">capacity</th><th class="num">time to adapt</th><th class="num">overshoot loss</th></tr></thead><tbody>${adaptRows}</tbody></table>` : ''}
${riseRows ? `<table id="congestion-rises"><thead><tr><th>rise at</th><th class="num">capacity</th><th class="num">time to 90 % of it</th></tr></thead><tbody>${riseRows}</tbody></table>` : ''}`;
}

/** Per relay target: what the forwarder wrote, what the endpoint decoded, its G2G and what the target added over the direct path. */
function relaySection(results: Results): string {
  const targets = results.relay;
  if (!targets || targets.length === 0) return '';
  const c = (v: number | null): string => (v === null ? '—' : formatCount(v));
  const rows = targets
    .map((t) => `<tr><td>${h(t.protocol)}${t.endpoint ? ` (${h(t.endpoint)})` : ''}</td><td><code>${h(t.url)}</code></td><td class="num">${c(t.forwarded)} / ${c(t.written)} / ${c(t.dropped)}</td><td class="num">${c(t.reconnects)}</td><td class="num">${formatCount(t.decoded)} (${formatCount(t.markersRead)} markers)</td><td class="num">${formatMs(t.g2gMs.p50)} / ${formatMs(t.g2gMs.p95)}</td><td class="num">${formatMs(t.addedMs.p50)} / ${formatMs(t.addedMs.p95)}</td><td class="num">${formatMs(t.forwarderP50Ms ?? null)}</td><td>${h(t.state ?? '—')}${t.lastError ? `: ${h(t.lastError)}` : ''}${t.reconnect ? `; endpoint restarted, first frame again ${t.reconnect.firstFrameAfterMs === null ? 'never' : formatMs(t.reconnect.firstFrameAfterMs)} after` : ''}${t.stagesMs ? `; added p50 = ${formatMs(t.stagesMs.toEndpointP50)} to the endpoint (forwarder and hop) + the endpoint's own ${formatMs(t.stagesMs.inEndpointP50)} against the direct path's ${formatMs(t.stagesMs.directInReceiverP50)}` : ''}${t.webrtc ? `; ${c(t.webrtc.packets)} packets passed through, forwarder p95 ${formatMs(t.webrtc.forwarderMs.p95)}, ${c(t.webrtc.nacksReceived)} NACKs → ${c(t.webrtc.retransmitted)} RTX, ${c(t.webrtc.keyframeRequests)} PLI/FIR` : ''}</td></tr>`)
    .join('');
  return `<section><h2>Relay targets</h2><p class="note">The receiver forwards without re-encoding: every rebuilt access unit (after the WebRTC hop's recovery) to RTSP/SRT/RTMP targets, every media packet (SSRC/seq/timestamp rewritten) to WHIP targets; each target's endpoint (ffmpeg, or the lab's WHIP endpoint, beside the receiver) decodes it and the lab reads the markers. For WHIP targets, forwarded counts packets. Forwarder: the forwarder's own part, p50 (WHIP: a frame's last packet in → that packet out; the others: write → av_write_frame returned, i.e. queue, muxing and the socket); the rest of added is the protocol's and the endpoint's. G2G: endpoint arrival − capture; added: endpoint arrival − the lab receiver's own marker read of the same frame (the direct path).</p>
<table id="relay-targets"><thead><tr><th>protocol</th><th>target</th><th class="num">forwarded / written / dropped</th><th class="num">reconnects</th><th class="num">decoded at the endpoint</th><th class="num">G2G p50 / p95</th><th class="num">added p50 / p95</th><th class="num">forwarder p50</th><th>state</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** The relay's target hop (relay.link) from its fate log: what each flow towards the endpoints lost. */
function relayHopSection(results: Results): string {
  const hop = results.relayHop;
  if (!hop) return '';
  const pct = (dropped: number, offered: number): string => (offered === 0 ? '—' : `${((100 * dropped) / offered).toFixed(2)} %`);
  const rows = hop.flows
    .map((f) => `<tr><td>${h(f.proto)} → :${f.port}</td><td>${f.rtpSsrcs.length > 0 ? `RTP (WHIP), SSRC ${f.rtpSsrcs.map((x) => x.toString()).join(', ')}` : 'target protocol'}</td><td class="num">${formatCount(f.offered)}</td><td class="num">${formatCount(f.dropped)}</td><td class="num">${pct(f.dropped, f.offered)}</td></tr>`)
    .join('');
  return `<section><h2>Relay target hop</h2><p class="note">The link between the forwarding receiver and the targets' endpoints (relay.link), from its own fate log (relay-link.ndjson): forwarder → endpoints ${formatCount(hop.up.offered)} packets, ${formatCount(hop.up.dropped)} dropped (${pct(hop.up.dropped, hop.up.offered)}); back ${formatCount(hop.down.offered)}, ${formatCount(hop.down.dropped)} dropped.</p>
<table id="relay-hop"><thead><tr><th>flow</th><th>carries</th><th class="num">offered</th><th class="num">dropped</th><th class="num">loss</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function chart(id: string, title: string, extra = ''): string {
  return `<section><h2>${h(title)}</h2><div class="chart"><canvas id="${id}" role="img" aria-label="${h(title)}"></canvas></div>${extra}</section>`;
}

/** Renders the complete report (HTML document as a string); `linkSeries` / `recoverySeries` draw the link and loss recovery charts. */
export function renderReport(results: Results, series: RunSeries, linkSeries: LinkSeries | null = null, recoverySeries: RecoverySeries | null = null): string {
  const when = results.start.wallClock ?? 'time unknown';
  const duration =
    results.start.monotonicMs !== null && results.end.monotonicMs !== null ? `${((results.end.monotonicMs - results.start.monotonicMs) / 1000).toFixed(1)} s` : '—';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>glasslab · ${h(results.scenario)} · ${h(results.runId)}</title>
<style>${asset('report.css')}</style></head>
<body><main>
<header><h1>${h(results.scenario)}</h1><span class="meta">${results.simulation ? 'simulated ' : ''}run <code>${h(results.runId)}</code> · ${h(when)} · ${duration}</span>${badge(results.outcome.status, results.outcome.status)}</header>
${results.outcome.status === 'completed' ? '' : endingNote(results)}
${simulationNote(results)}
${warningsSection(results)}
${budgetsSection(results)}
${summarySection(results)}
<div class="grid">
${chart('chart-g2g-timeline', 'Glass-to-glass latency per frame')}
${chart('chart-g2g-cdf', 'Glass-to-glass CDF')}
</div>
${chart('chart-stages', 'Stage breakdown over time (mean per frame)', stageTable(results))}
<div class="grid">
${chart('chart-bitrate', 'Bitrate over time (sent)')}
${congestionSection(results, series)}
${chart('chart-packets', 'Packets per kind', packetTable(results))}
</div>
${chromiumSection(results)}
${relaySection(results)}
${relayHopSection(results)}
${recoverySection(results, recoverySeries)}
${linkSection(results)}
${environmentSection(results)}
<section id="how-it-ended"><h2>How the run ended</h2>${endingNote(results)}</section>
<footer>Generated by ${h(results.generatedBy)} · results.json schema v${results.schemaVersion} · self-contained, no network access needed.</footer>
</main>
<script type="application/json" id="glasslab-data">${jsonForScript({ results, series, link: linkSeries, recovery: recoverySeries })}</script>
<script>${scriptForInline(chartJsSource())}</script>
<script>${scriptForInline(asset('chart-common.js'))}</script>
<script>${scriptForInline(asset('report-client.js'))}</script>
</body></html>
`;
}
