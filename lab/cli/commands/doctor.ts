import path from 'node:path';
import type { Command } from 'commander';
import { cleanupEverything, type FullCleanupReport } from '../../doctor/cleanup.ts';
import { formatDoctorReport } from '../../doctor/format.ts';
import { type DoctorDeps, runDoctor } from '../../doctor/run.ts';
import type { DoctorReport } from '../../doctor/types.ts';
import type { CleanupReport } from '../../topology/cleanup.ts';
import { formatSelftest } from '../../linkcheck/selftest-format.ts';
import { runLinkSelftest } from '../../linkcheck/selftest.ts';
import { type CliContext, ExitCode, type GlobalOptions } from '../context.ts';

/** Doctor's exit code: 0 when every required check passed, 3 otherwise. */
export function doctorExitCode(report: DoctorReport): ExitCode {
  return report.ok ? ExitCode.ok : ExitCode.failed;
}

/** Text of a cleanup: one line per thing removed, marked or spared, or "nothing left". */
export function formatCleanupReport(report: CleanupReport & Partial<FullCleanupReport>): string {
  const lines = [
    ...report.killedPids.map((pid) => `killed process ${pid}`),
    ...report.removedNamespaces.map((ns) => `removed namespace ${ns}`),
    ...report.removedLinks.map((link) => `removed link ${link}`),
    ...(report.removedControlDirs ?? []).map((dir) => `removed control socket folder ${dir}`),
    ...(report.interruptedRuns ?? []).map((dir) => `marked run ${dir} interrupted (status.json said running; its owner is gone)`),
    ...report.sparedRuns.map((runId) => `spared run ${runId} (its owner is alive)`),
    ...report.failures.map((failure) => `FAILED: ${failure}`),
  ];
  return `${lines.length === 0 ? 'cleanup: nothing of the lab was left' : `cleanup:\n  ${lines.join('\n  ')}`}\n`;
}

/**
 * Registers `glasslab doctor`: probes the machine (Vulkan, codecs, kernel, tools, NVIDIA) and
 * prints a table, or with --json one DoctorReport object. `deps` replaces probes' dependencies
 * in tests.
 */
export function registerDoctorCommand(program: Command, context: CliContext, deps: Partial<DoctorDeps> = {}): void {
  program
    .command('doctor')
    .description('check what this machine offers the lab (exit 3 when something required is missing)')
    .option('--cleanup', 'remove what killed lab runs left (namespaces, links, processes, control sockets), mark their run folders interrupted, and say what went')
    .option('--runs <dir>', 'with --cleanup: folder of run folders whose stale "running" status.json to correct (as `glasslab run --runs`)', 'runs')
    .option('--link-selftest', 'run the same link configurations through netem and the userspace link (root) and compare them with each other and the configuration (exit 3 when a row fails or the kernel has no netem)')
    .action(async (options: { cleanup?: boolean; runs: string; linkSelftest?: boolean }, command: Command) => {
      const { json } = command.optsWithGlobals<GlobalOptions>();
      if (options.linkSelftest && options.cleanup) {
        context.io.stderr('doctor: --link-selftest and --cleanup are separate jobs; give one\n');
        context.exitCode = ExitCode.badInput;
        return;
      }
      if (options.linkSelftest) {
        if (process.getuid?.() !== 0) {
          context.io.stderr('doctor --link-selftest needs root (it creates network namespaces, veths and TUN devices)\n');
          context.exitCode = ExitCode.failed;
          return;
        }
        const selftest = await runLinkSelftest();
        context.io.stdout(json ? `${JSON.stringify(selftest)}\n` : formatSelftest(selftest));
        context.exitCode = selftest.ok ? ExitCode.ok : ExitCode.failed;
        return;
      }
      if (options.cleanup) {
        const cleaned = await cleanupEverything({ runsRoot: path.resolve(options.runs) });
        context.io.stdout(json ? `${JSON.stringify(cleaned)}\n` : formatCleanupReport(cleaned));
        context.exitCode = cleaned.failures.length === 0 ? ExitCode.ok : ExitCode.failed;
        return;
      }
      const report = await runDoctor(deps);
      context.io.stdout(json ? `${JSON.stringify(report)}\n` : formatDoctorReport(report));
      context.exitCode = doctorExitCode(report);
    });
}
