/**
 * The libwebrtc reference figures the tests compare against, kept inside the repository
 * (test/fixtures/reference/libwebrtc/, provenance in its README) so a clone with nothing beside
 * it passes. The product's own shipped copies under data/ are checked against these.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of a reference file, e.g. `fec-rate-table.json`. */
export function referencePath(name: string): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/reference/libwebrtc', name);
}

/** The bytes of a reference file. */
export function readReference(name: string): Buffer {
  return readFileSync(referencePath(name));
}

/** A reference JSON file, parsed; the caller states its shape. */
export function readReferenceJson<T>(name: string): T {
  return JSON.parse(readReference(name).toString('utf8')) as T;
}
