/** Errors of the FEC controller's configuration (the rate table has its own, in rate-table.ts). */

/** Stable codes: an option out of its documented range. */
export type FecControllerErrorCode = 'FEC_OPTION_INVALID';

/** A configuration value the FEC controller cannot use; `option` names it. */
export class FecControllerError extends Error {
  constructor(
    readonly code: FecControllerErrorCode,
    readonly option: string,
    detail: string,
  ) {
    super(`FEC controller option ${option}: ${detail}`);
    this.name = 'FecControllerError';
  }
}

/** Throws FecControllerError unless `value` is a finite number within [min, max]. */
export function checkRange(option: string, value: number, min: number, max = Number.POSITIVE_INFINITY): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new FecControllerError('FEC_OPTION_INVALID', option, `expected a number in [${min}, ${max}], got ${value}`);
  }
  return value;
}
