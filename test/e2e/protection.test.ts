/**
 * End to end loss recovery: `glasslab run scenarios/impaired-nack-360p.yaml` (5 % random loss on
 * the media direction, `protection: { mode: nack }`) and the same file with `mode: none`. With
 * NACK/RTX far more frames are displayed; the sender's RTX packets carry media it sent, on the
 * RTX SSRC; the receiver NACKed, recovered packets by RTX, and read every displayed marker. The
 * same file with `mode: fec` sends FlexFEC on its own SSRC and recovers packets from it;
 * `scenarios/impaired-ulpfec-360p.yaml` (hybrid, ULPFEC in RED, controller rates) sends RED on the
 * media SSRC, recovers by FEC and RTX, and displays nearly every frame.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseNdjson } from '../../src/shared/ndjson.ts';
import type { Results } from '../../lab/results/schema.ts';
import type { FeedbackRecord, PacketRecord, ReceiverFrameRecord } from '../../src/shared/records.ts';
import { protectionStreams, RED_PAYLOAD_TYPE } from '../../src/shared/protection-streams.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');
const scenario = path.join(root, 'scenarios/impaired-nack-360p.yaml');
const ulpfecScenario = path.join(root, 'scenarios/impaired-ulpfec-360p.yaml');

interface Run {
  exitCode: number | undefined;
  output: string;
  framesSent: number;
  framesDisplayed: number;
  sender: PacketRecord[];
  senderFeedback: FeedbackRecord[];
  receiver: (PacketRecord | FeedbackRecord | ReceiverFrameRecord)[];
  recovery: Results['recovery'];
}

async function run(file: string, runsRoot: string): Promise<Run> {
  const result = await execa(process.execPath, [cli, '--json', 'run', file, '--runs', runsRoot], { reject: false, timeout: 120_000 });
  const last = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir: string; framesSent: number; framesDisplayed: number };
  const read = async <T>(name: string): Promise<T[]> => parseNdjson(await readFile(path.join(last.runDir, name), 'utf8')).records as T[];
  return {
    exitCode: result.exitCode,
    output: `${result.stdout}\n${result.stderr}`,
    framesSent: last.framesSent,
    framesDisplayed: last.framesDisplayed,
    sender: (await read<PacketRecord>('sender.ndjson')).filter((r) => r.type === 'packet'),
    senderFeedback: (await read<FeedbackRecord>('sender.ndjson')).filter((r) => r.type === 'feedback'),
    receiver: await read('receiver.ndjson'),
    recovery: (JSON.parse(await readFile(path.join(last.runDir, 'results.json'), 'utf8')) as Results).recovery,
  };
}

describePrivileged(rootLink())('glasslab run with NACK/RTX through a lossy link (needs root and /dev/net/tun)', () => {
  let runsRoot: string;
  let nack: Run;
  let none: Run;
  let fec: Run;
  let ulpfec: Run;

  beforeAll(async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-protection-'));
    const text = await readFile(scenario, 'utf8');
    expect(text).toMatch(/mode: nack/);
    const withMode = async (mode: string): Promise<string> => {
      const file = path.join(runsRoot, `impaired-${mode}-360p.yaml`);
      await writeFile(file, text.replace('mode: nack', `mode: ${mode}`).replace('name: impaired-nack-360p', `name: impaired-${mode}-360p`));
      return file;
    };
    nack = await run(scenario, runsRoot);
    none = await run(await withMode('none'), runsRoot);
    fec = await run(await withMode('fec'), runsRoot);
    ulpfec = await run(ulpfecScenario, runsRoot);
  }, 500_000);

  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('every run completes', () => {
    expect(nack.exitCode, nack.output).toBe(0);
    expect(none.exitCode, none.output).toBe(0);
    expect(fec.exitCode, fec.output).toBe(0);
    expect(ulpfec.exitCode, ulpfec.output).toBe(0);
    expect(nack.framesSent).toBeGreaterThan(100);
  });

  it('NACK/RTX displays at least 95 % of the frames, far more than without protection', () => {
    expect(nack.framesDisplayed / nack.framesSent).toBeGreaterThanOrEqual(0.95);
    expect(nack.framesDisplayed - none.framesDisplayed).toBeGreaterThanOrEqual(0.1 * nack.framesSent);
  });

  it('the sender retransmits media it sent, on the RTX SSRC, only when protection is on', () => {
    const rtxSsrc = protectionStreams(4321).rtx.ssrc;
    const rtx = nack.sender.filter((p) => p.dir === 'out' && p.kind === 'rtx');
    const mediaSeqs = new Set(nack.sender.filter((p) => p.dir === 'out' && p.kind === 'media').map((p) => p.seq));
    expect(rtx.length).toBeGreaterThan(5);
    for (const p of rtx) {
      expect(p.ssrc).toBe(rtxSsrc);
      expect(mediaSeqs.has(p.originalSeq!)).toBe(true);
    }
    expect(none.sender.some((p) => p.kind === 'rtx')).toBe(false);
  });

  it('with protection the lab sends SRs and the receiver\'s RRs give the sender the RTT (60 ms configured)', () => {
    expect(nack.senderFeedback.filter((r) => r.kind === 'sr' && r.by === 'lab').length).toBeGreaterThan(3);
    const rtts = nack.senderFeedback.filter((r) => r.kind === 'rr' && r.dir === 'in' && r.rttMs !== undefined).map((r) => r.rttMs!);
    expect(rtts.length).toBeGreaterThan(3);
    const last = rtts.at(-1)!;
    expect(last).toBeGreaterThanOrEqual(55);
    expect(last).toBeLessThan(200);
    expect(none.senderFeedback.some((r) => r.by === 'lab' && r.kind === 'sr')).toBe(false);
  });

  it('the receiver NACKs, recovers by RTX and reads every displayed marker', () => {
    const nacks = nack.receiver.filter((r): r is FeedbackRecord => r.type === 'feedback' && r.kind === 'nack');
    expect(nacks.length).toBeGreaterThan(0);
    expect(nacks.every((r) => r.by === 'lab' && (r.seqs?.length ?? 0) > 0)).toBe(true);
    const recovered = nack.receiver.filter((r): r is PacketRecord => r.type === 'packet' && r.recoveredBy === 'rtx');
    expect(recovered.length).toBeGreaterThan(5);
    expect(none.receiver.some((r) => r.type === 'feedback' && r.kind === 'nack')).toBe(false);
    for (const runs of [nack, none, fec]) {
      const frames = runs.receiver.filter((r): r is ReceiverFrameRecord => r.type === 'frame');
      const misread = frames.filter((f) => f.marker !== undefined && f.marker !== 'ok');
      expect(misread).toEqual([]);
    }
  });

  it('FlexFEC: FEC packets on the FlexFEC SSRC, packets recovered from them, more frames displayed than without', () => {
    const flexSsrc = protectionStreams(4321).flexfec.ssrc;
    const sent = fec.sender.filter((p) => p.dir === 'out' && p.kind === 'fec');
    expect(sent.length).toBeGreaterThan(50);
    expect(sent.every((p) => p.ssrc === flexSsrc)).toBe(true);
    expect(fec.sender.some((p) => p.kind === 'rtx')).toBe(false);
    expect(fec.receiver.filter((r) => r.type === 'packet' && r.recoveredBy === 'fec').length).toBeGreaterThan(5);
    expect(fec.framesDisplayed - none.framesDisplayed).toBeGreaterThanOrEqual(0.1 * fec.framesSent);
  });

  it('hybrid ULPFEC: RED on the media SSRC, FEC told apart at the receiver, recovered by FEC and RTX, nearly every frame displayed', () => {
    const sent = ulpfec.sender.filter((p) => p.dir === 'out' && (p.kind === 'media' || p.kind === 'fec'));
    const mediaSsrc = sent[0]!.ssrc;
    expect(sent.every((p) => p.ssrc === mediaSsrc && p.pt === RED_PAYLOAD_TYPE)).toBe(true);
    const fecSeqs = new Set(sent.filter((p) => p.kind === 'fec').map((p) => p.seq));
    expect(fecSeqs.size).toBeGreaterThan(30);
    // every FEC packet that arrived is recorded as fec by the receiver, never as media
    const inFec = ulpfec.receiver.filter((r): r is PacketRecord => r.type === 'packet' && r.kind === 'fec' && r.recoveredBy === undefined);
    expect(inFec.length).toBeGreaterThan(0.8 * fecSeqs.size);
    expect(inFec.every((p) => fecSeqs.has(p.seq))).toBe(true);
    expect(ulpfec.receiver.some((r) => r.type === 'packet' && r.kind === 'media' && fecSeqs.has(r.seq))).toBe(false);
    expect(ulpfec.receiver.filter((r) => r.type === 'packet' && r.recoveredBy === 'fec').length).toBeGreaterThan(5);
    expect(ulpfec.framesDisplayed / ulpfec.framesSent).toBeGreaterThanOrEqual(0.95);
    // controller rates: the sender reported the table it read (the shipped one is libwebrtc's)
    expect(ulpfec.recovery?.rateTable).toEqual({ source: 'libwebrtc', rows: 50, comparedCells: 50 * 129, differingCells: 0, maxAbsDiff: 0, meanDiff: 0 });
    expect(nack.recovery?.rateTable).toBeNull();
  });
});
