// The Vulkan half of the zero-copy path: a small ring of NV12 surfaces in device-local memory
// exported as opaque fds (VK_KHR_external_memory_fd, one dedicated allocation per surface), the
// marker stamp and the RGBA -> NV12 conversion written straight into them, and an exported
// timeline semaphore (VK_KHR_external_semaphore_fd, one value per frame) that the
// importer (CUDA, or a second Vulkan device in tests) waits on instead of the host.
//
// One slot per frame in flight: render N+1 overlaps the import/encode of N. A slot is reused
// only after its importer released it (Release) and its own conversion fence passed.
#pragma once
#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture_gpu_convert.h"
#include "capture_marker.h"
#include "capture_path.h"
#include "vk_context.h"
#include "vk_scene.h"

namespace glasslab::zerocopy {

// Why `device` cannot export NV12 surfaces (with or without a semaphore), or nothing.
std::optional<std::string> ExportUnsupported(const vk::Device& device, bool needSemaphore);

struct RingOptions {
  int slots = 3;
  // Export a semaphore signalled by each conversion. Off only where the importer waits on
  // the host (the lavapipe test: lavapipe has no VK_KHR_external_semaphore_fd).
  bool exportSemaphore = true;
};

// What one conversion left in a slot.
struct SlotFrame {
  size_t slot;
  uint64_t semaphoreValue;  // timeline value signalled when the NV12 bytes are written (0: no semaphore)
  uint64_t submitNs;        // conversion submitted (CLOCK_MONOTONIC)
};

class SurfaceRing {
 public:
  SurfaceRing(vk::Device& device, VkImage image, int width, int height, const RingOptions& options);
  ~SurfaceRing();
  SurfaceRing(const SurfaceRing&) = delete;
  SurfaceRing& operator=(const SurfaceRing&) = delete;

  size_t slots() const { return slots_.size(); }
  const capture::PlaneLayout& layout() const { return layout_; }
  // The exported allocation's size and memory type (an importer must use the same).
  VkDeviceSize allocationSize(size_t slot) const { return slots_.at(slot).allocationSize; }
  uint32_t memoryTypeIndex(size_t slot) const { return slots_.at(slot).memoryType; }

  // The slot the next frame will use, or nothing when every slot is still held by the importer.
  std::optional<size_t> NextFree() const;
  // Stamps the marker, converts the rendered image into `slot` and signals the semaphore; does
  // not wait. The slot is held until Release(slot).
  SlotFrame Convert(size_t slot, uint32_t frameId, uint64_t captureTimeNs);
  // Waits on the host for `slot`'s conversion fence (tests, and importers without a semaphore).
  void WaitConverted(size_t slot);
  // The importer is done with `slot`.
  void Release(size_t slot);

  // New fds (the caller owns them; an importer's import takes ownership).
  int ExportMemoryFd(size_t slot) const;
  int ExportSemaphoreFd() const;

 private:
  struct Slot {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize allocationSize = 0;
    uint32_t memoryType = 0;
    std::unique_ptr<capture::MarkerStamp> stamp;
    vk::CommandSlot commands;
    bool submitted = false;  // its fence will signal (or has)
    bool held = false;       // converted and not yet released by the importer
  };
  void Destroy();
  void Record(size_t slot);

  vk::Device& device_;
  VkImage image_;
  int width_, height_;
  capture::PlaneLayout layout_{};
  std::vector<Slot> slots_;
  std::unique_ptr<capture::Nv12Converter> converter_;
  VkSemaphore semaphore_ = VK_NULL_HANDLE;
  uint64_t timelineValue_ = 0;
  size_t next_ = 0;
  PFN_vkGetMemoryFdKHR getMemoryFd_ = nullptr;
  PFN_vkGetSemaphoreFdKHR getSemaphoreFd_ = nullptr;
};

// A second logical Vulkan device importing a ring's surfaces from their fds and reading them
// back: the lavapipe check of the export (pixels through the fd equal gpu-convert's) and the
// stand-in importer wherever CUDA is absent.
class VulkanImporter {
 public:
  VulkanImporter(vk::Device& device, const SurfaceRing& ring);
  ~VulkanImporter();
  VulkanImporter(const VulkanImporter&) = delete;
  VulkanImporter& operator=(const VulkanImporter&) = delete;
  // Copies `slot`'s imported bytes into `out` (layout().totalBytes); the ring's conversion of
  // that slot must be complete (SurfaceRing::WaitConverted).
  void Read(size_t slot, uint8_t* out);

 private:
  void Destroy();
  vk::Device& device_;
  size_t bytes_;
  std::vector<VkBuffer> buffers_;
  std::vector<VkDeviceMemory> memories_;
  vk::Buffer host_;
  vk::CommandSlot commands_;
};

}  // namespace glasslab::zerocopy
