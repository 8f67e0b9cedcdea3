// Video encoder interface behind the JS Encoder class (enc_addon.cc). Implementations:
// libx264 and h264_nvenc/hevc_nvenc through libavcodec (enc_lavc.cc), openh264 through its own
// API (enc_openh264.cc). An instance is used by one thread at a time (the addon serialises calls).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace glasslab::enc {

// Open parameters, already validated by the addon.
struct Config {
  int width = 0;   // pixels, even
  int height = 0;  // pixels, even
  double fps = 30;
  int64_t bitrateBps = 0;  // bits per second
  int gop = 0;             // frames between IDRs; 0 = first frame and requests only
  double vbvFrames = 1;    // VBV buffer in frames' worth of bits at the target rate
  int threads = 1;
  int qpMax = -1;           // highest QP the rate control may use; -1 = the library's default
  int cudaDevice = -1;      // NVENC only: take zero-copy GPU surfaces on this CUDA device; -1 = host frames
  bool nv12Input = false;   // frames arrive as NV12 (inputFormat 'nv12'): x264 and NVENC open for NV12, no conversion
};

// A zero-copy frame: a surface of a SharedSurfaces ring (zero_copy_handoff.h), by id.
struct GpuInput {
  uint64_t ring = 0;
  uint32_t slot = 0;
  uint64_t value = 0;  // the conversion's timeline semaphore value
};

// One I420 picture (or NV12: `u` is the interleaved UV plane, `v` unused) in memory owned by the
// caller for the duration of Encode().
struct Planes {
  const uint8_t* y = nullptr;
  const uint8_t* u = nullptr;
  const uint8_t* v = nullptr;
  int strideY = 0, strideU = 0, strideV = 0;  // bytes per row
  bool nv12 = false;
};

// One access unit, Annex-B (start code + NAL, SPS/PPS in-band before every IDR).
struct Output {
  std::vector<uint8_t> data;
  bool keyframe = false;
  bool produced = false;  // false when the encoder held the frame back / skipped it
  uint64_t importDoneNs = 0;  // zero-copy: the surface copied into the encoder's own (CUDA waited for the conversion)
};

// Failure of a library call; the message names the call and the library's error text.
class EncoderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;
  // Library and version doing the work, e.g. "libavcodec 59.37.100 libx264 (x264 core 164)".
  virtual std::string Implementation() const = 0;
  // Whether Encode() takes NV12 planes as they are (the encoder was opened for NV12).
  virtual bool TakesNv12() const { return false; }
  // Encodes one picture; `forceIdr` makes it an IDR with SPS/PPS in-band. Throws EncoderError.
  virtual void Encode(const Planes& planes, int64_t frameIndex, bool forceIdr, Output* out) = 0;
  // Encodes one zero-copy surface (encoders opened with Config::cudaDevice). Throws EncoderError.
  virtual void EncodeGpu(const GpuInput& input, int64_t frameIndex, bool forceIdr, Output* out) {
    throw EncoderError(Implementation() + " takes host frames only");
  }
  // New target bitrate (bits/s), effective from the next Encode(). Throws EncoderError.
  virtual void SetBitrate(int64_t bitrateBps) = 0;
};

// Factories: open the codec or throw EncoderError with the library's reason.
std::unique_ptr<VideoEncoder> OpenX264(const Config& config);
std::unique_ptr<VideoEncoder> OpenNvenc(const Config& config, bool hevc);
std::unique_ptr<VideoEncoder> OpenOpenH264(const Config& config);

}  // namespace glasslab::enc
