// One frame source's Vulkan pipeline: the device, the scene renderer and the capture path.
// Produce() renders a frame, takes its capture time at the render fence and captures it.
// Not thread-safe: one thread at a time (the frame source serialises its callers).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "capture_path.h"
#include "vk_context.h"
#include "vk_scene.h"
#include "vk_source_options.h"

namespace glasslab::vk {

struct PipelineOptions {
  int width;
  int height;
  std::string capturePath;  // a known, available path (checked by the caller)
  capture::PixelFormat format;
  DeviceInfo device;
  TestCaptureTime testCaptureTime;  // tests only (vk_source_options.h)
};

// A captured frame with its stage times (CLOCK_MONOTONIC ns).
struct ProducedFrame {
  uint32_t id;
  uint64_t renderSubmitNs;
  uint64_t renderDoneNs;
  // Stamped in the marker and reported as the frame's captureTimeNs: renderDoneNs, or the
  // injected test time (PipelineOptions.testCaptureTime).
  uint64_t captureTimeNs;
  capture::HostFrame host;
};

class FramePipeline {
 public:
  FramePipeline(std::shared_ptr<Instance> instance, const PipelineOptions& options);
  ~FramePipeline();
  ProducedFrame Produce(uint32_t frameId);
  // The CUDA device of zero-copy frames, or -1.
  int CudaOrdinal() const { return capture_->cudaOrdinal(); }

 private:
  std::unique_ptr<Device> device_;
  std::unique_ptr<SceneRenderer> scene_;
  std::unique_ptr<capture::CapturePath> capture_;
  long long failAfterFrames_ = -1;  // GLASSLAB_TEST_FAIL_AFTER_FRAMES; -1: never
  long long produced_ = 0;
  TestCaptureTime testCaptureTime_;
};

}  // namespace glasslab::vk
