// JS view of Vulkan devices: the VulkanDeviceInfo object and the listVulkanDevices() export.
#pragma once
#include <napi.h>

#include "vk_context.h"

namespace glasslab::vk {

// VulkanDeviceInfo (src/native/types.ts) for one device.
Napi::Object DeviceInfoToJs(Napi::Env env, const DeviceInfo& device);

}  // namespace glasslab::vk
