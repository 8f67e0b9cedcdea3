/**
 * A minimal newc ("070701") cpio writer, the initramfs format the kernel unpacks: a 110-byte
 * ASCII-hex header per entry, the NUL-terminated name, the data, each padded to 4 bytes, and a
 * `TRAILER!!!` entry at the end. Directories, regular files and symlinks; owner root.
 */

export type CpioEntry =
  | { kind: 'dir'; name: string; mode?: number }
  | { kind: 'file'; name: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; name: string; target: string };

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

function header(ino: number, mode: number, size: number, nameSize: number): Buffer {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameSize, 0];
  return Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
}

/** The archive bytes; names are relative (no leading "/"), parents before children. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const add = (ino: number, mode: number, name: string, data: Buffer) => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    push(header(ino, mode, data.length, nameBytes.length));
    push(nameBytes);
    push(pad4(offset));
    push(data);
    push(pad4(offset));
  };
  entries.forEach((entry, i) => {
    if (entry.name.startsWith('/') || entry.name.length === 0) throw new Error(`cpio: entry name must be relative and non-empty, got "${entry.name}"`);
    const ino = i + 1;
    if (entry.kind === 'dir') add(ino, 0o040000 | (entry.mode ?? 0o755), entry.name, Buffer.alloc(0));
    else if (entry.kind === 'file') add(ino, 0o100000 | (entry.mode ?? 0o644), entry.name, entry.data);
    else add(ino, 0o120000 | 0o777, entry.name, Buffer.from(entry.target, 'utf8'));
  });
  add(0, 0, 'TRAILER!!!', Buffer.alloc(0));
  return Buffer.concat(parts);
}
