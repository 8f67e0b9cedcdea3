// Stamps the frame marker into the rendered image: the marker region (marker::RenderRgba) is
// written into a small host-visible staging buffer and copied into the image's top-left corner
// with vkCmdCopyBufferToImage, recorded at the start of a capture path's command buffer.
#pragma once
#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "vk_context.h"

namespace glasslab::capture {

class MarkerStamp {
 public:
  MarkerStamp(vk::Device& device, int width, int height);
  ~MarkerStamp();
  MarkerStamp(const MarkerStamp&) = delete;
  MarkerStamp& operator=(const MarkerStamp&) = delete;

  // Writes the marker pixels for this frame into the staging buffer (host side).
  void Prepare(uint32_t frameId, uint64_t captureTimeNs);
  // Records: barrier (compute writes -> transfer), the copy into the image, and a barrier
  // making the stamped image ready for `nextStage`/`nextAccess` (e.g. a transfer read).
  void Record(VkCommandBuffer commands, VkImage image, VkPipelineStageFlags nextStage, VkAccessFlags nextAccess) const;

 private:
  vk::Device& device_;
  int width_, height_;
  int regionWidth_ = 0, regionHeight_ = 0;
  std::vector<uint8_t> pixels_;
  vk::Buffer staging_;
};

}  // namespace glasslab::capture
