// Capture path 'readback': one command buffer stamps the marker and copies the whole RGBA image
// into a host-visible (cached when offered) buffer; after its fence libyuv converts to I420/NV12.
#pragma once
#include <memory>

#include "capture_path.h"

namespace glasslab::capture {

std::unique_ptr<CapturePath> CreateReadback(const CaptureTarget& target);

}  // namespace glasslab::capture
