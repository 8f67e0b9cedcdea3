// Random numbers of the link model: the sequential stream (xoshiro256**), the keyed per-packet
// draws of RTP packets (counter-based SplitMix64 over a hash of seed, direction, PT and extended
// seq) and the RTP sequence unwrapping that keys them. What is keyed and what stays link state:
// lab/impairment/README.md, "Determinism".
#pragma once
#include <cstdint>
#include <vector>

namespace glasslab::link {

/** 64-bit mixing function (SplitMix64's finaliser); a bijection. */
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/** SplitMix64's increment (the golden ratio in 64 bits). */
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

/** xoshiro256** seeded through splitmix64. */
class Prng {
 public:
  explicit Prng(uint64_t seed);
  uint64_t Next() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  /** uniform in [0,1) with 53 bits */
  double Uniform() { return (Next() >> 11) * 0x1.0p-53; }
 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

/** The random stages of one packet. Each has its own lane of a keyed packet's draws, so a stage's
 *  numbers never depend on whether another stage drew (parameters, reorder gap). */
enum class Lane : uint8_t { Duplicate, Loss, Corrupt, Reorder, Jitter, JitterCopy };

/** Key of an RTP packet's draws: hash of the direction's seed key, payload type and extended seq. */
uint64_t RtpDrawKey(uint64_t seedKey, uint8_t pt, int64_t extendedSeq);

/** Where one packet's random numbers come from: the sequential stream (every lane shares it, in
 *  call order), or a packet key (counter-based: draw i of lane L = Mix64(key + golden * (1 + 8L + i)),
 *  at most 8 draws per lane). */
class PacketDraws {
 public:
  void UseStream(Prng* stream) { stream_ = stream; }
  void UseKey(uint64_t key);
  uint64_t Next(Lane lane) {
    if (stream_) return stream_->Next();
    unsigned l = static_cast<unsigned>(lane);
    unsigned i = used_[l]++ & 7;  // stages draw at most twice; 8 per lane keeps lanes disjoint
    return Mix64(key_ + kGolden * (1 + 8 * l + i));
  }
  /** uniform in [0,1) with 53 bits */
  double Uniform(Lane lane) { return (Next(lane) >> 11) * 0x1.0p-53; }
 private:
  Prng* stream_ = nullptr;
  uint64_t key_ = 0;
  uint8_t used_[8] = {0};
};

/** RTP sequence numbers unwrapped per SSRC (one direction): the extended seq is the candidate
 *  nearest the highest one seen; the first packet of an SSRC gets seq itself (cycle 0). Remembers
 *  the 32 most recently seen SSRCs. */
class SeqUnwrapper {
 public:
  int64_t Unwrap(uint32_t ssrc, uint16_t seq);
 private:
  struct Stream {
    uint32_t ssrc;
    int64_t highest;
    uint64_t lastUse;
  };
  std::vector<Stream> streams_;
  uint64_t uses_ = 0;
};

}  // namespace glasslab::link
