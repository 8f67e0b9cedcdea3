#include "capture_gpu_convert.h"

#include <cstring>

#include "capture_marker.h"
#include "marker.h"
#include "vk_check.h"
#include "vk_scene.h"

namespace glasslab::capture {
namespace {

constexpr uint32_t kGroupWidth = 64;  // local_size_x in rgba_to_nv12.comp; each invocation: 4x2 px

struct ConvertPush {
  uint32_t width, height;
};

}  // namespace

Nv12Converter::Nv12Converter(vk::Device& device, VkImage image, int width, int height,
                             const std::vector<VkBuffer>& destinations)
    : device_(device), width_(width), height_(height) {
  try {
    VkDevice dev = device_.handle();
    VkImageViewCreateInfo viewInfo{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    viewInfo.image = image;
    viewInfo.viewType = VK_IMAGE_VIEW_TYPE_2D;
    viewInfo.format = VK_FORMAT_R8G8B8A8_UNORM;
    viewInfo.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vk::Check(vkCreateImageView(dev, &viewInfo, nullptr, &view_), "vkCreateImageView");
    VkDescriptorSetLayoutBinding bindings[2] = {
        {0, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr},
        {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr}};
    VkDescriptorSetLayoutCreateInfo setInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    setInfo.bindingCount = 2;
    setInfo.pBindings = bindings;
    vk::Check(vkCreateDescriptorSetLayout(dev, &setInfo, nullptr, &setLayout_), "vkCreateDescriptorSetLayout");
    const auto count = static_cast<uint32_t>(destinations.size());
    VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, count}, {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, count}};
    VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    poolInfo.maxSets = count;
    poolInfo.poolSizeCount = 2;
    poolInfo.pPoolSizes = sizes;
    vk::Check(vkCreateDescriptorPool(dev, &poolInfo, nullptr, &descriptorPool_), "vkCreateDescriptorPool");
    sets_.resize(count);
    std::vector<VkDescriptorSetLayout> layouts(count, setLayout_);
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = descriptorPool_;
    alloc.descriptorSetCount = count;
    alloc.pSetLayouts = layouts.data();
    vk::Check(vkAllocateDescriptorSets(dev, &alloc, sets_.data()), "vkAllocateDescriptorSets");
    for (uint32_t i = 0; i < count; ++i) {
      VkDescriptorImageInfo imageDesc{VK_NULL_HANDLE, view_, VK_IMAGE_LAYOUT_GENERAL};
      VkDescriptorBufferInfo bufferDesc{destinations[i], 0, VK_WHOLE_SIZE};
      VkWriteDescriptorSet writes[2] = {{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET}, {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET}};
      writes[0].dstSet = sets_[i];
      writes[0].dstBinding = 0;
      writes[0].descriptorCount = 1;
      writes[0].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE;
      writes[0].pImageInfo = &imageDesc;
      writes[1].dstSet = sets_[i];
      writes[1].dstBinding = 1;
      writes[1].descriptorCount = 1;
      writes[1].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[1].pBufferInfo = &bufferDesc;
      vkUpdateDescriptorSets(dev, 2, writes, 0, nullptr);
    }
    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(ConvertPush)};
    VkPipelineLayoutCreateInfo layoutInfo{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layoutInfo.setLayoutCount = 1;
    layoutInfo.pSetLayouts = &setLayout_;
    layoutInfo.pushConstantRangeCount = 1;
    layoutInfo.pPushConstantRanges = &push;
    vk::Check(vkCreatePipelineLayout(dev, &layoutInfo, nullptr, &pipelineLayout_), "vkCreatePipelineLayout");
    pipeline_ = vk::CreateComputePipeline(dev, "rgba_to_nv12", pipelineLayout_);
  } catch (...) {
    Destroy();
    throw;
  }
}

Nv12Converter::~Nv12Converter() { Destroy(); }

void Nv12Converter::Record(VkCommandBuffer commands, size_t index) const {
  vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
  vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipelineLayout_, 0, 1, &sets_.at(index), 0, nullptr);
  ConvertPush push{static_cast<uint32_t>(width_), static_cast<uint32_t>(height_)};
  vkCmdPushConstants(commands, pipelineLayout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
  const uint32_t blocksX = static_cast<uint32_t>(width_) / 4;
  vkCmdDispatch(commands, (blocksX + kGroupWidth - 1) / kGroupWidth, static_cast<uint32_t>(height_) / 2, 1);
}

