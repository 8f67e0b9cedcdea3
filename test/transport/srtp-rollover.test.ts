import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  SrtpAuthenticationError,
  SrtpSession,
  keyLength,
  saltLength,
  type SrtpProfile,
} from 'werift';
import { estimateSrtpIndexes } from '../../src/transport/srtp-rollover.ts';

/** A sending and a receiving werift SrtpSession sharing keys, as DTLS would set them up. */
function sessionPair(profile: SrtpProfile): { sender: SrtpSession; receiver: SrtpSession } {
  const [key, salt, key2, salt2] = [keyLength(profile), saltLength(profile), keyLength(profile), saltLength(profile)].map((n) => randomBytes(n)) as [Buffer, Buffer, Buffer, Buffer];
  return {
    sender: new SrtpSession({ profile, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key2, remoteMasterSalt: salt2 } }),
    receiver: new SrtpSession({ profile, keys: { localMasterKey: key2, localMasterSalt: salt2, remoteMasterKey: key, remoteMasterSalt: salt } }),
  };
}

const SSRC = 0x1234_5678;

function protect(sender: SrtpSession, seq: number): { wire: Buffer; payload: Buffer } {
  const payload = randomBytes(200);
  const header = new RtpHeader({ payloadType: 102, sequenceNumber: seq & 0xffff, timestamp: seq * 90, ssrc: SSRC });
  return { wire: Buffer.from(sender.encrypt(payload, header)), payload };
}

/** Decrypts, returning the payload (after the 12-byte header) or undefined when it does not authenticate. */
function unprotect(receiver: SrtpSession, wire: Buffer): Buffer | undefined {
  try {
    return receiver.decrypt(wire).subarray(12);
  } catch (error) {
    if (error instanceof SrtpAuthenticationError) return undefined;
    throw error;
  }
}

/** Sequence numbers 65000.. for `total` packets (extended, crossing the wrap). */
const extendedRange = (first: number, total: number): number[] => Array.from({ length: total }, (_, i) => first + i);

const profiles = [
  ['AES-CM + HMAC-SHA1-80', ProtectionProfileAes128CmHmacSha1_80],
  ['AES-128-GCM', ProtectionProfileAeadAes128Gcm],
] as const;

describe.each(profiles)('SRTP index estimation over werift %s', (_name, profile) => {
  it('werift alone: a receiver that saw no packet near the wrap never authenticates again', () => {
    const { sender, receiver } = sessionPair(profile);
    const lost = (seq: number): boolean => seq >= 65_300 && seq < 65_300 + 400; // 65300 .. 164 after the wrap
    const delivered = extendedRange(65_000, 1000).filter((seq) => {
      const { wire } = protect(sender, seq);
      return !lost(seq) && unprotect(receiver, wire) !== undefined;
    });
    expect(delivered.filter((seq) => seq >= 0x10000)).toEqual([]);
    expect(delivered.length).toBe(300);
  });

  it('with the lab estimate: every packet after a 400-packet outage across the wrap decrypts', () => {
    const { sender, receiver } = sessionPair(profile);
    estimateSrtpIndexes(sender);
    estimateSrtpIndexes(receiver);
    for (const seq of extendedRange(65_000, 1000)) {
      const { wire, payload } = protect(sender, seq);
      if (seq >= 65_300 && seq < 65_700) continue;
      expect(unprotect(receiver, wire)).toEqual(payload);
    }
  });

  it('with the lab estimate: a sparse stream (every 500th sequence number) across several wraps', () => {
    const { sender, receiver } = sessionPair(profile);
    estimateSrtpIndexes(sender);
    estimateSrtpIndexes(receiver);
    // the sender itself skips sequence numbers: its own index must still count the wraps
    for (let seq = 60_000; seq < 4 * 0x10000; seq += 500) {
      const { wire, payload } = protect(sender, seq);
      expect(unprotect(receiver, wire)).toEqual(payload);
    }
  });

  it('with the lab estimate: a forged packet does not move the rollover state', () => {
    const { sender, receiver } = sessionPair(profile);
    estimateSrtpIndexes(sender);
    estimateSrtpIndexes(receiver);
    const late = protect(sender, 39_500);
    expect(unprotect(receiver, protect(sender, 40_000).wire)).toBeDefined();
    // A forged packet whose SEQ 7000 makes the receiver guess ROC + 1 (s_l − 2^15 > SEQ). Had it
    // moved ROC/s_l to (1, 7000), the late genuine packet 39500 would be guessed at ROC 1.
    const forged = Buffer.from(protect(sender, 7_000 + 0x10000).wire);
    forged[forged.length - 1]! ^= 0x01;
    expect(unprotect(receiver, forged)).toBeUndefined();
    expect(unprotect(receiver, late.wire)).toEqual(late.payload);
    const truncated = Buffer.from([0x80, 102, 0, 1]);
    expect(unprotect(receiver, truncated)).toBeUndefined();
  });

  it('with the lab estimate: reordering across the wrap and a late packet of the previous ROC', () => {
    const { sender, receiver } = sessionPair(profile);
    estimateSrtpIndexes(sender);
    estimateSrtpIndexes(receiver);
    const packets = extendedRange(65_520, 40).map((seq) => ({ seq, ...protect(sender, seq) }));
    const order = [...packets].sort((a, b) => (a.seq % 7) - (b.seq % 7) || a.seq - b.seq); // scrambled, 7 interleaved runs
    for (const packet of order) expect(unprotect(receiver, packet.wire)).toEqual(packet.payload);
  });

  it('takes over werift state for an SSRC that werift decrypted before the install', () => {
    const { sender, receiver } = sessionPair(profile);
    // werift itself carries both ends across the wrap (no loss): ROC 1 on both sides
    for (const seq of extendedRange(65_400, 200)) expect(unprotect(receiver, protect(sender, seq).wire)).toBeDefined();
    estimateSrtpIndexes(sender);
    estimateSrtpIndexes(receiver);
    for (const seq of extendedRange(65_600, 100)) {
      const { wire, payload } = protect(sender, seq);
      expect(unprotect(receiver, wire)).toEqual(payload);
    }
  });
});
