/**
 * Per-packet cost of the lab's SRTP index estimation (src/transport/srtp-rollover.ts) against
 * werift's own rollover tracking: encrypt and decrypt of 1200-byte packets on one core, both
 * profiles werift negotiates, plus the estimator alone. Rates are per CPU-second of this thread
 * (process.cpuUsage), rounds of werift / lab alternate so that machine load hits both alike; the
 * median round is reported. With --peer-steps N, also the unthrottled packet rate of the real
 * SenderPeer → ReceiverPeer processes of bench/g2g (loopback, H.264 packetizer and frame
 * assembler), N steps each with the lab's estimate and with werift's own (G2G_SRTP_INDEX=0),
 * alternating (--peer-rate P offers P packets/s instead). Prints tables; writes bench/results/srtp-rollover.json.
 *
 *   npx tsx bench/srtp-rollover.ts [--seconds 0.5] [--rounds 5] [--peer-steps 3 --step-seconds 3 --peer-rate 0]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  SrtpSession,
  keyLength,
  saltLength,
  type SrtpProfile,
} from 'werift';
import { measurePacketRate, type RateStep } from './g2g-packet-rate.ts';
import { SrtpIndexEstimator } from '../src/transport/srtp-index.ts';
import { estimateSrtpIndexes } from '../src/transport/srtp-rollover.ts';
import { ratePerCpuSecond } from './lib/cpu-rate.ts';

const PACKET_BYTES = 1200;
const SSRC = 0x2233_4455;

/** Packets per CPU-second of `work` over about `seconds` of CPU. */
const rate = ratePerCpuSecond;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A sender and a receiver factory sharing keys; both estimate indexes the lab's way when `labEstimate`. */
function sessions(profile: SrtpProfile, labEstimate: boolean): { sender: SrtpSession; newReceiver: () => SrtpSession } {
  const [key, salt, key2, salt2] = [keyLength(profile), saltLength(profile), keyLength(profile), saltLength(profile)].map((n) => randomBytes(n)) as [Buffer, Buffer, Buffer, Buffer];
  const make = (keys: ConstructorParameters<typeof SrtpSession>[0]['keys']): SrtpSession => {
    const session = new SrtpSession({ profile, keys });
    if (labEstimate) estimateSrtpIndexes(session);
    return session;
  };
  return {
    sender: make({ localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key2, remoteMasterSalt: salt2 }),
    newReceiver: () => make({ localMasterKey: key2, localMasterSalt: salt2, remoteMasterKey: key, remoteMasterSalt: salt }),
  };
}

/** Packets decrypted per receiver: a stream from just below the wrap across it. */
const DECRYPT_STREAM = 8192;
const DECRYPT_FIRST_SEQ = 0x10000 - DECRYPT_STREAM / 2;

/** Encrypt and decrypt rates (packets/s per core) of one configuration, one round. */
function measureRound(profile: SrtpProfile, labEstimate: boolean, seconds: number): { encryptPps: number; decryptPps: number } {
  const payload = randomBytes(PACKET_BYTES - 12);
  const { sender, newReceiver } = sessions(profile, labEstimate);
  const wires: Buffer[] = [];
  for (let i = 0; i < DECRYPT_STREAM; i++) {
    const seq = (DECRYPT_FIRST_SEQ + i) & 0xffff;
    wires.push(Buffer.from(sender.encrypt(payload, new RtpHeader({ payloadType: 102, sequenceNumber: seq, timestamp: i * 30, ssrc: SSRC }))));
  }
  // encrypt: one SSRC, sequence numbers on through wraps (SSRC + 1 so the stream above is not disturbed)
  const encryptPps = rate(seconds, (i) => {
    sender.encrypt(payload, new RtpHeader({ payloadType: 102, sequenceNumber: i & 0xffff, timestamp: i * 30, ssrc: SSRC + 1 }));
  });
  // decrypt: the stream in order across the wrap; a fresh receiver every pass (its setup is
  // ~10 AES blocks, nothing against 8192 packets); decrypt works in place, so it gets a copy
  let receiver = newReceiver();
  const decryptPps = rate(seconds, (i) => {
    const at = i % DECRYPT_STREAM;
    if (at === 0 && i > 0) receiver = newReceiver();
    receiver.decrypt(Buffer.from(wires[at]!));
  });
  return { encryptPps, decryptPps };
}

interface Row {
  profile: string;
  rollover: 'werift' | 'lab';
  encryptPps: number;
  decryptPps: number;
  encryptUsPerPacket: number;
  decryptUsPerPacket: number;
}

