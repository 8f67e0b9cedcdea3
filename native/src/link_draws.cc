#include "link_draws.h"

#include <algorithm>
#include <cstring>

namespace glasslab::link {

uint64_t RtpDrawKey(uint64_t seedKey, uint8_t pt, int64_t extendedSeq) {
  return Mix64(Mix64(seedKey + kGolden * (1 + uint64_t{pt})) ^ static_cast<uint64_t>(extendedSeq));
}

void PacketDraws::UseKey(uint64_t key) {
  stream_ = nullptr;
  key_ = key;
  std::memset(used_, 0, sizeof used_);
}

int64_t SeqUnwrapper::Unwrap(uint32_t ssrc, uint16_t seq) {
  ++uses_;
  for (Stream& s : streams_) {
    if (s.ssrc != ssrc) continue;
    int64_t ext = s.highest + static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(s.highest)));
    s.highest = std::max(s.highest, ext);
    s.lastUse = uses_;
    return ext;
  }
  Stream fresh{ssrc, seq, uses_};
  if (streams_.size() < 32) {
    streams_.push_back(fresh);
  } else {
    *std::min_element(streams_.begin(), streams_.end(),
                      [](const Stream& a, const Stream& b) { return a.lastUse < b.lastUse; }) = fresh;
  }
  return seq;
}

Prng::Prng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = Mix64(x += kGolden);  // splitmix64
}

}  // namespace glasslab::link
