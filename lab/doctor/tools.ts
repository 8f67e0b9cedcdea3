import { type CommandRunner, describeFailure } from './exec.ts';
import { type CheckResult, firstLine, makeCheck } from './types.ts';

/** Where Debian installs Chromium; browser scenarios drive this binary. */
export const chromiumPath = '/usr/bin/chromium';

/** FFmpeg encoders the lab's peers and anchors use, reported in the ffmpeg check's data. */
export const ffmpegEncodersOfInterest = ['libx264', 'libopenh264', 'h264_nvenc', 'hevc_nvenc'] as const;

/** Facts behind the ffmpeg check. */
export interface FfmpegCheckData {
  version: string;
  encoders: Record<(typeof ffmpegEncodersOfInterest)[number], boolean>;
}

/** Parses "ffmpeg version 5.1.9-0+deb12u1 Copyright ..." into "5.1.9-0+deb12u1". */
export function parseFfmpegVersion(text: string): string | undefined {
  return /ffmpeg version (\S+)/.exec(text)?.[1];
}

/** Names of the encoders in `ffmpeg -encoders` output (lines like " V....D libx264  ..."). */
export function parseFfmpegEncoders(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^\s*[VAS][A-Z.]{5}\s+(\S+)/.exec(line);
    if (match?.[1] && match[1] !== '=') names.add(match[1]);
  }
  return names;
}

/** ffmpeg (required: peers and anchors): its version and which encoders of interest it has. */
export async function probeFfmpeg(exec: CommandRunner): Promise<CheckResult<FfmpegCheckData>> {
  const base = { name: 'ffmpeg', area: 'tools', required: true } as const;
  const [versionOut, encodersOut] = await Promise.all([
    exec('ffmpeg', ['-hide_banner', '-version']),
    exec('ffmpeg', ['-hide_banner', '-encoders']),
  ]);
  if (versionOut.kind === 'not-found') {
    return makeCheck(base, 'missing', `${describeFailure('ffmpeg', versionOut)} (Debian package ffmpeg)`);
  }
  if (versionOut.kind !== 'exited' || versionOut.exitCode !== 0) {
    return makeCheck(base, 'error', describeFailure('ffmpeg -version', versionOut));
  }
  const version = parseFfmpegVersion(versionOut.stdout) ?? firstLine(versionOut.stdout);
  const listed = encodersOut.kind === 'exited' && encodersOut.exitCode === 0 ? parseFfmpegEncoders(encodersOut.stdout) : undefined;
  if (!listed) {
    return makeCheck(base, 'error', `ffmpeg ${version}, but ${describeFailure('ffmpeg -encoders', encodersOut)}`);
  }
  const encoders = Object.fromEntries(ffmpegEncodersOfInterest.map((name) => [name, listed.has(name)])) as FfmpegCheckData['encoders'];
  const summary = ffmpegEncodersOfInterest.map((name) => `${name} ${encoders[name] ? 'yes' : 'no'}`).join(', ');
  return makeCheck(base, 'ok', `${version}; encoders: ${summary}`, { data: { version, encoders } });
}

/** Chromium (optional: browser scenarios need it). */
export async function probeChromium(exec: CommandRunner): Promise<CheckResult<{ version: string }>> {
  const base = { name: 'chromium', area: 'tools', required: false } as const;
  const outcome = await exec(chromiumPath, ['--version'], { timeoutMs: 10_000 });
  if (outcome.kind === 'not-found') {
    const why = describeFailure(chromiumPath, outcome);
    return makeCheck(base, 'missing', `${why} (Debian package chromium): browser scenarios will be skipped`);
  }
  if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
    return makeCheck(base, 'error', describeFailure(`${chromiumPath} --version`, outcome));
  }
  const version = firstLine(outcome.stdout);
  return makeCheck(base, 'ok', version, { data: { version } });
}

/** A plain tool whose first output line of `args` is its version. */
interface SimpleTool {
  name: string;
  args: string[];
  required: boolean;
  package: string;
  /** what the lab uses it for, said when it is missing */
  usedFor: string;
}

/** tc, ip and iperf3: presence and version (optional; the kernel checks say what works). */
export const simpleTools: readonly SimpleTool[] = [
  { name: 'tc', args: ['-V'], required: false, package: 'iproute2', usedFor: 'netem backend' },
  { name: 'ip', args: ['-V'], required: false, package: 'iproute2', usedFor: 'topology' },
  { name: 'iperf3', args: ['--version'], required: false, package: 'iperf3', usedFor: 'link benchmarks' },
];

/** Runs one simple tool for its version. */
export async function probeSimpleTool(exec: CommandRunner, tool: SimpleTool): Promise<CheckResult<{ version: string }>> {
  const base = { name: tool.name, area: 'tools', required: tool.required } as const;
  const outcome = await exec(tool.name, tool.args);
  if (outcome.kind === 'not-found') {
    const why = describeFailure(tool.name, outcome);
    return makeCheck(base, 'missing', `${why} (Debian package ${tool.package}; used for ${tool.usedFor})`);
  }
  if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
    return makeCheck(base, 'error', describeFailure(`${tool.name} ${tool.args.join(' ')}`, outcome));
  }
  const version = firstLine(outcome.stdout) || firstLine(outcome.stderr);
  return makeCheck(base, 'ok', version, { data: { version } });
}
