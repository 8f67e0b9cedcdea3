/**
 * Which files a scenario may name, and reading them. A scenario (or suite) may read files inside
 * its own folder (subfolders included), inside the repository's scenarios/ and data/ folders
 * (the shipped link profiles, traces and libwebrtc's tables), and inside any folder given with
 * `glasslab run --allow-path <dir>`. Paths are compared after every symlink is resolved. Runs with
 * a link need root, so without this rule an untrusted scenario could read any file of the host.
 * Every read goes through readNamedFileSync (regular files only, a size limit per kind).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { readNamedFileSync, type NamedFileKind } from '../../src/shared/named-file.ts';
import { repositoryRoot } from '../../src/shared/repository-root.ts';


/** The repository's folders every scenario may read: scenarios/ and data/. */
export const SHIPPED_FILE_ROOTS: readonly string[] = [path.join(repositoryRoot, 'scenarios'), path.join(repositoryRoot, 'data')];

/** Where a scenario's named files may lie: real paths of the allowed folders. */
export interface ScenarioFileAccess {
  readonly roots: readonly string[];
}

function real(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir); // a folder that does not exist holds nothing to read
  }
}

/**
 * The access of a scenario or suite file: its own folder, the shipped folders and `allowPaths`
 * (the --allow-path folders, relative to the working directory).
 */
export function scenarioFileAccess(file: string, allowPaths: readonly string[] = []): ScenarioFileAccess {
  return { roots: [...new Set([path.dirname(path.resolve(file)), ...SHIPPED_FILE_ROOTS, ...allowPaths].map(real))] };
}

/**
 * Reads a file a scenario field names; the error says why (path, type, size or confinement, and
 * how to allow a folder), never what the file holds. Without `access` only type and size are checked.
 */
export function readScenarioFile(file: string, kind: NamedFileKind, access: ScenarioFileAccess | undefined): { text: string } | { error: string } {
  const read = readNamedFileSync(file, kind, access ? { within: access.roots } : {});
  if ('text' in read) return read;
  const { error } = read;
  if (error.code === 'FILE_OUTSIDE') {
    return { error: `${error.message}; to allow it, run with --allow-path ${path.dirname(error.file)}` };
  }
  return { error: error.message };
}
