#include "zero_copy_ring.h"

#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "marker.h"
#include "vk_check.h"
#include "zero_copy_probe.h"

namespace glasslab::zerocopy {
namespace {

constexpr VkExternalMemoryHandleTypeFlagBits kMemoryHandle = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
constexpr VkExternalSemaphoreHandleTypeFlagBits kSemaphoreHandle = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
constexpr VkBufferUsageFlags kSurfaceUsage =
    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

template <typename Fn>
Fn DeviceFunction(VkDevice device, const char* name) {
  auto fn = reinterpret_cast<Fn>(vkGetDeviceProcAddr(device, name));
  if (!fn) throw std::runtime_error(std::string(name) + " is not available on this device");
  return fn;
}

// A buffer whose memory can be exported as (or imported from) an opaque fd.
VkBuffer CreateExternalBuffer(VkDevice device, VkDeviceSize size) {
  VkExternalMemoryBufferCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
  external.handleTypes = kMemoryHandle;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.pNext = &external;
  info.size = size;
  info.usage = kSurfaceUsage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  vk::Check(vkCreateBuffer(device, &info, nullptr, &buffer), "vkCreateBuffer (exportable NV12 surface)");
  return buffer;
}

}  // namespace

std::optional<std::string> ExportUnsupported(const vk::Device& device, bool needSemaphore) {
  Facts facts;
  facts.vulkanDevice = device.info().name;
  facts.externalMemoryFd = device.externalMemoryFd();
  facts.memoryExportable = facts.externalMemoryFd && MemoryExportable(device.physical());
  // Without a semaphore the importer waits on the host: count the semaphore checks as passed.
  facts.externalSemaphoreFd = !needSemaphore || device.externalSemaphoreFd();
  facts.timelineSemaphore = !needSemaphore || device.timelineSemaphore();
  facts.semaphoreExportable = !needSemaphore || (facts.externalSemaphoreFd && facts.timelineSemaphore &&
                                                 TimelineSemaphoreExportable(device.physical()));
  return VulkanProblem(facts);
}

SurfaceRing::SurfaceRing(vk::Device& device, VkImage image, int width, int height, const RingOptions& options)
    : device_(device), image_(image), width_(width), height_(height) {
  if (options.slots < 2 || options.slots > 16) {
    throw std::invalid_argument("zero-copy surface ring: slots must be 2..16 (got " + std::to_string(options.slots) + ")");
  }
  if (auto why = ExportUnsupported(device, options.exportSemaphore)) throw std::runtime_error(*why);
  if (auto why = capture::GpuConvertUnsupported(width, capture::PixelFormat::kNV12)) {
    throw std::invalid_argument("zero-copy: " + *why);
  }
  VkDevice dev = device_.handle();
  try {
    getMemoryFd_ = DeviceFunction<PFN_vkGetMemoryFdKHR>(dev, "vkGetMemoryFdKHR");
    layout_ = capture::LayoutFor(capture::PixelFormat::kNV12, width, height);
    slots_.resize(static_cast<size_t>(options.slots));
    std::vector<VkBuffer> buffers;
    for (auto& slot : slots_) {
      slot.buffer = CreateExternalBuffer(dev, layout_.totalBytes);
      VkMemoryRequirements req;
      vkGetBufferMemoryRequirements(dev, slot.buffer, &req);
      slot.memoryType = device_.FindMemoryType(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
      slot.allocationSize = req.size;
      VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
      dedicated.buffer = slot.buffer;
      VkExportMemoryAllocateInfo exportInfo{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO};
      exportInfo.pNext = &dedicated;
      exportInfo.handleTypes = kMemoryHandle;
      VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
      alloc.pNext = &exportInfo;
      alloc.allocationSize = req.size;
      alloc.memoryTypeIndex = slot.memoryType;
      vk::Check(vkAllocateMemory(dev, &alloc, nullptr, &slot.memory), "vkAllocateMemory (exportable NV12 surface)");
      vk::Check(vkBindBufferMemory(dev, slot.buffer, slot.memory, 0), "vkBindBufferMemory");
      slot.stamp = std::make_unique<capture::MarkerStamp>(device_, width, height);
      slot.commands.Create(dev, device_.queueFamily(), false);
      buffers.push_back(slot.buffer);
    }
    converter_ = std::make_unique<capture::Nv12Converter>(device_, image, width, height, buffers);
    if (options.exportSemaphore) {
      getSemaphoreFd_ = DeviceFunction<PFN_vkGetSemaphoreFdKHR>(dev, "vkGetSemaphoreFdKHR");
      VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
      type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
      type.initialValue = 0;
      VkExportSemaphoreCreateInfo exportSem{VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO};
      exportSem.handleTypes = kSemaphoreHandle;
      exportSem.pNext = &type;
      VkSemaphoreCreateInfo semInfo{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
      semInfo.pNext = &exportSem;
      vk::Check(vkCreateSemaphore(dev, &semInfo, nullptr, &semaphore_), "vkCreateSemaphore (exportable)");
    }
    for (size_t i = 0; i < slots_.size(); ++i) Record(i);
  } catch (...) {
    Destroy();
    throw;
  }
}

SurfaceRing::~SurfaceRing() { Destroy(); }

// Recorded once per slot: stamp the marker into the image, convert into the slot's surface,
// and make the writes available to whoever imports the memory.
void SurfaceRing::Record(size_t index) {
  Slot& slot = slots_[index];
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  vk::Check(vkBeginCommandBuffer(slot.commands.commands, &begin), "vkBeginCommandBuffer");
  slot.stamp->Record(slot.commands.commands, image_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
  converter_->Record(slot.commands.commands, index);
  VkBufferMemoryBarrier done{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
  done.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  done.dstAccessMask = VK_ACCESS_MEMORY_READ_BIT;
  done.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  done.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  done.buffer = slot.buffer;
  done.size = VK_WHOLE_SIZE;
  vkCmdPipelineBarrier(slot.commands.commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                       0, 0, nullptr, 1, &done, 0, nullptr);
  vk::Check(vkEndCommandBuffer(slot.commands.commands), "vkEndCommandBuffer");
}

std::optional<size_t> SurfaceRing::NextFree() const {
  if (slots_[next_].held) return std::nullopt;
  return next_;
}

SlotFrame SurfaceRing::Convert(size_t index, uint32_t frameId, uint64_t captureTimeNs) {
  Slot& slot = slots_.at(index);
  if (slot.held) throw std::logic_error("zero-copy: slot " + std::to_string(index) + " is still held by its importer");
  VkDevice dev = device_.handle();
  // The slot's previous conversion has long finished (its importer released it); its fence
  // must still be observed before the staging buffer and command buffer are reused.
  if (slot.submitted) vk::WaitAndReset(dev, slot.commands.fence, "zero-copy conversion (slot reuse)");
  slot.stamp->Prepare(frameId, captureTimeNs);
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &slot.commands.commands;
  VkTimelineSemaphoreSubmitInfo timelineInfo{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
  // the exported semaphore is always a timeline one (ExportUnsupported checked the device has them)
  const uint64_t value = semaphore_ ? ++timelineValue_ : 0;
  if (semaphore_) {
    submit.signalSemaphoreCount = 1;
    submit.pSignalSemaphores = &semaphore_;
    timelineInfo.signalSemaphoreValueCount = 1;
    timelineInfo.pSignalSemaphoreValues = &value;
    submit.pNext = &timelineInfo;
  }
  SlotFrame frame{index, value, marker::MonotonicNowNs()};
  vk::Check(vkQueueSubmit(device_.queue(), 1, &submit, slot.commands.fence), "vkQueueSubmit (zero-copy conversion)");
  slot.submitted = true;
  slot.held = true;
  next_ = (next_ + 1) % slots_.size();
  return frame;
}

void SurfaceRing::WaitConverted(size_t index) {
  Slot& slot = slots_.at(index);
  if (!slot.submitted) return;
  vk::WaitAndReset(device_.handle(), slot.commands.fence, "zero-copy conversion");
  slot.submitted = false;
}

void SurfaceRing::Release(size_t index) { slots_.at(index).held = false; }

int SurfaceRing::ExportMemoryFd(size_t index) const {
  VkMemoryGetFdInfoKHR info{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
  info.memory = slots_.at(index).memory;
  info.handleType = kMemoryHandle;
  int fd = -1;
  vk::Check(getMemoryFd_(device_.handle(), &info, &fd), "vkGetMemoryFdKHR");
  return fd;
}

int SurfaceRing::ExportSemaphoreFd() const {
  if (!semaphore_) throw std::logic_error("zero-copy: this ring exports no semaphore");
  VkSemaphoreGetFdInfoKHR info{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
  info.semaphore = semaphore_;
  info.handleType = kSemaphoreHandle;
  int fd = -1;
  vk::Check(getSemaphoreFd_(device_.handle(), &info, &fd), "vkGetSemaphoreFdKHR");
  return fd;
}

void SurfaceRing::Destroy() {
  VkDevice dev = device_.handle();
  vkDeviceWaitIdle(dev);
  converter_.reset();
  for (auto& slot : slots_) {
    slot.commands.Destroy(dev);
    slot.stamp.reset();
    if (slot.buffer) vkDestroyBuffer(dev, slot.buffer, nullptr);
    if (slot.memory) vkFreeMemory(dev, slot.memory, nullptr);
  }
  slots_.clear();
  if (semaphore_) vkDestroySemaphore(dev, semaphore_, nullptr);
  semaphore_ = VK_NULL_HANDLE;
}

VulkanImporter::VulkanImporter(vk::Device& device, const SurfaceRing& ring)
    : device_(device), bytes_(ring.layout().totalBytes) {
  VkDevice dev = device_.handle();
  try {
    for (size_t i = 0; i < ring.slots(); ++i) {
      VkBuffer buffer = CreateExternalBuffer(dev, bytes_);
      buffers_.push_back(buffer);
      const int fd = ring.ExportMemoryFd(i);
      VkImportMemoryFdInfoKHR import{VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR};
      import.handleType = kMemoryHandle;
      import.fd = fd;
      VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
      dedicated.buffer = buffer;
      import.pNext = &dedicated;
      VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
      alloc.pNext = &import;
      alloc.allocationSize = ring.allocationSize(i);
      alloc.memoryTypeIndex = ring.memoryTypeIndex(i);
      VkDeviceMemory memory = VK_NULL_HANDLE;
      const VkResult r = vkAllocateMemory(dev, &alloc, nullptr, &memory);
      if (r != VK_SUCCESS) close(fd);  // a successful import owns the fd
      vk::Check(r, "vkAllocateMemory (import of an NV12 surface fd)");
      memories_.push_back(memory);
      vk::Check(vkBindBufferMemory(dev, buffer, memory, 0), "vkBindBufferMemory (imported surface)");
    }
    host_ = device_.CreateBuffer(bytes_, VK_BUFFER_USAGE_TRANSFER_DST_BIT, true);
    commands_.Create(dev, device_.queueFamily(), true);
  } catch (...) {
    Destroy();
    throw;
  }
}

VulkanImporter::~VulkanImporter() { Destroy(); }

void VulkanImporter::Read(size_t slot, uint8_t* out) {
  VkDevice dev = device_.handle();
  vk::Check(vkResetCommandBuffer(commands_.commands, 0), "vkResetCommandBuffer");
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vk::Check(vkBeginCommandBuffer(commands_.commands, &begin), "vkBeginCommandBuffer");
  VkBufferCopy region{0, 0, bytes_};
  vkCmdCopyBuffer(commands_.commands, buffers_.at(slot), host_.buffer, 1, &region);
  VkBufferMemoryBarrier toHost{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
  toHost.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  toHost.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  toHost.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  toHost.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  toHost.buffer = host_.buffer;
  toHost.size = VK_WHOLE_SIZE;
  vkCmdPipelineBarrier(commands_.commands, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                       &toHost, 0, nullptr);
  vk::Check(vkEndCommandBuffer(commands_.commands), "vkEndCommandBuffer");
  vk::SubmitAndWait(dev, device_.queue(), commands_.commands, commands_.fence, "zero-copy import readback");
  device_.InvalidateForHost(host_);
  std::memcpy(out, host_.mapped, bytes_);
}

void VulkanImporter::Destroy() {
  VkDevice dev = device_.handle();
  vkDeviceWaitIdle(dev);
  commands_.Destroy(dev);
  device_.DestroyBuffer(host_);
  for (VkBuffer b : buffers_) vkDestroyBuffer(dev, b, nullptr);
  for (VkDeviceMemory m : memories_) vkFreeMemory(dev, m, nullptr);
  buffers_.clear();
  memories_.clear();
}

}  // namespace glasslab::zerocopy
