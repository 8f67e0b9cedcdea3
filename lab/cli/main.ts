/**
 * The glasslab command line. Each command lives in commands/<name>.ts and exports a function
 * that registers it on the program; adding one is one import and one call below.
 *
 * Exit codes (ExitCode in context.ts):
 *   0  ok: the command did what was asked (doctor: every required check passed)
 *   1  a run completed but broke a budget
 *   2  bad input: unknown command or flag, missing/invalid argument, invalid scenario
 *   3  failed: a run could not be done, or doctor found a required feature missing
 * --help and --version exit 0.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerSimCommand } from './commands/sim.ts';
import { type CliContext, type CliIo, ExitCode, processIo } from './context.ts';
import { fromRepositoryRoot } from '../../src/shared/repository-root.ts';

/** The version in package.json. */
export function packageVersion(): string {
  const text = readFileSync(fromRepositoryRoot('package.json'), 'utf8');
  const parsed: unknown = JSON.parse(text);
  const version = (parsed as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}

/** Builds the program with every command registered; commander errors throw instead of exiting. */
export function createProgram(context: CliContext): Command {
  const program = new Command('glasslab');
  // Settings first: commands created by program.command() copy them.
  program
    .description('A lab for real-time video over WebRTC: glass-to-glass latency, FEC and NACK/RTX under impairment.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .configureOutput({
      writeOut: context.io.stdout,
      writeErr: context.io.stderr,
      outputError: (text, write) => write(`glasslab: ${text.replace(/^error: /, '')}`),
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run "glasslab --help" for usage)');
  registerDoctorCommand(program, context);
  registerRunCommand(program, context);
  registerSimCommand(program, context);
  registerReportCommand(program, (code) => {
    context.exitCode = code as CliContext['exitCode'];
  });
  return program;
}

/** Runs the CLI on `argv` (process.argv form) and resolves with the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const context: CliContext = { io, exitCode: ExitCode.ok };
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv]);
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help / version).
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    }
    io.stderr(`glasslab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.failed;
  }
}
