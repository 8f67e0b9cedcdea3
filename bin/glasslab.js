#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript sources run as they are, then starts the CLI.
// Loading takes about a second; a SIGINT/SIGTERM in that time ends the process at once (130 /
// 143) instead of waiting for the modules, until lab/cli/run-session.ts takes over in the same tick.
const exitOnSignal = (signal) => process.exit(signal === 'SIGINT' ? 130 : 143);
process.on('SIGINT', exitOnSignal);
process.on('SIGTERM', exitOnSignal);

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../lab/cli/main.ts');
const { installSignalHandling } = await import('../lab/cli/run-session.ts');
installSignalHandling();
process.off('SIGINT', exitOnSignal);
process.off('SIGTERM', exitOnSignal);
process.exitCode = await main(process.argv);
