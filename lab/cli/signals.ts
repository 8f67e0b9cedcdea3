/**
 * SIGINT/SIGTERM from the first moment of the process. bin/glasslab.js installs a plain handler
 * before anything is loaded and hands over to {@link installSignalHandling} once main.ts is in.
 * While a run is in progress (a {@link onInterrupt} scope is open) a signal aborts it, and the run
 * tears down and exits 3 as before; at any other time (loading, checking input, writing a report)
 * the process exits at once with 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM.
 */

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
