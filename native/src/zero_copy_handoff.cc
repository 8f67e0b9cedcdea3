#include "zero_copy_handoff.h"

#include <ffnvcodec/dynlink_loader.h>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>

namespace glasslab::zerocopy {
namespace {

std::mutex registryMutex;
std::map<uint64_t, std::weak_ptr<SharedSurfaces>>& Registry() {
  static std::map<uint64_t, std::weak_ptr<SharedSurfaces>> registry;
  return registry;
}
std::atomic<uint64_t> nextId{1};

}  // namespace

SurfaceLease::~SurfaceLease() {
  if (owner_) owner_->Release(static_cast<uint32_t>(frame_.slot), frame_.semaphoreValue);
}

uint64_t SurfaceLease::ring() const { return owner_->id(); }

std::shared_ptr<SharedSurfaces> SharedSurfaces::Create(std::unique_ptr<SurfaceRing> ring, std::unique_ptr<CudaImporter> importer) {
  std::shared_ptr<SharedSurfaces> s(new SharedSurfaces());
  s->layout_ = ring->layout();
  s->heldValue_.assign(ring->slots(), 0);
  s->cudaOrdinal_ = importer->ordinal();
  s->ring_ = std::move(ring);
  s->importer_ = std::move(importer);
  s->id_ = nextId++;
  std::lock_guard<std::mutex> lock(registryMutex);
  Registry()[s->id_] = s;
  return s;
}

std::shared_ptr<SharedSurfaces> SharedSurfaces::Find(uint64_t id) {
  std::lock_guard<std::mutex> lock(registryMutex);
  auto it = Registry().find(id);
  return it == Registry().end() ? nullptr : it->second.lock();
}

std::shared_ptr<SurfaceLease> SharedSurfaces::Convert(uint32_t frameId, uint64_t captureTimeNs, uint64_t waitNs) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (closed_) throw std::runtime_error("zero-copy: the surfaces are closed");
  std::optional<size_t> slot = ring_->NextFree();
  if (!slot) {
    released_.wait_for(lock, std::chrono::nanoseconds(waitNs), [&] { return closed_ || ring_->NextFree().has_value(); });
    if (closed_) throw std::runtime_error("zero-copy: the surfaces are closed");
    slot = ring_->NextFree();
    if (!slot) {
      throw std::runtime_error("zero-copy: all " + std::to_string(ring_->slots()) +
                               " surfaces are still held by frames not yet encoded (is the encoder keeping up?)");
    }
  }
  const SlotFrame frame = ring_->Convert(*slot, frameId, captureTimeNs);
  heldValue_[frame.slot] = frame.semaphoreValue;
  return std::make_shared<SurfaceLease>(shared_from_this(), frame);
}

void SharedSurfaces::Release(uint32_t slot, uint64_t value) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || slot >= heldValue_.size() || heldValue_[slot] != value) return;
    heldValue_[slot] = 0;
    ring_->Release(slot);
  }
  released_.notify_all();
}

void SharedSurfaces::CopyInto(uint32_t slot, uint64_t value, CUdeviceptr y, size_t pitchY, CUdeviceptr uv, size_t pitchUV) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) throw std::runtime_error("zero-copy: the frame source was closed before this frame was encoded");
    if (slot >= heldValue_.size() || heldValue_[slot] != value) {
      throw std::runtime_error("zero-copy: the frame's surface was already released (frame encoded twice?)");
    }
    ++copying_;
  }
  struct Done {
    SharedSurfaces* self;
    ~Done() {
      {
        std::lock_guard<std::mutex> lock(self->mutex_);
        --self->copying_;
      }
      self->released_.notify_all();
    }
  } done{this};
  const CudaFunctions& cu = *cuda::LoadDriver().cu;
  const int width = layout_.strides[0];
  const int height = static_cast<int>(layout_.offsets[1] / layout_.strides[0]);
  importer_->EnqueueWait(SlotFrame{slot, value, 0});
  cuda::ScopedPrimaryContext context(importer_->ordinal());
  CUDA_MEMCPY2D plane{};
  plane.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  plane.srcDevice = importer_->Pointer(slot);
  plane.srcPitch = static_cast<size_t>(width);
  plane.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  plane.dstDevice = y;
  plane.dstPitch = pitchY;
  plane.WidthInBytes = static_cast<size_t>(width);
  plane.Height = static_cast<size_t>(height);
  cuda::Check(cu.cuMemcpy2DAsync(&plane, importer_->stream()), "cuMemcpy2DAsync (Y plane)");
  plane.srcDevice = importer_->Pointer(slot) + layout_.offsets[1];
  plane.dstDevice = uv;
  plane.dstPitch = pitchUV;
  plane.Height = static_cast<size_t>(height / 2);
  cuda::Check(cu.cuMemcpy2DAsync(&plane, importer_->stream()), "cuMemcpy2DAsync (UV plane)");
  // NVENC reads the encoder's surface on its own stream: the copy must be complete first.
  cuda::Check(cu.cuStreamSynchronize(importer_->stream()), "cuStreamSynchronize");
  Release(slot, value);
}

void SharedSurfaces::Close() {
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    Registry().erase(id_);
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (closed_) return;
  closed_ = true;
  released_.notify_all();
  released_.wait(lock, [&] { return copying_ == 0; });
  importer_.reset();
  ring_.reset();
}

}  // namespace glasslab::zerocopy
