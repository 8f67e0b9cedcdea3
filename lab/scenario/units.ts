/**
 * Parsers for the unit-bearing values of scenario files. Two families:
 * - media values, returning undefined for text they do not understand (the schema turns that into
 *   an error): durations ("10s", "250ms", "1m"; see checkDurationMs), bitrates ("2Mbps", "300kbps", "2M", 2000000) and
 *   resolutions ("1280x720", "720p");
 * - link values, returning a value or an error message (never throwing): durations ("40ms",
 *   "500us", "1.5s"), percentages ("1.5%"; bare numbers are percent, as in
 *   netem and libwebrtc's loss_percent), rates ("10mbit", "500kbit" as in tc; "kbps"/"Mbps" are
 *   bits per second here, as in the encoder's bitrate and libwebrtc's link_capacity_kbps, NOT
 *   tc's bytes; bare numbers are bit/s).
 */

const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Duration text or a number of milliseconds → milliseconds. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|m|min|h)\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
}

/** A bare number is refused for every duration: `duration: 30` once meant a 30 ms run of one frame. */
function bareNumber(value: number, example: string): string {
  return Number.isFinite(value) ? `a bare number is not a duration: write the unit, e.g. "${value}s" or "${value}ms"` : `must be finite: write a duration such as "${example}"`;
}

/** "24h", "10s", "250ms": a limit in ms as a scenario would write it. */
export function formatLimitMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * A media duration (the run's `duration`) checked: text with a unit, > 0 and ≤ `maxMs`; returns
 * ms or an error message. YAML's `.inf` arrives as a number and is refused as not finite.
 */
export function checkDurationMs(value: string | number, maxMs: number): number | string {
  if (typeof value === 'number') return bareNumber(value, '10s');
  if (/^\s*[+-]?\.?inf(inity)?\s*$/i.test(value)) return 'must be finite: write a duration such as "10s"';
  const ms = parseDurationMs(value);
  if (ms === undefined) return `"${value}" is not a duration (e.g. "10s", "250ms", "1m")`;
  if (!(ms > 0)) return 'must be a duration > 0';
  if (ms > maxMs) return `must be at most ${formatLimitMs(maxMs)} (got ${value.trim()})`;
  return ms;
}

const BITRATE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/** Bitrate text ("2Mbps", "300 kbit/s", "1.5M") or bits per second → bits per second. */
export function parseBitrateBps(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:bps|bit\/s|b\/s|b)?\s*$/i.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * BITRATE_UNITS[match[2]!.toLowerCase()]!);
}

const NAMED_RESOLUTIONS: Record<string, [number, number]> = {
  '360p': [640, 360],
  '480p': [854, 480],
  '540p': [960, 540],
  '720p': [1280, 720],
  '1080p': [1920, 1080],
  '1440p': [2560, 1440],
  '2160p': [3840, 2160],
};

/** "1280x720" or "720p" → [width, height]. */
export function parseResolution(value: string): [number, number] | undefined {
  const named = NAMED_RESOLUTIONS[value.trim().toLowerCase()];
  if (named) return named;
  const match = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(value);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2])];
}

/** µs, or an error message; at most `maxUs` (µs) when given. Bare numbers are refused (write the unit). */
export function parseDurationUs(value: number | string, maxUs = Infinity): number | string {
  if (typeof value === 'number') return bareNumber(value, '40ms');
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$/.exec(value);
  if (!m) return /inf/i.test(value) ? 'must be finite: write a duration such as "40ms"' : `"${value}" is not a duration (e.g. 40ms, 500us, 1.5s)`;
  const n = Number(m[1]);
  if (n < 0) return 'must be a duration ≥ 0';
  const scale: Record<string, number> = { ns: 0.001, us: 1, µs: 1, ms: 1000, s: 1_000_000 };
  const us = n * scale[m[2]!]!;
  if (us > maxUs) return `must be at most ${formatLimitMs(maxUs / 1000)} (got ${value.trim()})`;
  return us;
}

/** Probability 0..1 from a percentage, or an error message. */
export function parsePercent(value: number | string): number | string {
  let n: number;
  if (typeof value === 'number') n = value;
  else {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
    if (!m) return `"${value}" is not a percentage (e.g. 1.5%)`;
    n = Number(m[1]);
  }
  if (!(n >= 0 && n <= 100)) return `must be between 0 % and 100 %, got ${n} %`;
  return n / 100;
}

/** bits/s, or an error message. */
export function parseRateBps(value: number | string): number | string {
  if (typeof value === 'number') return value > 0 && Number.isFinite(value) ? value : 'must be a rate > 0 (bit/s)';
  const m = /^\s*(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)\s*$/i.exec(value);
  if (!m) return `"${value}" is not a rate (e.g. 10mbit, 500kbit)`;
  // kbps/mbps mean bits, as everywhere else in a scenario (tc would read them as bytes).
  const scale: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9 };
  const bps = Number(m[1]) * scale[m[2]!.toLowerCase()]!;
  return bps > 0 ? bps : 'must be a rate > 0';
}
