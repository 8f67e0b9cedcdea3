/**
 * Records every process of a run writes, one JSON object per line (NDJSON), to files in the run
 * folder: `sender.ndjson`, `receiver.ndjson`, `link.ndjson` (fate log), `run.ndjson` (orchestrator).
 *
 * Times are CLOCK_MONOTONIC milliseconds as JSON numbers (fractional, sub-µs precision), the clock
 * shared by every process on the host (`process.hrtime.bigint()` / native clock_gettime).
 * Fields that a stage did not reach are absent, never 0.
 */

/** Which process wrote the record. */
export type RecordSide = 'sender' | 'receiver' | 'relay' | 'link' | 'orchestrator';

/** RTP packet kinds the lab tells apart. */
export type PacketKind = 'media' | 'rtx' | 'fec' | 'padding';

/** One frame on the sender: native stage times, then what the RTP side did with it. */
export interface SenderFrameRecord {
  type: 'frame';
  side: 'sender';
  frameId: number;
  /** capture time = render fence observed signalled (also stamped into the pixels) */
  captureMs: number;
  renderSubmitMs: number;
  renderDoneMs: number;
  copyDoneMs: number;
  convertDoneMs: number;
  /** the frame reached the sender's JS thread (VideoSender.handleFrame) */
  deliveredMs?: number;
  encodeStartMs?: number;
  /** zero-copy: the GPU surface copied into NVENC's input once CUDA saw the conversion done (between encode start and done) */
  importDoneMs?: number;
  encodeDoneMs?: number;
  keyframe?: boolean;
  /** encoded access unit size, bytes */
  bytes?: number;
  /** 90 kHz RTP timestamp of the frame */
  rtpTimestamp?: number;
  /** number of media RTP packets the frame was packetized into */
  packets?: number;
  firstSeq?: number;
  lastSeq?: number;
  firstPacketSentMs?: number;
  lastPacketSentMs?: number;
  /** why the frame did not go out, when it did not (e.g. "encoder-dropped", "source-queue-full") */
  dropped?: string;
  /** which sender wrote it; absent: the lab's own. Chromium: render = the page's draw, copy/convert = requestFrame() */
  peer?: 'chromium';
}

/** Marker outcome on the receiver (see native/README.md). */
export type MarkerOutcome = 'ok' | 'check-failed' | 'too-small';

/** One frame on the receiver, keyed by RTP timestamp; frameId comes from the marker. */
export interface ReceiverFrameRecord {
  type: 'frame';
  side: 'receiver';
  rtpTimestamp: number;
  /** from the decoded marker; absent when unreadable */
  frameId?: number;
  /** capture time read from the marker */
  captureMs?: number;
  /** absent when the receiver does not expose packet times (Chromium: its rvfc gives only the last) */
  firstPacketMs?: number;
  /** Chromium: rvfc `receiveTime` (its last packet's arrival), when libwebrtc gives one */
  lastPacketMs?: number;
  /** all packets of the frame present (after recovery) */
  completeMs?: number;
  decodeStartMs?: number;
  decodeDoneMs?: number;
  markerReadMs?: number;
  marker?: MarkerOutcome;
  keyframe?: boolean;
  /** absent for Chromium, which does not tell */
  packets?: number;
  /** packets of this frame that were recovered by FEC / RTX */
  recoveredFec?: number;
  recoveredRtx?: number;
  /** why the frame was not displayed, when it was not (e.g. "incomplete", "not-decodable", "decode-error") */
  notDisplayed?: string;
  /** which receiver wrote it; absent: the lab's own */
  peer?: 'chromium';
  /** Chromium only: the requestVideoFrameCallback metadata, on CLOCK_MONOTONIC */
  rvfc?: RvfcTimes;
}

/**
 * requestVideoFrameCallback's metadata for one frame, mapped onto CLOCK_MONOTONIC ms
 * (src/chromium/clock-mapping.ts). `decodeDoneMs` of a Chromium frame is its
 * presentationMs (handed to the compositor after decode); `markerReadMs` when the page had read it.
 */
export interface RvfcTimes {
  /** the callback's own `now` */
  callbackMs: number;
  presentationMs: number;
  expectedDisplayMs: number;
  /** libwebrtc's capture time (abs-capture-time), when it gives one */
  remoteCaptureMs?: number;
  /** receive → decoded, ms */
  processingDurationMs?: number;
  presentedFrames: number;
  width: number;
  height: number;
}

