/**
 * Debian's stock kernel for the netem guest, fetched and unpacked (never installed) into the
 * repository's ignored `.gl/guest/` cache: the package `linux-image-amd64` currently depends on
 * (resolved with apt-cache, so security updates are followed), `apt-get download`ed, unpacked with
 * `dpkg-deb -x`, the uncompressed `vmlinux` cut out of the bzImage's xz payload (boots ≈ 2.7 s
 * faster under TCG than the compressed bzImage) and a `modules.dep` written from the modules' own
 * `.modinfo` (the package ships none: depmod runs at install time). Re-fetched only when the
 * package name changes.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { modulesDepFromTree } from './modules.ts';

/** The guest kernel could not be prepared; `step` names what failed. */
export class GuestKernelError extends Error {
  readonly code = 'GUEST_KERNEL';
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`guest kernel (${step}): ${message}`);
    this.name = 'GuestKernelError';
  }
}

export interface GuestKernel {
  /** e.g. linux-image-6.1.0-57-amd64 */
  packageName: string;
  /** e.g. 6.1.0-57-amd64 */
  release: string;
  /** uncompressed ELF kernel, for qemu -kernel */
  vmlinuxPath: string;
  /** lib/modules/<release> of the unpacked package, with our modules.dep */
  modulesDir: string;
}

/** `.gl/guest` under the repository root. */
export function guestCacheDir(repoRoot: string): string {
  return path.join(repoRoot, '.gl', 'guest');
}

/** The kernel package the meta package depends on today, from `apt-cache depends` output. */
export function kernelPackageFromDepends(aptCacheOutput: string): string {
  const match = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b/.exec(aptCacheOutput);
  if (!match?.[1]) throw new GuestKernelError('apt-cache', `no linux-image-<version>-amd64 dependency in: ${aptCacheOutput.trim().slice(0, 200)}`);
  return match[1];
}

const xzMagic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const elfMagic = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * The ELF vmlinux inside a bzImage: the first xz stream (after the setup code) that decompresses
 * to an ELF image. `xz --single-stream` ignores what follows the stream (the bzImage's trailer).
 */
export async function extractVmlinux(bzImage: Buffer): Promise<Buffer> {
  for (let at = bzImage.indexOf(xzMagic); at >= 0; at = bzImage.indexOf(xzMagic, at + 1)) {
    const r = await execa('xz', ['-dc', '--single-stream'], { input: bzImage.subarray(at), encoding: 'buffer', reject: false, maxBuffer: 1 << 30 });
    const out = Buffer.from(r.stdout);
    if (out.length > 1 << 20 && out.subarray(0, 4).equals(elfMagic)) return out;
  }
  throw new GuestKernelError('vmlinux', 'no xz stream in the bzImage decompresses to an ELF kernel');
}

function cached(dir: string, packageName: string): GuestKernel | undefined {
  const vmlinuxPath = path.join(dir, 'vmlinux');
  const modulesRoot = path.join(dir, 'root', 'lib', 'modules');
  if (!existsSync(vmlinuxPath) || !existsSync(modulesRoot)) return undefined;
  const release = readdirSync(modulesRoot)[0];
  if (!release) return undefined;
  const modulesDir = path.join(modulesRoot, release);
  if (!existsSync(path.join(modulesDir, 'modules.dep'))) return undefined;
  return { packageName, release, vmlinuxPath, modulesDir };
}

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof GuestKernelError) throw error;
    const e = error as { stderr?: unknown; message: string };
    const detail = typeof e.stderr === 'string' && e.stderr.trim() ? e.stderr.trim().split('\n').slice(-3).join(' | ') : e.message;
    throw new GuestKernelError(name, detail);
  }
}

/**
 * Returns the cached kernel for today's package, fetching it first when needed (network to
 * Debian's mirror; ≈ 70 MB). Older packages' folders are removed once the new one is ready.
 */
export async function ensureGuestKernel(repoRoot: string, log: (line: string) => void = () => {}): Promise<GuestKernel> {
  const base = guestCacheDir(repoRoot);
  const depends = await step('apt-cache', () => execa('apt-cache', ['depends', 'linux-image-amd64']));
  const packageName = kernelPackageFromDepends(depends.stdout);
  const dir = path.join(base, packageName);
  const hit = cached(dir, packageName);
  if (hit) return hit;

  log(`fetching ${packageName} into ${dir}`);
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await step('apt-get download', () => execa('apt-get', ['download', '-q', packageName], { cwd: work }));
  const deb = readdirSync(work).find((f) => f.startsWith(`${packageName}_`) && f.endsWith('.deb'));
  if (!deb) throw new GuestKernelError('apt-get download', `no ${packageName}_*.deb in ${work}`);
  await step('dpkg-deb -x', () => execa('dpkg-deb', ['-x', path.join(work, deb), path.join(work, 'root')]));
  rmSync(path.join(work, deb));
  const boot = path.join(work, 'root', 'boot');
  const vmlinuz = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new GuestKernelError('unpack', `no vmlinuz-* in ${boot}`);
  writeFileSync(path.join(work, 'vmlinux'), await step('vmlinux', () => extractVmlinux(readFileSync(path.join(boot, vmlinuz)))));
  const release = vmlinuz.slice('vmlinuz-'.length);
  const modulesDir = path.join(work, 'root', 'lib', 'modules', release);
  writeFileSync(path.join(modulesDir, 'modules.dep'), modulesDepFromTree(modulesDir));

  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  for (const old of readdirSync(base)) {
    if (old !== packageName && old.startsWith('linux-image-')) rmSync(path.join(base, old), { recursive: true, force: true });
  }
  const ready = cached(dir, packageName);
  if (!ready) throw new GuestKernelError('cache', `${dir} is incomplete after unpacking`);
  return ready;
}
