/**
 * A real glasslab run on the netem backend inside the qemu guest (scenarios/guest-netem-tiny.yaml:
 * 320x180, 3 s, netem 10 ms + 1 % loss), proving the userspace link was not used: results.json's
 * environment says backend netem and the run folder has no link.ndjson. Under TCG the run takes
 * ≈ 70 s of guest time (Node/werift start-up dominates; 11 of 90 frames were produced, g2g p50
 * 520 ms), too long for every `npm test`: opt in with GLASSLAB_GUEST_RUN=1.
 */
import { describe, expect, it } from 'vitest';
import { ensureGuestKernel } from '../../lab/guest/kernel.ts';
import { guestUnavailableReason, runInGuest } from '../../lab/guest/qemu.ts';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const why =
  process.env.GLASSLAB_GUEST_RUN !== '1'
    ? 'opt-in: GLASSLAB_GUEST_RUN=1 (≈ 75 s of emulation)'
    : process.env.GLASSLAB_GUEST === '1'
      ? 'already inside the guest'
      : guestUnavailableReason();
const title = why ? `a real run on the netem backend inside the guest (skipped: ${why})` : 'a real run on the netem backend inside the guest';

describe.skipIf(why !== undefined)(title, () => {
  it('runs the tiny scenario through netem, not the userspace link', async () => {
    const kernel = await ensureGuestKernel(repoRoot);
    const command = [
      'node bin/glasslab.js run scenarios/guest-netem-tiny.yaml --runs /tmp/gl-runs > "$GLASSLAB_GUEST_OUT/run.txt" 2>&1',
      'echo "run-exit=$?"',
      'd=$(ls -d /tmp/gl-runs/*/ | head -1)',
      'cp "$d/results.json" "$GLASSLAB_GUEST_OUT/results.json"',
      'ls "$d" > "$GLASSLAB_GUEST_OUT/files.txt"',
    ].join('\n');
    const result = await runInGuest(kernel, repoRoot, { command, cwd: repoRoot, timeoutMs: 240_000 });
    expect(result.failure, result.failure).toBeUndefined();
    expect(result.output, result.files['run.txt']).toContain('run-exit=0');
    const files = (result.files['files.txt'] ?? '').split('\n');
    expect(files).toContain('results.json');
    expect(files).not.toContain('link.ndjson');
    expect(files).not.toContain('link.pcap');
    const results = JSON.parse(result.files['results.json']!) as { environment: { backends: Record<string, string>; kernel: string } };
    expect(results.environment.backends['link.backend']).toBe('netem');
    expect(results.environment.kernel).toMatch(/^6\.1\.0-.*-amd64$/);
  }, 270_000);
});
