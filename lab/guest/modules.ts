/**
 * Kernel modules for the guest: a `modules.dep` (depmod's format: `path.ko: dep.ko dep.ko`, every
 * dependency transitively) written from each module's own `.modinfo` `depends=` field, and the
 * insmod order for the modules the guest needs read back from it. Nothing loads modules in the
 * guest by itself and the host has no modinfo, so both are done here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Module name as the kernel spells it: file name without `.ko`, dashes as underscores. */
export function moduleName(file: string): string {
  return path.basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replaceAll('-', '_');
}

/** The `depends=` list of a module file's `.modinfo` section (NUL-separated key=value strings). */
export function modinfoDepends(ko: Buffer): string[] {
  const key = Buffer.from('\0depends=');
  const at = ko.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = ko.indexOf(0, start);
  const value = ko.subarray(start, end < 0 ? undefined : end).toString('latin1');
  return value.split(',').filter((d) => d.length > 0);
}

function listModules(dir: string, rel = 'kernel'): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listModules(dir, child));
    else if (entry.name.endsWith('.ko')) out.push(child);
  }
  return out;
}

/** Builds modules.dep text for the unpacked lib/modules/<release> folder. */
export function modulesDepFromTree(modulesDir: string): string {
  const files = listModules(modulesDir).sort();
  const pathOf = new Map(files.map((f) => [moduleName(f), f]));
  const direct = new Map(files.map((f) => [f, modinfoDepends(readFileSync(path.join(modulesDir, f)))]));
  const lines: string[] = [];
  for (const file of files) {
    const seen = new Set<string>();
    const order: string[] = [];
    const visit = (f: string): void => {
      for (const dep of direct.get(f) ?? []) {
        const depFile = pathOf.get(dep);
        if (!depFile || seen.has(depFile)) continue;
        seen.add(depFile);
        order.push(depFile);
        visit(depFile);
      }
    };
    visit(file);
    lines.push(`${file}:${order.map((d) => ` ${d}`).join('')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** modules.dep parsed: module name → its file and the files it depends on. */
export type ModulesDep = Map<string, { file: string; deps: string[] }>;

/** Parses depmod's format; blank lines and `#` comments are ignored. */
export function parseModulesDep(text: string): ModulesDep {
  const out: ModulesDep = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) throw new Error(`modules.dep: no ":" in line "${line}"`);
    const file = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    out.set(moduleName(file), { file, deps });
  }
  return out;
}

/** Names in modules.builtin (one `kernel/...ko` path a line): built in, nothing to load. */
export function parseBuiltin(text: string): Set<string> {
  return new Set(text.split('\n').filter((l) => l.trim()).map((l) => moduleName(l.trim())));
}

/**
 * Files to insmod, dependencies before dependents, each once, for the wanted module names.
 * Built-in modules are skipped; an unknown name is an error naming it.
 */
export function insmodOrder(dep: ModulesDep, builtin: Set<string>, wanted: readonly string[]): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const byFile = new Map([...dep.values()].map((m) => [m.file, m]));
  const place = (file: string, trail: string[]): void => {
    if (placed.has(file)) return;
    if (trail.includes(file)) throw new Error(`modules.dep: dependency cycle ${[...trail, file].join(' -> ')}`);
    for (const d of byFile.get(file)?.deps ?? []) place(d, [...trail, file]);
    placed.add(file);
    order.push(file);
  };
  for (const name of wanted) {
    const key = name.replaceAll('-', '_');
    if (builtin.has(key)) continue;
    const entry = dep.get(key);
    if (!entry) throw new Error(`kernel module "${name}" is neither in modules.dep nor built in`);
    place(entry.file, []);
  }
  return order;
}
