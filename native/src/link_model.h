// Per-direction link model: the per-packet decision logic shared by the native data plane
// (real time, CLOCK_MONOTONIC) and the JS LinkModel class (virtual time). Sans-I/O: it never
// reads a clock; every call takes `nowNs`. Semantics follow netem where netem defines them
// (loss models, correlation, reorder gap, slot, duplicate, corrupt) and Mahimahi for
// trace-driven rate. Order of stages for one packet: MTU -> duplicate? -> loss -> corrupt ->
// bottleneck queue (rate or trace, drop-tail) -> propagation delay + jitter / reorder -> slot
// gate at release.
//
// Random draws: an RTP packet (ParsePacket's isRtp) draws every random number it consumes from a
// generator keyed by (seed, direction, payload type, extended sequence number), so the same RTP
// packet meets the same draws whatever else crosses the link; every other packet (STUN, DTLS,
// RTCP, ICMP, TCP, ...) draws from the direction's sequential stream. Which state stays shared
// (correlation, Gilbert-Elliott / 4-state chain, reorder gap, keepOrder, queues) is in
// lab/impairment/README.md, "Determinism".
#pragma once
#include <cstdint>
#include <deque>
#include <queue>
#include <string>
#include <vector>

#include "link_draws.h"

namespace glasslab::link {

enum class Distribution : uint8_t { Uniform, Normal, Pareto, ParetoNormal };
enum class LossModel : uint8_t { None, Random, GilbertElliott, FourState, Trace };
// WriteError: the data plane released the packet but write() to the far TUN device failed.
enum class DropReason : uint8_t { None, Loss, Queue, Mtu, Shutdown, WriteError };

/** Probabilities are 0..1, times ns, sizes bytes, rates bits/s. */
struct LinkParams {
  int64_t delayNs = 0;
  int64_t jitterNs = 0;
  double delayCorrelation = 0;
  Distribution distribution = Distribution::Uniform;
  /** jitter never reorders: release = max(computed, previous release) */
  bool keepOrder = false;

  LossModel lossModel = LossModel::None;
  double lossP = 0, lossCorrelation = 0;             // random
  double geP = 0, geR = 1, geOneMinusH = 1, geOneMinusK = 0;  // netem gemodel p r 1-h 1-k
  double p13 = 0, p31 = 1, p32 = 0, p23 = 0, p14 = 0;  // netem state (4-state Markov)
  std::vector<uint8_t> lossTrace;                      // 1 = lose, per packet, loops

  double duplicateP = 0, duplicateCorrelation = 0;
  double corruptP = 0, corruptCorrelation = 0;
  double reorderP = 0, reorderCorrelation = 0;
  uint32_t reorderGap = 1;

  int64_t slotMinNs = 0, slotMaxNs = 0;  // slot disabled when both 0
  uint32_t slotPackets = 0;              // 0 = unlimited
  uint64_t slotBytes = 0;                // 0 = unlimited

  double rateBps = 0;                    // 0 = unlimited
  int32_t overheadBytes = 0;             // added to each packet for rate/queue accounting
  std::vector<int64_t> rateTraceMs;      // Mahimahi: one 1500-byte opportunity per line, loops

