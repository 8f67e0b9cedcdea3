// Capture path 'gpu-convert': one command buffer stamps the marker and runs a compute shader
// (shaders/rgba_to_nv12.comp) converting the RGBA image to NV12 straight into a host-visible
// storage buffer, so only 1.5 bytes per pixel come back to the host. Times: copyDoneNs = its
// fence observed (NV12 in host-visible memory), convertDoneNs = planes copied into the frame's
// own buffer (ready for the encoder). NV12 only; width must be a multiple of 4.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "capture_path.h"

namespace glasslab::capture {

// Why this geometry/format cannot use gpu-convert, or nothing.
std::optional<std::string> GpuConvertUnsupported(int width, PixelFormat format);

std::unique_ptr<CapturePath> CreateGpuConvert(const CaptureTarget& target);

}  // namespace glasslab::capture
