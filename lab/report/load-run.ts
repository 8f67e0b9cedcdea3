/**
 * Reads what a run folder holds for analysis: the NDJSON record files, the scenario's name and
 * budgets (scenario.yaml / scenario.yml / scenario.json) and environment.json, all optional and
 * tolerant of a run that was killed (truncated last lines are reported, not fatal).
 *
 * Conventions read from run.ndjson: event `run-start` (detail: scenario, runId, wallClock ISO) and
 * event `run-end` (detail: status completed|failed|interrupted, message, wallClock ISO).
 */
import { parseRelayFrames, type RelayFrame } from '../metrics/relay.ts';
import { RELAY_FRAMES_FILE } from '../relay/run-endpoints.ts';

/** The relay target hop's fate log (LINK_FILES.relayFates of lab/run/run-link.ts, named here as link.ndjson is). */
const RELAY_HOP_FATES_FILE = 'relay-link.ndjson';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { linkFateRecordSchema, type LinkFateRecord } from '../../src/link/fate.ts';
import type { ScenarioLinkRecord } from '../metrics/link.ts';
import { sortRecords, type RunRecords } from '../metrics/run-records.ts';
import { readNdjsonFile } from '../../src/shared/ndjson.ts';
import type { RunStatus } from '../run/run-folder.ts';
import { readRunStatus } from '../run/run-status.ts';
import { recordProblemsOf, type RecordLineProblem } from './record-problems.ts';
import { simulationSchema, type Simulation } from '../results/schema.ts';

/** Record files of a run folder, in read order. */
export const RECORD_FILES = ['sender.ndjson', 'receiver.ndjson', 'run.ndjson', 'link.ndjson'] as const;

/** What {@link loadRun} found in a run folder. */
export interface LoadedRun {
  records: RunRecords;
  /** the link's fate records (link.ndjson), null when the run has no fate log */
  linkFates: LinkFateRecord[] | null;
  /** relay.ndjson (the relay endpoints' decoded frames); null when the run had no relay */
  relayFrames: RelayFrame[] | null;
  /** relay-link.ndjson (the relay's target hop, relay.link); null when absent */
  relayHopFates: LinkFateRecord[] | null;
  /** record files present */
  files: string[];
  badLines: number;
  /** files whose last line was cut short */
  truncatedFiles: string[];
  /** every unusable line (cut short, not JSON, not a record), by file and line */
  lineProblems: RecordLineProblem[];
  /** status.json, when the folder has a readable one */
  status?: RunStatus;
  /** from scenario.yaml/json: `name` and `budgets` (strings) when present */
  scenario: { name?: string; budgets?: string[]; file?: string; link?: ScenarioLinkRecord; protection?: ScenarioProtectionRecord };
  /** parsed environment.json, when present */
  environment?: unknown;
  /** simulation.json of a simulated run, when present and valid */
  simulation?: Simulation;
}

/** What the run's scenario says of its loss protection (resolved form: mode, FEC scheme, mask). */
export interface ScenarioProtectionRecord {
  mode?: string;
  fec?: string;
  mask?: string;
}

function protectionOf(value: unknown): ScenarioProtectionRecord | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const obj = value as Record<string, unknown>;
  const text = (key: string): { [k: string]: string } => {
    const field = obj[key];
    return typeof field === 'string' ? { [key]: field } : {};
  };
  return { ...text('mode'), ...text('fec'), ...text('mask') };
}

/** Error reading a run folder (missing folder, unreadable scenario file). */
export class RunFolderError extends Error {
  constructor(
    readonly code: 'RUN_DIR_MISSING' | 'RUN_DIR_EMPTY' | 'SCENARIO_UNREADABLE' | 'SCENARIO_MISSING' | 'IMPOSSIBLE_COUNTS' | 'SIMULATION_INVALID',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RunFolderError';
  }
}

const SHARED_KINDS = new Set(['frame', 'packet', 'feedback', 'event']);
const isSharedKind = (value: unknown): boolean => SHARED_KINDS.has(String((value as { type?: unknown }).type));

