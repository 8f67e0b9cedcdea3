import { startCrossTraffic, type CrossTraffic } from './cross-traffic.ts';
import { placeTargetUrl, startRelayEndpoints, type RelayEndpoints } from '../relay/run-endpoints.ts';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { ChildConfig, ChildProgress } from '../../src/control/messages.ts';
import type { EventRecord } from '../../src/shared/records.ts';
import { startLocalStunServer } from '../../src/transport/stun-server.ts';
import { NdjsonWriter } from '../../src/shared/ndjson.ts';
import { writeFileAtomic } from '../results/atomic.ts';
import { WriteFailedError } from '../../src/shared/write-error.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import { collectEnvironment } from './environment.ts';
import { receiverRunOptions, senderRunOptions } from './child-options.ts';
import { ControlError, expectFromChild, startControlServer, type ChildChannel, type ControlServer } from './control-server.ts';
import { createRunFolder, RUN_FILES, type RunStatus } from './run-folder.ts';
import { runningStatus, writeRunStatus } from './run-status.ts';
import { CHROMIUM_RECEIVER_ENTRY, CHROMIUM_SENDER_ENTRY, spawnChild, type ChildProcess, type ChildRole } from './children.ts';
import { startRunLink, type LinkBackendChoice, type RunLink } from './run-link.ts';

/** What the caller sees while a run goes on. */
export interface RunProgress {
  elapsedMs: number;
  durationMs: number;
  sender: ChildProgress;
  receiver: ChildProgress;
}

export interface RunOptions {
  /** folder that receives the run folder (default ./runs) */
  runsRoot: string;
  onProgress?: (progress: RunProgress) => void;
  /** a message about the run's phases ("connecting", "running", ...) */
  onPhase?: (phase: string) => void;
  /** aborting stops the run early; it ends as "interrupted" */
  signal?: AbortSignal;
  /** link backend, overriding the scenario's `link.backend` (ignored for `link: none`) */
  linkBackend?: LinkBackendChoice;
}

export interface RunOutcome {
  runDir: string;
  runId: string;
  status: RunStatus;
}

/** A failure of the run itself (not of a budget); `phase` says where it happened. */
export class RunFailedError extends Error {
  readonly code = 'RUN_FAILED';
  constructor(readonly phase: string, readonly detail: string) {
    super(`${phase}: ${detail}`);
    this.name = 'RunFailedError';
  }
}

const CONNECT_TIMEOUT_MS = 40_000;
const SETUP_TIMEOUT_MS = 30_000;
/** time after the sender stops for the last frames to reach the receiver */
const DRAIN_MS = 600;