  uint32_t queuePackets = 0;  // 0 = unlimited (bottleneck queue; delay queue when no rate)
  uint64_t queueBytes = 0;
  int64_t queueDelayNs = 0;
  uint32_t mtu = 0;  // 0 = unlimited; packets larger than this are dropped
};

/** 5-tuple and RTP fields parsed from an IPv4/IPv6 packet. */
struct PacketInfo {
  uint8_t ipVersion = 0;  // 0 = not IP
  uint8_t proto = 0;      // IP protocol number
  uint8_t src[16] = {0}, dst[16] = {0};  // 4 bytes used for IPv4
  uint16_t sport = 0, dport = 0;
  bool hasPorts = false;
  bool isRtp = false;
  uint32_t ssrc = 0;
  uint16_t seq = 0;
  uint8_t pt = 0;
};

PacketInfo ParsePacket(const uint8_t* data, size_t size);

/** What happened to one packet (or one duplicate copy). */
struct Fate {
  uint64_t id = 0;
  uint32_t size = 0;
  PacketInfo info;
  int64_t readNs = -1;     // when the data plane read the packet from the TUN device, -1 elsewhere (virtual time)
  int64_t enqueueNs = 0;
  int64_t releaseNs = -1;  // scheduled release; -1 when dropped
  int64_t wireNs = -1;     // actual write time (data plane only)
  DropReason drop = DropReason::None;
  bool duplicate = false;  // this record is the extra copy made by duplicate
  bool reordered = false;  // released while an earlier packet was still held
  int32_t corruptBit = -1; // bit index flipped, -1 none
};

/** Appends one NDJSON line (with '\n') for a fate. `dir` is "up" or "down". */
void AppendFateJson(std::string& out, const Fate& fate, const char* dir);

struct Released {
  std::vector<uint8_t> data;
  int64_t releaseNs;
};


class LinkModel {
 public:
  /** `dir`: 0 up, 1 down (part of the RTP draw key). */
  LinkModel(uint64_t seed, LinkParams params, uint8_t dir = 0);
  /** Replaces the parameters; applies to the next packet offered. */
  void SetParams(LinkParams params);
  const LinkParams& Params() const { return params_; }
  /** Offers one packet at nowNs (read from its device at readNs, -1: no device); returns the drop reason (None when accepted). */
  DropReason Offer(const uint8_t* data, size_t size, int64_t nowNs, int64_t readNs = -1);
  /** Next packet due at or before nowNs, in release order; false when none. */
  bool PollRelease(int64_t nowNs, Released& out, Fate** fate = nullptr);
  int64_t PollTimeout();
  /** Next finished fate record, false when none. */
  bool PollFate(Fate& out);
  size_t HeldCount() const { return held_.size(); }
  /** Ends the link: every packet still held gets a fate with drop reason Shutdown. */
  void DropHeld();
  /** Earliest time a held packet becomes due (slot boundaries included), -1 when none. */
 private:
  struct HeldPacket {
    int64_t releaseNs;
    uint64_t order;
    std::vector<uint8_t> data;
    Fate fate;
  };
  struct Later {
    bool operator()(const HeldPacket* a, const HeldPacket* b) const {
      return a->releaseNs != b->releaseNs ? a->releaseNs > b->releaseNs : a->order > b->order;
    }
  };
  struct CRandom {
    double last = 0;
  };
  double Correlated(Lane lane, CRandom& state, double rho);
  bool LossEvent();
  int64_t JitteredDelay(Lane lane);
  int64_t Bottleneck(uint32_t wireBytes, int64_t nowNs, bool& dropped);
  void Hold(std::vector<uint8_t> data, Fate fate, int64_t releaseNs);

  Prng prng_;               // sequential stream: non-RTP packets
  uint64_t seedKey_;        // Mix of (seed, direction): root of the RTP draw keys
  SeqUnwrapper seqs_;
  PacketDraws draws_;       // the current packet's draws
  LinkParams params_;
  std::vector<double> table_;  // inverse CDF table of the jitter distribution, unit variance
  CRandom delayCor_, lossCor_, dupCor_, corruptCor_, reorderCor_;
  uint8_t geState_ = 0;    // 0 good, 1 bad
  uint8_t fourState_ = 1;  // netem states 1..4
  size_t lossTraceIndex_ = 0;
  uint32_t reorderCounter_ = 0;
  uint64_t nextId_ = 0;
  uint64_t nextOrder_ = 0;
  int64_t lastReleaseNs_ = INT64_MIN;
  // bottleneck
  int64_t lastDepartNs_ = INT64_MIN;
  std::deque<std::pair<int64_t, uint32_t>> inBottleneck_;  // depart time, bytes
  uint64_t bottleneckBytes_ = 0;
  bool traceStarted_ = false;
  int64_t traceBaseNs_ = 0;
  size_t traceIndex_ = 0;   // index of the current opportunity within the trace
  int64_t traceLoop_ = 0;   // loops completed
  int64_t traceBytesLeft_ = 0;
  int64_t traceOppNs_ = INT64_MIN;
  // slot: boundaries b[k+1] = b[k] + U(min, max) drawn from their own PRNG, so that the
  // boundary sequence does not depend on how often the runtime polls
  void AdvanceSlot(int64_t base);
  Prng slotPrng_;
  int64_t slotNextNs_ = INT64_MIN;
  uint32_t slotPacketsLeft_ = 0;
  uint64_t slotBytesLeft_ = 0;
  bool slotOpen_ = false;

  std::priority_queue<HeldPacket*, std::vector<HeldPacket*>, Later> held_;
  // ids not yet finished (held), as a sliding window from the oldest unfinished id: a released
  // packet is reordered when an earlier one is still unfinished
  void Finish(uint64_t id);
  std::deque<uint8_t> finished_;
  uint64_t windowBase_ = 0;
  std::deque<Fate> fates_;

 public:
  ~LinkModel();
  LinkModel(const LinkModel&) = delete;
  LinkModel& operator=(const LinkModel&) = delete;
};

}  // namespace glasslab::link
