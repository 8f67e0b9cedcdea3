// Capture path 'zero-copy': the marker stamp and the RGBA -> NV12 conversion write straight into
// an exported surface (zero_copy_ring.h) that CUDA imports (zero_copy_cuda.h); the frame goes to
// JS as a reference to that surface (RawFrame.gpuSurface) and an NVENC encoder opened on the same
// CUDA device copies it into its own input surface on the GPU (zero_copy_handoff.h). Nothing is
// read back to the host. Times: copyDoneNs = convertDoneNs = the conversion submitted (its
// completion is waited for by CUDA, on the GPU, when the encoder takes the frame).
#pragma once
#include <memory>

#include "capture_path.h"

namespace glasslab::capture {

// Surfaces in the ring: frames queued to JS (the source's queueDepth) plus those being encoded.
constexpr int kZeroCopySlots = 8;

// Creates the path on CUDA device `cudaOrdinal` (the one Decide matched to the Vulkan device).
std::unique_ptr<CapturePath> CreateZeroCopy(const CaptureTarget& target, int cudaOrdinal);

}  // namespace glasslab::capture