void Nv12Converter::Destroy() {
  VkDevice dev = device_.handle();
  if (pipeline_) vkDestroyPipeline(dev, pipeline_, nullptr);
  if (pipelineLayout_) vkDestroyPipelineLayout(dev, pipelineLayout_, nullptr);
  if (descriptorPool_) vkDestroyDescriptorPool(dev, descriptorPool_, nullptr);
  if (setLayout_) vkDestroyDescriptorSetLayout(dev, setLayout_, nullptr);
  if (view_) vkDestroyImageView(dev, view_, nullptr);
  pipeline_ = VK_NULL_HANDLE;
  pipelineLayout_ = VK_NULL_HANDLE;
  descriptorPool_ = VK_NULL_HANDLE;
  setLayout_ = VK_NULL_HANDLE;
  view_ = VK_NULL_HANDLE;
  sets_.clear();
}

namespace {


class GpuConvert final : public CapturePath {
 public:
  explicit GpuConvert(const CaptureTarget& target)
      : target_(target), device_(*target.device), stamp_(device_, target.width, target.height) {
    try {
      layout_ = LayoutFor(PixelFormat::kNV12, target.width, target.height);
      nv12_ = device_.CreateBuffer(layout_.totalBytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, true);
      converter_ = std::make_unique<Nv12Converter>(device_, target.image, target.width, target.height,
                                                   std::vector<VkBuffer>{nv12_.buffer});
      slot_.Create(device_.handle(), device_.queueFamily(), false);
      Record();
    } catch (...) {
      Destroy();
      throw;
    }
  }

  ~GpuConvert() override { Destroy(); }

  const char* name() const override { return "gpu-convert"; }

  HostFrame Capture(uint32_t frameId, uint64_t captureTimeNs) override {
    stamp_.Prepare(frameId, captureTimeNs);
    vk::SubmitAndWait(device_.handle(), device_.queue(), slot_.commands, slot_.fence, "gpu-convert");
    HostFrame frame;
    frame.copyDoneNs = marker::MonotonicNowNs();
    device_.InvalidateForHost(nv12_);
    frame.layout = layout_;
    frame.data = AllocateFrame(layout_);
    std::memcpy(frame.data.get(), nv12_.mapped, layout_.totalBytes);
    frame.convertDoneNs = marker::MonotonicNowNs();
    return frame;
  }

 private:
  // Recorded once: stamp, convert, make the NV12 bytes visible to the host.
  void Record() {
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vk::Check(vkBeginCommandBuffer(slot_.commands, &begin), "vkBeginCommandBuffer");
    stamp_.Record(slot_.commands, target_.image, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
    converter_->Record(slot_.commands, 0);
    VkBufferMemoryBarrier toHost{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
    toHost.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    toHost.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    toHost.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toHost.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toHost.buffer = nv12_.buffer;
    toHost.size = VK_WHOLE_SIZE;
    vkCmdPipelineBarrier(slot_.commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                         &toHost, 0, nullptr);
    vk::Check(vkEndCommandBuffer(slot_.commands), "vkEndCommandBuffer");
  }

  void Destroy() {
    VkDevice dev = device_.handle();
    vkDeviceWaitIdle(dev);
    slot_.Destroy(dev);
    converter_.reset();
    device_.DestroyBuffer(nv12_);
  }

  CaptureTarget target_;
  vk::Device& device_;
  MarkerStamp stamp_;
  PlaneLayout layout_{};
  vk::Buffer nv12_;
  std::unique_ptr<Nv12Converter> converter_;
  vk::CommandSlot slot_;
};

}  // namespace

std::optional<std::string> GpuConvertUnsupported(int width, PixelFormat format) {
  if (format != PixelFormat::kNV12) return std::string("it produces NV12 only (set pixelFormat: 'nv12')");
  if (width % 4 != 0) {
    return "it needs a width that is a multiple of 4 (got " + std::to_string(width) + ")";
  }
  return std::nullopt;
}

std::unique_ptr<CapturePath> CreateGpuConvert(const CaptureTarget& target) {
  return std::make_unique<GpuConvert>(target);
}

}  // namespace glasslab::capture
