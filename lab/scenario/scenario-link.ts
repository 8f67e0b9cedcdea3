/**
 * Resolves a scenario's `link:` and `timeline:` (raw YAML values, units as written): "none"
 * (loopback, no emulator), link fields (link-schema.ts), or `{ profile: name }` naming a profile
 * of scenarios/links (or a profile file path relative to the scenario), with only `backend`,
 * `seed` and `scheduling` beside it. A scenario `timeline:` replaces the profile's. Returns issues with their path
 * inside the scenario, never throws.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { linkProfilesDir, loadLinkProfile } from './link-profiles.ts';
import { resolveLink } from './link-resolve.ts';
import type { ScenarioFileAccess } from './scenario-files.ts';
import type { ResolvedScenario } from './schema.ts';

/** One problem of a scenario's link: dotted path inside the scenario and what is wrong. */
export interface ScenarioLinkIssue {
  path: string;
  message: string;
}

const PROFILE_COMPANIONS = new Set(['profile', 'backend', 'seed', 'scheduling']);

function splitIssue(text: string): ScenarioLinkIssue {
  const at = text.indexOf(': ');
  return at < 0 ? { path: 'link', message: text } : { path: text.slice(0, at), message: text.slice(at + 2) };
}

/** Path of a named profile: a file path (relative to the scenario's folder) or a shipped profile's name. */
export function profilePath(profile: string, scenarioDir: string): string {
  if (profile.includes('/') || profile.endsWith('.yaml') || profile.endsWith('.yml')) return path.resolve(scenarioDir, profile);
  return path.join(linkProfilesDir, `${profile}.yaml`);
}

/** Resolves the link of a scenario whose folder is `scenarioDir`; `access` confines the files it names. */
export function resolveScenarioLink(
  link: unknown,
  timeline: unknown,
  scenarioDir: string,
  access?: ScenarioFileAccess,
): { link: ResolvedScenario['link'] } | { issues: ScenarioLinkIssue[] } {
  if (link === 'none') {
    if (timeline !== undefined) return { issues: [{ path: 'timeline', message: 'a timeline needs a link (link is "none")' }] };
    return { link: 'none' };
  }
  const fields = link as Record<string, unknown>;
  if (typeof fields.profile !== 'string') {
    const r = resolveLink(fields, timeline, scenarioDir, 'link', access);
    return 'error' in r ? { issues: r.error.issues.map(splitIssue) } : { link: r.link };
  }
  const extra = Object.keys(fields).filter((key) => !PROFILE_COMPANIONS.has(key));
  if (extra.length > 0) return { issues: extra.map((key) => ({ path: `link.${key}`, message: 'not allowed beside profile (only backend, seed and scheduling are)' })) };
  const file = profilePath(fields.profile, scenarioDir);
  if (!existsSync(file)) return { issues: [{ path: 'link.profile', message: `no such profile: ${file}` }] };
  const checked = loadLinkProfile(file, access);
  if ('error' in checked) return { issues: checked.error.issues.map((message) => ({ path: 'link.profile', message })) };
  const doc = checked.profile.raw;
  const merged = { ...doc.link, ...(fields.backend !== undefined ? { backend: fields.backend } : {}), ...(fields.seed !== undefined ? { seed: fields.seed } : {}), ...(fields.scheduling !== undefined ? { scheduling: fields.scheduling } : {}) };
  const r = resolveLink(merged, timeline ?? doc.timeline, timeline !== undefined ? scenarioDir : path.dirname(file), 'link', access);
  if ('error' in r) return { issues: r.error.issues.map(splitIssue) };
  return { link: { ...r.link, profile: checked.profile.name } };
}
