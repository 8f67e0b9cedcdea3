/**
 * The suite report's "Capture paths" section, for suites whose runs differ in capture path or
 * encoder: per resolution (width × height @ fps), each configuration's sender stage times
 * (p50 / p99), sender CPU per frame, frames that did not go out, and G2G side by side; the
 * fastest configuration of each resolution marked. A configuration this machine cannot run is
 * listed with its reason.
 */
import { escapeHtml as h, formatCount, formatMs } from '../report/format.ts';
import type { RunConfig, SuiteJson, SuiteRunEntry } from './suite-json.ts';

/** Share of the frames a run should have sent (fps × duration) it must send to count as keeping up. */
export const KEPT_UP_RATIO = 0.95;

/** One configuration of the section. */
export interface CaptureRow {
  run: SuiteRunEntry;
  config: RunConfig;
  /** frames the run should have sent: fps × duration */
  expectedFrames: number;
  /** sent at least KEPT_UP_RATIO of expectedFrames; null when the run has no results */
  keptUp: boolean | null;
}

/** The configurations of one resolution, and which was fastest. */
export interface CaptureGroup {
  /** "1280x720@60" */
  resolution: string;
  rows: CaptureRow[];
  /** the fastest run's name; undefined when no run of the group has a G2G */
  fastest?: string;
  /** whether the fastest run kept up (false: no run of the group did, the fastest of those is marked) */
  fastestKeptUp?: boolean;
}

/** "WIDTHxHEIGHT@FPS" of a configuration. */
export function resolutionKey(config: RunConfig): string {
  return `${config.width}x${config.height}@${Number(config.fps.toFixed(3))}`;
}

/** A run as a row: expected frames and whether it kept up. */
export function captureRow(run: SuiteRunEntry, config: RunConfig): CaptureRow {
  const expectedFrames = Math.round((config.fps * config.durationMs) / 1000);
  const keptUp = run.results === null ? null : expectedFrames === 0 || run.results.framesSent >= KEPT_UP_RATIO * expectedFrames;
  return { run, config, expectedFrames, keptUp };
}

/**
 * The fastest row: the lowest G2G p50 (then p95) among completed runs with a G2G, those that
 * kept up first; undefined when no row has a G2G.
 */
export function fastestRow(rows: readonly CaptureRow[]): CaptureRow | undefined {
  const candidates = rows.filter((row) => row.run.outcome === 'completed' && row.run.results?.g2gP50Ms !== null && row.run.results?.g2gP50Ms !== undefined);
  const pool = candidates.some((row) => row.keptUp === true) ? candidates.filter((row) => row.keptUp === true) : candidates;
  const key = (row: CaptureRow): [number, number] => [row.run.results!.g2gP50Ms!, row.run.results!.g2gP95Ms ?? Infinity];
  return [...pool].sort((a, b) => {
    const [a50, a95] = key(a);
    const [b50, b95] = key(b);
    return a50 - b50 || a95 - b95;
  })[0];
}

/** The lab-sender runs grouped by resolution, in the order the suite lists them, each with its fastest run. */
export function captureGroups(suite: SuiteJson): CaptureGroup[] {
  const groups = new Map<string, CaptureRow[]>();
  for (const run of suite.runs) {
    if (run.config === undefined || run.config.sender !== 'glasslab') continue;
    const key = resolutionKey(run.config);
    groups.set(key, [...(groups.get(key) ?? []), captureRow(run, run.config)]);
  }
  return [...groups].map(([resolution, rows]) => {
    const fastest = fastestRow(rows);
    return { resolution, rows, ...(fastest ? { fastest: fastest.run.name, fastestKeptUp: fastest.keptUp === true } : {}) };
  });
}

/** Whether the section belongs in the report: the lab's runs differ in capture path or encoder. */
export function showsCaptureSection(suite: SuiteJson): boolean {
  const kinds = new Set(suite.runs.flatMap((run) => (run.config?.sender === 'glasslab' ? [`${run.config.capturePath}/${run.config.codec}`] : [])));
  return kinds.size > 1;
}

const dash = '—';
const num = (value: string): string => `<td class="num">${value}</td>`;
/** ms without the unit (the header has it), as formatMs: 3 significant digits below 100. */
const bare = (value: number | null): string => (value === null ? dash : formatMs(value).replace(/ ms$/, ''));
const pair = (value: { p50: number | null; p99: number | null } | undefined): string => (value === undefined ? dash : `${bare(value.p50)} / ${bare(value.p99)}`);

