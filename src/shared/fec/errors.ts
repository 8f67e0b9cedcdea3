/** Stable codes of the FEC units' errors. */
export type FecErrorCode =
  | 'bad-argument'
  | 'fec-too-short'
  | 'fec-bad-header'
  | 'fec-unsupported'
  | 'fec-wrong-ssrc'
  | 'fec-stale'
  | 'media-malformed'
  | 'media-wrong-ssrc'
  | 'media-not-consecutive'
  | 'red-too-short'
  | 'red-bad-block-length'
  | 'red-empty';

/**
 * Error value of the FEC/RED units. Parsers and decoders return it for bad input; only calls
 * with invalid arguments (a caller bug, e.g. 0 media packets) throw it.
 */
export class FecError extends Error {
  readonly code: FecErrorCode;
  constructor(code: FecErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'FecError';
    this.code = code;
  }
}

/** True for an error value returned by an FEC/RED unit. */
export function isFecError(value: unknown): value is FecError {
  return value instanceof FecError;
}
