/**
 * Packet-rate ceiling of the lab's transport for bench/g2g.ts: a SenderPeer process and a
 * ReceiverPeer process (bench/g2g-peer.ts) over loopback, offered load stepped up; per step the
 * delivered packets/s, loss and CPU per packet on each side. Next to it, werift's raw SRTP
 * encrypt/decrypt cost measured in this process with the profile the peers negotiated.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RtpHeader, SrtpSession, keyLength, saltLength, type SrtpProfile } from 'werift';
import { startLocalStunServer } from '../src/transport/stun-server.ts';
import type { PeerMessage } from './g2g-peer.ts';
import { ratePerCpuSecond } from './lib/cpu-rate.ts';

/** One offered-load step. */
export interface RateStep {
  /** offered packets/s; 0 = unthrottled */
  offeredPps: number;
  sent: number;
  received: number;
  sentPps: number;
  deliveredPps: number;
  /** 1 − received/sent */
  loss: number;
  /** CPU per packet, µs (user + system of that process over the step) */
  senderCpuUsPerPacket: number;
  receiverCpuUsPerPacket: number;
  /** CPU load of each process over the step, 0..1 of one core */
  senderCpuLoad: number;
  receiverCpuLoad: number;
  frames: number;
  /** datagrams werift's DTLS transport took in (before SRTP authentication; includes RTCP) */
  transportIn: number;
  /** kernel UDP receive-buffer drops over the step (host-wide /proc/net/snmp RcvbufErrors) */
  rcvbufErrors: number;
}

/** werift's raw SRTP on one core, packets of `packetBytes`. */
export interface SrtpAnchor {
  profile: number;
  packetBytes: number;
  encryptPps: number;
  decryptPps: number;
  encryptUsPerPacket: number;
  decryptUsPerPacket: number;
}

/** Host-wide UDP RcvbufErrors counter (datagrams dropped because a socket's receive buffer was full). */
function udpRcvbufErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((line) => line.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    return Number(values[names.indexOf('RcvbufErrors')] ?? NaN);
  } catch {
    return NaN;
  }
}

const here = fileURLToPath(new URL('.', import.meta.url));

