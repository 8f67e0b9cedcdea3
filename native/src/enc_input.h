// Argument parsing for the JS Encoder: options -> Config, RawFrame -> FrameView (checked
// against the encoder's size, plane pointers into the frame's Buffer).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "enc_encoder.h"

namespace glasslab::enc {

constexpr const char* kAllowedCodecs = "x264, openh264, h264_nvenc, hevc_nvenc";
constexpr int64_t kMinBitrateBps = 10'000;
constexpr int64_t kMaxBitrateBps = 500'000'000;

// A RawFrame checked against the encoder's size, with plane pointers into its Buffer.
struct FrameView {
  Napi::Buffer<uint8_t> data;
  uint8_t* base = nullptr;  // data's bytes, read on the JS thread (the worker must not call N-API)
  bool nv12 = false;
  int strides[3] = {0, 0, 0};
  size_t offsets[3] = {0, 0, 0};
  uint32_t id = 0;
  uint64_t captureTimeNs = 0;
  bool gpu = false;  // a zero-copy surface (frame.gpuSurface); `data` is then empty
  GpuInput surface;
};

// Validates EncoderOptions (sizes, fps, bitrate, gop, vbvFrames, threads); throws ERR_CODEC_OPTIONS.
Config ParseConfig(Napi::Env env, Napi::Object options);

// Validates a RawFrame for an encoder opened with `config`; throws ERR_INPUT_INVALID.
FrameView ParseFrame(Napi::Env env, Napi::Value value, const Config& config);

// A number without trailing zeros, for messages ("641", "29.97").
std::string FormatNumber(double value);

}  // namespace glasslab::enc
