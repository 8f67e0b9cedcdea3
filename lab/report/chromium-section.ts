/**
 * The report's "Chromium receiver" section (results.chromium): what the page saw at
 * requestVideoFrameCallback time, libwebrtc's last getStats counters, and each counter beside the
 * lab's wire truth with its tolerance; disagreements are marked.
 */
import type { Results } from '../results/schema.ts';
import { escapeHtml as h, formatCount, formatMs, formatPercent } from './format.ts';

const num = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : Number.isInteger(value) ? formatCount(value) : String(Number(value.toPrecision(4))));

export function chromiumSection(results: Results): string {
  const c = results.chromium;
  if (!c) return '';
  const { rvfc } = c;
  const checks = c.crossChecks
    .map((check) => {
      const verdict = check.agree === null ? '<td>—</td>' : check.agree ? '<td class="pass">agree</td>' : '<td class="fail">disagree</td>';
      const tolerance = check.tolerance.below === 0 && check.tolerance.above === 0 ? 'exact' : `−${num(check.tolerance.below)} / +${num(check.tolerance.above)}`;
      return `<tr><td>${h(check.counter)}</td><td class="num">${num(check.chromium)}</td><td class="num">${num(check.lab)}</td><td>${h(check.labSource)}</td><td class="num" title="${h(check.tolerance.why)}">${h(tolerance)}</td>${verdict}</tr>`;
    })
    .join('');
  const inbound = c.inbound
    ? Object.entries(c.inbound)
        .map(([name, value]) => `<tr><td><code>${h(name)}</code></td><td class="num">${num(value)}</td></tr>`)
        .join('')
    : '';
  const g2g = rvfc.g2gToExpectedDisplayMs;
  return `<section id="chromium"><h2>Chromium receiver</h2>
<p class="note">${h(c.browser ?? 'Chromium')} received the stream with libwebrtc (its jitter buffer, NACK, FEC and decoder). The page read the marker at each requestVideoFrameCallback:
${formatCount(rvfc.calledBack)} callbacks, ${formatCount(rvfc.markersRead)} markers read (${formatPercent(rvfc.markerReadRatio)}); ${formatCount(rvfc.presentedNotCalledBack)} frames presented between callbacks${rvfc.decodedNotPresented !== null ? `, ${formatCount(rvfc.decodedNotPresented)} decoded but never presented` : ''}.
Page clock → CLOCK_MONOTONIC mapping error ≤ ${formatMs(c.clockMappingErrorMs)}. Capture → expected display p50 ${formatMs(g2g.p50)}, p95 ${formatMs(g2g.p95)}; jitter buffer mean ${formatMs(c.jitterBufferMsMean)}, decode mean ${formatMs(c.decodeMsMean)} (${formatCount(c.statsSamples)} getStats samples)${c.browserCpuRunningMs !== null && c.browserCpuRunningMs !== undefined ? `; Chromium's processes used ${formatMs(c.browserCpuRunningMs)} of CPU while the run ran` : ''}.</p>
${checks ? `<table id="chromium-cross-checks"><thead><tr><th>counter</th><th class="num">libwebrtc</th><th class="num">lab</th><th>lab's source</th><th class="num">tolerance</th><th>verdict</th></tr></thead><tbody>${checks}</tbody></table>` : ''}
${inbound ? `<details><summary>libwebrtc inbound-rtp, last sample</summary><table id="chromium-inbound"><tbody>${inbound}</tbody></table></details>` : ''}
</section>`;
}
