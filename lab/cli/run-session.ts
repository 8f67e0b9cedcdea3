/**
 * What `glasslab run` shares between a single run and a suite: the SIGINT/SIGTERM → abort wiring
 * and the progress lines on stderr.
 *
 * Signals from the first moment of the process: bin/glasslab.js installs a plain handler before
 * anything is loaded and hands over to {@link installSignalHandling} once this module is in.
 * While a run is in progress (an {@link onInterrupt} scope is open, see withInterrupt) a signal
 * aborts it, and the run tears down and exits 3 as before; at any other time (loading, checking
 * input, writing a report) the process exits at once with 128 + the signal's number: 130 for
 * SIGINT, 143 for SIGTERM.
 */
import type { RunProgress } from '../run/orchestrator.ts';
import type { CliIo } from './context.ts';

/**
 * Calls `work` with a signal that SIGINT/SIGTERM abort (see onInterrupt below), until `work` settles; the
 * run then tears down and ends as interrupted.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const close = onInterrupt(() => abort.abort());
  try {
    return await work(abort.signal);
  } finally {
    close();
  }
}

/** Exit code for a signal that arrives while no run is in progress. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;
const SIGNALS = Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[];

const scopes = new Set<() => void>();
let exitWhenIdle = false;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  if (scopes.size > 0) {
    for (const scope of scopes) scope();
    return;
  }
  if (exitWhenIdle) process.exit(SIGNAL_EXIT_CODES[signal as HandledSignal]);
}

function install(): void {
  if (installed) return;
  installed = true;
  // `on`, not `once`: execa's signal-exit re-raises a signal no other listener holds, which
  // would kill the process before a run tears its network down
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/** For the CLI's process (bin/glasslab.js): signals outside a run end the process at once. */
export function installSignalHandling(): void {
  exitWhenIdle = true;
  install();
}

/**
 * Opens an interrupt scope: until the returned function is called, SIGINT/SIGTERM call `listener`
 * instead of ending the process. Usable without installSignalHandling (tests calling main()):
 * the listeners are then installed here and a signal outside a scope does nothing.
 */
export function onInterrupt(listener: () => void): () => void {
  install();
  scopes.add(listener);
  return () => {
    scopes.delete(listener);
  };
}

function formatProgress(p: RunProgress): string {
  const g2g = p.receiver.g2gP50Ms !== undefined ? `${p.receiver.g2gP50Ms.toFixed(1)} ms` : '-';
  return `${(p.elapsedMs / 1000).toFixed(1)}/${(p.durationMs / 1000).toFixed(1)} s  sent ${p.sender.framesSent ?? 0}  received ${p.receiver.framesReceived ?? 0}  displayed ${p.receiver.framesDisplayed ?? 0}  g2g p50 ${g2g}`;
}

/** Progress callbacks for one run; `finish()` ends a TTY status line. */
export interface ProgressPrinter {
  onPhase: (phase: string) => void;
  onProgress: (progress: RunProgress) => void;
  finish: () => void;
}

/**
 * Progress on stderr: on a TTY one rewritten status line, otherwise a line every 5 s (`quiet`
 * leaves out the progress lines and phases, e.g. for suites that print one line per run).
 * Nothing with --json.
 */
export function progressPrinter(io: CliIo, options: { json: boolean; label: string; tty: boolean; quiet?: boolean }): ProgressPrinter {
  const { json, label, tty, quiet = false } = options;
  let lastLine = 0;
  return {
    onPhase: (phase) => {
      if (!json && (tty || !quiet)) io.stderr(`${tty ? '\r\x1b[2K' : ''}[run] ${label}: ${phase}${tty && quiet ? '' : '\n'}`);
    },
    onProgress: (p) => {
      if (json) return;
      if (tty) io.stderr(`\r\x1b[2K[run] ${label}: ${formatProgress(p)}`);
      else if (!quiet && p.elapsedMs - lastLine >= 5000) {
        lastLine = p.elapsedMs;
        io.stderr(`[run] ${formatProgress(p)}\n`);
      }
    },
    finish: () => {
      if (tty && !json) io.stderr(quiet ? '\r\x1b[2K' : '\n');
    },
  };
}
