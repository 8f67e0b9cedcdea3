#include "zero_copy_probe.h"

namespace glasslab::zerocopy {

std::optional<std::string> VulkanProblem(const Facts& f) {
  const std::string device = "the Vulkan device " + f.vulkanDevice;
  if (!f.externalMemoryFd) return device + " does not offer VK_KHR_external_memory_fd";
  if (!f.memoryExportable) return device + " cannot export storage-buffer memory as an opaque fd";
  if (!f.externalSemaphoreFd) {
    return device + " does not offer VK_KHR_external_semaphore_fd (needed to hand each frame to CUDA without a CPU wait)";
  }
  if (!f.timelineSemaphore) return device + " has no timeline semaphores (Vulkan 1.2 timelineSemaphore)";
  if (!f.semaphoreExportable) return device + " cannot export a timeline semaphore as an opaque fd";
  return std::nullopt;
}

Verdict Decide(const Facts& f) {
  Verdict v;
  auto no = [&](std::string why) {
    v.reason = std::move(why);
    return v;
  };
  if (auto why = VulkanProblem(f)) return no(*why);
  if (!f.cudaLoadError.empty()) return no("no NVIDIA driver: " + f.cudaLoadError);
  if (!f.cudaInitError.empty()) return no("the CUDA driver is present but " + f.cudaInitError);
  if (f.cudaDevices.empty()) return no("the CUDA driver sees no CUDA device");
  for (const auto& d : f.cudaDevices) {
    if (d.uuid == f.vulkanUuid) {
      v.cudaOrdinal = d.ordinal;
      break;
    }
  }
  if (v.cudaOrdinal < 0) {
    std::string listing;
    for (const auto& d : f.cudaDevices) {
      listing += (listing.empty() ? "" : ", ") + std::to_string(d.ordinal) + ": " + d.name + " " + cuda::UuidString(d.uuid);
    }
    return no("the Vulkan device " + f.vulkanDevice + " (UUID " + cuda::UuidString(f.vulkanUuid) + ") is not the same GPU as any CUDA device (" +
              listing + "); choose the NVIDIA device with capture.device");
  }
  if (f.nvencError && !f.nvencError->empty()) {
    std::string name;
    for (const auto& d : f.cudaDevices) {
      if (d.ordinal == v.cudaOrdinal) name = d.name;
    }
    v.reason = "no NVENC on CUDA device " + std::to_string(v.cudaOrdinal) + " (" + name + "): " + *f.nvencError;
    return v;
  }
  v.available = true;
  return v;
}

bool MemoryExportable(VkPhysicalDevice physical) {
  VkPhysicalDeviceExternalBufferInfo query{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO};
  query.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  query.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
  VkExternalBufferProperties props{VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES};
  vkGetPhysicalDeviceExternalBufferProperties(physical, &query, &props);
  return props.externalMemoryProperties.externalMemoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT;
}

bool TimelineSemaphoreExportable(VkPhysicalDevice physical) {
  VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  VkPhysicalDeviceExternalSemaphoreInfo query{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO};
  query.pNext = &type;
  query.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
  VkExternalSemaphoreProperties props{VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
  vkGetPhysicalDeviceExternalSemaphoreProperties(physical, &query, &props);
  return props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT;
}

Facts Gather(const vk::DeviceInfo& device, bool probeNvenc) {
  Facts f;
  f.vulkanDevice = device.name;
  f.vulkanUuid = device.deviceUuid;
  f.externalMemoryFd = device.externalMemoryFd;
  f.memoryExportable = device.externalMemoryFd && MemoryExportable(device.handle);
  f.externalSemaphoreFd = device.externalSemaphoreFd;
  f.timelineSemaphore = device.timelineSemaphore;
  f.semaphoreExportable = device.externalSemaphoreFd && device.timelineSemaphore && TimelineSemaphoreExportable(device.handle);
  const cuda::Driver& driver = cuda::LoadDriver();
  f.cudaLoadError = driver.loadError;
  f.cudaInitError = driver.initError;
  try {
    f.cudaDevices = cuda::Devices();
  } catch (const cuda::CudaError& e) {
    f.cudaInitError = e.what();
  }
  if (probeNvenc) {
    const Verdict before = Decide(f);
    if (before.available) f.nvencError = cuda::ProbeNvencSession(before.cudaOrdinal);
  }
  return f;
}

}  // namespace glasslab::zerocopy
