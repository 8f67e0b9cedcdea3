/**
 * Parsers for the unit-bearing values scenario files use: durations ("10s", "250ms", "1m"),
 * bitrates ("2Mbps", "300kbps", "2M", 2000000) and resolutions ("1280x720", "720p").
 * Each returns undefined for text it does not understand; the schema turns that into an error.
 */

const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Duration text or a number of milliseconds → milliseconds. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|m|min|h)\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
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
