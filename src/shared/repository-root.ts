/**
 * The repository's root folder, the same whether this module runs from its TypeScript source
 * (src/shared/repository-root.ts, through tsx) or compiled (dist/src/shared/repository-root.js).
 * Data files, report assets and the native build stay in the source tree, so everything that
 * reads them resolves through here instead of relative to its own module.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const twoUp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** true when this code runs compiled from dist/ (see scripts/build-dist.sh) */
export const runsCompiled = path.basename(twoUp) === 'dist';

/** absolute path of the repository root */
export const repositoryRoot = runsCompiled ? path.dirname(twoUp) : twoUp;

/** `segments` joined onto the repository root */
export function fromRepositoryRoot(...segments: string[]): string {
  return path.join(repositoryRoot, ...segments);
}
