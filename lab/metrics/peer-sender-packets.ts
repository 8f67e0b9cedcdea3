/**
 * A Chromium sender writes no packet records: libwebrtc does not say what it sent. The link saw
 * every packet, though (its fate log keeps SSRC, sequence number and payload type from the
 * clear RTP header), so the sender's outgoing packets are taken from the up direction's first
 * copies, their kind from the streams Chromium's offer named (receiver event `chromium-streams`):
 * RTX SSRC → rtx, FlexFEC SSRC → fec, otherwise media. ULPFEC travels in RED on the media SSRC and
 * its payload is encrypted on the wire: a RED packet the lab's receiver got is classed as it
 * recorded it, a dropped one as media (the one approximation; FlexFEC and RTX are exact).
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { PacketRecord } from '../../src/shared/records.ts';
import type { RunRecords } from './run-records.ts';

/** The sender's packets as the fate log saw them; empty when the run has no `chromium-streams` event. */
export function peerSenderPackets(records: RunRecords, fates: readonly LinkFateRecord[]): PacketRecord[] {
  const streams = records.events.find((e) => e.side === 'receiver' && e.name === 'chromium-streams')?.detail;
  if (!streams) return [];
  const num = (key: string): number | undefined => (typeof streams[key] === 'number' ? (streams[key]) : undefined);
  const rtxSsrc = num('rtxSsrc');
  const flexfecSsrc = num('flexfecSsrc');
  const received = new Map<string, PacketRecord>();
  for (const p of records.packets) if (p.side === 'receiver' && p.dir === 'in' && p.recoveredBy === undefined) received.set(`${p.ssrc}/${p.seq}`, p);
  const out: PacketRecord[] = [];
  for (const fate of fates) {
    if (fate.dir !== 'up' || fate.duplicate === true || fate.ssrc === undefined || fate.seq === undefined || fate.pt === undefined) continue;
    const seen = received.get(`${fate.ssrc}/${fate.seq}`);
    const kind: PacketRecord['kind'] = fate.ssrc === rtxSsrc ? 'rtx' : fate.ssrc === flexfecSsrc ? 'fec' : (seen?.kind ?? 'media');
    // the fate log's size is the IP datagram: less IPv4 (20) and UDP (8), the packet as SRTP carried it.
    // An RTX packet's original sequence number is in its encrypted payload: the receiver's record has it
    out.push({
      type: 'packet', side: 'sender', dir: 'out', ssrc: fate.ssrc, seq: fate.seq, pt: fate.pt, kind, size: Math.max(0, fate.size - 28), timeMs: fate.readMs ?? fate.enqueueMs,
      ...(kind === 'rtx' && seen?.originalSeq !== undefined ? { originalSeq: seen.originalSeq } : {}),
    });
  }
  return out;
}
