// The CUDA half of the zero-copy path: a SurfaceRing's surfaces imported into CUDA
// (cuImportExternalMemory on their opaque fds, mapped as linear buffers) and its timeline
// semaphore imported too, so a CUDA stream waits for each conversion on the GPU, never on the
// host. Runs in the primary context of the CUDA device whose UUID matches the Vulkan device,
// the context libavcodec's NVENC encoder shares (AV_CUDA_USE_PRIMARY_CONTEXT).
#pragma once
#include <cstdint>
#include <vector>

#include "cuda_driver.h"
#include "zero_copy_ring.h"

namespace glasslab::zerocopy {

class CudaImporter {
 public:
  // Throws CudaError or std::runtime_error naming the failing import.
  CudaImporter(const SurfaceRing& ring, int cudaOrdinal);
  ~CudaImporter();
  CudaImporter(const CudaImporter&) = delete;
  CudaImporter& operator=(const CudaImporter&) = delete;

  int ordinal() const { return ordinal_; }
  CUstream stream() const { return stream_; }
  // `slot`'s NV12 bytes as a CUDA device pointer (Y plane, then interleaved UV, pitch = width).
  CUdeviceptr Pointer(size_t slot) const { return pointers_.at(slot); }
  // Enqueues on the importer's stream a wait for the conversion that produced `frame`.
  void EnqueueWait(const SlotFrame& frame);
  // Waits for `frame` on the stream and copies its bytes to host memory `out` (the GPU check's
  // pixel comparison); blocks until the copy is done.
  void CopyToHost(const SlotFrame& frame, uint8_t* out, size_t bytes);

 private:
  void Destroy();
  int ordinal_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  std::vector<CUexternalMemory> memories_;
  std::vector<CUdeviceptr> pointers_;
  CUexternalSemaphore semaphore_ = nullptr;
};

}  // namespace glasslab::zerocopy
