import { access } from 'node:fs/promises';
import { type CommandRunner, describeFailure } from './exec.ts';
import { type CheckResult, makeCheck } from './types.ts';

/** What the lab gives up without an NVIDIA GPU. */
export const noNvidiaDetail = 'no NVIDIA GPU: zero-copy and NVENC paths will be skipped';

/** One GPU as nvidia-smi reports it. */
export interface NvidiaGpu {
  name: string;
  driverVersion: string;
  /** total memory, MiB */
  memoryMiB: number;
}

/** Parses `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(text: string): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of text.split('\n')) {
    const [name, driverVersion, memory] = line.split(',').map((s) => s.trim());
    if (!name || !driverVersion || memory === undefined) continue;
    gpus.push({ name, driverVersion, memoryMiB: Number(memory) });
  }
  return gpus;
}

/** Whether a path exists (injected for tests). */
export type PathExists = (path: string) => Promise<boolean>;

const defaultPathExists: PathExists = async (path) =>
  access(path).then(
    () => true,
    () => false,
  );

/** NVIDIA GPU (optional): /dev/nvidia0 and nvidia-smi. */
export async function probeNvidia(
  exec: CommandRunner,
  pathExists: PathExists = defaultPathExists,
): Promise<CheckResult<{ gpus: NvidiaGpu[] }>> {
  const base = { name: 'nvidia', area: 'nvidia', required: false } as const;
  const hasNode = await pathExists('/dev/nvidia0');
  const outcome = await exec('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits']);
  if (outcome.kind === 'not-found') {
    const why = describeFailure('nvidia-smi', outcome);
    const detail = hasNode ? `/dev/nvidia0 present but ${why}; ${noNvidiaDetail}` : noNvidiaDetail;
    return makeCheck(base, 'missing', detail);
  }
  if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
    return makeCheck(base, 'missing', `${describeFailure('nvidia-smi', outcome)}; ${noNvidiaDetail}`);
  }
  const gpus = parseNvidiaSmi(outcome.stdout);
  if (gpus.length === 0) return makeCheck(base, 'missing', `nvidia-smi lists no GPU; ${noNvidiaDetail}`);
  const first = gpus[0] as NvidiaGpu;
  const detail = `${gpus.length} GPU${gpus.length > 1 ? 's' : ''}: ${first.name}, driver ${first.driverVersion}, ${first.memoryMiB} MiB`;
  return makeCheck(base, 'ok', detail, { data: { gpus }, more: gpus.slice(1).map((g) => `${g.name}, ${g.memoryMiB} MiB`) });
}
