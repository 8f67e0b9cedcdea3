import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  RtpPacket,
  type RTCDtlsTransport,
  type RTCRtpTransceiver,
  type RtcpPacket,
} from 'werift';
import { confineSdpToAddress, foreignSdpAddresses, labIceOptions } from './lab-address.ts';
import { installSrtpIndexEstimation } from './srtp-rollover.ts';
import { negotiatedExtensionsFrom, type NegotiatedExtensions } from '../shared/rtp/extensions/negotiated.ts';
import { ABS_CAPTURE_TIME_URI } from '../shared/rtp/extensions/abs-capture-time.ts';
import { ABS_SEND_TIME_URI } from '../shared/rtp/extensions/abs-send-time.ts';
import { TRANSPORT_WIDE_SEQ_URI } from '../shared/rtp/extensions/transport-wide-seq.ts';

/**
 * A werift RTCPeerConnection set up so that the lab owns every packet (DESIGN §10, docs/werift.md):
 * - ICE on host candidates of the given address only, sockets bound to it, with the lab's own
 *   STUN server; no address outside the run in the SDPs it hands on;
 * - no rtcp-fb lines on werift-to-werift links, so werift's receiver never NACKs by itself;
 * - media goes out through `dtlsTransport.sendRtp`, which bypasses werift's retransmission cache;
 * - media comes in at the DTLS-transport level (before werift's SSRC router, which drops RED);
 * - every RTCP packet werift sends by itself (RR, SR, TWCC) is observed and reported;
 * - SRTP packet indexes are estimated the RFC 3711 way (src/transport/srtp-rollover.ts), not by
 *   werift's rollover tracking, which never recovers from a loss burst across a sequence wrap.
 */

/** Header extensions the lab can negotiate, by URI. */
export const EXTENSION_URIS = {
  transportWideCc: TRANSPORT_WIDE_SEQ_URI,
  absSendTime: ABS_SEND_TIME_URI,
  absCaptureTime: ABS_CAPTURE_TIME_URI,
} as const;
export type ExtensionName = keyof typeof EXTENSION_URIS;

export interface PeerOptions {
  /** the only address ICE may use, e.g. 127.0.0.1 or the namespace's address */
  hostAddress: string;
  /** "stun:host:port" of the lab's STUN server (never a public one) */
  stunUrl: string;
  /** H.264 payload type; default 102 */
  payloadType?: number;
  /** extensions to offer; default all three */
  extensions?: ExtensionName[];
  /** rtcp-fb values to put on the codec (for real browsers); default none */
  rtcpFeedback?: { type: string; parameter?: string }[];
  /**
   * SO_RCVBUF of the receiver's UDP socket, bytes (the kernel caps it at net.core.rmem_max);
   * default 4 MiB; 0 keeps the system default (~208 KiB, about 90 packets of 1200 B on loopback,
   * which a descheduled receiver overflows within milliseconds at a few thousand packets/s)
   */
  receiveBufferBytes?: number;
  /**
   * SRTP ROC / packet index by RFC 3711 §3.3.1 in both directions (src/transport/srtp-rollover.ts);
   * default true. false leaves werift's own rollover tracking (only for tests and benches that
   * show what it does).
   */
  srtpIndexEstimation?: boolean;
}

/** Default SO_RCVBUF of the receiver's socket, bytes. */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** The dgram socket under werift's nominated ICE pair (werift keeps it private). */
function nominatedSocket(dtls: RTCDtlsTransport): { setRecvBufferSize(bytes: number): void } | undefined {
  type Nested = { iceTransport?: { connection?: { nominated?: { protocol?: { transport?: { socket?: { setRecvBufferSize(bytes: number): void } } } } } } };
  return (dtls as unknown as Nested).iceTransport?.connection?.nominated?.protocol?.transport?.socket;
}

/** Negotiated parameters the packetizer needs. */
export interface NegotiatedMedia {
  payloadType: number;
  ssrc: number;
  /** extension URI → negotiated id; only negotiated ones are present */
  extensions: NegotiatedExtensions;
}

/**
 * How long ICE + DTLS may take, ms. Generous because the run's link impairs the handshake too:
 * at a few % loss a lost DTLS flight is retransmitted after 1, 2, 4 s...
 */
export const CONNECT_TIMEOUT_DEFAULT_MS = 30_000;

/** Raised when the peer cannot be set up or negotiated; `code` names the stage. */
export class PeerError extends Error {
  constructor(
    readonly code: 'PEER_NEGOTIATION' | 'PEER_CONNECT_TIMEOUT' | 'PEER_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'PeerError';
  }
}

/** An RTCP packet werift sent by itself (not through the lab), for the records. */
export type WeriftRtcpObserver = (kind: string, raw: Buffer) => void;

