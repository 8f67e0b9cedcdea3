/**
 * What `glasslab run` shares between a single run and a suite: the SIGINT/SIGTERM → abort wiring
 * and the progress lines on stderr.
 */
import type { RunProgress } from '../run/orchestrator.ts';
import type { CliIo } from './context.ts';
import { onInterrupt } from './signals.ts';

/**
 * Calls `work` with a signal that SIGINT/SIGTERM abort (signals.ts), until `work` settles; the
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
