/**
 * SRTP packet index estimation (RFC 3711 §3.3.1), sans-I/O: the 48-bit index of a packet is
 * ROC · 2^16 + SEQ, and a receiver only sees SEQ. It guesses the rollover counter v from its
 * highest sequence number s_l and its ROC by the half-range rule, authenticates with that guess,
 * and only then updates ROC and s_l — a packet that fails authentication moves nothing.
 *
 * Why the lab has its own: werift's SRTP context advances its ROC only when it sees a packet
 * within 100 sequence numbers on either side of the wrap, so a loss burst across the wrap (or a
 * sparse stream) leaves it a ROC behind for good (docs/werift.md).
 */

const SEQ_MODULUS = 0x1_0000;
const HALF_SEQ = 0x8000;
const MAX_ROC = 0xffff_ffff;

/** Rollover state of one SSRC: ROC (uint32) and s_l, the highest sequence number authenticated (uint16). */
export interface SrtpRolloverState {
  roc: number;
  highestSeq: number;
}

/** The index guessed for one packet; hand it back to `commit` once the packet authenticated. */
export interface SrtpIndexGuess {
  /** rollover counter to authenticate and decrypt with (uint32) */
  readonly roc: number;
  /** the packet's sequence number (uint16) */
  readonly seq: number;
  /** ROC · 2^16 + SEQ (packets; exact, below 2^48) */
  readonly index: number;
}

/** Index estimation for one SSRC (RFC 3711 §3.3.1). */
export class SrtpIndexEstimator {
  private current: SrtpRolloverState | undefined;

  /** @param initial state to start from (e.g. taken over from werift); default: none, the first authenticated packet sets s_l with ROC 0 */
  constructor(initial?: SrtpRolloverState) {
    this.current = initial ? { roc: initial.roc, highestSeq: initial.highestSeq & 0xffff } : undefined;
  }

  /**
   * The index of a packet with sequence number `seq` (uint16), without changing any state; undefined
   * when the guess falls outside 0..2^32−1 for the ROC (a packet older than the stream's first
   * index, or past the last ROC: it cannot be authenticated).
   */
  estimate(seq: number): SrtpIndexGuess | undefined {
    const sequence = seq & 0xffff;
    const state = this.current;
    if (!state) return { roc: 0, seq: sequence, index: sequence };
    let roc = state.roc;
    if (state.highestSeq < HALF_SEQ) {
      if (sequence - state.highestSeq > HALF_SEQ) roc -= 1;
    } else if (state.highestSeq - HALF_SEQ > sequence) {
      roc += 1;
    }
    if (roc < 0 || roc > MAX_ROC) return undefined;
    return { roc, seq: sequence, index: roc * SEQ_MODULUS + sequence };
  }

  /** Takes in a guess whose packet authenticated: advances ROC and s_l when it is the newest. */
  commit(guess: SrtpIndexGuess): void {
    const state = this.current;
    if (!state) {
      this.current = { roc: guess.roc, highestSeq: guess.seq };
      return;
    }
    if (guess.index > state.roc * SEQ_MODULUS + state.highestSeq) {
      state.roc = guess.roc;
      state.highestSeq = guess.seq;
    }
  }

  /** Current ROC and s_l, or undefined before the first committed packet. */
  get state(): SrtpRolloverState | undefined {
    return this.current ? { ...this.current } : undefined;
  }
}

/** One estimator per SSRC (uint32). */
export class SrtpIndexTable {
  private readonly bySsrc = new Map<number, SrtpIndexEstimator>();

  /**
   * The estimator of `ssrc`; created on first use, from `seed(ssrc)` when it returns a state
   * (werift's own state for an SSRC it saw before the lab took over).
   */
  forSsrc(ssrc: number, seed?: (ssrc: number) => SrtpRolloverState | undefined): SrtpIndexEstimator {
    let estimator = this.bySsrc.get(ssrc);
    if (!estimator) {
      estimator = new SrtpIndexEstimator(seed?.(ssrc));
      this.bySsrc.set(ssrc, estimator);
    }
    return estimator;
  }
}