function createConnection(options: PeerOptions): RTCPeerConnection {
  const payloadType = options.payloadType ?? 102;
  const extensions = options.extensions ?? (Object.keys(EXTENSION_URIS) as ExtensionName[]);
  return new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          payloadType,
          rtcpFeedback: options.rtcpFeedback ?? [],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
      ],
    },
    headerExtensions: { video: extensions.map((name) => new RTCRtpHeaderExtensionParameters({ uri: EXTENSION_URIS[name] })) },
    iceServers: [{ urls: options.stunUrl }],
    // gather, bind and check on the lab address only (src/transport/lab-address.ts)
    ...labIceOptions(options.hostAddress),
    iceStunGatherTimeout: 1,
  });
}

/** The local SDP confined to the lab address; refuses to hand on one naming any other address. */
function confinedLocalSdp(pc: RTCPeerConnection, hostAddress: string): string {
  const sdp = confineSdpToAddress(pc.localDescription!.sdp, hostAddress);
  const foreign = foreignSdpAddresses(sdp, [hostAddress]);
  if (foreign.length > 0) {
    const where = foreign.map((found) => `line ${found.line} (${found.field}) ${found.address}`).join(', ');
    throw new PeerError('PEER_NEGOTIATION', `the local SDP names addresses outside the lab address ${hostAddress}: ${where}`);
  }
  return sdp;
}

async function gatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') {
        unSubscribe();
        resolve();
      }
    });
  });
}

/** Resolves when the connection is up; rejects after `timeoutMs`. */
async function connected(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.connectionState === 'connected') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      unSubscribe();
      reject(new PeerError('PEER_CONNECT_TIMEOUT', `WebRTC connection not established within ${timeoutMs} ms (state ${pc.connectionState})`));
    }, timeoutMs);
    const { unSubscribe } = pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        unSubscribe();
        resolve();
      } else if (state === 'failed' || state === 'closed') {
        clearTimeout(timer);
        unSubscribe();
        reject(new PeerError('PEER_CLOSED', `WebRTC connection ${state} before it was established`));
      }
    });
  });
}

/** Reports every RTCP compound werift sends on this transport by itself. */
function observeWeriftRtcp(dtls: RTCDtlsTransport, observer: WeriftRtcpObserver, labSending: { active: boolean }): void {
  const original = dtls.sendRtcp.bind(dtls);
  dtls.sendRtcp = async (packets: RtcpPacket[]) => {
    if (!labSending.active) {
      for (const packet of packets) observer(packet.constructor.name.replace(/^_/, ''), packet.serialize());
    }
    return original(packets);
  };
}

/** A raw RTCP packet the lab sends (already serialized by the lab's own RTCP code). */
function rawRtcp(bytes: Buffer): RtcpPacket {
  return { serialize: () => bytes } as unknown as RtcpPacket;
}

/** Common to both ends: raw RTCP in and out, close. */
abstract class LabPeer {
  protected readonly labSending = { active: false };
  protected dtls: RTCDtlsTransport | undefined;

  constructor(protected readonly pc: RTCPeerConnection, protected readonly options: PeerOptions) {}

  /** Takes over the connected DTLS transport (and its SRTP index estimation, unless switched off). */
  protected adopt(dtls: RTCDtlsTransport): void {
    this.dtls = dtls;
    if (this.options.srtpIndexEstimation ?? true) installSrtpIndexEstimation(dtls);
  }

  /** Sends one serialized RTCP compound packet (SRTCP-protected by werift). */
  async sendRtcp(compound: Buffer): Promise<void> {
    if (!this.dtls) throw new PeerError('PEER_CLOSED', 'sendRtcp before the connection is up');
    this.labSending.active = true;
    try {
      await this.dtls.sendRtcp([rawRtcp(compound)]);
    } finally {
      this.labSending.active = false;
    }
  }

  /**
   * Calls `handler` with each received RTCP compound datagram exactly as it came off SRTCP, and
   * its arrival time (ns). Taken from the SRTCP session rather than `dtlsTransport.onRtcp`,
   * because werift's own RTCP parser drops packet types it does not know (FIR, for one).
   */
  onRtcp(handler: (packet: Buffer, arrivalNs: bigint) => void): void {
    const dtls = this.dtls;
    if (!dtls) throw new PeerError('PEER_CLOSED', 'onRtcp before the connection is up');
    const srtcp = dtls.srtcp;
    const decrypt = srtcp.decrypt;
    srtcp.decrypt = (buffer: Buffer) => {
      const plain = decrypt(buffer);
      try {
        handler(plain, process.hrtime.bigint());
      } catch (error) {
        // an exception here would make werift drop the datagram for its own bookkeeping too
        queueMicrotask(() => {
          throw error;
        });
      }
      return plain;
    };
  }

