/**
 * Golden captures: the RTP Chromium 156 sent (its H.264, RTX, RED + ULPFEC and FlexFEC-03 under
 * loss), as the lab's receiver got it after SRTP (test/fixtures/chromium-golden, provenance in
 * its README). For every FEC packet whose protected packets are all in the capture, each of them
 * in turn is held back and the lab's decoder must rebuild it byte for byte from the others and
 * libwebrtc's FEC packet: what the mask allows, exactly, but for the values of the two send-time
 * header extensions (abs-send-time, transport-wide sequence number). libwebrtc protects the packet
 * before its pacer writes those, so no decoder can get them back; the extensions' layout and
 * every other byte must match. Every RTX packet must unwrap to a media packet of the stream,
 * filling a sequence number the capture lacks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FecError } from '../../src/shared/fec/errors.ts';
import { FlexfecDecoder, parseFlexfec } from '../../src/shared/fec/flexfec.ts';
import { decapsulateRed } from '../../src/shared/fec/red.ts';
import { isRtpLayoutError, readRtpLayout } from '../../src/shared/fec/rtp-fields.ts';
import { parseUlpfec, UlpfecDecoder } from '../../src/shared/fec/ulpfec.ts';
import { RtxUnwrapper } from '../../src/receiver/rtx-unwrap.ts';
import { readRtpCapture } from '../../src/shared/rtp-capture.ts';

interface Streams {
  browser: string;
  mediaPayloadType: number;
  mediaSsrc: number;
  rtxSsrc: number;
  rtxPayloadType: number;
  flexfecSsrc: number;
  flexfecPayloadType: number;
  redPayloadType: number;
  ulpfecPayloadType: number;
  /** the offer's extmap ids of abs-send-time and the transport-wide sequence number */
  sendTimeExtensionIds: { absSendTime: number; transportWideSeq: number };
}

/** A copy with the values of the given one-byte-header extensions (RFC 8285, 0xBEDE) zeroed. */
function withoutValues(packet: Buffer, ids: readonly number[]): Buffer {
  const copy = Buffer.from(packet);
  const csrcEnd = 12 + 4 * (copy[0]! & 0x0f);
  if ((copy[0]! & 0x10) === 0 || copy.readUInt16BE(csrcEnd) !== 0xbede) return copy;
  const end = csrcEnd + 4 + 4 * copy.readUInt16BE(csrcEnd + 2);
  for (let i = csrcEnd + 4; i < end; ) {
    const id = copy[i]! >> 4;
    if (id === 0) {
      i++;
      continue;
    }
    const length = (copy[i]! & 0x0f) + 1;
    if (ids.includes(id)) copy.fill(0, i + 1, i + 1 + length);
    i += 1 + length;
  }
  return copy;
}

const fixture = (name: string): { packets: Buffer[]; streams: Streams } => {
  const dir = new URL('../fixtures/chromium-golden/', import.meta.url);
  const capture = readRtpCapture(readFileSync(new URL(`${name}.pcap`, dir)));
  if ('error' in capture) throw capture.error;
  return { packets: capture.packets.map((p) => p.rtp), streams: JSON.parse(readFileSync(new URL(`${name}.streams.json`, dir), 'utf8')) as Streams };
};

const layoutOf = (packet: Uint8Array) => {
  const l = readRtpLayout(packet);
  if (isRtpLayoutError(l)) throw new Error(`bad RTP in the capture: ${l.code}`);
  return l;
};

/** Holds back each protected packet in turn; the decoder must rebuild exactly it. Returns the cases tried. */
function holdBackEach(
  media: Map<number, Buffer>,
  fecs: { protectedSeqs: readonly number[]; insert: (decoder: FlexfecDecoder | UlpfecDecoder) => Buffer[] | FecError }[],
  makeDecoder: () => FlexfecDecoder | UlpfecDecoder,
  sendTimeIds: readonly number[],
): { cases: number; exact: number } {
  let cases = 0;
  let exact = 0;
  for (const fec of fecs) {
    if (!fec.protectedSeqs.every((seq) => media.has(seq))) continue;
    for (const held of fec.protectedSeqs) {
      const decoder = makeDecoder();
      for (const seq of fec.protectedSeqs) if (seq !== held) expect(decoder.insertMedia(media.get(seq)!)).toEqual([]);
      const recovered = fec.insert(decoder);
      expect(recovered).not.toBeInstanceOf(FecError);
      const got = recovered as Buffer[];
      expect(got.length, `seq ${held}`).toBe(1);
      expect(withoutValues(got[0]!, sendTimeIds).toString('hex'), `seq ${held}`).toBe(withoutValues(media.get(held)!, sendTimeIds).toString('hex'));
      if (got[0]!.equals(media.get(held)!)) exact++;
      cases++;
    }
  }
  return { cases, exact };
}

