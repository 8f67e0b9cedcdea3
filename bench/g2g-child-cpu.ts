/**
 * What the sender and receiver processes cost in CPU, read from a run folder's run.ndjson: the
 * `child-stopped` events carry each child's process.cpuUsage (src/control/process-cpu.ts), the
 * `phase` events when each setup phase began. Per frame = CPU from the run's start to its stop ÷
 * frames sent (sender) or received (receiver); startup = CPU before the run started (loading
 * modules, opening Vulkan and the encoder, negotiating), which is where tsx costs most.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseNdjson } from '../src/shared/ndjson.ts';

export interface ChildCpu {
  role: 'sender' | 'receiver';
  frames: number;
  cpuStartupMs: number;
  cpuRunningMs: number;
  cpuUsPerFrame: number;
}

export interface RunCpu {
  children: ChildCpu[];
  /** orchestrator wall time from spawning the children until both reported ready, ms */
  startToConfiguredMs: number | null;
}

interface EventRecord {
  type: string;
  name?: string;
  timeMs?: number;
  detail?: Record<string, unknown>;
}

export async function readRunCpu(runDir: string): Promise<RunCpu> {
  const events = parseNdjson(await readFile(path.join(runDir, 'run.ndjson'), 'utf8')).records as EventRecord[];
  const children: ChildCpu[] = [];
  for (const event of events) {
    if (event.name !== 'child-stopped' || !event.detail) continue;
    const detail = event.detail as Record<string, number | string>;
    const role = detail.role === 'sender' ? 'sender' : 'receiver';
    const frames = Number(role === 'sender' ? detail.framesSent : detail.framesReceived);
    const running = Number(detail.cpuRunningMs);
    children.push({ role, frames, cpuStartupMs: Number(detail.cpuTotalMs) - running, cpuRunningMs: running, cpuUsPerFrame: frames > 0 ? (running * 1000) / frames : NaN });
  }
  const phaseAt = (name: string): number | undefined => events.find((e) => e.name === 'phase' && e.detail?.name === name)?.timeMs;
  const starting = phaseAt('starting');
  const connecting = phaseAt('connecting');
  return { children, startToConfiguredMs: starting !== undefined && connecting !== undefined ? connecting - starting : null };
}
