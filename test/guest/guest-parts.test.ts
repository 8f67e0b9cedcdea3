/**
 * The guest harness's pure parts, on the host: newc cpio (read back by busybox's own cpio),
 * modules.dep writing/reading and the insmod order, the kernel package's name, vmlinux out of a
 * bzImage-like blob with garbage around the xz stream.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCpio } from '../../lab/guest/cpio.ts';
import { extractVmlinux, kernelPackageFromDepends } from '../../lab/guest/kernel.ts';
import { insmodOrder, modinfoDepends, moduleName, modulesDepFromTree, parseBuiltin, parseModulesDep } from '../../lab/guest/modules.ts';

const busybox = spawnSync('/bin/busybox', ['cpio', '--help']).error === undefined;

describe('newc cpio writer', () => {
  it.skipIf(!busybox)(`busybox cpio lists and extracts what it wrote${busybox ? '' : ' (skipped: no /bin/busybox)'}`, () => {
    const archive = writeCpio([
      { kind: 'dir', name: 'bin' },
      { kind: 'file', name: 'bin/hello', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
      { kind: 'file', name: 'odd', data: Buffer.from('x'.repeat(13)) },
      { kind: 'symlink', name: 'link', target: 'bin/hello' },
    ]);
    expect(archive.length % 4).toBe(0);
    const dir = mkdtempSync(path.join(tmpdir(), 'gl-cpio-'));
    try {
      const listed = execFileSync('/bin/busybox', ['cpio', '-t'], { input: archive, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
      expect(listed.trim().split('\n')).toEqual(['bin', 'bin/hello', 'odd', 'link']);
      execFileSync('/bin/busybox', ['cpio', '-i', '-d'], { input: archive, cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] });
      expect(execFileSync('sh', [path.join(dir, 'bin/hello')], { encoding: 'utf8' })).toBe('hi\n');
      expect(execFileSync('readlink', [path.join(dir, 'link')], { encoding: 'utf8' }).trim()).toBe('bin/hello');
      expect(execFileSync('cat', [path.join(dir, 'odd')], { encoding: 'utf8' })).toBe('x'.repeat(13));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses absolute or empty names', () => {
    expect(() => writeCpio([{ kind: 'dir', name: '/bin' }])).toThrow(/relative/);
    expect(() => writeCpio([{ kind: 'dir', name: '' }])).toThrow(/relative/);
  });
});

describe('kernel modules', () => {
  const fakeKo = (depends: string) => Buffer.concat([Buffer.from('\x7fELF junk\0license=GPL\0'), Buffer.from(`depends=${depends}\0`), Buffer.from('vermagic=6.1\0')]);

  it('reads depends= from .modinfo and names modules as the kernel does', () => {
    expect(modinfoDepends(fakeKo('virtio,9pnet,virtio_ring'))).toEqual(['virtio', '9pnet', 'virtio_ring']);
    expect(modinfoDepends(fakeKo(''))).toEqual([]);
    expect(modinfoDepends(Buffer.from('no modinfo here'))).toEqual([]);
    expect(moduleName('kernel/drivers/char/hw_random/virtio-rng.ko')).toBe('virtio_rng');
  });

  it('writes modules.dep (transitive) from a module tree and reads back an insmod order', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gl-mods-'));
    try {
      const put = (rel: string, deps: string) => {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), fakeKo(deps));
      };
      put('kernel/fs/9p/9p.ko', '9pnet,fscache,netfs');
      put('kernel/fs/fscache/fscache.ko', 'netfs');
      put('kernel/fs/netfs/netfs.ko', '');
      put('kernel/net/9p/9pnet.ko', '');
      put('kernel/net/9p/9pnet_virtio.ko', 'virtio,9pnet,virtio_ring');
      put('kernel/drivers/virtio/virtio.ko', 'virtio_ring');
      put('kernel/drivers/virtio/virtio_ring.ko', '');
      put('kernel/net/sched/sch_netem.ko', '');
      const text = modulesDepFromTree(dir);
      const dep = parseModulesDep(text);
      expect(dep.get('9p')!.deps.sort()).toEqual(['kernel/fs/fscache/fscache.ko', 'kernel/fs/netfs/netfs.ko', 'kernel/net/9p/9pnet.ko']);
      expect(dep.get('9pnet_virtio')!.deps).toContain('kernel/drivers/virtio/virtio_ring.ko');
      const order = insmodOrder(dep, parseBuiltin('kernel/lib/crc32.ko\n'), ['9pnet_virtio', '9p', 'sch_netem', 'crc32']);
      // each once, every dependency before its dependents, built-ins skipped
      expect(new Set(order).size).toBe(order.length);
      expect(order).toHaveLength(8);
      for (const [file, { deps }] of [...dep.values()].map((m) => [m.file, m] as const)) {
        for (const d of deps) expect(order.indexOf(d), `${d} before ${file}`).toBeLessThan(order.indexOf(file));
      }
      expect(() => insmodOrder(dep, new Set(), ['no_such_module'])).toThrow(/no_such_module/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a dependency cycle and a malformed line', () => {
    const dep = parseModulesDep('a.ko: b.ko\nb.ko: a.ko\n');
    expect(() => insmodOrder(dep, new Set(), ['a'])).toThrow(/cycle/);
    expect(() => parseModulesDep('kernel/x.ko')).toThrow(/no ":"/);
  });
});

describe('kernel package', () => {
  it('takes the versioned image from apt-cache depends, or says what it saw', () => {
    expect(kernelPackageFromDepends('linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n')).toBe('linux-image-6.1.0-57-amd64');
    expect(() => kernelPackageFromDepends('linux-image-amd64\n')).toThrow(/no linux-image-<version>-amd64/);
  });

  it('cuts the ELF kernel out of the xz stream, ignoring what surrounds it', async () => {
    const elf = Buffer.alloc(2 << 20, 7);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46]).copy(elf);
    const xz = execFileSync('xz', ['-c', '-0'], { input: elf });
    const decoy = execFileSync('xz', ['-c', '-0'], { input: Buffer.from('not a kernel') });
    const blob = Buffer.concat([Buffer.from('MZ setup code'), decoy, Buffer.alloc(100, 1), xz, Buffer.from('trailing garbage')]);
    const out = await extractVmlinux(blob);
    expect(out.equals(elf)).toBe(true);
    await expect(extractVmlinux(Buffer.concat([Buffer.from('MZ'), decoy]))).rejects.toThrow(/no xz stream/);
  });
});
