// The capture stage of the frame source: after the scene render's fence, a capture path stamps
// the frame marker into the rendered image and brings the frame into host memory as I420/NV12.
// Paths: readback (image -> host buffer -> libyuv), gpu-convert (compute shader RGBA -> NV12 on
// the device, read back 1.5 B/px), zero-copy (NV12 surfaces exported to CUDA and handed to an
// NVENC encoder on the GPU: capture_zero_copy.h).
#pragma once
#include <vulkan/vulkan.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "vk_context.h"

namespace glasslab::zerocopy {
struct Facts;
class SurfaceLease;
}

namespace glasslab::capture {

enum class PixelFormat { kI420, kNV12 };

// Plane geometry of a frame in one contiguous host buffer: Y, then U and V (i420) or UV (nv12).
struct PlaneLayout {
  int planes;
  int strides[3];         // bytes per row
  size_t offsets[3];      // byte offset of each plane
  size_t totalBytes;
};

PlaneLayout LayoutFor(PixelFormat format, int width, int height);

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

// A captured frame in host memory (malloc'd, so JS can adopt it as an external Buffer).
struct HostFrame {
  std::unique_ptr<uint8_t, FreeDeleter> data;
  PlaneLayout layout;
  uint64_t copyDoneNs = 0;     // marker stamped and pixels in host-visible memory, fence observed
  uint64_t convertDoneNs = 0;  // YUV planes ready in `data`
  // zero-copy: the frame stays on the GPU (data is null); the lease names its surface and
  // returns it when the frame is dropped before an encoder copied it.
  std::shared_ptr<zerocopy::SurfaceLease> gpu;
};

// What a capture path works on: the scene's RGBA8 storage image, GENERAL layout, last written
// by a compute shader, and the frame geometry.
struct CaptureTarget {
  vk::Device* device;
  VkImage image;
  int width;
  int height;
  PixelFormat format;
};

class CapturePath {
 public:
  virtual ~CapturePath() = default;
  virtual const char* name() const = 0;
  // The CUDA device its frames live on (zero-copy), or -1 for frames in host memory.
  virtual int cudaOrdinal() const { return -1; }
  // Called on the render thread right after the render fence: stamps the marker carrying
  // `frameId` and `captureTimeNs` and returns the frame's planes. Throws VulkanError.
  virtual HostFrame Capture(uint32_t frameId, uint64_t captureTimeNs) = 0;
};

// True for the names of the CapturePath type in src/native/types.ts.
bool IsKnownPath(const std::string& name);

// Why `name` cannot run on `device` at this width and pixel format, or nothing when it can.
// Checked before any Vulkan object is created so that the caller's error names the option.
std::optional<std::string> Unavailable(const std::string& name, const vk::DeviceInfo& device, int width,
                                       PixelFormat format);

// Why zero-copy cannot run given the detection's facts (zero_copy_probe.h), or nothing.
std::optional<std::string> ZeroCopyUnavailable(const zerocopy::Facts& facts, int width, PixelFormat format);

// Creates the path `name` (which must be known and available).
std::unique_ptr<CapturePath> Create(const std::string& name, const CaptureTarget& target);

// Allocates a frame buffer for `layout` (malloc); throws std::bad_alloc when out of memory.
std::unique_ptr<uint8_t, FreeDeleter> AllocateFrame(const PlaneLayout& layout);

}  // namespace glasslab::capture
