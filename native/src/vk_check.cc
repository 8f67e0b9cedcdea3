#include "vk_check.h"

namespace glasslab::vk {

const char* ResultName(VkResult result) {
  switch (result) {
#define GLASSLAB_VK_RESULT(name) \
  case name:                     \
    return #name;
    GLASSLAB_VK_RESULT(VK_SUCCESS)
    GLASSLAB_VK_RESULT(VK_NOT_READY)
    GLASSLAB_VK_RESULT(VK_TIMEOUT)
    GLASSLAB_VK_RESULT(VK_EVENT_SET)
    GLASSLAB_VK_RESULT(VK_EVENT_RESET)
    GLASSLAB_VK_RESULT(VK_INCOMPLETE)
    GLASSLAB_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    GLASSLAB_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    GLASSLAB_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    GLASSLAB_VK_RESULT(VK_ERROR_DEVICE_LOST)
    GLASSLAB_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    GLASSLAB_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    GLASSLAB_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    GLASSLAB_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    GLASSLAB_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    GLASSLAB_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    GLASSLAB_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    GLASSLAB_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    GLASSLAB_VK_RESULT(VK_ERROR_UNKNOWN)
    GLASSLAB_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    GLASSLAB_VK_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    GLASSLAB_VK_RESULT(VK_ERROR_FRAGMENTATION)
    GLASSLAB_VK_RESULT(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
#undef GLASSLAB_VK_RESULT
    default:
      return nullptr;
  }
}

static std::string Describe(const std::string& call, VkResult result) {
  const char* name = ResultName(result);
  std::string text = name ? name : "VkResult";
  return call + " failed: " + text + " (" + std::to_string(static_cast<int>(result)) + ")";
}

VulkanError::VulkanError(const std::string& call, VkResult result)
    : std::runtime_error(Describe(call, result)), result(result) {}

}  // namespace glasslab::vk
