// Whether the zero-copy path can run, and exactly why not: the facts (Vulkan extensions and
// export capabilities, the CUDA driver, CUDA devices by UUID, NVENC on the matching GPU) are
// gathered by Gather(); Decide() is a pure function of them, so tests inject every branch.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "cuda_driver.h"
#include "vk_context.h"

namespace glasslab::zerocopy {

struct Facts {
  std::string vulkanDevice;
  cuda::Uuid vulkanUuid{};
  bool externalMemoryFd = false;
  bool memoryExportable = false;
  bool externalSemaphoreFd = false;
  bool timelineSemaphore = false;
  bool semaphoreExportable = false;
  std::string cudaLoadError;  // empty: loaded
  std::string cudaInitError;  // empty: cuInit succeeded
  std::vector<cuda::CudaDevice> cudaDevices;
  std::optional<std::string> nvencError;  // empty string: a session opens; nullopt: not probed
};

struct Verdict {
  bool available = false;
  std::string reason;     // set when !available
  int cudaOrdinal = -1;   // the CUDA device matching the Vulkan device, when one does
};

// The checks in order; the first that fails is the reason.
Verdict Decide(const Facts& facts);

// The Vulkan half of those checks alone (the device's export capabilities), or nothing.
std::optional<std::string> VulkanProblem(const Facts& facts);

// Can `physical` export storage-buffer memory / a timeline semaphore as opaque fds?
bool MemoryExportable(VkPhysicalDevice physical);
bool TimelineSemaphoreExportable(VkPhysicalDevice physical);

// Reads the facts for `device`. `probeNvenc`: also open (and close) an NVENC session on the
// matching CUDA device (skipped when an earlier check already fails).
Facts Gather(const vk::DeviceInfo& device, bool probeNvenc);

}  // namespace glasslab::zerocopy
