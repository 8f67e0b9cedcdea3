/**
 * The records of one run, sorted into the kinds the analysis uses. Input objects come from NDJSON
 * files and are checked here (type, side and the fields the analysis needs as numbers); anything
 * else is counted as invalid, never trusted.
 */
import type {
  EventRecord,
  FecBlockRecord,
  FeedbackRecord,
  PacketRecord,
  ReceiverFrameRecord,
  SenderFrameRecord,
} from '../../src/shared/records.ts';

/** Records of one run by kind (times: CLOCK_MONOTONIC ms). */
export interface RunRecords {
  senderFrames: SenderFrameRecord[];
  receiverFrames: ReceiverFrameRecord[];
  packets: PacketRecord[];
  feedback: FeedbackRecord[];
  events: EventRecord[];
  /** the sender's FEC blocks (what each FEC packet protects) */
  fecBlocks: FecBlockRecord[];
  /** objects that matched no record kind */
  invalid: number;
}

type Obj = Record<string, unknown>;

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function hasNumbers(obj: Obj, keys: readonly string[]): boolean {
  return keys.every((key) => isNumber(obj[key]));
}

function optionalNumbers(obj: Obj, keys: readonly string[]): boolean {
  return keys.every((key) => obj[key] === undefined || isNumber(obj[key]));
}

const senderRequired = ['frameId', 'captureMs', 'renderSubmitMs', 'renderDoneMs', 'copyDoneMs', 'convertDoneMs'] as const;
const senderOptional = ['encodeStartMs', 'encodeDoneMs', 'bytes', 'rtpTimestamp', 'packets', 'firstPacketSentMs', 'lastPacketSentMs'] as const;
const receiverRequired = ['rtpTimestamp', 'firstPacketMs', 'lastPacketMs', 'packets'] as const;
const receiverOptional = ['frameId', 'captureMs', 'completeMs', 'decodeStartMs', 'decodeDoneMs', 'markerReadMs'] as const;
const packetKinds = new Set(['media', 'rtx', 'fec', 'padding']);

/** Sorts parsed NDJSON objects (from any of the run's files) into {@link RunRecords}. */
export function sortRecords(objects: readonly unknown[]): RunRecords {
  const run: RunRecords = { senderFrames: [], receiverFrames: [], packets: [], feedback: [], events: [], fecBlocks: [], invalid: 0 };
  for (const value of objects) {
    if (value === null || typeof value !== 'object') {
      run.invalid += 1;
      continue;
    }
    const obj = value as Obj;
    if (obj.type === 'frame' && obj.side === 'sender' && hasNumbers(obj, senderRequired) && optionalNumbers(obj, senderOptional)) {
      run.senderFrames.push(obj as unknown as SenderFrameRecord);
    } else if (obj.type === 'frame' && obj.side === 'receiver' && hasNumbers(obj, receiverRequired) && optionalNumbers(obj, receiverOptional)) {
      run.receiverFrames.push(obj as unknown as ReceiverFrameRecord);
    } else if (
      obj.type === 'packet' &&
      (obj.dir === 'in' || obj.dir === 'out') &&
      typeof obj.kind === 'string' &&
      packetKinds.has(obj.kind) &&
      hasNumbers(obj, ['ssrc', 'seq', 'size', 'timeMs'])
    ) {
      run.packets.push(obj as unknown as PacketRecord);
    } else if (obj.type === 'feedback' && (obj.dir === 'in' || obj.dir === 'out') && typeof obj.kind === 'string' && isNumber(obj.timeMs)) {
      run.feedback.push(obj as unknown as FeedbackRecord);
    } else if (obj.type === 'fec-block' && isFecBlock(obj)) {
      run.fecBlocks.push(obj as unknown as FecBlockRecord);
    } else if (obj.type === 'event' && typeof obj.name === 'string' && isNumber(obj.timeMs)) {
      run.events.push(obj as unknown as EventRecord);
    } else {
      run.invalid += 1;
    }
  }
  return run;
}

const isUint16List = (value: unknown): value is number[] => Array.isArray(value) && value.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffff);

/** A fec-block record whose lists are consistent (one cover list per FEC packet, indices inside the block). */
function isFecBlock(obj: Obj): boolean {
  if (!hasNumbers(obj, ['timeMs', 'ssrc', 'fecSsrc', 'rate255']) || !isUint16List(obj.mediaSeqs) || !isUint16List(obj.fecSeqs)) return false;
  const media = obj.mediaSeqs.length;
  return Array.isArray(obj.covers) && obj.covers.length === obj.fecSeqs.length && obj.covers.every((c) => Array.isArray(c) && c.every((i) => Number.isInteger(i) && i >= 0 && i < media));
}
