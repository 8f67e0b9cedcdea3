#!/usr/bin/env node
// Entry point. Runs the compiled CLI from dist/ when that build matches the sources (setup
// builds it: scripts/build-dist.sh), so neither the CLI nor the sender, receiver and STUN
// children it starts spend CPU transpiling TypeScript; otherwise registers tsx and runs the
// sources as they are, saying so once on stderr. GLASSLAB_CODE=tsx forces the sources,
// GLASSLAB_CODE=compiled the build (an error when it is missing or stale).
// Loading takes a moment; a SIGINT/SIGTERM in that time ends the process at once (130 / 143)
// instead of waiting for the modules, until lab/cli/run-session.ts takes over in the same tick.
const exitOnSignal = (signal) => process.exit(signal === 'SIGINT' ? 130 : 143);
process.on('SIGINT', exitOnSignal);
process.on('SIGTERM', exitOnSignal);

const { distFreshness } = await import('./dist-freshness.js');
const wanted = process.env.GLASSLAB_CODE ?? 'auto';
if (!['auto', 'tsx', 'compiled'].includes(wanted)) {
  process.stderr.write(`glasslab: GLASSLAB_CODE=${wanted} is not one of auto, tsx, compiled\n`);
  process.exit(2);
}
const build = wanted === 'tsx' ? { state: 'skipped' } : distFreshness();
if (wanted === 'compiled' && build.state !== 'fresh') {
  process.stderr.write(`glasslab: GLASSLAB_CODE=compiled but dist/ is ${build.state}: ${build.reason}; run "bash scripts/build-dist.sh"\n`);
  process.exit(2);
}
let modules;
if (build.state === 'fresh') {
  modules = { cli: '../dist/lab/cli/main.js', session: '../dist/lab/cli/run-session.js' };
} else {
  if (build.state !== 'skipped') {
    process.stderr.write(`glasslab: running the TypeScript sources through tsx: dist/ is ${build.state} (${build.reason}); "bash scripts/build-dist.sh" compiles it\n`);
  }
  const { register } = await import('tsx/esm/api');
  register();
  modules = { cli: '../lab/cli/main.ts', session: '../lab/cli/run-session.ts' };
}
const { main } = await import(modules.cli);
const { installSignalHandling } = await import(modules.session);
installSignalHandling();
process.off('SIGINT', exitOnSignal);
process.off('SIGTERM', exitOnSignal);
process.exitCode = await main(process.argv);
