/**
 * Ready-made link profiles (scenarios/links/*.yaml): each names its source. Loading validates
 * the profile and resolves it (trace files relative to the profile's folder).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { linkProfileSchema } from './link-schema.ts';
import { LinkScenarioError, resolveLink, type ResolvedLink } from './link-resolve.ts';

/** Folder of the profiles shipped with the project. */
export const linkProfilesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scenarios/links');

export interface LinkProfile {
  name: string;
  source: string;
  description?: string;
  resolved: ResolvedLink;
}

/** Loads one profile file; errors name the file and the field. */
export function loadLinkProfile(file: string): { profile: LinkProfile } | { error: LinkScenarioError } {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    return { error: new LinkScenarioError([`${file}: ${(error as Error).message}`]) };
  }
  const parsed = linkProfileSchema.safeParse(doc);
  if (!parsed.success) {
    return { error: new LinkScenarioError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.')}: ${i.message}`)) };
  }
  const raw = doc as { link: unknown; timeline?: unknown };
  const r = resolveLink(raw.link, raw.timeline, path.dirname(file));
  if ('error' in r) return { error: new LinkScenarioError(r.error.issues.map((i) => `${file}: ${i}`)) };
  return {
    profile: { name: parsed.data.name, source: parsed.data.source, ...(parsed.data.description ? { description: parsed.data.description } : {}), resolved: r.link },
  };
}

/** Paths of the shipped profiles. */
export function listLinkProfiles(dir = linkProfilesDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}