/** Peer-process steps at `offeredPps` (0 = unthrottled), alternating the lab's estimate and werift's own. */
async function measurePeers(steps: number, stepSeconds: number, offeredPps: number): Promise<{ lab: RateStep[]; werift: RateStep[] }> {
  const result = { lab: [] as RateStep[], werift: [] as RateStep[] };
  for (let i = 0; i < steps; i++) {
    for (const mode of ['lab', 'werift'] as const) {
      process.env.G2G_SRTP_INDEX = mode === 'lab' ? '1' : '0';
      const { steps: measured } = await measurePacketRate([offeredPps], stepSeconds);
      result[mode].push(...measured);
    }
  }
  delete process.env.G2G_SRTP_INDEX;
  return result;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const argValue = (name: string, fallback: number): number => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const seconds = argValue('--seconds', 0.5);
  const rounds = argValue('--rounds', 5);
  const peerSteps = argValue('--peer-steps', 0);
  const stepSeconds = argValue('--step-seconds', 3);
  const peerRate = argValue('--peer-rate', 0);
  const rows: Row[] = [];
  for (const [name, profile] of [
    ['AES-128-GCM', ProtectionProfileAeadAes128Gcm],
    ['AES-CM+HMAC-SHA1-80', ProtectionProfileAes128CmHmacSha1_80],
  ] as const) {
    const byMode = { werift: [] as { encryptPps: number; decryptPps: number }[], lab: [] as { encryptPps: number; decryptPps: number }[] };
    for (let round = 0; round < rounds; round++) {
      byMode.werift.push(measureRound(profile, false, seconds));
      byMode.lab.push(measureRound(profile, true, seconds));
    }
    for (const mode of ['werift', 'lab'] as const) {
      const encryptPps = median(byMode[mode].map((r) => r.encryptPps));
      const decryptPps = median(byMode[mode].map((r) => r.decryptPps));
      rows.push({ profile: name, rollover: mode, encryptPps, decryptPps, encryptUsPerPacket: 1e6 / encryptPps, decryptUsPerPacket: 1e6 / decryptPps });
    }
  }
  // the estimator alone: estimate + commit per packet, sequence numbers in order through wraps
  const estimator = new SrtpIndexEstimator();
  const estimatePps = rate(seconds, (i) => {
    const guess = estimator.estimate(i & 0xffff);
    if (guess) estimator.commit(guess);
  });

  console.log(`SRTP per packet, ${PACKET_BYTES} B, one core, median of ${rounds} rounds of ${seconds} s CPU`);
  console.log('profile              rollover  encrypt pkt/s  µs/pkt  decrypt pkt/s  µs/pkt');
  for (const row of rows) {
    console.log(
      `${row.profile.padEnd(20)} ${row.rollover.padEnd(8)} ${row.encryptPps.toFixed(0).padStart(14)} ${row.encryptUsPerPacket.toFixed(2).padStart(7)} ${row.decryptPps.toFixed(0).padStart(14)} ${row.decryptUsPerPacket.toFixed(2).padStart(7)}`,
    );
  }
  console.log(`estimator alone (estimate + commit): ${(estimatePps / 1e6).toFixed(1)} M packets/s, ${(1e9 / estimatePps).toFixed(1)} ns/packet`);

  let peers: { lab: RateStep[]; werift: RateStep[] } | undefined;
  if (peerSteps > 0) {
    peers = await measurePeers(peerSteps, stepSeconds, peerRate);
    console.log(`\npeer processes over loopback, offered ${peerRate === 0 ? 'unthrottled' : `${peerRate} pkt/s`}, ${peerSteps} steps of ${stepSeconds} s each, alternating`);
    console.log('rollover  delivered pkt/s (each step)          median   receiver µs CPU/pkt (median)  loss (median)');
    for (const mode of ['lab', 'werift'] as const) {
      const delivered = peers[mode].map((s) => s.deliveredPps);
      console.log(
        `${mode.padEnd(9)} ${delivered.map((d) => d.toFixed(0)).join(', ').padEnd(36)} ${median(delivered).toFixed(0).padStart(7)}   ${median(peers[mode].map((s) => s.receiverCpuUsPerPacket)).toFixed(1).padStart(26)}  ${median(peers[mode].map((s) => s.loss)).toFixed(3).padStart(13)}`,
      );
    }
  }

  const out = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  const file = `${out}srtp-rollover.json`;
  writeFileSync(file, JSON.stringify({ packetBytes: PACKET_BYTES, seconds, rounds, rows, estimatorPps: estimatePps, estimatorNsPerPacket: 1e9 / estimatePps, peerOfferedPps: peerRate, peers }, null, 2));
  console.log(`wrote ${file}`);
}

await main();