function waitFor<T extends PeerMessage['type']>(child: ChildProcess, type: T, timeoutMs = 30_000): Promise<Extract<PeerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`peer did not send ${type} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (message: PeerMessage): void => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', listener);
      resolve(message as Extract<PeerMessage, { type: T }>);
    };
    child.on('message', listener);
  });
}

/** Measures werift SrtpSession encrypt and decrypt of `packetBytes` packets for `seconds` each. */
export function measureSrtpAnchor(profile: SrtpProfile, packetBytes: number, seconds: number): SrtpAnchor {
  const key = randomBytes(keyLength(profile));
  const salt = randomBytes(saltLength(profile));
  const key2 = randomBytes(keyLength(profile));
  const salt2 = randomBytes(saltLength(profile));
  const local = new SrtpSession({ profile, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key2, remoteMasterSalt: salt2 } });
  const remote = new SrtpSession({ profile, keys: { localMasterKey: key2, localMasterSalt: salt2, remoteMasterKey: key, remoteMasterSalt: salt } });
  const payload = randomBytes(packetBytes - 12);
  const encrypted: Buffer[] = [];
  // Rate per CPU-second of this thread (process.cpuUsage), so other tenants of the machine do not count.
  const timeIt = (work: (i: number) => void): number => ratePerCpuSecond(seconds, work);
  const encryptPps = timeIt((i) => {
    const header = new RtpHeader({ payloadType: 102, sequenceNumber: (i + 1) & 0xffff, timestamp: i * 30, ssrc: 1234 });
    const out = local.encrypt(payload, header);
    if (encrypted.length < 4096) encrypted.push(Buffer.from(out));
  });
  // decrypt works in place: give it a copy (a 1.2 kB copy is ~1% of the decrypt cost)
  const decryptPps = timeIt((i) => remote.decrypt(Buffer.from(encrypted[i % encrypted.length]!)));
  return { profile, packetBytes, encryptPps, decryptPps, encryptUsPerPacket: 1e6 / encryptPps, decryptUsPerPacket: 1e6 / decryptPps };
}

/**
 * Runs one offered-load step on a fresh SenderPeer/ReceiverPeer pair, so that an overloaded step
 * (queues, socket buffers, congestion inside werift) cannot spill into the next.
 */
async function measureStep(stunUrl: string, offeredPps: number, stepSeconds: number, receiveBufferBytes: number | undefined): Promise<{ step: RateStep; srtpProfile: number | undefined }> {
  const start = (role: 'sender' | 'receiver'): ChildProcess => {
    const env = { ...process.env, ...(receiveBufferBytes !== undefined ? { G2G_RCVBUF: String(receiveBufferBytes) } : {}) };
    const child = fork(`${here}g2g-peer.ts`, [], { env, execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.send({ type: 'init', role, stunUrl } satisfies PeerMessage);
    return child;
  };
  const receiver = start('receiver');
  const sender = start('sender');
  try {
    const offer = await waitFor(sender, 'offer');
    receiver.send(offer);
    sender.send(await waitFor(receiver, 'answer'));
    const [connected] = await Promise.all([waitFor(sender, 'connected'), waitFor(receiver, 'connected')]);
    receiver.send({ type: 'mark' } satisfies PeerMessage);
    await waitFor(receiver, 'marked');
    const dropsBefore = udpRcvbufErrors();
    sender.send({ type: 'step', ratePps: offeredPps, seconds: stepSeconds } satisfies PeerMessage);
    const done = await waitFor(sender, 'step-done', (stepSeconds + 30) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    receiver.send({ type: 'collect' } satisfies PeerMessage);
    const collected = await waitFor(receiver, 'collected');
    const seconds = done.span.wallMs / 1000;
    const step: RateStep = {
      offeredPps,
      sent: done.sent,
      received: collected.received,
      sentPps: done.sent / seconds,
      deliveredPps: collected.received / seconds,
      loss: done.sent > 0 ? 1 - collected.received / done.sent : 0,
      senderCpuUsPerPacket: done.span.cpuUs / Math.max(1, done.sent),
      receiverCpuUsPerPacket: collected.span.cpuUs / Math.max(1, collected.received),
      senderCpuLoad: done.span.cpuUs / 1000 / done.span.wallMs,
      receiverCpuLoad: collected.span.cpuUs / 1000 / collected.span.wallMs,
      frames: collected.frames,
      rcvbufErrors: udpRcvbufErrors() - dropsBefore,
      transportIn: collected.transportIn,
    };
    return { step, srtpProfile: connected.srtpProfile };
  } finally {
    for (const child of [sender, receiver]) child.send({ type: 'quit' } satisfies PeerMessage);
    await Promise.race([Promise.all([sender, receiver].map((c) => new Promise((r) => c.once('exit', r)))), new Promise((r) => setTimeout(r, 3000))]);
    for (const child of [sender, receiver]) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * Runs the stepped packet-rate benchmark; `receiveBufferBytes` is the receiver's SO_RCVBUF
 * (undefined: ReceiverPeer's default; 0: the system default); `onStep` sees each step as it ends.
 */
export async function measurePacketRate(offered: readonly number[], stepSeconds: number, receiveBufferBytes?: number, onStep?: (step: RateStep) => void): Promise<{ steps: RateStep[]; srtpProfile: number | undefined }> {
  const stun = await startLocalStunServer('127.0.0.1');
  try {
    const steps: RateStep[] = [];
    let srtpProfile: number | undefined;
    for (const offeredPps of offered) {
      const measured = await measureStep(stun.url, offeredPps, stepSeconds, receiveBufferBytes);
      srtpProfile ??= measured.srtpProfile;
      steps.push(measured.step);
      onStep?.(measured.step);
    }
    return { steps, srtpProfile };
  } finally {
    await stun.close();
  }
}
