// The scene renderer: a compute shader (shaders/scene.comp) writing the moving test scene into
// an RGBA8 storage image, one submission per frame, waited on with a fence.
#pragma once
#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>

#include "vk_context.h"

namespace glasslab::vk {

// CLOCK_MONOTONIC ns of the render submission and of the fence observed signalled.
struct RenderTimes {
  uint64_t submitNs;
  uint64_t doneNs;  // the frame's capture time
};

// One primary command buffer, its pool and the fence its submissions signal: what each GPU job
// here (the scene render, the capture paths) records into and waits on. Destroy() is safe on a
// partly created slot; call it once the device is idle.
struct CommandSlot {
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  // `resettable`: the buffer is re-recorded before each submit (scene); otherwise recorded once.
  void Create(VkDevice device, uint32_t queueFamily, bool resettable);
  void Destroy(VkDevice device);
};

class SceneRenderer {
 public:
  SceneRenderer(Device& device, int width, int height);
  ~SceneRenderer();
  SceneRenderer(const SceneRenderer&) = delete;
  SceneRenderer& operator=(const SceneRenderer&) = delete;

  // Renders frame `frameIndex` and waits for it. Afterwards the image is in GENERAL layout,
  // last written by a compute shader; the caller's next submission must barrier on that.
  RenderTimes Render(uint32_t frameIndex);

  VkImage image() const { return image_; }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  void Destroy();

  Device& device_;
  int width_, height_;
  bool initialized_ = false;  // the image has left UNDEFINED layout
  VkImage image_ = VK_NULL_HANDLE;
  VkDeviceMemory imageMemory_ = VK_NULL_HANDLE;
  VkImageView view_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  VkPipelineLayout pipelineLayout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  CommandSlot slot_;
};

// Creates a compute pipeline from a compiled-in shader (shaders::Find, entry point main) with
// the given layout; throws when the shader is missing.
VkPipeline CreateComputePipeline(VkDevice device, const char* shaderName, VkPipelineLayout layout);

// Waits for `fence` without a time limit (VK_TIMEOUT loops), then resets it.
void WaitAndReset(VkDevice device, VkFence fence, const char* what);

// Submits one command buffer to `queue` and waits for `fence` (then resets it); `what` names the
// work in error messages.
void SubmitAndWait(VkDevice device, VkQueue queue, VkCommandBuffer commands, VkFence fence, const std::string& what);

}  // namespace glasslab::vk
