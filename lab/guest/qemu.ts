/**
 * Runs one shell command as root inside a qemu TCG guest booted from Debian's stock kernel with
 * the host's `/` shared read-only (see initramfs.ts). Never `-enable-kvm`: /dev/kvm here is PVM
 * and stock kernels die under it. qemu always runs under `timeout` in its own process group,
 * killed on every exit path (done, error, parent exit, SIGINT/SIGTERM). qemu's exit code says
 * nothing; the result is what /init left in the writable share.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildInitramfs, guestOutDir, hostRootTag, initMarker, outTag } from './initramfs.ts';
import { type GuestKernel, guestCacheDir } from './kernel.ts';

export interface GuestRunOptions {
  /** shell command line run by /bin/sh inside the chroot, as root */
  command: string;
  /** working folder inside the guest (a host path: the host's `/` is the guest's) */
  cwd: string;
  /** extra environment; PATH is the host's unless given */
  env?: Record<string, string>;
  /** whole guest, boot included, ms; qemu is killed after it */
  timeoutMs: number;
  /** default 2 */
  cpus?: number;
  /** MiB, default 2048 */
  memoryMiB?: number;
  /** lines of the serial console as they come */
  onConsole?: (line: string) => void;
}

export interface GuestRunResult {
  /** the command's exit code; undefined when it never finished (see `failure`) */
  exitCode?: number;
  /** the command's stdout and stderr, interleaved */
  output: string;
  /** what the command wrote into $GLASSLAB_GUEST_OUT, by file name (text) */
  files: Record<string, string>;
  /** why the command has no exit code (timeout, /init failure), with the console's tail */
  failure?: string;
  /** host ms from qemu's start to /init's "ready" line (kernel, modules, mounts) */
  bootMs?: number;
  /** guest uptime (s) when /init was ready and when the command ended */
  guestUptimeReadyS?: number;
  guestUptimeDoneS?: number;
  /** host ms from qemu's start to its exit */
  wallMs: number;
  console: string;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

const live = new Set<number>();
let handlersInstalled = false;
function killAll(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/** Why this machine cannot run the guest, or undefined when it can (qemu, timeout, busybox present). */
export function guestUnavailableReason(): string | undefined {
  for (const tool of ['/usr/bin/qemu-system-x86_64', '/bin/busybox', '/usr/bin/timeout']) {
    if (!existsSync(tool)) return `${tool} is missing (bash scripts/setup.sh as root installs qemu-system-x86 and busybox-static)`;
  }
  return undefined;
}

/** The qemu argument list (after the binary). */
export function qemuArgs(vmlinux: string, initrd: string, outDir: string, cpus: number, memoryMiB: number): string[] {
  return [
    '-accel', 'tcg', '-cpu', 'max', '-smp', String(cpus), '-m', `${memoryMiB}M`,
    '-nographic', '-no-reboot', '-nic', 'none',
    '-kernel', vmlinux, '-initrd', initrd,
    '-append', 'console=ttyS0 panic=-1 quiet',
    '-virtfs', `local,path=/,mount_tag=${hostRootTag},security_model=none,readonly=on,multidevs=remap`,
    '-virtfs', `local,path=${outDir},mount_tag=${outTag},security_model=none,multidevs=remap`,
  ];
}

/** Boots the guest, runs the command, returns what it left. */
export async function runInGuest(kernel: GuestKernel, repoRoot: string, options: GuestRunOptions): Promise<GuestRunResult> {
  const unavailable = guestUnavailableReason();
  if (unavailable) throw new Error(`cannot run the guest: ${unavailable}`);
  const runsDir = path.join(guestCacheDir(repoRoot), 'runs');
  mkdirSync(runsDir, { recursive: true });
  const work = mkdtempSync(path.join(runsDir, 'run-'));
  const outDir = path.join(work, 'out');
  mkdirSync(outDir);
  try {
    const initrd = path.join(work, 'initramfs.cpio');
    writeFileSync(initrd, buildInitramfs(kernel));
    const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', GLASSLAB_GUEST: '1', GLASSLAB_GUEST_OUT: guestOutDir, ...options.env };
    const exports = Object.entries(env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`guest env: bad variable name "${k}"`);
      return `export ${k}=${shellQuote(v)}`;
    });
    writeFileSync(path.join(outDir, 'command.sh'), `${exports.join('\n')}\ncd ${shellQuote(options.cwd)} || exit 125\n${options.command}\n`);

    const timeoutS = Math.max(1, Math.ceil(options.timeoutMs / 1000));
    const args = ['-k', '3', String(timeoutS), '/usr/bin/qemu-system-x86_64', ...qemuArgs(kernel.vmlinuxPath, initrd, outDir, options.cpus ?? 2, options.memoryMiB ?? 2048)];
    installHandlers();
    const started = performance.now();
    let bootMs: number | undefined;
    let consoleText = '';
    const child = spawn('/usr/bin/timeout', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) live.add(child.pid);
    let pending = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      consoleText = (consoleText + text).slice(-200_000);
      pending += text;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (bootMs === undefined && line.includes(initMarker.ready)) bootMs = performance.now() - started;
        options.onConsole?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('exit', (code) => resolve({ code }));
    });
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone
      }
      live.delete(child.pid);
    }
    const wallMs = performance.now() - started;
    const read = (name: string) => (existsSync(path.join(outDir, name)) ? readFileSync(path.join(outDir, name), 'utf8') : undefined);
    const exitText = read('exit-code');
    const files: Record<string, string> = {};
    for (const name of readdirSync(outDir)) {
      if (!['command.sh', 'output.txt', 'exit-code', 'ready-uptime', 'done-uptime'].includes(name)) files[name] = read(name) ?? '';
    }
    const tail = consoleText.split('\n').slice(-15).join('\n');
    let failure: string | undefined;
    if (exitText === undefined) {
      if (exit.error) failure = `qemu did not start: ${exit.error.message}`;
      else if (exit.code === 124 || exit.code === 137) failure = `the guest ran past ${timeoutS} s and was killed`;
      else if (consoleText.includes(initMarker.failed)) failure = `/init failed: ${consoleText.slice(consoleText.indexOf(initMarker.failed)).split('\n')[0]}`;
      else failure = `the guest stopped without a result (qemu exit ${exit.code ?? 'signal'})`;
      failure += `\n--- console tail ---\n${tail}`;
    }
    const uptime = (name: string) => {
      const v = read(name);
      return v === undefined ? undefined : Number(v.trim());
    };
    const result: GuestRunResult = { output: read('output.txt') ?? '', files, wallMs, console: consoleText };
    if (exitText !== undefined) result.exitCode = Number(exitText.trim());
    if (failure !== undefined) result.failure = failure;
    if (bootMs !== undefined) result.bootMs = bootMs;
    const ready = uptime('ready-uptime');
    const done = uptime('done-uptime');
    if (ready !== undefined) result.guestUptimeReadyS = ready;
    if (done !== undefined) result.guestUptimeDoneS = done;
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
