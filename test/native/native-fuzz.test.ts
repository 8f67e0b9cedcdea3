/**
 * The native boundary never kills Node: every entry point of the addon, driven with random
 * arguments and call orders (fast-check, fixed seed), answers with JS errors only. The drive runs
 * in a child process (fixtures/native-fuzz.ts), so that a crash shows as that child dying by its
 * signal. As root the child gets a network namespace of its own (unshare -n): TUN devices,
 * namespaces and UDP probes are exercised there and vanish with it.
 *
 * The child's data segment is capped (ulimit -d) so that an unchecked multi-GiB allocation fails
 * as std::bad_alloc, as it would on a smaller machine, instead of slowly succeeding.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canMakeNamespaces } from '../link/helpers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = path.join(root, 'test/native/fixtures/native-fuzz.ts');
const ownNetns = canMakeNamespaces();

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the fixture with `args` under the memory cap (and in its own netns when root). */
function runChild(args: string[]): Promise<ChildResult> {
  const node = [process.execPath, '--import', 'tsx', fixture, ...args, ...(ownNetns ? ['--netns'] : [])];
  const command = ownNetns ? ['unshare', '-n', ...node] : node;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'ulimit -d 6000000 && exec "$@"', 'sh', ...command], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function lastJson(result: ChildResult): Record<string, unknown> {
  const line = result.stdout.trim().split('\n').pop() ?? '';
  expect(result.signal, `child died by ${result.signal}; stderr: ${result.stderr.slice(-2000)}`).toBeNull();
  expect(result.code, result.stderr.slice(-2000)).toBe(0);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Entry points each fuzz run must reach (all of them: see native/src/*.cc registrars). */
const everywhere = [
  'LinkModel()', 'LinkModel.offer', 'LinkModel.pollRelease', 'LinkModel.pollTimeout', 'LinkModel.drainFates', 'LinkModel.setParams', 'LinkModel.held',
  'linkModelCost', 'readMarker', 'writeMarker', 'monotonicNowNs', 'listVulkanDevices', 'probeEncoders',
  'probeCapturePaths', 'decideZeroCopy', 'zeroCopyVulkanCheck',
  'Encoder()', 'Encoder.encode', 'Encoder.setBitrate', 'Encoder.requestKeyframe', 'Encoder.close',
  'Decoder()', 'Decoder.decode', 'Decoder.close',
  'FrameSource()', 'FrameSource.start', 'FrameSource.stop', 'FrameSource.captureOne', 'FrameSource.stats', 'FrameSource.close',
  'device (getter)', 'deviceChoice (getter)', 'capturePath (getter)', 'device (getter, wrong this)',
];
const inOwnNetns = ['LinkDataPlane()', 'LinkDataPlane.start', 'LinkDataPlane.stop', 'LinkDataPlane.setParams', 'LinkDataPlane.stats', 'holdNewNetns', 'releaseNetns', 'udpProbe'];

describe('native boundary under random arguments and call orders', () => {
  it('every entry point survives 300 random sequences (seed 20261202) with JS errors only', { timeout: 90_000 }, async () => {
    const result = await runChild(['fuzz', '20261202', '300']);
    const summary = lastJson(result) as { ok: boolean; failure: string | null; violations: string[]; calls: Record<string, number>; errors: Record<string, number> };
    expect(summary.failure).toBeNull();
    expect(summary.violations).toEqual([]);
    expect(summary.ok).toBe(true);
    for (const entry of [...everywhere, ...(ownNetns ? inOwnNetns : [])]) expect(summary.calls[entry] ?? 0, entry).toBeGreaterThan(0);
    // hostile input was refused, not silently accepted
    expect(Object.values(summary.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    expect(result.ms).toBeLessThan(30_000);
  });

  it('offer() of a 4 GiB packet is a RangeError, not std::bad_alloc terminating Node', async () => {
    expect(lastJson(await runChild(['case', 'offer-huge']))).toEqual({ case: 'offer-huge', outcome: 'ERR_LINK_ARGS: LinkModel.offer: packet size must be an integer in 0..65535 (got 4294967295)' });
  });

  it('releaseNetns refuses an fd it did not hand out (fd 0 stays open)', async () => {
    const summary = lastJson(await runChild(['case', 'release-foreign-fd']));
    expect(summary.outcome).toMatch(/^ERR_LINK_NETNS_FD: releaseNetns: fd 0 is not a namespace fd held by holdNewNetns/);
  });

  it.skipIf(!ownNetns)('LinkDataPlane.start() after stop() is an ERR_LINK_STOPPED error, not SIGSEGV (needs root and /dev/net/tun)', async () => {
    expect(lastJson(await runChild(['case', 'dataplane-start-after-stop']))).toEqual({
      case: 'dataplane-start-after-stop',
      outcome: 'ERR_LINK_STOPPED: LinkDataPlane.start: the data plane is stopped',
    });
  });
});
