// The zero-copy hand-off between the frame source's render thread and an NVENC encoder's worker
// thread: the surface ring and its CUDA import behind one mutex, registered under an id that
// travels with each frame to JS and back (RawFrame.gpuSurface), and a lease per frame that
// returns its slot when the frame is dropped anywhere before the encoder copied it.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "cuda_driver.h"
#include "zero_copy_cuda.h"
#include "zero_copy_ring.h"

namespace glasslab::zerocopy {

class SharedSurfaces;

// One frame's hold on its slot; releases it on destruction unless the encoder already did.
class SurfaceLease {
 public:
  SurfaceLease(std::shared_ptr<SharedSurfaces> owner, SlotFrame frame) : owner_(std::move(owner)), frame_(frame) {}
  ~SurfaceLease();
  SurfaceLease(const SurfaceLease&) = delete;
  SurfaceLease& operator=(const SurfaceLease&) = delete;
  const SlotFrame& frame() const { return frame_; }
  uint64_t ring() const;

 private:
  std::shared_ptr<SharedSurfaces> owner_;
  SlotFrame frame_;
};

class SharedSurfaces : public std::enable_shared_from_this<SharedSurfaces> {
 public:
  // Takes the ring and its importer; registers itself (Find) until Close().
  static std::shared_ptr<SharedSurfaces> Create(std::unique_ptr<SurfaceRing> ring, std::unique_ptr<CudaImporter> importer);
  // The surfaces registered under `id`, or null (closed, or never existed).
  static std::shared_ptr<SharedSurfaces> Find(uint64_t id);

  uint64_t id() const { return id_; }
  int cudaOrdinal() const { return cudaOrdinal_; }
  const capture::PlaneLayout& layout() const { return layout_; }

  // Render thread: converts the rendered image into the next free slot, waiting up to
  // `waitNs` for the encoder to release one; throws std::runtime_error when none comes free.
  std::shared_ptr<SurfaceLease> Convert(uint32_t frameId, uint64_t captureTimeNs, uint64_t waitNs);

  // Encoder thread: makes the importer's stream wait for the frame's conversion (on the GPU),
  // copies its NV12 planes into the encoder's CUDA surface, waits for the copy and releases the
  // slot. Throws when the source was closed or the frame's slot was already reused.
  void CopyInto(uint32_t slot, uint64_t value, CUdeviceptr y, size_t pitchY, CUdeviceptr uv, size_t pitchUV);

  // Returns `slot` if it still holds the frame with timeline `value` (idempotent).
  void Release(uint32_t slot, uint64_t value);

  // Unregisters, waits for copies in flight, then frees the ring and the import (while the
  // Vulkan device that owns them is still alive). Later calls throw or do nothing.
  void Close();

 private:
  SharedSurfaces() = default;
  std::mutex mutex_;
  std::condition_variable released_;
  std::unique_ptr<SurfaceRing> ring_;
  std::unique_ptr<CudaImporter> importer_;
  std::vector<uint64_t> heldValue_;  // per slot: the timeline value of the frame holding it, 0 = free
  uint64_t id_ = 0;
  int cudaOrdinal_ = -1;
  capture::PlaneLayout layout_{};
  int copying_ = 0;
  bool closed_ = false;
};

}  // namespace glasslab::zerocopy
