import type { Command } from 'commander';
import { formatDoctorReport } from '../../doctor/format.ts';
import { type DoctorDeps, runDoctor } from '../../doctor/run.ts';
import type { DoctorReport } from '../../doctor/types.ts';
import { type CliContext, ExitCode, type GlobalOptions } from '../context.ts';

/** Doctor's exit code: 0 when every required check passed, 3 otherwise. */
export function doctorExitCode(report: DoctorReport): ExitCode {
  return report.ok ? ExitCode.ok : ExitCode.failed;
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
    .action(async (_options: unknown, command: Command) => {
      const { json } = command.optsWithGlobals<GlobalOptions>();
      const report = await runDoctor(deps);
      context.io.stdout(json ? `${JSON.stringify(report)}\n` : formatDoctorReport(report));
      context.exitCode = doctorExitCode(report);
    });
}
