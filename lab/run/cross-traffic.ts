/**
 * Competing flows through the run's link (scenario `crossTraffic`): iperf3 TCP between the
 * run's namespaces, the server in the receiving one, the client started at the flow's time from
 * media start, so the media shares the link's capacity with a Cubic flow as on a real access
 * link. Each flow's start and end (with iperf3's own figures: throughput received,
 * retransmissions) are events in run.ndjson; a flow that cannot run says why there and the run
 * goes on. Every iperf3 process is killed at the end of the run (and with the orchestrator).
 */
import { execa, type ResultPromise } from 'execa';
import type { ResolvedCrossFlow } from '../scenario/schema.ts';

type Role = 'sender' | 'receiver';

/** What the flows need of the run's network (lab/run/run-link.ts RunLink). */
export interface CrossTrafficNetwork {
  hostAddress(role: Role): string;
  wrapper(role: Role): string[];
}

export type CrossTrafficEvent = (name: string, detail: Record<string, string | number | boolean | null>) => void;

/** The first TCP port the flows' servers listen on (one port per flow). */
const BASE_PORT = 5301;
/** The server's head start before its client connects, ms. */
const SERVER_START_MS = 300;

/** iperf3's JSON summary: the bits per second the receiver got and the sender's retransmissions. */
export function iperfSummary(json: string): { receivedBps: number | null; retransmits: number | null; error: string | null } {
  try {
    const parsed = JSON.parse(json) as { error?: unknown; end?: { sum_received?: { bits_per_second?: unknown }; sum_sent?: { retransmits?: unknown } } };
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    return {
      receivedBps: num(parsed.end?.sum_received?.bits_per_second),
      retransmits: num(parsed.end?.sum_sent?.retransmits),
      error: typeof parsed.error === 'string' ? parsed.error : null,
    };
  } catch {
    return { receivedBps: null, retransmits: null, error: `iperf3 printed no JSON: ${json.slice(0, 200)}` };
  }
}

export interface CrossTraffic {
  /** Stops every flow still running and waits for their processes. */
  stop(): Promise<void>;
}

export function startCrossTraffic(flows: readonly ResolvedCrossFlow[], network: CrossTrafficNetwork, mediaStartMs: number, nowMs: () => number, event: CrossTrafficEvent): CrossTraffic {
  const processes: ResultPromise[] = [];
  const timers: NodeJS.Timeout[] = [];
  const run = (role: Role, args: string[]): ResultPromise => {
    const [command, ...prefix] = network.wrapper(role);
    const child = execa(command!, [...prefix, 'iperf3', ...args], { stdin: 'ignore', reject: false, cleanup: true });
    processes.push(child);
    return child;
  };
  flows.forEach((flow, index) => {
    const serverRole: Role = flow.direction === 'up' ? 'receiver' : 'sender';
    const clientRole: Role = flow.direction === 'up' ? 'sender' : 'receiver';
    const port = String(BASE_PORT + index);
    const server = run(serverRole, ['-s', '-1', '-B', network.hostAddress(serverRole), '-p', port]);
    void server.then((r) => {
      if (r.exitCode !== 0 && !r.isTerminated) event('cross-traffic-failed', { index, message: `iperf3 server: ${String(r.stderr || r.stdout).slice(0, 300)}` });
    });
    const startIn = Math.max(SERVER_START_MS, mediaStartMs + flow.atMs - nowMs());
    timers.push(
      setTimeout(() => {
        const seconds = Math.max(1, Math.round(flow.durationMs / 1000));
        event('cross-traffic-start', { index, kind: flow.kind, direction: flow.direction, durationS: seconds });
        const client = run(clientRole, ['-c', network.hostAddress(serverRole), '-p', port, '-B', network.hostAddress(clientRole), '-t', String(seconds), '-J']);
        void client.then((r) => {
          const summary = iperfSummary(String(r.stdout));
          if (summary.error !== null || r.exitCode !== 0) {
            event('cross-traffic-failed', { index, message: summary.error ?? `iperf3 exited ${r.exitCode ?? 'by a signal'}: ${String(r.stderr).slice(0, 300)}` });
            return;
          }
          event('cross-traffic-end', { index, receivedBps: summary.receivedBps, retransmits: summary.retransmits });
        });
      }, startIn),
    );
  });
  return {
    async stop(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      for (const child of processes) child.kill('SIGTERM');
      await Promise.race([Promise.all(processes), new Promise((resolve) => setTimeout(resolve, 3000))]);
      for (const child of processes) child.kill('SIGKILL');
    },
  };
}