  /** Reports the RTCP werift sends by itself (RR, SR, TWCC feedback). */
  observeWeriftRtcp(observer: WeriftRtcpObserver): void {
    if (!this.dtls) throw new PeerError('PEER_CLOSED', 'observeWeriftRtcp before the connection is up');
    observeWeriftRtcp(this.dtls, observer, this.labSending);
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}

/** The sending end: offers one sendonly H.264 video transceiver. */
export class SenderPeer extends LabPeer {
  private transceiver: RTCRtpTransceiver | undefined;

  static create(options: PeerOptions): SenderPeer {
    return new SenderPeer(createConnection(options), options);
  }

  /** Creates the offer (ICE gathered, candidates restricted to the lab address). */
  async offer(): Promise<string> {
    this.transceiver = this.pc.addTransceiver('video', { direction: 'sendonly' });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gatheringComplete(this.pc);
    return confinedLocalSdp(this.pc, this.options.hostAddress);
  }

  /** Applies the answer and waits for the connection. */
  async accept(answerSdp: string, timeoutMs = CONNECT_TIMEOUT_DEFAULT_MS): Promise<NegotiatedMedia> {
    if (!this.transceiver) throw new PeerError('PEER_NEGOTIATION', 'accept() before offer()');
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    await connected(this.pc, timeoutMs);
    this.adopt(this.transceiver.sender.dtlsTransport);
    const codec = this.transceiver.codecs[0];
    if (!codec) throw new PeerError('PEER_NEGOTIATION', 'the answer accepted no video codec');
    return { payloadType: codec.payloadType, ssrc: this.transceiver.sender.ssrc, extensions: negotiatedExtensionsFrom(this.transceiver.headerExtensions) };
  }

  /**
   * Sends one serialized RTP packet as it is (SSRC, PT, seq, extensions untouched), SRTP-protected.
   * Returns false when the packet could not be parsed for werift's SRTP layer.
   */
  async sendRtp(packet: Buffer): Promise<boolean> {
    if (!this.dtls) throw new PeerError('PEER_CLOSED', 'sendRtp before the connection is up');
    let parsed: RtpPacket;
    try {
      parsed = RtpPacket.deSerialize(packet);
    } catch {
      return false;
    }
    if (parsed.header.padding) {
      // werift's SRTP encrypts `payload` and writes the header as given: with paddingSize set it
      // leaves the padding out of the encrypted part (or out of the packet), and the far end
      // drops the packet as malformed. RFC 3711 encrypts the padding with the payload: hand it
      // over as payload and let the header carry only the P bit.
      const header = parsed.header;
      const body = packet.subarray(header.payloadOffset);
      header.paddingSize = 0;
      await this.dtls.sendRtp(body, header);
      return true;
    }
    await this.dtls.sendRtp(parsed.payload, parsed.header);
    return true;
  }
}

/** The receiving end: answers with a recvonly transceiver and hands RTP to the lab raw. */
export class ReceiverPeer extends LabPeer {
  static create(options: PeerOptions): ReceiverPeer {
    return new ReceiverPeer(createConnection(options), options);
  }

  /** Answers an offer (candidates restricted to the lab address). */
  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    const transceiver = this.pc.getTransceivers()[0];
    if (!transceiver) throw new PeerError('PEER_NEGOTIATION', 'the offer has no media section');
    transceiver.setDirection('recvonly');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await gatheringComplete(this.pc);
    return confinedLocalSdp(this.pc, this.options.hostAddress);
  }

  /** Waits for the connection; then RTP arrives through onRtp. */
  async waitConnected(timeoutMs = CONNECT_TIMEOUT_DEFAULT_MS): Promise<void> {
    await connected(this.pc, timeoutMs);
    const transceiver = this.pc.getTransceivers()[0]!;
    const dtls = transceiver.receiver.dtlsTransport;
    this.adopt(dtls);
    const bytes = this.options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES;
    if (bytes > 0) {
      try {
        nominatedSocket(dtls)?.setRecvBufferSize(bytes);
      } catch {
        // A socket that refuses a larger buffer keeps the system default.
      }
    }
  }

  /** The header extensions the answer negotiated: URI → id. */
  negotiatedExtensions(): NegotiatedExtensions {
    const transceiver = this.pc.getTransceivers()[0];
    return transceiver ? negotiatedExtensionsFrom(transceiver.headerExtensions) : {};
  }

  /** Calls `handler` with every received RTP packet (serialized, after SRTP) and its arrival time (ns). */
  onRtp(handler: (packet: Buffer, arrivalNs: bigint) => void): void {
    if (!this.dtls) throw new PeerError('PEER_CLOSED', 'onRtp before the connection is up');
    this.dtls.onRtp.subscribe((packet) => handler(packet.serialize(), process.hrtime.bigint()));
  }
}
