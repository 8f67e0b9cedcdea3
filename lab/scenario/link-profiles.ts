/**
 * Ready-made link profiles (scenarios/links/*.yaml): each names its source. Loading validates
 * the profile and resolves it (trace files relative to the profile's folder).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { linkProfileSchema } from './link-schema.ts';
import { LinkScenarioError, resolveLink, type ResolvedLink } from './link-resolve.ts';
import { readScenarioFile, type ScenarioFileAccess } from './scenario-files.ts';
import { fromRepositoryRoot } from '../../src/shared/repository-root.ts';

/** Folder of the profiles shipped with the project. */
export const linkProfilesDir = fromRepositoryRoot('scenarios/links');

export interface LinkProfile {
  name: string;
  source: string;
  description?: string;
  resolved: ResolvedLink;
  /** the file's `link:` and `timeline:` as written (a scenario merges its backend and seed into them) */
  raw: { link: Record<string, unknown>; timeline?: unknown };
}

/**
 * The YAML value of a profile's text, or an error naming the line and yaml's error code: never
 * the text there (a scenario may name any file as its profile).
 */
function parseProfileYaml(text: string, file: string): { doc: unknown } | { error: LinkScenarioError } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const first = document.errors[0];
  if (first) return { error: new LinkScenarioError([`${file}:${lineCounter.linePos(first.pos[0]).line}: not a YAML link profile (${first.code})`]) };
  try {
    return { doc: document.toJS({ maxAliasCount: 100 }) };
  } catch {
    return { error: new LinkScenarioError([`${file}: not a YAML link profile (bad alias)`]) };
  }
}

/**
 * Loads one profile file; errors name the file and the field. `access` (when given) confines the
 * profile and its trace files to the scenario's allowed folders.
 */
export function loadLinkProfile(file: string, access?: ScenarioFileAccess): { profile: LinkProfile } | { error: LinkScenarioError } {
  const read = readScenarioFile(file, 'linkProfile', access);
  if ('error' in read) return { error: new LinkScenarioError([read.error]) };
  const yaml = parseProfileYaml(read.text, file);
  if ('error' in yaml) return yaml;
  const { doc } = yaml;
  const parsed = linkProfileSchema.safeParse(doc);
  if (!parsed.success) {
    return { error: new LinkScenarioError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.')}: ${i.message}`)) };
  }
  const raw = doc as LinkProfile['raw'];
  const r = resolveLink(raw.link, raw.timeline, path.dirname(file), 'link', access);
  if ('error' in r) return { error: new LinkScenarioError(r.error.issues.map((i) => `${file}: ${i}`)) };
  return {
    profile: { name: parsed.data.name, source: parsed.data.source, ...(parsed.data.description ? { description: parsed.data.description } : {}), resolved: r.link, raw },
  };
}

/** Paths of the shipped profiles. */
export function listLinkProfiles(dir = linkProfilesDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}
