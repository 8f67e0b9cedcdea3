import { parseCompound } from '../shared/rtcp/compound.ts';

/** Keyframe requests (PLI, FIR) found in one RTCP compound datagram, in order. Bad bytes yield none. */
export function keyframeRequestsIn(datagram: Uint8Array): ('pli' | 'fir')[] {
  const parsed = parseCompound(datagram);
  if (!parsed.ok) return [];
  const requests: ('pli' | 'fir')[] = [];
  for (const packet of parsed.value) {
    if (packet.type === 'pli' || packet.type === 'fir') requests.push(packet.type);
  }
  return requests;
}
