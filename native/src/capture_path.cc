#include "capture_path.h"

#include <stdexcept>

#include "capture_gpu_convert.h"
#include "capture_readback.h"
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
  // Everything the path needs is here; what is missing is ours: the CUDA import works (see
  // scripts/gpu-check.sh) but the imported surfaces are not yet fed to h264_nvenc.
  return "the hand-off of imported surfaces to h264_nvenc (AV_PIX_FMT_CUDA frames on CUDA device " +
         std::to_string(verdict.cudaOrdinal) + ") is not built yet; use 'gpu-convert'";
}

std::unique_ptr<CapturePath> Create(const std::string& name, const CaptureTarget& target) {
  if (name == "readback") return CreateReadback(target);
  if (name == "gpu-convert") return CreateGpuConvert(target);
  throw std::invalid_argument("capture path '" + name + "' is not available");
}

}  // namespace glasslab::capture
