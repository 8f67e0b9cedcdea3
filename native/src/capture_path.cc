#include "capture_path.h"

#include <new>
#include <stdexcept>

#include "capture_gpu_convert.h"
#include "capture_readback.h"

namespace glasslab::capture {

PlaneLayout LayoutFor(PixelFormat format, int width, int height) {
  PlaneLayout l{};
  const size_t luma = static_cast<size_t>(width) * height;
  const size_t chroma = static_cast<size_t>(width / 2) * (height / 2);
  l.strides[0] = width;
  l.offsets[0] = 0;
  if (format == PixelFormat::kI420) {
    l.planes = 3;
    l.strides[1] = l.strides[2] = width / 2;
    l.offsets[1] = luma;
    l.offsets[2] = luma + chroma;
    l.totalBytes = luma + 2 * chroma;
  } else {
    l.planes = 2;
    l.strides[1] = width;  // interleaved U,V pairs
    l.offsets[1] = luma;
    l.totalBytes = luma + 2 * chroma;
  }
  return l;
}

bool IsKnownPath(const std::string& name) {
  return name == "readback" || name == "gpu-convert" || name == "zero-copy";
}

std::optional<std::string> Unavailable(const std::string& name, const vk::DeviceInfo& device, int width,
                                       PixelFormat format) {
  if (name == "gpu-convert") return GpuConvertUnsupported(width, format);
  if (name == "zero-copy") {
    return std::string("not implemented yet: it needs NV12 in exportable memory (VK_KHR_external_memory_fd, ") +
           (device.externalMemoryFd ? "offered" : "not offered") + " by " + device.name +
           ") imported by CUDA for NVENC; use 'readback' or 'gpu-convert'";
  }
  return std::nullopt;
}

std::unique_ptr<CapturePath> Create(const std::string& name, const CaptureTarget& target) {
  if (name == "readback") return CreateReadback(target);
  if (name == "gpu-convert") return CreateGpuConvert(target);
  throw std::invalid_argument("capture path '" + name + "' is not available");
}

std::unique_ptr<uint8_t, FreeDeleter> AllocateFrame(const PlaneLayout& layout) {
  auto* p = static_cast<uint8_t*>(std::malloc(layout.totalBytes));
  if (!p) throw std::bad_alloc();
  return std::unique_ptr<uint8_t, FreeDeleter>(p);
}

}  // namespace glasslab::capture
