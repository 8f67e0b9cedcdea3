// The CUDA driver and NVENC libraries, loaded at run time (ffnvcodec's dynamic loader from
// Debian's libffmpeg-nvenc-dev), so the addon builds and runs on machines without NVIDIA
// software. Nothing here links against libcuda; a machine without it gets a reason, not a crash.
#pragma once
#include <ffnvcodec/dynlink_cuda.h>
#include <ffnvcodec/nvEncodeAPI.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct CudaFunctions;
struct NvencFunctions;

namespace glasslab::cuda {

// A CUDA driver call failed; the message names the call and cuGetErrorName's text.
class CudaError : public std::runtime_error {
 public:
  CudaError(const std::string& call, CUresult result);
  CUresult result;
};

// The loaded driver, or why it could not be loaded ("libcuda.so.1: cannot open shared object
// file: No such file or directory"). Loaded once per process; thread-safe.
struct Driver {
  const CudaFunctions* cu = nullptr;  // null when not loaded
  std::string loadError;              // empty when loaded
  std::string initError;              // cuInit's failure, empty when it succeeded
};
const Driver& LoadDriver();

// Throws CudaError when `result` is not CUDA_SUCCESS (needs a loaded driver for the name).
void Check(CUresult result, const char* call);

using Uuid = std::array<uint8_t, 16>;
std::string UuidString(const Uuid& uuid);  // 8-4-4-4-12 hex, as nvidia-smi -L prints it

struct CudaDevice {
  int ordinal = 0;
  std::string name;
  Uuid uuid{};
  int computeMajor = 0, computeMinor = 0;
};

// The CUDA devices the loaded driver sees (empty when not loaded or cuInit failed).
std::vector<CudaDevice> Devices();

// NVENC: libnvidia-encode loaded, and whether an encode session opens on a CUDA device.
struct NvencLoad {
  const NvencFunctions* nv = nullptr;
  std::string loadError;
};
const NvencLoad& LoadNvenc();

// Opens and closes an NVENC session on CUDA device `ordinal` (its primary context): empty when
// the GPU has an encoder, else the reason (e.g. "nvEncOpenEncodeSessionEx: NV_ENC_ERR_NO_ENCODE_DEVICE
// (this GPU has no NVENC engine)").
std::string ProbeNvencSession(int ordinal);

// NVENCSTATUS as its enumerator name.
const char* NvencStatusName(NVENCSTATUS status);

// Makes `ordinal`'s primary context current on this thread for the scope (retained for the
// scope too); throws CudaError.
class ScopedPrimaryContext {
 public:
  explicit ScopedPrimaryContext(int ordinal);
  ~ScopedPrimaryContext();
  ScopedPrimaryContext(const ScopedPrimaryContext&) = delete;
  ScopedPrimaryContext& operator=(const ScopedPrimaryContext&) = delete;
  CUcontext context() const { return context_; }

 private:
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
};

}  // namespace glasslab::cuda
