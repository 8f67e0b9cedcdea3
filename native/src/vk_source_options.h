// FrameSourceOptions (src/native/types.ts) read from JS and validated; every error names the
// call and the field, e.g. "FrameSource: width must be an even integer in 272..4096 (got 641)".
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "capture_path.h"
#include "vk_context.h"

namespace glasslab::vk {

// TESTS ONLY (FrameSourceOptions.testCaptureTime): frame n is stamped with capture time
// firstNs + n * stepNs (mod 2^64) instead of the CLOCK_MONOTONIC time its render fence was
// observed, so its pixels (and what a deterministic encoder makes of them) repeat exactly.
struct TestCaptureTime {
  bool enabled = false;
  uint64_t firstNs = 0;
  uint64_t stepNs = 0;
};

struct SourceOptions {
  int width = 0;
  int height = 0;
  double fps = 0;                  // frames per second, (0, 240]
  std::string capturePath;         // a known path name (availability is checked later)
  capture::PixelFormat format = capture::PixelFormat::kI420;
  DeviceSelector device;           // empty: automatic (or GLASSLAB_VULKAN_DEVICE)
  uint32_t queueDepth = 4;         // frames, 1..1024
  TestCaptureTime testCaptureTime;  // tests only; disabled by default
};

constexpr int kMaxDimension = 4096;
constexpr double kMaxFps = 240;

// Throws Napi::TypeError / Napi::RangeError naming `call` and the field.
SourceOptions ParseSourceOptions(Napi::Env env, Napi::Value value, const char* call);

}  // namespace glasslab::vk