/**
 * One getStats() sample of a Chromium peer: the reports the lab keeps (inbound-rtp,
 * candidate-pair (nominated), transport, codec, remote-outbound-rtp), their numeric and string
 * fields as Chromium named them.
 */
export interface PeerStatsRecord {
  type: 'peer-stats';
  side: RecordSide;
  peer: 'chromium';
  timeMs: number;
  reports: { type: string; id: string; values: Record<string, number | string> }[];
}

/** One RTP packet sent or received. */
export interface PacketRecord {
  type: 'packet';
  side: RecordSide;
  dir: 'out' | 'in';
  ssrc: number;
  seq: number;
  pt: number;
  kind: PacketKind;
  /** RTP packet size in bytes (header + payload) */
  size: number;
  timeMs: number;
  /** RTP timestamp of the media the packet carries */
  rtpTimestamp?: number;
  /** for RTX: the original sequence number; for recovered packets: how */
  originalSeq?: number;
  recoveredBy?: 'fec' | 'rtx';
  /** sender only: time the packet spent in the pacer queue, ms */
  queueMs?: number;
  /** sender RTX only: when the NACK that asked for this retransmission arrived, ms */
  nackMs?: number;
}

/**
 * One FEC block as the sender protected it (sender.ndjson): the media sequence numbers, the FEC
 * packets (SSRC + seqs: the FlexFEC SSRC, or the media SSRC for ULPFEC in RED) and, per FEC packet,
 * the indices into `mediaSeqs` its mask covers. Lets the harness count what the masks could
 * recover from the packets the link delivered, independently of the receiver's decoder.
 */
export interface FecBlockRecord {
  type: 'fec-block';
  side: 'sender';
  timeMs: number;
  /** uint32 media SSRC */
  ssrc: number;
  /** uint16 each, in order */
  mediaSeqs: number[];
  fecSsrc: number;
  fecSeqs: number[];
  covers: number[][];
  keyframe: boolean;
  /** protection factor used, 1/255 */
  rate255: number;
}

/** One feedback event (RTCP) sent or received. */
export interface FeedbackRecord {
  type: 'feedback';
  side: RecordSide;
  dir: 'out' | 'in';
  kind: 'nack' | 'pli' | 'fir' | 'rr' | 'sr' | 'twcc' | 'ccfb' | 'remb';
  timeMs: number;
  /** NACK: the media sequence numbers asked for */
  seqs?: number[];
  /** RR: fraction lost (0..1), cumulative lost, jitter in ms, rtt in ms when known */
  fractionLost?: number;
  cumulativeLost?: number;
  jitterMs?: number;
  rttMs?: number;
  /** REMB: the receiver's estimate, bit/s */
  bitrateBps?: number;
  /** who produced it: the lab's own units, or werift by itself (its RR/SR/TWCC loops) */
  by?: 'lab' | 'werift';
  /** why it was sent (e.g. a keyframe request: "incomplete", "not-decodable", "decode-error") */
  reason?: string;
  /** werift's own packet class name, when by = "werift" */
  weriftKind?: string;
}

/** Something that happened to the run as a whole (start, stop, timeline change, error). */
export interface EventRecord {
  type: 'event';
  side: RecordSide;
  timeMs: number;
  name: string;
  /** flat values; lists of numbers for sequence numbers (e.g. nack-given-up's seqs) */
  detail?: Record<string, EventDetailValue>;
}

/** A value in an event's detail. */
export type EventDetailValue = string | number | boolean | null | number[];

/** One packet's fate on the emulated link (link.ndjson), defined with its schema in src/link/fate.ts. */
export type { LinkFateRecord } from '../link/fate.ts';
import type { LinkFateRecord } from '../link/fate.ts';

export type LabRecord = SenderFrameRecord | ReceiverFrameRecord | PacketRecord | FeedbackRecord | EventRecord | LinkFateRecord | FecBlockRecord | PeerStatsRecord;

/** Where a process's records go (NdjsonWriter in a run; an array in tests): typed by the record kinds their schemas check on reading (record-schemas.ts). */
export interface RecordSink {
  write(record: LabRecord): void;
}