function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** status.json's message for a run that ended early: the phase (who failed) and what happened. */
function failureMessage(error: unknown): string {
  if (error instanceof RunFailedError && error.phase === 'interrupted') return error.detail;
  if (error instanceof ControlError) return error.phase === 'start' ? `start: ${error.message}` : error.message;
  if (error instanceof WriteFailedError) return `orchestrator: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Rejects as soon as a child reports an error or exits before it should (a child may exit once it
 * has reported "stopped").
 */
function watchChildren(
  channels: Record<ChildRole, ChildChannel>,
  children: ChildProcess[],
  expectExit: { value: boolean },
): Promise<never> {
  const stopped = new Set<ChildRole>();
  return new Promise((_, reject) => {
    for (const role of ['sender', 'receiver'] as const) {
      channels[role].onMessage((m) => {
        if (m.type === 'error') reject(new RunFailedError(role, m.message));
        if (m.type === 'stopped') stopped.add(role);
      });
    }
    for (const child of children) {
      void child.exited.then(({ exitCode, signal }) => {
        if (!expectExit.value && !stopped.has(child.role)) reject(new RunFailedError(child.role, `process exited early (code ${exitCode ?? '-'}, signal ${signal ?? '-'}); see ${child.role}.log`));
      });
    }
  });
}

/**
 * Runs one resolved scenario end to end: run folder, STUN server, sender and receiver processes,
 * signaling, the timed run, stop and drain. Records stay in the run folder whatever happens;
 * status.json says how the run ended. Analysis (results, report) is the caller's next step.
 */
export async function runScenario(scenario: ResolvedScenario, options: RunOptions): Promise<RunOutcome> {
  const { dir: runDir, runId } = await createRunFolder(options.runsRoot, scenario.name);
  const status: RunStatus = runningStatus();
  await writeFileAtomic(path.join(runDir, RUN_FILES.scenario), `${JSON.stringify(scenario, null, 2)}\n`);
  await writeRunStatus(runDir, status);
  // a failed write of the orchestrator's own records ends the run (blaming the orchestrator)
  let ownWriteFailure: (error: WriteFailedError) => void = () => undefined;
  const ownWriteFailed = new Promise<never>((_, reject) => (ownWriteFailure = reject));
  ownWriteFailed.catch(() => undefined);
  const events = new NdjsonWriter<EventRecord>(path.join(runDir, RUN_FILES.runRecords), { onError: (error) => ownWriteFailure(error) });
  const event = (name: string, detail?: Record<string, string | number | boolean | null>): void =>
    events.write({ type: 'event', side: 'orchestrator', timeMs: monotonicMs(), name, ...(detail ? { detail } : {}) });

  let control: ControlServer | undefined;
  const stun = scenario.link === 'none' ? await startLocalStunServer('127.0.0.1') : undefined;
  let network: RunLink | undefined;
  let cross: CrossTraffic | undefined;
  let relayEndpoints: RelayEndpoints | undefined;
  const children: ChildProcess[] = [];
  let statusWriteFailure: WriteFailedError | undefined;
  const expectExit = { value: false };
  event('run-start', { scenario: scenario.name, runId, wallClock: status.startedAt });
  const phase = (name: string): void => {
    event('phase', { name });
    options.onPhase?.(name);
  };

  try {
    control = await startControlServer();
    if (scenario.link !== 'none') {
      phase('link');
      network = await startRunLink(scenario.link, { runDir, seed: scenario.seed, ...(options.linkBackend ? { backend: options.linkBackend } : {}), ...(scenario.relay?.link ? { relayLink: scenario.relay.link } : {}) }).catch((error: unknown) => {
        throw new RunFailedError('link', (error as Error).message);
      });
      event('link-up', { backend: network.backend, reason: network.reason, topology: network.runId });
    }
    if (scenario.relay) {
      // the endpoints listen before the receiver's targets open
      // with relay.link they sit behind the target hop's link, in their own namespace
      const hop = network?.relayHop;
      relayEndpoints = await startRelayEndpoints(scenario.relay.targets, { width: scenario.width, height: scenario.height }, runDir, hop?.wrapper ?? network?.wrapper('receiver'), hop?.endpointAddress).catch((error: unknown) => {
        throw new RunFailedError('starting', `relay endpoint: ${(error as Error).message}`);
      });
    }
    phase('starting');
    const accepted = control.acceptChildren(SETUP_TIMEOUT_MS);
    for (const role of ['receiver', 'sender'] as const) {
      const log = path.join(runDir, role === 'sender' ? RUN_FILES.senderLog : RUN_FILES.receiverLog);
      const chromium = role === 'receiver' ? scenario.receiver?.kind === 'chromium' : scenario.sender?.kind === 'chromium';
      const entry = chromium ? (role === 'receiver' ? CHROMIUM_RECEIVER_ENTRY : CHROMIUM_SENDER_ENTRY) : undefined;
      children.push(spawnChild(role, control, log, network?.wrapper(role) ?? [], entry));
    }
    const channels = await Promise.race([accepted, ownWriteFailed]);
    const failure = watchChildren(channels, children, expectExit);
    const abort = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(new RunFailedError('interrupted', 'the run was interrupted before its planned end'));
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const guard = <T>(work: Promise<T>): Promise<T> => Promise.race([work, failure, abort, ownWriteFailed]);

    const configOf = (role: ChildRole): ChildConfig => {
      const place = { runDir, hostAddress: network?.hostAddress(role) ?? '127.0.0.1', stunUrl: network?.stunUrl(role) ?? stun!.url };
      if (role === 'sender') return { ...place, role, sender: senderRunOptions(scenario) };
      const receiver = receiverRunOptions(scenario);
      const hop = network?.relayHop;
      if (receiver.relay && hop) {
        receiver.relay = { ...receiver.relay, localAddress: hop.forwarderAddress, targets: receiver.relay.targets.map((t) => ({ ...t, url: placeTargetUrl(t.url, hop.endpointAddress) })) };
      }
      return { ...place, role, receiver };
    };
    phase('configuring');
    const readySender = channels.sender.next('ready', SETUP_TIMEOUT_MS);
    const readyReceiver = channels.receiver.next('ready', SETUP_TIMEOUT_MS);
    channels.sender.send({ type: 'configure', config: configOf('sender') });
    channels.receiver.send({ type: 'configure', config: configOf('receiver') });
    const [senderReady, receiverReady] = await guard(Promise.all([readySender, readyReceiver]));
    const linkDetail: Record<string, string> = network
      ? {
          backend: network.backend,
          reason: network.reason,
          topology: `namespaces gl-${network.runId}-snd/rcv${network.relayHop ? "/tgt (relay targets, behind the target hop's link)" : ""}`,
          ...(network.scheduling ? { scheduling: network.scheduling } : {}),
          ...(scenario.link !== 'none' && scenario.link.profile ? { profile: scenario.link.profile } : {}),
        }
      : { backend: 'none', note: 'loopback, no impairment' };
    await writeFileAtomic(
      path.join(runDir, RUN_FILES.env),
      `${JSON.stringify(await collectEnvironment({ sender: senderReady.detail, receiver: receiverReady.detail, link: linkDetail, skipped: network?.skipped ?? [] }), null, 2)}\n`,
    );

    phase('connecting');
    const offer = await guard(channels.sender.next('offer', SETUP_TIMEOUT_MS));
    const answerPromise = channels.receiver.next('answer', SETUP_TIMEOUT_MS);
    channels.receiver.send({ type: 'offer', sdp: offer.sdp });
    const answer = await guard(answerPromise);
    for (const [name, sdp] of [['offer.sdp', offer.sdp], ['answer.sdp', answer.sdp]] as const) {
      const sdpPath = path.join(runDir, name);
      await writeFile(sdpPath, sdp).catch((error: unknown) => {
        throw new WriteFailedError(sdpPath, error);
      });
    }
    const connected = Promise.all([channels.sender.next('connected', CONNECT_TIMEOUT_MS), channels.receiver.next('connected', CONNECT_TIMEOUT_MS)]);
    channels.sender.send({ type: 'answer', sdp: answer.sdp });
    await guard(connected);

    phase('running');
    const progress: RunProgress = { elapsedMs: 0, durationMs: scenario.durationMs, sender: {}, receiver: {} };
    channels.sender.onMessage((m) => m.type === 'progress' && (progress.sender = m.progress));
    channels.receiver.onMessage((m) => m.type === 'progress' && (progress.receiver = m.progress));
    channels.receiver.send({ type: 'start' });
    channels.sender.send({ type: 'start' });
    const startedMs = monotonicMs();
    events.write({ type: 'event', side: 'orchestrator', timeMs: startedMs, name: 'media-start' });
    const timeline = network?.startTimeline(startedMs, (index, atMs, appliedMs) =>
      events.write({ type: 'event', side: 'orchestrator', timeMs: appliedMs, name: 'link-change', detail: { index, scheduledMs: atMs, lateMs: appliedMs - atMs } }),
    );
    void timeline?.done.catch((error: unknown) => event('link-change-failed', { message: (error as Error).message }));
    cross = scenario.crossTraffic && network ? startCrossTraffic(scenario.crossTraffic, network, startedMs, monotonicMs, event) : undefined;
    relayEndpoints?.scheduleRestarts(startedMs, monotonicMs, event);
    const ticker = setInterval(() => {
      progress.elapsedMs = monotonicMs() - startedMs;
      options.onProgress?.(progress);
    }, 500);
    try {
      await guard(new Promise((resolve) => setTimeout(resolve, scenario.durationMs)));
    } finally {
      clearInterval(ticker);
      timeline?.cancel();
    }

    phase('stopping');
    await cross?.stop();
    const senderStopped = expectFromChild(channels.sender, 'sender', 'stopped', SETUP_TIMEOUT_MS);
    channels.sender.send({ type: 'stop' });
    event('child-stopped', { role: 'sender', ...(await guard(senderStopped)).summary });
    await guard(new Promise((resolve) => setTimeout(resolve, DRAIN_MS)));
    const receiverStopped = expectFromChild(channels.receiver, 'receiver', 'stopped', SETUP_TIMEOUT_MS);
    channels.receiver.send({ type: 'stop' });
    event('child-stopped', { role: 'receiver', ...(await guard(receiverStopped)).summary });
    expectExit.value = true;
    await Promise.race([Promise.all(children.map((c) => c.exited)), new Promise((r) => setTimeout(r, 5000))]);
    status.state = 'completed';
  } catch (error) {
    const interrupted = error instanceof RunFailedError && error.phase === 'interrupted';
    status.state = interrupted ? 'interrupted' : 'failed';
    status.message = failureMessage(error);
  } finally {
    expectExit.value = true;
    await cross?.stop();
    for (const child of children) child.kill('SIGTERM');
    await Promise.race([Promise.all(children.map((c) => c.exited)), new Promise((r) => setTimeout(r, 4000))]);
    for (const child of children) child.kill('SIGKILL');
    // after the receiver closed its targets: the endpoints have seen everything it sent
    await relayEndpoints?.stop().catch((error: unknown) => event('relay-endpoints-failed', { message: (error as Error).message }));
    const hopStats = network?.relayHop?.stats();
    if (hopStats) {
      const { up, down } = hopStats;
      event('relay-link', { upOffered: up?.offered ?? null, upDelivered: up?.delivered ?? null, upDropped: up?.dropped ?? null, downOffered: down?.offered ?? null, downDelivered: down?.delivered ?? null, downDropped: down?.dropped ?? null });
    }
    await control?.close();
    await stun?.close();
    if (network) {
      network.stop();
      event('link-down', { topology: network.runId });
    }
    status.endedAt = new Date().toISOString();
    event('run-end', { status: status.state, message: status.message ?? null, wallClock: status.endedAt });
    // events has an onError: a failed flush lands in events.failure, close() does not throw
    events.close();
    if (events.failure && status.state === 'completed') Object.assign(status, { state: 'failed', message: failureMessage(events.failure) });
    statusWriteFailure = await writeRunStatus(runDir, status).then(
      () => undefined,
      (error: unknown) => {
        // the run's own outcome goes with the one line the user sees
        const cause = error instanceof WriteFailedError ? error.cause : error;
        return new WriteFailedError(path.join(runDir, RUN_FILES.status), cause, status.message ? `the run ${status.state}: ${status.message}` : undefined);
      },
    );
  }
  if (statusWriteFailure) throw statusWriteFailure;
  return { runDir, runId, status };
}