async function readOptional(filePath: string): Promise<string | undefined> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function loadScenario(runDir: string): Promise<LoadedRun['scenario']> {
  for (const name of ['scenario.yaml', 'scenario.yml', 'scenario.json']) {
    const text = await readOptional(path.join(runDir, name));
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new RunFolderError('SCENARIO_UNREADABLE', `${path.join(runDir, name)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const obj = (value !== null && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const budgets = Array.isArray(obj.budgets) ? obj.budgets.filter((item): item is string => typeof item === 'string') : undefined;
    const link = obj.link as Partial<ScenarioLinkRecord> | undefined;
    const hasLink = link !== null && typeof link === 'object' && typeof link.params === 'object' && Array.isArray(link.timeline);
    const protection = protectionOf(obj.protection);
    return {
      file: name,
      ...(typeof obj.name === 'string' ? { name: obj.name } : {}),
      ...(budgets ? { budgets } : {}),
      ...(hasLink ? { link: link as ScenarioLinkRecord } : {}),
      ...(protection ? { protection } : {}),
    };
  }
  return {};
}

/** Loads a run folder. */
export async function loadRun(runDir: string): Promise<LoadedRun> {
  const objects: unknown[] = [];
  const files: string[] = [];
  const truncatedFiles: string[] = [];
  const lineProblems: RecordLineProblem[] = [];
  let badLines = 0;
  let linkFates: LinkFateRecord[] | null = null;
  const info = await stat(runDir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new RunFolderError('RUN_DIR_MISSING', `run folder not found: ${runDir}`);
  for (const name of RECORD_FILES) {
    const read = await readNdjsonFile(path.join(runDir, name));
    if (read.missing) continue;
    files.push(name);
    if (name === 'link.ndjson') {
      // fate records go to the link metrics; one that fails the fate schema counts as invalid
      linkFates = [];
      for (const record of read.records) {
        if (isSharedKind(record)) objects.push(record);
        else {
          const fate = linkFateRecordSchema.safeParse(record);
          if (fate.success) linkFates.push(fate.data);
          else objects.push(record);
        }
      }
    } else objects.push(...read.records);
    const usableFate = (value: unknown): boolean => !isSharedKind(value) && linkFateRecordSchema.safeParse(value).success;
    lineProblems.push(...(name === 'link.ndjson' ? recordProblemsOf(name, read, (value) => usableFate(value) || sortRecords([value]).invalid === 0) : recordProblemsOf(name, read)));
    badLines += read.badLines.length;
    if (read.truncatedLastLine !== undefined) truncatedFiles.push(name);
  }
  if (files.length === 0) throw new RunFolderError('RUN_DIR_EMPTY', `no record files (${RECORD_FILES.join(', ')}) in ${runDir}`);
  const environmentText = (await readOptional(path.join(runDir, 'env.json'))) ?? (await readOptional(path.join(runDir, 'environment.json')));
  let environment: unknown;
  if (environmentText !== undefined) {
    try {
      environment = JSON.parse(environmentText);
    } catch {
      environment = undefined;
    }
  }
  const status = await readRunStatus(runDir);
  const simulationText = await readOptional(path.join(runDir, 'simulation.json'));
  let simulation: Simulation | undefined;
  if (simulationText !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(simulationText);
    } catch {
      throw new RunFolderError('SIMULATION_INVALID', `${path.join(runDir, 'simulation.json')}: not JSON`);
    }
    const parsed = simulationSchema.safeParse(value);
    if (!parsed.success) throw new RunFolderError('SIMULATION_INVALID', `${path.join(runDir, 'simulation.json')}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
    simulation = parsed.data;
  }
  const relayText = await readOptional(path.join(runDir, RELAY_FRAMES_FILE));
  // the relay's target hop (relay.link): its own fate log, fate records only
  const hopRead = await readNdjsonFile(path.join(runDir, RELAY_HOP_FATES_FILE));
  const relayHopFates = hopRead.missing ? null : hopRead.records.flatMap((record) => {
    const fate = linkFateRecordSchema.safeParse(record);
    return fate.success ? [fate.data] : [];
  });
  return {
    records: sortRecords(objects),
    linkFates,
    relayFrames: relayText === undefined ? null : parseRelayFrames(relayText).frames,
    relayHopFates,
    files,
    badLines,
    truncatedFiles,
    lineProblems,
    scenario: await loadScenario(runDir),
    ...(environment !== undefined ? { environment } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(simulation !== undefined ? { simulation } : {}),
  };
}
