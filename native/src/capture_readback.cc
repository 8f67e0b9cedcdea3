#include "capture_readback.h"

#include <libyuv.h>

#include <stdexcept>

#include "capture_marker.h"
#include "marker.h"
#include "vk_check.h"
#include "vk_scene.h"

namespace glasslab::capture {
namespace {

class Readback final : public CapturePath {
 public:
  explicit Readback(const CaptureTarget& target)
      : target_(target), device_(*target.device), stamp_(device_, target.width, target.height) {
    VkDevice dev = device_.handle();
    try {
      pixels_ = device_.CreateBuffer(static_cast<VkDeviceSize>(target.width) * target.height * 4,
                                     VK_BUFFER_USAGE_TRANSFER_DST_BIT, true);
      slot_.Create(dev, device_.queueFamily(), false);
      Record();
    } catch (...) {
      Destroy();
      throw;
    }
  }

  ~Readback() override { Destroy(); }

  const char* name() const override { return "readback"; }

  HostFrame Capture(uint32_t frameId, uint64_t captureTimeNs) override {
    stamp_.Prepare(frameId, captureTimeNs);
    vk::SubmitAndWait(device_.handle(), device_.queue(), slot_.commands, slot_.fence, "readback");
    HostFrame frame;
    frame.copyDoneNs = marker::MonotonicNowNs();
    device_.InvalidateForHost(pixels_);
    frame.layout = LayoutFor(target_.format, target_.width, target_.height);
    frame.data = AllocateFrame(frame.layout);
    const auto* rgba = static_cast<const uint8_t*>(pixels_.mapped);
    const int rgbaStride = target_.width * 4;
    uint8_t* base = frame.data.get();
    const PlaneLayout& l = frame.layout;
    // Vulkan R8G8B8A8 is R,G,B,A in memory: libyuv calls that byte order "ABGR".
    int rc = target_.format == PixelFormat::kI420
                 ? libyuv::ABGRToI420(rgba, rgbaStride, base + l.offsets[0], l.strides[0], base + l.offsets[1],
                                      l.strides[1], base + l.offsets[2], l.strides[2], target_.width, target_.height)
                 : libyuv::ABGRToNV12(rgba, rgbaStride, base + l.offsets[0], l.strides[0], base + l.offsets[1],
                                      l.strides[1], target_.width, target_.height);
    if (rc != 0) throw std::runtime_error("libyuv conversion failed (" + std::to_string(rc) + ")");
    frame.convertDoneNs = marker::MonotonicNowNs();
    return frame;
  }

 private:
  // The command buffer never changes (the marker's pixels live in the staging buffer), so it is
  // recorded once and submitted for every frame.
  void Record() {
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vk::Check(vkBeginCommandBuffer(slot_.commands, &begin), "vkBeginCommandBuffer");
    stamp_.Record(slot_.commands, target_.image, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {static_cast<uint32_t>(target_.width), static_cast<uint32_t>(target_.height), 1};
    vkCmdCopyImageToBuffer(slot_.commands, target_.image, VK_IMAGE_LAYOUT_GENERAL, pixels_.buffer, 1, &region);
    VkBufferMemoryBarrier toHost{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
    toHost.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    toHost.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    toHost.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toHost.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toHost.buffer = pixels_.buffer;
    toHost.size = VK_WHOLE_SIZE;
    vkCmdPipelineBarrier(slot_.commands, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                         &toHost, 0, nullptr);
    vk::Check(vkEndCommandBuffer(slot_.commands), "vkEndCommandBuffer");
  }

  void Destroy() {
    VkDevice dev = device_.handle();
    vkDeviceWaitIdle(dev);
    slot_.Destroy(dev);
    device_.DestroyBuffer(pixels_);
  }

  CaptureTarget target_;
  vk::Device& device_;
  MarkerStamp stamp_;
  vk::Buffer pixels_;
  vk::CommandSlot slot_;
};

}  // namespace

std::unique_ptr<CapturePath> CreateReadback(const CaptureTarget& target) { return std::make_unique<Readback>(target); }

}  // namespace glasslab::capture
