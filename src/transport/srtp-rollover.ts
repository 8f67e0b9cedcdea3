import { SrtpAuthenticationError, type RTCDtlsTransport, type RtpHeader, type SrtpSession } from 'werift';
import { SrtpIndexTable, type SrtpRolloverState } from './srtp-index.ts';

/**
 * Replaces werift's rollover-counter tracking in an SRTP session with the lab's RFC 3711 §3.3.1
 * estimate (src/transport/srtp-index.ts), keeping werift's ciphers (AES-CM + HMAC-SHA1-80 and
 * AES-128-GCM, whichever DTLS negotiated) and its key derivation:
 * - receiving: the ROC is guessed per SSRC from s_l and SEQ, the packet is authenticated and
 *   decrypted with it, and only an authenticated packet moves ROC / s_l;
 * - sending: the ROC of each packet is the same estimate over the packets sent (the sender's own
 *   index), so a sender whose sequence numbers skip across the wrap still puts the true index on
 *   the wire (werift alone would keep ROC unchanged there).
 * SRTCP needs nothing: each SRTCP packet carries its 31-bit index in clear (RFC 3711 §3.4), and
 * werift decrypts with that index.
 */

/** The werift state of an SSRC seen before the lab took over (packets that raced the install). */
type WeriftSsrcStates = Record<number, { rolloverCounter: number; lastSequenceNumber: number } | undefined>;

function seedFrom(states: WeriftSsrcStates): (ssrc: number) => SrtpRolloverState | undefined {
  return (ssrc) => {
    const state = states[ssrc];
    return state ? { roc: state.rolloverCounter, highestSeq: state.lastSequenceNumber } : undefined;
  };
}

const RTP_HEADER_BYTES = 12;
const PATCHED = Symbol('glasslab.srtpIndexEstimation');

/**
 * Makes `session` estimate packet indexes the RFC 3711 way (both directions). Idempotent.
 * Decrypt throws werift's SrtpAuthenticationError for a packet that does not authenticate (werift's
 * transport drops those), as werift's own decrypt does.
 */
export function estimateSrtpIndexes(session: SrtpSession): void {
  const marked = session as SrtpSession & { [PATCHED]?: true };
  if (marked[PATCHED]) return;
  marked[PATCHED] = true;
  const remote = session.remoteContext;
  const local = session.localContext;
  const received = new SrtpIndexTable();
  const sent = new SrtpIndexTable();
  const seedReceived = seedFrom(remote.srtpSSRCStates);
  const seedSent = seedFrom(local.srtpSSRCStates);

  session.decrypt = (packet: Buffer): Buffer => {
    if (packet.length < RTP_HEADER_BYTES) throw new SrtpAuthenticationError('SRTP packet shorter than an RTP header');
    const ssrc = packet.readUInt32BE(8);
    const estimator = received.forSsrc(ssrc, seedReceived);
    const guess = estimator.estimate(packet.readUInt16BE(2));
    if (!guess) throw new SrtpAuthenticationError('SRTP packet index outside the rollover counter range');
    const [plain] = remote.cipher.decryptRtp(packet, guess.roc); // throws SrtpAuthenticationError
    estimator.commit(guess);
    return plain;
  };

  session.encrypt = (payload: Buffer, header: RtpHeader): Buffer => {
    const estimator = sent.forSsrc(header.ssrc, seedSent);
    const guess = estimator.estimate(header.sequenceNumber);
    // undefined only for a sequence number before the first one sent: ROC 0, as werift would
    if (!guess) return local.cipher.encryptRtp(header, payload, 0);
    estimator.commit(guess);
    return local.cipher.encryptRtp(header, payload, guess.roc);
  };
}

/**
 * Installs `estimateSrtpIndexes` on a connected DTLS transport's SRTP session, and again on every
 * session werift creates later (it builds a new one in `updateSrtpSession`).
 */
export function installSrtpIndexEstimation(dtls: RTCDtlsTransport): void {
  const transport = dtls as RTCDtlsTransport & { [PATCHED]?: true };
  if (!transport[PATCHED]) {
    transport[PATCHED] = true;
    const update = dtls.updateSrtpSession.bind(dtls);
    dtls.updateSrtpSession = () => {
      update();
      estimateSrtpIndexes(dtls.srtp);
    };
  }
  if (dtls.srtp) estimateSrtpIndexes(dtls.srtp);
}
