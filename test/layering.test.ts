// src/ (what the sender and receiver processes run) never imports lab/ (the orchestrator and
// its scenario model): the children are told what to do in plain options (lab/run/child-options.ts).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourcesUnder(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('layering', () => {
  it('no module under src/ imports one under lab/', () => {
    const offenders: string[] = [];
    for (const file of sourcesUnder(path.join(root, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
        const target = path.relative(root, path.resolve(path.dirname(file), match[1]!));
        if (target.startsWith(`lab${path.sep}`)) offenders.push(`${path.relative(root, file)} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