const HEADERS = ['capture path', 'encoder', 'outcome', 'render ms p50 / p99', 'capture ms p50 / p99', 'convert ms p50 / p99', 'encode ms p50 / p99', 'sender CPU / frame', 'sent / expected', 'not sent', 'missed ticks', 'G2G p50', 'G2G p95'];

function row(group: CaptureGroup, line: CaptureRow): string {
  const { run, config } = line;
  const r = run.results;
  const s = r?.sender;
  const fastest = group.fastest === run.name;
  const mark = fastest ? `<br><span class="badge completed" title="${group.fastestKeptUp ? 'lowest G2G p50 of the runs that kept up' : 'no run of this resolution kept up: lowest G2G p50 of all'}">fastest${group.fastestKeptUp ? '' : ' (none kept up)'}</span>` : '';
  const head = `<td>${h(config.capturePath)} (${h(config.pixelFormat)})${mark}</td><td>${h(config.codec)}</td><td><span class="badge ${h(run.outcome)}">${h(run.outcome)}</span></td>`;
  if (r === null) {
    const why = run.message ?? (run.outcome === 'pending' || run.outcome === 'running' ? 'not run yet' : 'no results');
    return `<tr data-capture-run="${h(run.name)}">${head}<td colspan="${HEADERS.length - 3}" class="reason">${h(why)}</td></tr>`;
  }
  const notSent = s === undefined ? dash : s.droppedQueueFull === null ? `? + ${formatCount(s.senderDropped)}` : formatCount(s.droppedQueueFull + s.senderDropped);
  const cells = [
    num(pair(s?.stages.render)),
    num(pair(s?.stages.capture)),
    num(pair(s?.stages.convert)),
    num(pair(s?.stages.encode)),
    num(formatMs(s?.cpuMsPerFrame)),
    `<td class="num${line.keptUp === false ? ' fail' : ''}">${formatCount(r.framesSent)} / ${formatCount(line.expectedFrames)}</td>`,
    num(notSent),
    num(s === undefined || s.missedTicks === null ? dash : formatCount(s.missedTicks)),
    num(formatMs(r.g2gP50Ms)),
    num(formatMs(r.g2gP95Ms)),
  ];
  return `<tr data-capture-run="${h(run.name)}"${fastest ? ' class="fastest"' : ''}>${head}${cells.join('')}</tr>`;
}

/** The section's HTML; '' when {@link showsCaptureSection} says it does not belong. */
export function captureSection(suite: SuiteJson): string {
  if (!showsCaptureSection(suite)) return '';
  const groups = captureGroups(suite);
  const rows = groups.flatMap((group) => [`<tr class="group"><th colspan="${HEADERS.length}">${h(group.resolution)}</th></tr>`, ...group.rows.map((line) => row(group, line))]);
  const head = `<tr>${HEADERS.map((text, i) => `<th${i > 2 ? ' class="num"' : ''}>${h(text)}</th>`).join('')}</tr>`;
  return `<section id="capture-paths"><h2>Capture paths</h2><div class="wide"><table id="capture-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>
<p class="note">Per resolution, each capture path and encoder; stage times are p50 / p99 over the displayed frames, from the sender's frame records: render = render done − submit; capture = copy done − render done (readback: marker stamp + image copied to host memory; gpu-convert and zero-copy: marker stamp + RGBA→NV12 on the GPU, in host-visible memory or the exported surface); convert = convert done − copy done (readback: libyuv RGBA→I420 on the CPU; gpu-convert: the NV12 planes copied into the frame's buffer; zero-copy: as native/frame-source.md defines its times); encode = encode done − convert done, waiting for the encoder included (NV12 input is split to I420 on the encoder's thread for the encoders opened for I420). Sender CPU / frame = the sender process's CPU time (every thread: render, capture, encode, RTP; on a CPU Vulkan device such as lavapipe the rendering too) from media start to stop ÷ frames sent. Sent / expected: frames sent, and fps × duration; in red below ${KEPT_UP_RATIO * 100} % (the run did not keep up); not sent = dropped by the frame source (JS too slow to take them) + by the sender (encoder busy); missed ticks = frames never rendered because rendering overran its interval. <b>fastest</b>: the lowest G2G p50 of the resolution among the runs that kept up (of all completed runs when none did). A configuration this machine cannot run is listed with its reason.</p></section>`;
}
