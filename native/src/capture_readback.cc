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
      VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
      poolInfo.queueFamilyIndex = device_.queueFamily();
      vk::Check(vkCreateCommandPool(dev, &poolInfo, nullptr, &pool_), "vkCreateCommandPool");
      VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
      alloc.commandPool = pool_;
      alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
      alloc.commandBufferCount = 1;
      vk::Check(vkAllocateCommandBuffers(dev, &alloc, &commands_), "vkAllocateCommandBuffers");
      VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
      vk::Check(vkCreateFence(dev, &fenceInfo, nullptr, &fence_), "vkCreateFence");
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
    vk::SubmitAndWait(device_.handle(), device_.queue(), commands_, fence_, "readback");
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
    vk::Check(vkBeginCommandBuffer(commands_, &begin), "vkBeginCommandBuffer");
    stamp_.Record(commands_, target_.image, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {static_cast<uint32_t>(target_.width), static_cast<uint32_t>(target_.height), 1};
    vkCmdCopyImageToBuffer(commands_, target_.image, VK_IMAGE_LAYOUT_GENERAL, pixels_.buffer, 1, &region);
    VkBufferMemoryBarrier toHost{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
    toHost.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    toHost.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    toHost.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toHost.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toHost.buffer = pixels_.buffer;
    toHost.size = VK_WHOLE_SIZE;
    vkCmdPipelineBarrier(commands_, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                         &toHost, 0, nullptr);
    vk::Check(vkEndCommandBuffer(commands_), "vkEndCommandBuffer");
  }

  void Destroy() {
    VkDevice dev = device_.handle();
    vkDeviceWaitIdle(dev);
    if (fence_) vkDestroyFence(dev, fence_, nullptr);
    if (pool_) vkDestroyCommandPool(dev, pool_, nullptr);
    fence_ = VK_NULL_HANDLE;
    pool_ = VK_NULL_HANDLE;
    device_.DestroyBuffer(pixels_);
  }

  CaptureTarget target_;
  vk::Device& device_;
  MarkerStamp stamp_;
  vk::Buffer pixels_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer commands_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
};

}  // namespace

std::unique_ptr<CapturePath> CreateReadback(const CaptureTarget& target) { return std::make_unique<Readback>(target); }

}  // namespace glasslab::capture
