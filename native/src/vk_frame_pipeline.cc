#include "vk_frame_pipeline.h"

namespace glasslab::vk {

FramePipeline::FramePipeline(std::shared_ptr<Instance> instance, const PipelineOptions& options) {
  device_ = std::make_unique<Device>(std::move(instance), options.device);
  scene_ = std::make_unique<SceneRenderer>(*device_, options.width, options.height);
  capture::CaptureTarget target{device_.get(), scene_->image(), options.width, options.height, options.format};
  capture_ = capture::Create(options.capturePath, target);
}

FramePipeline::~FramePipeline() {
  // Order matters: the capture path and the scene use the device.
  capture_.reset();
  scene_.reset();
  device_.reset();
}

ProducedFrame FramePipeline::Produce(uint32_t frameId) {
  ProducedFrame frame;
  frame.id = frameId;
  RenderTimes render = scene_->Render(frameId);
  frame.renderSubmitNs = render.submitNs;
  frame.renderDoneNs = render.doneNs;
  frame.host = capture_->Capture(frameId, render.doneNs);
  return frame;
}

}  // namespace glasslab::vk
