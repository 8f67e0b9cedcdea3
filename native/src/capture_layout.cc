// Plane layouts and host frame buffers of the capture paths (capture_path.h), kept apart from
// the path registry so tools that link only the GPU paths (scripts/gpu-check.sh) need no libyuv.
#include <new>

#include "capture_path.h"

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

std::unique_ptr<uint8_t, FreeDeleter> AllocateFrame(const PlaneLayout& layout) {
  auto* p = static_cast<uint8_t*>(std::malloc(layout.totalBytes));
  if (!p) throw std::bad_alloc();
  return std::unique_ptr<uint8_t, FreeDeleter>(p);
}

}  // namespace glasslab::capture
