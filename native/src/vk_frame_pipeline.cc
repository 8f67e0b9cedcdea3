#include "vk_frame_pipeline.h"

#include <cstdlib>

#include "vk_check.h"

namespace glasslab::vk {

FramePipeline::FramePipeline(std::shared_ptr<Instance> instance, const PipelineOptions& options)
    : testCaptureTime_(options.testCaptureTime) {
  device_ = std::make_unique<Device>(std::move(instance), options.device);
  scene_ = std::make_unique<SceneRenderer>(*device_, options.width, options.height);
  capture::CaptureTarget target{device_.get(), scene_->image(), options.width, options.height, options.format};
  capture_ = capture::Create(options.capturePath, target);
  // Fault injection for tests of the error path: frames after this many fail as a lost device.
  if (const char* failAfter = std::getenv("GLASSLAB_TEST_FAIL_AFTER_FRAMES")) {
    failAfterFrames_ = std::strtoll(failAfter, nullptr, 10);
  }
}

FramePipeline::~FramePipeline() {
  // Order matters: the capture path and the scene use the device.
  capture_.reset();
  scene_.reset();
  device_.reset();
}

ProducedFrame FramePipeline::Produce(uint32_t frameId) {
  if (failAfterFrames_ >= 0 && produced_++ >= failAfterFrames_) {
    throw VulkanError("vkQueueSubmit (scene render, injected by GLASSLAB_TEST_FAIL_AFTER_FRAMES)",
                      VK_ERROR_DEVICE_LOST);
  }
  ProducedFrame frame;
  frame.id = frameId;
  RenderTimes render = scene_->Render(frameId);
  frame.renderSubmitNs = render.submitNs;
  frame.renderDoneNs = render.doneNs;
  // uint64 arithmetic wraps: the injected time is firstNs + id * stepNs mod 2^64
  frame.captureTimeNs = testCaptureTime_.enabled ? testCaptureTime_.firstNs + static_cast<uint64_t>(frameId) * testCaptureTime_.stepNs
                                                 : render.doneNs;
  frame.host = capture_->Capture(frameId, frame.captureTimeNs);
  return frame;
}

}  // namespace glasslab::vk
