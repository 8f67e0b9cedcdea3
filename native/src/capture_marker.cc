#include "capture_marker.h"

#include <cstring>

#include "marker.h"

namespace glasslab::capture {

MarkerStamp::MarkerStamp(vk::Device& device, int width, int height) : device_(device), width_(width), height_(height) {
  marker::RenderRgba(pixels_, width, height, 0, 0, &regionWidth_, &regionHeight_);
  staging_ = device.CreateBuffer(pixels_.size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true);
}

MarkerStamp::~MarkerStamp() { device_.DestroyBuffer(staging_); }

void MarkerStamp::Prepare(uint32_t frameId, uint64_t captureTimeNs) {
  marker::RenderRgba(pixels_, width_, height_, frameId, captureTimeNs, &regionWidth_, &regionHeight_);
  std::memcpy(staging_.mapped, pixels_.data(), pixels_.size());
  device_.FlushFromHost(staging_);  // vkQueueSubmit then makes the host writes visible
}

void MarkerStamp::Record(VkCommandBuffer commands, VkImage image, VkPipelineStageFlags nextStage,
                         VkAccessFlags nextAccess) const {
  VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.oldLayout = VK_IMAGE_LAYOUT_GENERAL;
  barrier.newLayout = VK_IMAGE_LAYOUT_GENERAL;
  barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.image = image;
  barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0,
                       nullptr, 1, &barrier);
  VkBufferImageCopy region{};
  region.bufferOffset = 0;
  region.bufferRowLength = 0;  // tightly packed
  region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageOffset = {0, 0, 0};
  region.imageExtent = {static_cast<uint32_t>(regionWidth_), static_cast<uint32_t>(regionHeight_), 1};
  vkCmdCopyBufferToImage(commands, staging_.buffer, image, VK_IMAGE_LAYOUT_GENERAL, 1, &region);
  // The stamp and the scene's shader writes (made available above) -> the path's next reader.
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = nextAccess;
  vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_TRANSFER_BIT, nextStage, 0, 0, nullptr, 0, nullptr, 1, &barrier);
}

}  // namespace glasslab::capture
