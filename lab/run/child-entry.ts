/**
 * How to start one of the run's Node children (sender, receiver, STUN server): compiled from
 * dist/ when the lab itself runs compiled (bin/glasslab.js with a fresh build), else the
 * TypeScript source through tsx. Children follow their parent so one run never mixes a
 * compiled orchestrator with sources that may have changed since the build.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { fromRepositoryRoot, runsCompiled } from '../../src/shared/repository-root.ts';

// tsx's package exports one ESM loader for every condition, so require's resolution finds it
// (and works under vitest, which has no import.meta.resolve)
const tsxLoader = (): string => pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Node arguments that run one child entry: `node ...execArgv entry ...args` */
export interface ChildEntry {
  execArgv: string[];
  entry: string;
  /** which code the child runs, for env.json */
  code: 'compiled' | 'tsx';
}

/** Environment variable that overrides which code the children run (bench/g2g compares both). */
export const CHILD_CODE_ENV = 'GLASSLAB_CHILD_CODE';

/** The code the run's children run: GLASSLAB_CHILD_CODE when set, else what this module runs. */
export function childCode(): ChildEntry['code'] {
  const wanted = process.env[CHILD_CODE_ENV];
  if (wanted === undefined || wanted === '') return runsCompiled ? 'compiled' : 'tsx';
  if (wanted !== 'compiled' && wanted !== 'tsx') throw new Error(`${CHILD_CODE_ENV}=${wanted} is not one of tsx, compiled`);
  return wanted;
}

/** `sourceEntry` is relative to the repository root, e.g. "src/sender/main.ts" */
export function childEntry(sourceEntry: string, compiled = childCode() === 'compiled'): ChildEntry {
  if (!sourceEntry.endsWith('.ts')) throw new Error(`child entry ${sourceEntry} is not a TypeScript source`);
  if (compiled) return { execArgv: [], entry: fromRepositoryRoot('dist', sourceEntry.replace(/\.ts$/, '.js')), code: 'compiled' };
  return { execArgv: ['--import', tsxLoader()], entry: fromRepositoryRoot(sourceEntry), code: 'tsx' };
}
