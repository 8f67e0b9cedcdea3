#include "link_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace glasslab::link {

namespace {

constexpr size_t kTableSize = 4096;

double NormalInv(double u) {
  // bisection on the normal CDF: deterministic and exact enough for a 4096-entry table
  double lo = -8, hi = 8;
  for (int i = 0; i < 80; ++i) {
    double mid = (lo + hi) / 2;
    double cdf = 0.5 * std::erfc(-mid / std::sqrt(2.0));
    (cdf < u ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

// Pareto with shape 3 (scale 1), the shape iproute2's pareto table uses.
double ParetoInv(double u) { return std::pow(1.0 - u, -1.0 / 3.0); }

/** Inverse-CDF table with zero mean and unit variance (netem's tables are normalised the same way). */
std::vector<double> BuildTable(Distribution dist) {
  std::vector<double> table;
  if (dist == Distribution::Uniform) return table;
  table.resize(kTableSize);
  for (size_t i = 0; i < kTableSize; ++i) {
    double u = (i + 0.5) / kTableSize;
    double v = 0;
    switch (dist) {
      case Distribution::Normal: v = NormalInv(u); break;
      case Distribution::Pareto: v = ParetoInv(u); break;
      // netem's paretonormal: a quarter normal, three quarters pareto
      case Distribution::ParetoNormal: v = 0.25 * NormalInv(u) + 0.75 * ParetoInv(u); break;
      default: break;
    }
    table[i] = v;
  }
  double mean = 0;
  for (double v : table) mean += v;
  mean /= kTableSize;
  double var = 0;
  for (double v : table) var += (v - mean) * (v - mean);
  double sd = std::sqrt(var / kTableSize);
  for (double& v : table) v = (v - mean) / sd;
  return table;
}

}  // namespace


LinkModel::LinkModel(uint64_t seed, LinkParams params, uint8_t dir)
    : prng_(seed), seedKey_(Mix64(Mix64(seed) + kGolden * (1 + uint64_t{dir}))), slotPrng_(seed ^ 0x5107ULL) {
  draws_.UseStream(&prng_);
  for (CRandom* c : {&delayCor_, &lossCor_, &dupCor_, &corruptCor_, &reorderCor_}) c->last = prng_.Uniform();
  SetParams(std::move(params));
}

LinkModel::~LinkModel() {
  while (!held_.empty()) {
    delete held_.top();
    held_.pop();
  }
}

void LinkModel::SetParams(LinkParams params) {
  bool tableChange = table_.empty() != (params.distribution == Distribution::Uniform) ||
                     params.distribution != params_.distribution;
  bool traceChange = params.rateTraceMs != params_.rateTraceMs;
  bool slotChange = params.slotMinNs != params_.slotMinNs || params.slotMaxNs != params_.slotMaxNs;
  params_ = std::move(params);
  if (tableChange || table_.empty()) table_ = BuildTable(params_.distribution);
  if (traceChange) traceStarted_ = false;  // a new trace starts at the next packet
  if (slotChange) slotOpen_ = false;
  if (lossTraceIndex_ >= params_.lossTrace.size()) lossTraceIndex_ = 0;
}

double LinkModel::Correlated(Lane lane, CRandom& c, double rho) {
  // netem's get_crandom: next = (1 - rho) * fresh + rho * last
  double fresh = draws_.Uniform(lane);
  if (rho <= 0) return fresh;
  double v = (1 - rho) * fresh + rho * c.last;
  c.last = v;
  return v;
}

bool LinkModel::LossEvent() {
  const LinkParams& p = params_;
  switch (p.lossModel) {
    case LossModel::None: return false;
    case LossModel::Random: return p.lossP > 0 && Correlated(Lane::Loss, lossCor_, p.lossCorrelation) < p.lossP;
    case LossModel::GilbertElliott: {
      // loss is decided by the state the packet finds, then the state moves (netem gemodel)
      bool bad = geState_ == 1;
      bool lost = draws_.Uniform(Lane::Loss) < (bad ? p.geOneMinusH : p.geOneMinusK);
      double u = draws_.Uniform(Lane::Loss);
      if (!bad && u < p.geP) geState_ = 1;
      else if (bad && u < p.geR) geState_ = 0;
      return lost;
    }
    case LossModel::FourState: {
      // netem's 4-state model: 1 good/received, 2 burst/received, 3 burst/lost, 4 isolated loss
      double u = draws_.Uniform(Lane::Loss);
      switch (fourState_) {
        case 1:
          if (u < p.p14) { fourState_ = 4; return true; }
          if (u < p.p14 + p.p13) { fourState_ = 3; return true; }
          return false;
        case 2:
          if (u < p.p23) { fourState_ = 3; return true; }
          return false;
        case 3:
          if (u < p.p32) { fourState_ = 2; return false; }
          if (u < p.p32 + p.p31) { fourState_ = 1; return false; }
          return true;
        default:
          fourState_ = 1;
          return false;
      }
    }
    case LossModel::Trace: {
      if (p.lossTrace.empty()) return false;
      bool lost = p.lossTrace[lossTraceIndex_] != 0;
      lossTraceIndex_ = (lossTraceIndex_ + 1) % p.lossTrace.size();
      return lost;
    }
  }
  return false;
}

int64_t LinkModel::JitteredDelay(Lane lane) {
  const LinkParams& p = params_;
  if (p.jitterNs <= 0) return p.delayNs;
  double u = Correlated(lane, delayCor_, p.delayCorrelation);
  double t;
  if (table_.empty()) {
    t = 2 * u - 1;  // uniform in [-jitter, +jitter]
  } else {
    size_t i = std::min(kTableSize - 1, static_cast<size_t>(u * kTableSize));
    t = table_[i];
  }
  double d = static_cast<double>(p.delayNs) + t * static_cast<double>(p.jitterNs);
  return d < 0 ? 0 : static_cast<int64_t>(std::llround(d));
}

int64_t LinkModel::Bottleneck(uint32_t bytes, int64_t now, bool& dropped) {
  const LinkParams& p = params_;
  dropped = false;
  while (!inBottleneck_.empty() && inBottleneck_.front().first <= now) {
    bottleneckBytes_ -= inBottleneck_.front().second;
    inBottleneck_.pop_front();
  }
  if (p.queuePackets && inBottleneck_.size() >= p.queuePackets) { dropped = true; return 0; }
  if (p.queueBytes && bottleneckBytes_ + bytes > p.queueBytes) { dropped = true; return 0; }
  int64_t depart;
  if (!p.rateTraceMs.empty()) {
    // Mahimahi: each trace line is a 1500-byte delivery opportunity at that ms; the trace loops
    // with period = last line. A packet may span opportunities; unused bytes are lost once time
    // has passed the opportunity.
    const auto& tr = p.rateTraceMs;
    int64_t period = std::max<int64_t>(1, tr.back()) * 1000000;
    if (!traceStarted_) {
      traceStarted_ = true;
      traceBaseNs_ = now;
      traceIndex_ = 0;
      traceLoop_ = 0;
      traceOppNs_ = traceBaseNs_ + tr[0] * 1000000;
      traceBytesLeft_ = 1500;
    }
    size_t idx = traceIndex_;
    int64_t loop = traceLoop_;
    int64_t opp = traceOppNs_;
    int64_t left = traceBytesLeft_;
    auto advance = [&]() {
      if (++idx == tr.size()) { idx = 0; ++loop; }
      opp = traceBaseNs_ + loop * period + tr[idx] * 1000000;
      left = 1500;
    };
    // whole periods at once (the same opportunities advance() would walk through one by one): a
    // packet offered long after the last one must not cost a loop per opportunity in between
    if (now - opp > period) {
      int64_t loops = (now - opp) / period;
      loop += loops;
      opp += loops * period;
      left = 1500;
    }
    while (opp < now) advance();
    int64_t need = bytes;
    while (need > left) {
      need -= left;
      advance();
    }
    left -= need;
    depart = opp;
    if (p.queueDelayNs && depart - now > p.queueDelayNs) { dropped = true; return 0; }
    traceIndex_ = idx;
    traceLoop_ = loop;
    traceOppNs_ = opp;
    traceBytesLeft_ = left;
  } else {
    int64_t start = std::max(now, lastDepartNs_);
    int64_t tx = static_cast<int64_t>(std::llround(bytes * 8.0 * 1e9 / p.rateBps));
    depart = start + tx;
    if (p.queueDelayNs && start - now > p.queueDelayNs) { dropped = true; return 0; }
  }
  lastDepartNs_ = depart;
  inBottleneck_.emplace_back(depart, bytes);
  bottleneckBytes_ += bytes;
  return depart;
}

void LinkModel::Hold(std::vector<uint8_t> data, Fate fate, int64_t releaseNs) {
  fate.releaseNs = releaseNs;
  HeldPacket* h = new HeldPacket{releaseNs, nextOrder_++, std::move(data), std::move(fate)};
  held_.push(h);
}

DropReason LinkModel::Offer(const uint8_t* data, size_t size, int64_t now, int64_t readNs) {
  const LinkParams& p = params_;
  Fate fate;
  fate.id = nextId_++;
  fate.size = static_cast<uint32_t>(size);
  fate.info = ParsePacket(data, size);
  fate.enqueueNs = now;
  fate.readNs = readNs;
  if (fate.info.isRtp) {
    draws_.UseKey(RtpDrawKey(seedKey_, fate.info.pt, seqs_.Unwrap(fate.info.ssrc, fate.info.seq)));
  } else {
    draws_.UseStream(&prng_);
  }
  finished_.push_back(0);
  auto drop = [&](DropReason reason) {
    Finish(fate.id);
    fate.drop = reason;
    fates_.push_back(std::move(fate));
    return reason;
  };
  if (p.mtu && size > p.mtu) return drop(DropReason::Mtu);
  int copies = 1;
  if (p.duplicateP > 0 && Correlated(Lane::Duplicate, dupCor_, p.duplicateCorrelation) < p.duplicateP) ++copies;
  if (LossEvent()) --copies;
  if (copies == 0) return drop(DropReason::Loss);
  std::vector<uint8_t> bytes(data, data + size);
  if (p.corruptP > 0 && size > 0 && Correlated(Lane::Corrupt, corruptCor_, p.corruptCorrelation) < p.corruptP) {
    uint64_t bit = draws_.Next(Lane::Corrupt) % (size * 8);
    bytes[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
    fate.corruptBit = static_cast<int32_t>(bit);
  }
  int64_t depart = now;
  uint32_t wireBytes = static_cast<uint32_t>(std::max<int64_t>(0, (int64_t)size + p.overheadBytes));
  if (p.rateBps > 0 || !p.rateTraceMs.empty()) {
    bool full;
    depart = Bottleneck(wireBytes, now, full);
    if (full) return drop(DropReason::Queue);
  } else if (p.queuePackets && held_.size() >= p.queuePackets) {
    return drop(DropReason::Queue);
  }
  int64_t release;
  bool gapReorder = false;
  if (p.reorderP > 0 && p.delayNs > 0 && reorderCounter_ + 1 >= p.reorderGap &&
      Correlated(Lane::Reorder, reorderCor_, p.reorderCorrelation) < p.reorderP) {
    // netem reorder: this packet skips the delay and overtakes those held
    release = depart;
    reorderCounter_ = 0;
    gapReorder = true;
  } else {
    ++reorderCounter_;
    release = depart + JitteredDelay(Lane::Jitter);
    if (p.keepOrder) release = std::max(release, lastReleaseNs_);
  }
  if (!gapReorder) lastReleaseNs_ = std::max(lastReleaseNs_, release);
  if (copies == 2) {
    Fate copy = fate;
    copy.duplicate = true;
    int64_t copyRelease = depart + JitteredDelay(Lane::JitterCopy);
    if (p.keepOrder) copyRelease = std::max(copyRelease, release);
    Hold(bytes, std::move(copy), copyRelease);
  }
  Hold(std::move(bytes), std::move(fate), release);
  return DropReason::None;
}

void LinkModel::AdvanceSlot(int64_t base) {
  const LinkParams& p = params_;
  int64_t span = p.slotMaxNs - p.slotMinNs;
  int64_t wait = p.slotMinNs + (span > 0 ? static_cast<int64_t>(slotPrng_.Next() % (uint64_t)(span + 1)) : 0);
  slotNextNs_ = base + std::max<int64_t>(wait, 1);
  slotPacketsLeft_ = p.slotPackets;
  slotBytesLeft_ = p.slotBytes;
}

int64_t LinkModel::PollTimeout() {
  if (held_.empty()) return -1;
  int64_t due = held_.top()->releaseNs;
  const LinkParams& p = params_;
  if (!(p.slotMinNs || p.slotMaxNs)) return due;
  if (!slotOpen_) {
    // the first slot opens when the first packet becomes due
    slotOpen_ = true;
    slotNextNs_ = due;
    slotPacketsLeft_ = p.slotPackets;
    slotBytesLeft_ = p.slotBytes;
  }
  if (p.slotPackets || p.slotBytes) {
    // netem: a packet goes once due and the slot is open; the slot closes when its budget is
    // spent and the next one opens min..max later
    return std::max(due, slotNextNs_);
  }
  // no budget: every boundary releases what is due by then; later packets wait for the next one.
  // More than a million boundaries before the next due packet (e.g. 1 ns slots and a 1 h delay)
  // would freeze the caller: then a slot simply opens when that packet is due.
  for (int boundaries = 0; slotNextNs_ < due; ++boundaries) {
    if (boundaries == 1000000) {
      slotNextNs_ = due;
      break;
    }
    AdvanceSlot(slotNextNs_);
  }
  return slotNextNs_;
}

bool LinkModel::PollRelease(int64_t now, Released& out, Fate** fateOut) {
  int64_t due = PollTimeout();
  if (due < 0 || due > now) return false;
  HeldPacket* h = held_.top();
  const LinkParams& p = params_;
  held_.pop();
  if (!h->fate.duplicate) {
    h->fate.reordered = h->fate.id > windowBase_;
    Finish(h->fate.id);
  }
  if (p.slotMinNs || p.slotMaxNs) {
    h->fate.releaseNs = due;
    bool exhausted = false;
    if (p.slotPackets && --slotPacketsLeft_ == 0) exhausted = true;
    if (p.slotBytes) {
      if (slotBytesLeft_ <= h->data.size()) exhausted = true;
      else slotBytesLeft_ -= h->data.size();
    }
    if (exhausted) AdvanceSlot(due);
  }
  out.data = std::move(h->data);
  out.releaseNs = h->fate.releaseNs;
  fates_.push_back(std::move(h->fate));
  if (fateOut) *fateOut = &fates_.back();
  delete h;
  return true;
}

void LinkModel::DropHeld() {
  std::vector<HeldPacket*> rest;
  while (!held_.empty()) {
    rest.push_back(held_.top());
    held_.pop();
  }
  for (HeldPacket* h : rest) {
    h->fate.drop = DropReason::Shutdown;
    h->fate.releaseNs = -1;
    fates_.push_back(std::move(h->fate));
    delete h;
  }
  finished_.clear();
  windowBase_ = nextId_;
}

void LinkModel::Finish(uint64_t id) {
  finished_[id - windowBase_] = 1;
  while (!finished_.empty() && finished_.front()) {
    finished_.pop_front();
    ++windowBase_;
  }
}

bool LinkModel::PollFate(Fate& out) {
  if (fates_.empty()) return false;
  out = std::move(fates_.front());
  fates_.pop_front();
  return true;
}

}  // namespace glasslab::link
