/**
 * Result types shared by every doctor probe. A probe never throws: whatever goes wrong ends as a
 * CheckResult with status 'error' and a detail naming the cause.
 */

/**
 * - ok: the feature works here.
 * - missing: the feature is absent (kernel option off, tool not installed, encoder not built).
 * - skipped: the probe does not apply here (e.g. depends on something absent).
 * - error: the probe itself could not find out (addon not built, function absent, timeout).
 */
export type CheckStatus = 'ok' | 'missing' | 'skipped' | 'error';

/** The area a check belongs to; the human table groups by it, in this order. */
export const checkAreas = ['native', 'vulkan', 'codecs', 'kernel', 'tools', 'nvidia'] as const;
export type CheckArea = (typeof checkAreas)[number];

/** One probed feature. `name` is a stable identifier, unique across all checks. */
export interface CheckResult<Data = unknown> {
  name: string;
  area: CheckArea;
  status: CheckStatus;
  /** When true, a status other than 'ok' makes doctor fail (exit code 3). */
  required: boolean;
  /** One line a person can act on. */
  detail: string;
  /** Further lines shown indented under the row (e.g. one per Vulkan device). */
  more?: string[];
  /** Machine-readable facts behind the detail; JSON-serialisable (no bigint). */
  data?: Data;
}

/** What `glasslab doctor --json` prints. */
export interface DoctorReport {
  version: 1;
  /** true when every required check is 'ok' */
  ok: boolean;
  checks: CheckResult[];
}

/** Builds a result without repeating the area/required pair at every return site. */
export function makeCheck<Data>(
  base: { name: string; area: CheckArea; required: boolean },
  status: CheckStatus,
  detail: string,
  extra: { more?: string[]; data?: Data } = {},
): CheckResult<Data> {
  const result: CheckResult<Data> = { ...base, status, detail };
  if (extra.more && extra.more.length > 0) result.more = extra.more;
  if (extra.data !== undefined) result.data = extra.data;
  return result;
}

/** The message of anything thrown, as one line. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return firstLine(text);
}

/** First non-empty line of a text, trimmed; '' when there is none. */
export function firstLine(text: string): string {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed !== '') return trimmed;
  }
  return '';
}
