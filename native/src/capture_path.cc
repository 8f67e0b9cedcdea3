#include "capture_path.h"

#include <stdexcept>

#include "capture_gpu_convert.h"
#include "capture_readback.h"
#include "capture_zero_copy.h"
#include "zero_copy_probe.h"

namespace glasslab::capture {

bool IsKnownPath(const std::string& name) {
  return name == "readback" || name == "gpu-convert" || name == "zero-copy";
}

std::optional<std::string> Unavailable(const std::string& name, const vk::DeviceInfo& device, int width,
                                       PixelFormat format) {
  if (name == "gpu-convert") return GpuConvertUnsupported(width, format);
  if (name == "zero-copy") return ZeroCopyUnavailable(zerocopy::Gather(device, true), width, format);
  return std::nullopt;
}

std::optional<std::string> ZeroCopyUnavailable(const zerocopy::Facts& facts, int width, PixelFormat format) {
  if (auto why = GpuConvertUnsupported(width, format)) return "it converts on the GPU as gpu-convert does, and " + *why;
  const zerocopy::Verdict verdict = zerocopy::Decide(facts);
  if (!verdict.available) return verdict.reason;
  return std::nullopt;
}

std::unique_ptr<CapturePath> Create(const std::string& name, const CaptureTarget& target) {
  if (name == "readback") return CreateReadback(target);
  if (name == "gpu-convert") return CreateGpuConvert(target);
  if (name == "zero-copy") {
    // Unavailable() already held the NVENC check; here only the CUDA device is needed.
    const zerocopy::Verdict verdict = zerocopy::Decide(zerocopy::Gather(target.device->info(), false));
    if (!verdict.available) throw std::invalid_argument("capture path 'zero-copy' is not available: " + verdict.reason);
    return CreateZeroCopy(target, verdict.cudaOrdinal);
  }
  throw std::invalid_argument("capture path '" + name + "' is not available");
}

}  // namespace glasslab::capture
