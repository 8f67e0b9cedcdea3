// Whether dist/ (the compiled lab/ and src/, scripts/build-dist.sh) matches the TypeScript sources.
// The build writes dist/.source-stamp with the newest source mtime it compiled; any source file
// newer than that (an edit, a checkout, a new file) makes the build stale, and then the CLI runs
// the sources through tsx instead of code that no longer matches them. Plain JavaScript: it runs
// before anything is compiled or registered.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP_FILE = 'dist/.source-stamp';
/** what the build compiles, and the configuration that shapes the output */
const SOURCE_DIRS = ['lab', 'src'];
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json'];

/** newest mtime (ms) of the sources and configuration under `root` */
export function newestSourceMtimeMs(root = repositoryRoot) {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) visit(path.join(root, dir));
  for (const file of CONFIG_FILES) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
  return newest;
}

/**
 * `{ state: 'fresh' }`, or `{ state: 'missing' | 'stale', reason }`.
 * @param {string} root repository root
 */
export function distFreshness(root = repositoryRoot) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(root, STAMP_FILE), 'utf8'));
  } catch {
    return { state: 'missing', reason: `${STAMP_FILE} not found (never built)` };
  }
  if (typeof stamp?.newestSourceMtimeMs !== 'number') return { state: 'missing', reason: `${STAMP_FILE} is not a build stamp` };
  const newest = newestSourceMtimeMs(root);
  if (newest > stamp.newestSourceMtimeMs) {
    return { state: 'stale', reason: `sources changed after the last build (${new Date(newest).toISOString()} > ${new Date(stamp.newestSourceMtimeMs).toISOString()})` };
  }
  return { state: 'fresh' };
}
