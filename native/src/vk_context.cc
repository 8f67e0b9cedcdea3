#include "vk_context.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include "vk_check.h"

namespace glasslab::vk {
namespace {

constexpr uint32_t kVendorNvidia = 0x10DE;

std::string TypeName(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
  }
}

std::string VersionString(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
         std::to_string(VK_API_VERSION_PATCH(v));
}

std::vector<std::string> DeviceExtensions(VkPhysicalDevice device) {
  uint32_t count = 0;
  Check(vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr), "vkEnumerateDeviceExtensionProperties");
  std::vector<VkExtensionProperties> props(count);
  Check(vkEnumerateDeviceExtensionProperties(device, nullptr, &count, props.data()),
        "vkEnumerateDeviceExtensionProperties");
  std::vector<std::string> names;
  for (uint32_t i = 0; i < count; ++i) names.emplace_back(props[i].extensionName);
  return names;
}

// Lower is better: NVIDIA, other discrete, integrated, virtual/cpu, other.
int Rank(const DeviceInfo& d) {
  if (d.vendorId == kVendorNvidia) return 0;
  if (d.type == "discrete") return 1;
  if (d.type == "integrated") return 2;
  if (d.type == "virtual" || d.type == "cpu") return 3;
  return 4;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Listing(const std::vector<DeviceInfo>& devices) {
  std::string out;
  for (const auto& d : devices) out += (out.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name;
  return out.empty() ? "none" : out;
}

}  // namespace

std::shared_ptr<Instance> Instance::Get() {
  static std::mutex mutex;
  static std::shared_ptr<Instance> instance;
  std::lock_guard<std::mutex> lock(mutex);
  if (instance) return instance;
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "glasslab";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  VkInstance handle = VK_NULL_HANDLE;
  Check(vkCreateInstance(&info, nullptr, &handle), "vkCreateInstance");
  // Never destroyed: a render thread may still be using it while the process exits, and static
  // destructors must not tear the driver down under it.
  instance = std::shared_ptr<Instance>(new Instance(handle), [](Instance*) {});
  return instance;
}

std::vector<DeviceInfo> Instance::Devices() const {
  uint32_t count = 0;
  Check(vkEnumeratePhysicalDevices(instance_, &count, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> handles(count);
  VkResult r = vkEnumeratePhysicalDevices(instance_, &count, handles.data());
  if (r != VK_INCOMPLETE) Check(r, "vkEnumeratePhysicalDevices");
  handles.resize(count);
  std::vector<DeviceInfo> out;
  for (uint32_t i = 0; i < handles.size(); ++i) {
    DeviceInfo d;
    d.index = i;
    d.handle = handles[i];
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(handles[i], &props);
    const auto extensions = DeviceExtensions(handles[i]);
    auto has = [&](const char* name) { return std::find(extensions.begin(), extensions.end(), name) != extensions.end(); };
    d.name = props.deviceName;
    d.type = TypeName(props.deviceType);
    d.vendorId = props.vendorID;
    d.deviceId = props.deviceID;
    d.apiVersion = VersionString(props.apiVersion);
    d.externalMemoryFd = has(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
    d.externalSemaphoreFd = has(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
    if (props.apiVersion >= VK_API_VERSION_1_1) {
      VkPhysicalDeviceIDProperties id{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
      VkPhysicalDeviceProperties2 idProps{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
      idProps.pNext = &id;
      vkGetPhysicalDeviceProperties2(handles[i], &idProps);
      std::memcpy(d.deviceUuid.data(), id.deviceUUID, VK_UUID_SIZE);
    }
    if (props.apiVersion >= VK_API_VERSION_1_2) {
      VkPhysicalDeviceVulkan12Features v12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
      VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
      features.pNext = &v12;
      vkGetPhysicalDeviceFeatures2(handles[i], &features);
      d.timelineSemaphore = v12.timelineSemaphore == VK_TRUE;
    }
    if (props.apiVersion >= VK_API_VERSION_1_2 || has(VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME)) {
      VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
      VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
      props2.pNext = &driver;
      vkGetPhysicalDeviceProperties2(handles[i], &props2);
      d.driverName = driver.driverName;
      d.driverInfo = driver.driverInfo;
    }
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(handles[i], &families, nullptr);
    std::vector<VkQueueFamilyProperties> fam(families);
    vkGetPhysicalDeviceQueueFamilyProperties(handles[i], &families, fam.data());
    for (const auto& f : fam) d.hasComputeQueue |= (f.queueFlags & VK_QUEUE_COMPUTE_BIT) && f.queueCount > 0;
    out.push_back(std::move(d));
  }
  return out;
}

DeviceChoice ChooseDevice(const std::vector<DeviceInfo>& devices, const DeviceSelector& selector) {
  auto usable = [&](const DeviceInfo& d) {
    if (!d.hasComputeQueue) {
      throw std::invalid_argument(selector.source + " names device " + std::to_string(d.index) + " (" + d.name +
                                  "), which has no compute queue");
    }
    return d.index;
  };
  if (selector.index) {
    if (*selector.index >= devices.size()) {
      throw std::invalid_argument(selector.source + " = " + std::to_string(*selector.index) +
                                  " is not a Vulkan device index (devices: " + Listing(devices) + ")");
    }
    const auto& d = devices[*selector.index];
    return {usable(d), "asked for by " + selector.source + " = " + std::to_string(d.index)};
  }
  if (selector.nameSubstring) {
    const std::string wanted = Lower(*selector.nameSubstring);
    for (const auto& d : devices) {
      if (Lower(d.name).find(wanted) != std::string::npos) {
        return {usable(d), "asked for by " + selector.source + " = '" + *selector.nameSubstring + "' (first match)"};
      }
    }
    throw std::invalid_argument(selector.source + " = '" + *selector.nameSubstring +
                                "' matches no Vulkan device name (devices: " + Listing(devices) + ")");
  }
  const DeviceInfo* best = nullptr;
  for (const auto& d : devices) {
    if (d.hasComputeQueue && (!best || Rank(d) < Rank(*best))) best = &d;
  }
  if (!best) throw std::invalid_argument("no Vulkan device with a compute queue (devices: " + Listing(devices) + ")");
  static const char* kWhy[] = {"an NVIDIA GPU", "a discrete GPU", "an integrated GPU", "a virtual/CPU device",
                               "the only kind of device"};
  return {best->index, "automatic: " + std::string(kWhy[Rank(*best)]) + ", best of " + std::to_string(devices.size()) +
                           " device(s) (order: NVIDIA, discrete, integrated, virtual/cpu)"};
}

Device::Device(std::shared_ptr<Instance> instance, const DeviceInfo& info) : instance_(std::move(instance)), info_(info) {
  uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(info.handle, &families, nullptr);
  std::vector<VkQueueFamilyProperties> fam(families);
  vkGetPhysicalDeviceQueueFamilyProperties(info.handle, &families, fam.data());
  bool found = false;
  for (uint32_t i = 0; i < families && !found; ++i) {
    if ((fam[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && fam[i].queueCount > 0) {
      queueFamily_ = i;
      found = true;
    }
  }
  if (!found) throw std::invalid_argument("device " + info.name + " has no compute queue");
  vkGetPhysicalDeviceMemoryProperties(info.handle, &memory_);
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = queueFamily_;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  // The zero-copy path exports memory and a semaphore to CUDA: enable what the device offers.
  std::vector<const char*> extensions;
  if (info.externalMemoryFd) {
    extensions.push_back(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
    externalMemoryFd_ = true;
  }
  if (info.externalSemaphoreFd) {
    extensions.push_back(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
    externalSemaphoreFd_ = true;
  }
  VkPhysicalDeviceVulkan12Features v12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  v12.timelineSemaphore = info.timelineSemaphore ? VK_TRUE : VK_FALSE;
  timelineSemaphore_ = info.timelineSemaphore;
  VkDeviceCreateInfo create{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  if (info.timelineSemaphore) create.pNext = &v12;
  create.queueCreateInfoCount = 1;
  create.pQueueCreateInfos = &queue;
  create.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  create.ppEnabledExtensionNames = extensions.empty() ? nullptr : extensions.data();
  Check(vkCreateDevice(info.handle, &create, nullptr, &device_), "vkCreateDevice");
  vkGetDeviceQueue(device_, queueFamily_, 0, &queue_);
}

Device::~Device() {
  if (device_) {
    vkDeviceWaitIdle(device_);
    vkDestroyDevice(device_, nullptr);
  }
}

uint32_t Device::FindMemoryType(uint32_t typeBits, VkMemoryPropertyFlags required,
                                VkMemoryPropertyFlags preferred) const {
  int fallback = -1;
  for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i) {
    if (!(typeBits & (1u << i))) continue;
    const VkMemoryPropertyFlags flags = memory_.memoryTypes[i].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return i;
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  if (fallback < 0) throw VulkanError("FindMemoryType (no suitable memory type)", VK_ERROR_OUT_OF_DEVICE_MEMORY);
  return static_cast<uint32_t>(fallback);
}

Buffer Device::CreateBuffer(VkDeviceSize size, VkBufferUsageFlags usage, bool hostVisible) {
  Buffer b;
  b.size = size;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  Check(vkCreateBuffer(device_, &info, nullptr, &b.buffer), "vkCreateBuffer");
  try {
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device_, b.buffer, &req);
    const VkMemoryPropertyFlags required =
        hostVisible ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    const VkMemoryPropertyFlags preferred = hostVisible ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : 0;
    const uint32_t type = FindMemoryType(req.memoryTypeBits, required, preferred);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = type;
    Check(vkAllocateMemory(device_, &alloc, nullptr, &b.memory), "vkAllocateMemory");
    Check(vkBindBufferMemory(device_, b.buffer, b.memory, 0), "vkBindBufferMemory");
    if (hostVisible) {
      b.coherent = memory_.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      Check(vkMapMemory(device_, b.memory, 0, VK_WHOLE_SIZE, 0, &b.mapped), "vkMapMemory");
    }
  } catch (...) {
    DestroyBuffer(b);
    throw;
  }
  return b;
}

void Device::DestroyBuffer(Buffer& b) {
  if (b.mapped) vkUnmapMemory(device_, b.memory);
  if (b.buffer) vkDestroyBuffer(device_, b.buffer, nullptr);
  if (b.memory) vkFreeMemory(device_, b.memory, nullptr);
  b = Buffer{};
}

void Device::InvalidateForHost(const Buffer& b) {
  if (b.coherent) return;
  VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
  range.memory = b.memory;
  range.size = VK_WHOLE_SIZE;
  Check(vkInvalidateMappedMemoryRanges(device_, 1, &range), "vkInvalidateMappedMemoryRanges");
}

void Device::FlushFromHost(const Buffer& b) {
  if (b.coherent) return;
  VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
  range.memory = b.memory;
  range.size = VK_WHOLE_SIZE;
  Check(vkFlushMappedMemoryRanges(device_, 1, &range), "vkFlushMappedMemoryRanges");
}

}  // namespace glasslab::vk
