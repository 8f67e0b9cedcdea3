// Vulkan error handling: every failing call becomes a VulkanError whose message names the call
// and the VkResult, e.g. "vkCreateDevice failed: VK_ERROR_OUT_OF_HOST_MEMORY (-1)".
#pragma once
#include <vulkan/vulkan.h>

#include <stdexcept>
#include <string>

namespace glasslab::vk {

// A Vulkan call failed; `result` is what it returned.
class VulkanError : public std::runtime_error {
 public:
  VulkanError(const std::string& call, VkResult result);
  VkResult result;
};

// The VkResult's enumerator name ("VK_ERROR_DEVICE_LOST"), or nullptr for codes not listed.
const char* ResultName(VkResult result);

// Throws VulkanError naming `call` when `result` is not VK_SUCCESS.
inline void Check(VkResult result, const char* call) {
  if (result != VK_SUCCESS) throw VulkanError(call, result);
}

}  // namespace glasslab::vk