const idsOf = (s: Streams): number[] => [s.sendTimeExtensionIds.absSendTime, s.sendTimeExtensionIds.transportWideSeq];

describe("golden captures of Chromium's repair streams", () => {
  it("rebuilds byte for byte every packet libwebrtc's FlexFEC-03 protects", () => {
    const { packets, streams } = fixture('flexfec');
    const media = new Map<number, Buffer>();
    const fecs: Parameters<typeof holdBackEach>[1] = [];
    for (const packet of packets) {
      const l = layoutOf(packet);
      if (l.ssrc === streams.mediaSsrc && l.payloadType === streams.mediaPayloadType) media.set(l.sequenceNumber, packet);
      if (l.ssrc === streams.flexfecSsrc) {
        const parsed = parseFlexfec(packet.subarray(l.payloadOffset, l.payloadOffset + l.payloadLength));
        if (parsed instanceof FecError) throw parsed;
        expect(parsed.protectedSsrc).toBe(streams.mediaSsrc);
        fecs.push({ protectedSeqs: parsed.protectedSeqs, insert: (d) => (d as FlexfecDecoder).insertFec(packet) });
      }
    }
    expect(fecs.length).toBeGreaterThan(20);
    const { cases, exact } = holdBackEach(media, fecs, () => new FlexfecDecoder({ ssrc: streams.mediaSsrc, fecSsrc: streams.flexfecSsrc }), idsOf(streams));
    console.log(`${streams.browser} FlexFEC-03: ${fecs.length} FEC packets, ${cases} held-back packets rebuilt byte for byte but the send-time values (${exact} with those too)`);
    expect(cases).toBeGreaterThan(20);
  });

  it("rebuilds byte for byte every packet libwebrtc's ULPFEC (in RED) protects", () => {
    const { packets, streams } = fixture('ulpfec');
    const media = new Map<number, Buffer>();
    const fecs: Parameters<typeof holdBackEach>[1] = [];
    for (const packet of packets) {
      const l = layoutOf(packet);
      if (l.ssrc !== streams.mediaSsrc || l.payloadType !== streams.redPayloadType) continue;
      const red = decapsulateRed(packet);
      if (red instanceof FecError) throw red;
      if (red.payloadType === streams.mediaPayloadType) media.set(l.sequenceNumber, red.packet);
      else if (red.payloadType === streams.ulpfecPayloadType) {
        const parsed = parseUlpfec(red.payload);
        if (parsed instanceof FecError) throw parsed;
        fecs.push({ protectedSeqs: parsed.protectedSeqs, insert: (d) => (d as UlpfecDecoder).insertFec(red.payload) });
      }
    }
    expect(fecs.length).toBeGreaterThan(20);
    const { cases, exact } = holdBackEach(media, fecs, () => new UlpfecDecoder({ ssrc: streams.mediaSsrc }), idsOf(streams));
    console.log(`${streams.browser} ULPFEC: ${fecs.length} FEC packets, ${cases} held-back packets rebuilt byte for byte but the send-time values (${exact} with those too)`);
    expect(cases).toBeGreaterThan(20);
  });

  it("unwraps every RTX packet of libwebrtc's into a media packet the capture lacks", () => {
    const { packets, streams } = fixture('nack');
    const rtx = new RtxUnwrapper({ mediaSsrcByRtxSsrc: { [streams.rtxSsrc]: streams.mediaSsrc }, apt: { [streams.rtxPayloadType]: streams.mediaPayloadType } });
    const mediaSeqs = new Set<number>();
    const restored: { seq: number; packet: Uint8Array }[] = [];
    let padding = 0;
    for (const packet of packets) {
      const l = layoutOf(packet);
      if (l.ssrc === streams.mediaSsrc) mediaSeqs.add(l.sequenceNumber);
      if (l.ssrc !== streams.rtxSsrc) continue;
      const unwrapped = rtx.unwrap(packet);
      // libwebrtc probes bandwidth with padding-only packets on the RTX SSRC
      if (!unwrapped.ok && unwrapped.error.code === 'padding-only') {
        padding++;
        continue;
      }
      if (!unwrapped.ok) throw new Error(`RTX packet did not unwrap: ${unwrapped.error.code}`);
      restored.push({ seq: unwrapped.value.originalSeq, packet: unwrapped.value.packet });
    }
    expect(restored.length).toBeGreaterThan(3);
    for (const { seq, packet } of restored) {
      const l = layoutOf(packet);
      expect(l.ssrc).toBe(streams.mediaSsrc);
      expect(l.payloadType).toBe(streams.mediaPayloadType);
      expect(l.sequenceNumber).toBe(seq);
      // the first transmission was lost on the link: the RTX fills a hole of the media stream
      expect(mediaSeqs.has(seq), `seq ${seq}`).toBe(false);
    }
    console.log(`${streams.browser} RTX: ${restored.length} retransmissions unwrapped, ${padding} padding-only probes`);
  });
});
