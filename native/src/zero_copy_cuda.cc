#include "zero_copy_cuda.h"

#include <unistd.h>

#include <ffnvcodec/dynlink_loader.h>

#include <stdexcept>

namespace glasslab::zerocopy {
namespace {

const CudaFunctions& Cu() {
  const cuda::Driver& driver = cuda::LoadDriver();
  if (!driver.cu) throw std::runtime_error("CUDA driver not loaded: " + driver.loadError);
  if (!driver.initError.empty()) throw std::runtime_error(driver.initError);
  if (!driver.cu->cuImportExternalMemory || !driver.cu->cuExternalMemoryGetMappedBuffer ||
      !driver.cu->cuImportExternalSemaphore || !driver.cu->cuWaitExternalSemaphoresAsync) {
    throw std::runtime_error("the CUDA driver has no external memory/semaphore interop (CUDA 10 or newer needed)");
  }
  return *driver.cu;
}

// Makes the importer's context current for one call sequence.
class Current {
 public:
  Current(const CudaFunctions& cu, CUcontext context) : cu_(cu) { cuda::Check(cu_.cuCtxPushCurrent(context), "cuCtxPushCurrent"); }
  ~Current() {
    CUcontext popped = nullptr;
    cu_.cuCtxPopCurrent(&popped);
  }

 private:
  const CudaFunctions& cu_;
};

}  // namespace

CudaImporter::CudaImporter(const SurfaceRing& ring, int cudaOrdinal) : ordinal_(cudaOrdinal) {
  const CudaFunctions& cu = Cu();
  cuda::Check(cu.cuDeviceGet(&device_, cudaOrdinal), "cuDeviceGet");
  cuda::Check(cu.cuDevicePrimaryCtxRetain(&context_, device_), "cuDevicePrimaryCtxRetain");
  try {
    Current current(cu, context_);
    cuda::Check(cu.cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    for (size_t i = 0; i < ring.slots(); ++i) {
      const int fd = ring.ExportMemoryFd(i);
      CUDA_EXTERNAL_MEMORY_HANDLE_DESC memory{};
      memory.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
      memory.handle.fd = fd;
      memory.size = ring.allocationSize(i);
      memory.flags = 1;  // CUDA_EXTERNAL_MEMORY_DEDICATED: the Vulkan side used a dedicated allocation
      CUexternalMemory imported = nullptr;
      const CUresult r = cu.cuImportExternalMemory(&imported, &memory);
      if (r != CUDA_SUCCESS) close(fd);  // a successful import owns the fd
      cuda::Check(r, "cuImportExternalMemory (NV12 surface)");
      memories_.push_back(imported);
      CUDA_EXTERNAL_MEMORY_BUFFER_DESC buffer{};
      buffer.offset = 0;
      buffer.size = ring.layout().totalBytes;
      CUdeviceptr pointer = 0;
      cuda::Check(cu.cuExternalMemoryGetMappedBuffer(&pointer, imported, &buffer), "cuExternalMemoryGetMappedBuffer");
      pointers_.push_back(pointer);
    }
    const int semaphoreFd = ring.ExportSemaphoreFd();
    CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC semaphore{};
    semaphore.type = CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD;
    semaphore.handle.fd = semaphoreFd;
    const CUresult r = cu.cuImportExternalSemaphore(&semaphore_, &semaphore);
    if (r != CUDA_SUCCESS) close(semaphoreFd);
    cuda::Check(r, "cuImportExternalSemaphore (timeline)");
  } catch (...) {
    Destroy();
    throw;
  }
}

CudaImporter::~CudaImporter() { Destroy(); }

void CudaImporter::EnqueueWait(const SlotFrame& frame) {
  const CudaFunctions& cu = Cu();
  Current current(cu, context_);
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS wait{};
  wait.params.fence.value = frame.semaphoreValue;
  cuda::Check(cu.cuWaitExternalSemaphoresAsync(&semaphore_, &wait, 1, stream_), "cuWaitExternalSemaphoresAsync");
}

void CudaImporter::CopyToHost(const SlotFrame& frame, uint8_t* out, size_t bytes) {
  EnqueueWait(frame);
  const CudaFunctions& cu = Cu();
  Current current(cu, context_);
  cuda::Check(cu.cuMemcpyDtoHAsync(out, pointers_.at(frame.slot), bytes, stream_), "cuMemcpyDtoHAsync");
  cuda::Check(cu.cuStreamSynchronize(stream_), "cuStreamSynchronize");
}

void CudaImporter::Destroy() {
  const cuda::Driver& driver = cuda::LoadDriver();
  if (!driver.cu || !context_) return;
  const CudaFunctions& cu = *driver.cu;
  cu.cuCtxPushCurrent(context_);
  if (stream_) cu.cuStreamSynchronize(stream_);
  if (semaphore_) cu.cuDestroyExternalSemaphore(semaphore_);
  // Mapped buffers are freed with cuMemFree before their memory object is destroyed.
  for (CUdeviceptr p : pointers_) cu.cuMemFree(p);
  for (CUexternalMemory m : memories_) cu.cuDestroyExternalMemory(m);
  if (stream_) cu.cuStreamDestroy(stream_);
  CUcontext popped = nullptr;
  cu.cuCtxPopCurrent(&popped);
  cu.cuDevicePrimaryCtxRelease(device_);
  semaphore_ = nullptr;
  pointers_.clear();
  memories_.clear();
  stream_ = nullptr;
  context_ = nullptr;
}

}  // namespace glasslab::zerocopy
