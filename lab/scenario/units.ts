/**
 * Unit parsers of the link vocabulary, each returning a value or an error message (never
 * throwing): durations ("40ms", "500us", "1.5s"; bare numbers are ms), percentages ("1.5%";
 * bare numbers are percent, as in netem and libwebrtc's loss_percent), rates in tc's units
 * ("10mbit", "500kbit"; "kbps"/"mbps" are bytes per second as in tc; bare numbers are bit/s).
 */

/** µs, or an error message. */
export function parseDurationUs(value: number | string): number | string {
  if (typeof value === 'number') return value < 0 || !Number.isFinite(value) ? 'must be a duration ≥ 0 (ms)' : value * 1000;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$/.exec(value);
  if (!m) return `"${value}" is not a duration (e.g. 40ms, 500us, 1.5s)`;
  const n = Number(m[1]);
  if (n < 0) return 'must be a duration ≥ 0';
  const scale: Record<string, number> = { ns: 0.001, us: 1, µs: 1, ms: 1000, s: 1_000_000 };
  return n * scale[m[2]!]!;
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
  const scale: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9 };
  const bps = Number(m[1]) * scale[m[2]!.toLowerCase()]!;
  return bps > 0 ? bps : 'must be a rate > 0';
}
