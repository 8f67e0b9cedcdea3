/**
 * The suite report's "Relay targets" section: per run, each target's protocol, frames its
 * endpoint decoded, the latency it added over the direct path (the same frames at the lab
 * receiver), its G2G, drops and, where its endpoint was restarted, the time until frames came
 * again; the direct path's own G2G beside them.
 */
import { escapeHtml as h, formatCount, formatMs } from '../report/format.ts';
import type { SuiteJson } from './suite-json.ts';

export function relaySection(suite: SuiteJson): string {
  const runs = suite.runs.filter((run) => (run.results?.relay?.length ?? 0) > 0);
  if (runs.length === 0) return '';
  const rows = runs.flatMap((run) => {
    const r = run.results!;
    const direct = `<tr class="group"><th>${h(run.name)}</th><td>direct (the lab receiver)</td><td class="num">${formatCount(r.framesDisplayed)}</td><td class="num">—</td><td class="num">${formatMs(r.g2gP50Ms)}</td><td class="num">—</td><td class="num">—</td><td class="num">—</td></tr>`;
    const targets = r.relay!.map(
      (t) =>
        `<tr><td></td><td>${h(t.protocol)}</td><td class="num">${formatCount(t.decoded)}</td><td class="num">${formatMs(t.addedP50Ms)} / ${formatMs(t.addedP95Ms)}</td><td class="num">${formatMs(t.g2gP50Ms)}</td><td class="num">${t.dropped === null ? '—' : formatCount(t.dropped)}</td><td class="num">${t.reconnectMs === undefined ? '—' : t.reconnectMs === null ? 'never' : formatMs(t.reconnectMs)}</td><td class="num">${t.forwarderP50Ms === undefined ? '—' : formatMs(t.forwarderP50Ms)}</td></tr>`,
    );
    return [direct, ...targets];
  });
  return `<section><h2>Relay targets</h2><p class="note">Each target gets the stream without re-encoding (RTSP/SRT/RTMP: every access unit the receiver rebuilt; WHIP: every media packet, SSRC/seq/timestamp rewritten); its endpoint (ffmpeg, or the lab's WHIP endpoint, beside the receiver) decodes it. Forwarder: its own part, p50 (WHIP: a frame's last packet in → out; the others: write → av_write_frame returned); the rest of added is the protocol's and the endpoint's (SRT: its configured latency at both ends, ffmpeg: one to three frame intervals of buffering). Added: endpoint arrival − the lab receiver's marker read of the same frame; reconnect: from the endpoint's restart to the first frame it decoded again.</p>
<table id="relay-targets"><thead><tr><th>run</th><th>path</th><th class="num">frames</th><th class="num">added p50 / p95</th><th class="num">G2G p50</th><th class="num">dropped</th><th class="num">reconnect</th><th class="num">forwarder p50</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}
