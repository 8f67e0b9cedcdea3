/**
 * A Chromium that cannot start fails with its own words: the launcher's error carries what the
 * browser printed. A stand-in executable plays the broken browser (no real Chromium needed).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumError, chromiumUnavailableReason, launchChromiumPeer } from '../../src/chromium/browser.ts';

describe('launchChromiumPeer when the browser cannot start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-fake-chromium-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects with ChromiumError carrying the browser's own message", async () => {
    const broken = path.join(dir, 'chromium');
    await writeFile(broken, '#!/bin/sh\necho "[1204/000000.000:FATAL:zygote_host_impl_linux.cc(127)] No usable sandbox!" >&2\nexit 1\n');
    await chmod(broken, 0o755);
    const error = await launchChromiumPeer({ html: '<body data-ready="true">', script: '' }, { executable: broken, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChromiumError);
    expect((error as Error).message).toMatch(/Chromium did not start: .*No usable sandbox/s);
  });

  it('names the missing executable and its Debian package', async () => {
    const absent = path.join(dir, 'no-such-chromium');
    expect(chromiumUnavailableReason(absent)).toBe(`${absent} is not installed (Debian package chromium)`);
    await expect(launchChromiumPeer({ html: '', script: '' }, { executable: absent })).rejects.toThrow(/is not installed \(Debian package chromium\)/);
  });
});
