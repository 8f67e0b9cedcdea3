/**
 * The guest's initramfs (newc cpio, built here: no host cpio): busybox-static, the kernel modules
 * the lab needs in insmod order, and an `/init` that mounts the host's `/` read-only over 9p under
 * an overlay whose writable layer is guest memory (the host is never written), gives it its own /run (= /var/run), /dev/shm and /run/netns, `chroot`s into it, runs
 * the host-written `command.sh` as root and leaves its exit code and output in the writable
 * share, then powers off. Busybox only boots the guest: after chroot every tool is the host's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type CpioEntry, writeCpio } from './cpio.ts';
import type { GuestKernel } from './kernel.ts';
import { insmodOrder, parseBuiltin, parseModulesDep } from './modules.ts';

/**
 * Modules the guest loads (what is built in is skipped): the 9p share over virtio-pci, veth and
 * tun for the two link backends, sch_netem (the point of the guest), tbf/htb for doctor's probes.
 */
export const guestModules = ['virtio_pci', '9pnet_virtio', '9p', 'overlay', 'veth', 'tun', 'sch_netem', 'sch_tbf', 'sch_htb'] as const;

/** 9p mount tags and where the guest mounts them. */
export const hostRootTag = 'hostroot';
export const outTag = 'guestout';
/** The writable share inside the chroot (under /tmp, which the overlay makes writable). */
export const guestOutDir = '/tmp/glasslab-guest-out';

/** Lines /init prints on the serial console, for timing and diagnosis. */
export const initMarker = { started: 'glasslab-guest: init', ready: 'glasslab-guest: ready', failed: 'glasslab-guest: FAILED' } as const;

function initScript(moduleFiles: readonly string[]): string {
  const h = '/host';
  const out = `${h}${guestOutDir}`;
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev ${h}
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
up() { cut -d' ' -f1 /proc/uptime; }
fail() { echo "${initMarker.failed}: $*"; poweroff -f; }
echo "${initMarker.started} $(up)"
${moduleFiles.map((f) => `insmod /modules/${path.basename(f)} || fail "insmod ${path.basename(f)}"`).join('\n')}
mkdir -p /lower /rw
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 ${hostRootTag} /lower || fail "mount ${hostRootTag}"
# writes inside the chroot (vitest's caches, run folders) land in guest memory, never on the host
mount -t tmpfs -o mode=755 tmpfs /rw && mkdir -p /rw/upper /rw/work || fail "tmpfs /rw"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay ${h} || fail "overlay on ${hostRootTag}"
# /tmp stays the overlay's (host files visible, writes in guest memory): a repository cloned under
# the host's /tmp (CI workspaces often are) must be where the command runs
mkdir -p ${out}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 ${outTag} ${out} || fail "mount ${outTag}"
mount -t proc proc ${h}/proc
mount -t sysfs sysfs ${h}/sys
mount -t devtmpfs devtmpfs ${h}/dev
mkdir -p ${h}/dev/shm ${h}/dev/pts
mount -t tmpfs -o mode=1777 tmpfs ${h}/dev/shm
mount -t devpts devpts ${h}/dev/pts
mount -t tmpfs -o mode=755 tmpfs ${h}/run || fail "tmpfs /run"
mkdir -p ${h}/run/netns
# /var/run is usually a symlink to /run (resolved inside the chroot); otherwise it gets its own tmpfs
[ -L ${h}/var/run ] || { mount -t tmpfs -o mode=755 tmpfs ${h}/var/run && mkdir -p ${h}/var/run/netns; }
ip link set lo up
up > ${out}/ready-uptime
echo "${initMarker.ready} $(up)"
chroot ${h} /bin/sh ${guestOutDir}/command.sh > ${out}/output.txt 2>&1
echo $? > ${out}/exit-code.tmp && mv ${out}/exit-code.tmp ${out}/exit-code
up > ${out}/done-uptime
sync
poweroff -f
`;
}

/** The initramfs bytes for a kernel (busybox from the host's busybox-static). */
export function buildInitramfs(kernel: GuestKernel, busyboxPath = '/bin/busybox'): Buffer {
  const dep = parseModulesDep(readFileSync(path.join(kernel.modulesDir, 'modules.dep'), 'utf8'));
  const builtin = parseBuiltin(readFileSync(path.join(kernel.modulesDir, 'modules.builtin'), 'utf8'));
  const files = insmodOrder(dep, builtin, guestModules);
  const names = new Set(files.map((f) => path.basename(f)));
  if (names.size !== files.length) throw new Error(`initramfs: two modules share a file name in ${files.join(', ')}`);
  const entries: CpioEntry[] = [
    { kind: 'dir', name: 'bin' },
    { kind: 'file', name: 'bin/busybox', data: readFileSync(busyboxPath), mode: 0o755 },
    { kind: 'dir', name: 'modules' },
    ...files.map((f): CpioEntry => ({ kind: 'file', name: `modules/${path.basename(f)}`, data: readFileSync(path.join(kernel.modulesDir, f)) })),
    { kind: 'file', name: 'init', data: Buffer.from(initScript(files)), mode: 0o755 },
  ];
  return writeCpio(entries);
}
