// Vulkan instance (one per process, no surface or window extensions), physical device
// enumeration and choice, and the logical device a frame source renders with.
#pragma once
#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace glasslab::vk {

// One physical device as reported to JS (VulkanDeviceInfo in src/native/types.ts).
struct DeviceInfo {
  uint32_t index = 0;
  std::string name;
  std::string type;  // discrete | integrated | virtual | cpu | other
  uint32_t vendorId = 0;
  uint32_t deviceId = 0;
  std::string driverName;
  std::string driverInfo;
  std::string apiVersion;  // "major.minor.patch"
  bool externalMemoryFd = false;     // VK_KHR_external_memory_fd
  bool externalSemaphoreFd = false;  // VK_KHR_external_semaphore_fd
  bool timelineSemaphore = false;    // Vulkan 1.2 timelineSemaphore feature
  std::array<uint8_t, 16> deviceUuid{};  // VkPhysicalDeviceIDProperties::deviceUUID (CUDA's cuDeviceGetUuid)
  bool hasComputeQueue = false;
  VkPhysicalDevice handle = VK_NULL_HANDLE;
};

// The process-wide VkInstance, created on first use and kept for the life of the process.
class Instance {
 public:
  // Creates the instance on first call; throws VulkanError when no Vulkan driver is usable.
  static std::shared_ptr<Instance> Get();
  VkInstance handle() const { return instance_; }
  // Enumerates the physical devices with their properties (thread-safe).
  std::vector<DeviceInfo> Devices() const;

 private:
  explicit Instance(VkInstance instance) : instance_(instance) {}
  VkInstance instance_;
};

// Which device to use: nothing (automatic), an index, or a case-insensitive name substring.
struct DeviceSelector {
  std::optional<uint32_t> index;
  std::optional<std::string> nameSubstring;
  std::string source;  // "option device" or "GLASSLAB_VULKAN_DEVICE", for messages
};

struct DeviceChoice {
  uint32_t index;
  std::string reason;
};

// Picks a device: NVIDIA first, then other discrete, integrated, virtual/cpu; or the one the
// selector names. Throws std::invalid_argument naming the selector when it matches nothing.
DeviceChoice ChooseDevice(const std::vector<DeviceInfo>& devices, const DeviceSelector& selector);

// A host-visible or device-local buffer with its memory; `mapped` is set for host-visible ones.
struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  void* mapped = nullptr;
  bool coherent = true;
};

// A logical device with one compute-capable queue.
class Device {
 public:
  Device(std::shared_ptr<Instance> instance, const DeviceInfo& info);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  VkDevice handle() const { return device_; }
  VkQueue queue() const { return queue_; }
  uint32_t queueFamily() const { return queueFamily_; }
  const DeviceInfo& info() const { return info_; }
  // Extensions enabled on this device (external memory/semaphore fd when offered).
  bool externalMemoryFd() const { return externalMemoryFd_; }
  bool externalSemaphoreFd() const { return externalSemaphoreFd_; }
  bool timelineSemaphore() const { return timelineSemaphore_; }
  VkPhysicalDevice physical() const { return info_.handle; }

  // Memory type index with all `required` flags (and `preferred` ones if any type has them).
  uint32_t FindMemoryType(uint32_t typeBits, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred) const;
  // Host-visible buffers are mapped persistently and prefer HOST_CACHED memory (fast CPU reads).
  Buffer CreateBuffer(VkDeviceSize size, VkBufferUsageFlags usage, bool hostVisible);
  void DestroyBuffer(Buffer& buffer);
  // Makes device writes to a mapped, non-coherent buffer visible to the host.
  void InvalidateForHost(const Buffer& buffer);
  // Makes host writes to a mapped, non-coherent buffer available to the device.
  void FlushFromHost(const Buffer& buffer);

 private:
  std::shared_ptr<Instance> instance_;
  DeviceInfo info_;
  VkPhysicalDeviceMemoryProperties memory_{};
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queueFamily_ = 0;
  bool externalMemoryFd_ = false;
  bool externalSemaphoreFd_ = false;
  bool timelineSemaphore_ = false;
};

}  // namespace glasslab::vk
