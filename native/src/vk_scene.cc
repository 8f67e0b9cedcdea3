#include "vk_scene.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "marker.h"
#include "shaders.h"
#include "vk_check.h"

namespace glasslab::vk {
namespace {

// Mirrors the push-constant block of shaders/scene.comp (std430-like offsets, 96 bytes).
struct ScenePush {
  uint32_t frame, width, height;
  float pixelScale;
  float discs[3][4];
  float bar[4];
  float scroll[2];
  float hue;
  float pad;
};
static_assert(sizeof(ScenePush) == 96, "push constants must match scene.comp");

// The scene's per-frame values: positions on Lissajous paths, the bar's angle, the scroll.
ScenePush SceneAt(uint32_t frame, int width, int height) {
  ScenePush p{};
  const float t = static_cast<float>(frame) / 30.0f;  // seconds at the nominal 30 fps
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  p.frame = frame;
  p.width = static_cast<uint32_t>(width);
  p.height = static_cast<uint32_t>(height);
  p.pixelScale = h / 360.0f;
  for (int i = 0; i < 3; ++i) {
    const float fi = static_cast<float>(i);
    p.discs[i][0] = w * (0.5f + 0.38f * std::sin(t * (0.9f + 0.3f * fi) + fi * 2.1f));
    p.discs[i][1] = h * (0.5f + 0.38f * std::cos(t * (1.3f - 0.2f * fi) + fi));
    const float radius = h * (0.07f + 0.02f * fi);
    p.discs[i][2] = radius * radius;
    p.discs[i][3] = 4.0f / (radius * radius);  // four rings per disc
  }
  p.bar[0] = w * (0.5f + 0.3f * std::cos(t * 0.5f));
  p.bar[1] = h * 0.35f;
  p.bar[2] = std::cos(t * 1.7f);
  p.bar[3] = std::sin(t * 1.7f);
  p.scroll[0] = static_cast<float>(frame % 4096u) * 3.0f;
  p.scroll[1] = static_cast<float>(frame % 4096u) * 2.0f;
  p.hue = std::fmod(t * 0.07f, 1.0f);
  return p;
}

constexpr uint32_t kGroupSizeX = 64, kGroupSizeY = 1;  // local_size in scene.comp

}  // namespace

VkPipeline CreateComputePipeline(VkDevice device, const char* shaderName, VkPipelineLayout layout) {
  const shaders::Shader* shader = shaders::Find(shaderName);
  if (!shader) throw std::runtime_error(std::string("shader '") + shaderName + "' is not compiled into the addon");
  VkShaderModuleCreateInfo moduleInfo{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  moduleInfo.codeSize = shader->sizeBytes;
  moduleInfo.pCode = shader->code;
  VkShaderModule module = VK_NULL_HANDLE;
  Check(vkCreateShaderModule(device, &moduleInfo, nullptr, &module), "vkCreateShaderModule");
  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.layout = layout;
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkResult r = vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline);
  vkDestroyShaderModule(device, module, nullptr);
  Check(r, "vkCreateComputePipelines");
  return pipeline;
}

void WaitAndReset(VkDevice device, VkFence fence, const char* what) {
  VkResult r;
  do {
    r = vkWaitForFences(device, 1, &fence, VK_TRUE, 1000000000ull);
  } while (r == VK_TIMEOUT);
  Check(r, what);
  Check(vkResetFences(device, 1, &fence), "vkResetFences");
}

void CommandSlot::Create(VkDevice device, uint32_t queueFamily, bool resettable) {
  VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  poolInfo.flags = resettable ? VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT : 0;
  poolInfo.queueFamilyIndex = queueFamily;
  Check(vkCreateCommandPool(device, &poolInfo, nullptr, &pool), "vkCreateCommandPool");
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  Check(vkAllocateCommandBuffers(device, &alloc, &commands), "vkAllocateCommandBuffers");
  VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  Check(vkCreateFence(device, &fenceInfo, nullptr, &fence), "vkCreateFence");
}

void CommandSlot::Destroy(VkDevice device) {
  if (fence) vkDestroyFence(device, fence, nullptr);
  if (pool) vkDestroyCommandPool(device, pool, nullptr);  // frees `commands` with it
  fence = VK_NULL_HANDLE;
  pool = VK_NULL_HANDLE;
  commands = VK_NULL_HANDLE;
}

void SubmitAndWait(VkDevice device, VkQueue queue, VkCommandBuffer commands, VkFence fence, const std::string& what) {
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands;
  Check(vkQueueSubmit(queue, 1, &submit, fence), ("vkQueueSubmit (" + what + ")").c_str());
  WaitAndReset(device, fence, ("vkWaitForFences (" + what + ")").c_str());
}

SceneRenderer::SceneRenderer(Device& device, int width, int height) : device_(device), width_(width), height_(height) {
  VkDevice dev = device.handle();
  try {
    VkImageCreateInfo imageInfo{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    imageInfo.imageType = VK_IMAGE_TYPE_2D;
    imageInfo.format = VK_FORMAT_R8G8B8A8_UNORM;
    imageInfo.extent = {static_cast<uint32_t>(width), static_cast<uint32_t>(height), 1};
    imageInfo.mipLevels = 1;
    imageInfo.arrayLayers = 1;
    imageInfo.samples = VK_SAMPLE_COUNT_1_BIT;
    imageInfo.tiling = VK_IMAGE_TILING_OPTIMAL;
    imageInfo.usage = VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    imageInfo.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    Check(vkCreateImage(dev, &imageInfo, nullptr, &image_), "vkCreateImage");
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(dev, image_, &req);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = device.FindMemoryType(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
    Check(vkAllocateMemory(dev, &alloc, nullptr, &imageMemory_), "vkAllocateMemory");
    Check(vkBindImageMemory(dev, image_, imageMemory_, 0), "vkBindImageMemory");

    VkImageViewCreateInfo viewInfo{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    viewInfo.image = image_;
    viewInfo.viewType = VK_IMAGE_VIEW_TYPE_2D;
    viewInfo.format = VK_FORMAT_R8G8B8A8_UNORM;
    viewInfo.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    Check(vkCreateImageView(dev, &viewInfo, nullptr, &view_), "vkCreateImageView");

    VkDescriptorSetLayoutBinding binding{0, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    VkDescriptorSetLayoutCreateInfo setInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    setInfo.bindingCount = 1;
    setInfo.pBindings = &binding;
    Check(vkCreateDescriptorSetLayout(dev, &setInfo, nullptr, &setLayout_), "vkCreateDescriptorSetLayout");
    VkDescriptorPoolSize poolSize{VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1};
    VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    poolInfo.maxSets = 1;
    poolInfo.poolSizeCount = 1;
    poolInfo.pPoolSizes = &poolSize;
    Check(vkCreateDescriptorPool(dev, &poolInfo, nullptr, &pool_), "vkCreateDescriptorPool");
    VkDescriptorSetAllocateInfo setAlloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    setAlloc.descriptorPool = pool_;
    setAlloc.descriptorSetCount = 1;
    setAlloc.pSetLayouts = &setLayout_;
    Check(vkAllocateDescriptorSets(dev, &setAlloc, &set_), "vkAllocateDescriptorSets");
    VkDescriptorImageInfo imageDesc{VK_NULL_HANDLE, view_, VK_IMAGE_LAYOUT_GENERAL};
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = set_;
    write.descriptorCount = 1;
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE;
    write.pImageInfo = &imageDesc;
    vkUpdateDescriptorSets(dev, 1, &write, 0, nullptr);

    VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(ScenePush)};
    VkPipelineLayoutCreateInfo layoutInfo{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layoutInfo.setLayoutCount = 1;
    layoutInfo.pSetLayouts = &setLayout_;
    layoutInfo.pushConstantRangeCount = 1;
    layoutInfo.pPushConstantRanges = &push;
    Check(vkCreatePipelineLayout(dev, &layoutInfo, nullptr, &pipelineLayout_), "vkCreatePipelineLayout");
    pipeline_ = CreateComputePipeline(dev, "scene", pipelineLayout_);

    slot_.Create(dev, device.queueFamily(), true);
  } catch (...) {
    Destroy();
    throw;
  }
}

SceneRenderer::~SceneRenderer() { Destroy(); }

void SceneRenderer::Destroy() {
  VkDevice dev = device_.handle();
  vkDeviceWaitIdle(dev);
  slot_.Destroy(dev);
  if (pipeline_) vkDestroyPipeline(dev, pipeline_, nullptr);
  if (pipelineLayout_) vkDestroyPipelineLayout(dev, pipelineLayout_, nullptr);
  if (pool_) vkDestroyDescriptorPool(dev, pool_, nullptr);
  if (setLayout_) vkDestroyDescriptorSetLayout(dev, setLayout_, nullptr);
  if (view_) vkDestroyImageView(dev, view_, nullptr);
  if (image_) vkDestroyImage(dev, image_, nullptr);
  if (imageMemory_) vkFreeMemory(dev, imageMemory_, nullptr);
  pipeline_ = VK_NULL_HANDLE;
  pipelineLayout_ = VK_NULL_HANDLE;
  pool_ = VK_NULL_HANDLE;
  setLayout_ = VK_NULL_HANDLE;
  view_ = VK_NULL_HANDLE;
  image_ = VK_NULL_HANDLE;
  imageMemory_ = VK_NULL_HANDLE;
}

RenderTimes SceneRenderer::Render(uint32_t frameIndex) {
  VkDevice dev = device_.handle();
  Check(vkResetCommandBuffer(slot_.commands, 0), "vkResetCommandBuffer");
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  Check(vkBeginCommandBuffer(slot_.commands, &begin), "vkBeginCommandBuffer");
  // The previous frame's capture read (and stamped) the image with transfers, or read it in a
  // compute shader (gpu-convert, zero-copy; zero-copy does not wait for it on the host): order
  // the shader writes after them. The first frame only moves the image out of UNDEFINED.
  VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  barrier.srcAccessMask =
      initialized_ ? VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT : 0;
  barrier.dstAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.oldLayout = initialized_ ? VK_IMAGE_LAYOUT_GENERAL : VK_IMAGE_LAYOUT_UNDEFINED;
  barrier.newLayout = VK_IMAGE_LAYOUT_GENERAL;
  barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.image = image_;
  barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  vkCmdPipelineBarrier(slot_.commands,
                       initialized_ ? VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
                                    : VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, nullptr, 0, nullptr, 1, &barrier);
  vkCmdBindPipeline(slot_.commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
  vkCmdBindDescriptorSets(slot_.commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipelineLayout_, 0, 1, &set_, 0, nullptr);
  const ScenePush push = SceneAt(frameIndex, width_, height_);
  vkCmdPushConstants(slot_.commands, pipelineLayout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
  vkCmdDispatch(slot_.commands, (width_ + kGroupSizeX - 1) / kGroupSizeX, (height_ + kGroupSizeY - 1) / kGroupSizeY, 1);
  Check(vkEndCommandBuffer(slot_.commands), "vkEndCommandBuffer");

  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &slot_.commands;
  RenderTimes times{};
  times.submitNs = marker::MonotonicNowNs();
  Check(vkQueueSubmit(device_.queue(), 1, &submit, slot_.fence), "vkQueueSubmit (scene render)");
  VkResult r;
  do {
    r = vkWaitForFences(dev, 1, &slot_.fence, VK_TRUE, 1000000000ull);
  } while (r == VK_TIMEOUT);
  times.doneNs = marker::MonotonicNowNs();  // capture time: right after the fence wait returned
  Check(r, "vkWaitForFences (scene render)");
  Check(vkResetFences(dev, 1, &slot_.fence), "vkResetFences");
  initialized_ = true;
  return times;
}

}  // namespace glasslab::vk
