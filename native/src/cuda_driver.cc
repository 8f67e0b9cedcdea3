#include "cuda_driver.h"

#include <dlfcn.h>

#include <cstdio>
#include <mutex>

// ffnvcodec's loader reports a failed dlopen/dlsym through FFNV_LOG_FUNC; keep the last message
// so the reason reaches the caller instead of stderr.
namespace {
thread_local std::string lastLoaderMessage;
void KeepLoaderMessage(const char* format, const char* what) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, what);
  lastLoaderMessage = buffer;
  while (!lastLoaderMessage.empty() && lastLoaderMessage.back() == '\n') lastLoaderMessage.pop_back();
}
}  // namespace
#define FFNV_LOG_FUNC(logctx, msg, ...) KeepLoaderMessage((msg), __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...)
#include <ffnvcodec/dynlink_loader.h>

namespace glasslab::cuda {
namespace {

std::string ErrorName(CUresult result) {
  const Driver& driver = LoadDriver();
  const char* name = nullptr;
  if (driver.cu && driver.cu->cuGetErrorName && driver.cu->cuGetErrorName(result, &name) == CUDA_SUCCESS && name) {
    return name;
  }
  return "CUresult " + std::to_string(static_cast<int>(result));
}

// The loader's message with dlerror()'s detail where the library itself was missing.
std::string LoaderFailure(const char* library) {
  std::string why = lastLoaderMessage.empty() ? std::string("cannot load ") + library : lastLoaderMessage;
  // The loader closed its handle; ask the dynamic linker again for its own words.
  if (void* handle = dlopen(library, RTLD_LAZY)) {
    dlclose(handle);
  } else if (const char* detail = dlerror()) {
    why = detail;
  }
  return why;
}

}  // namespace

CudaError::CudaError(const std::string& call, CUresult r) : std::runtime_error(call + " failed: " + ErrorName(r)), result(r) {}

void Check(CUresult result, const char* call) {
  if (result != CUDA_SUCCESS) throw CudaError(call, result);
}

const Driver& LoadDriver() {
  static std::once_flag once;
  static Driver driver;
  std::call_once(once, [] {
    // Tests set this to check the branch of a machine without the driver on one that has it.
    if (const char* hide = std::getenv("GLASSLAB_TEST_HIDE_CUDA"); hide && *hide == '1') {
      driver.loadError = "libcuda.so.1 hidden by GLASSLAB_TEST_HIDE_CUDA=1";
      return;
    }
    CudaFunctions* functions = nullptr;
    lastLoaderMessage.clear();
    if (cuda_load_functions(&functions, nullptr) != 0 || !functions) {
      driver.loadError = LoaderFailure("libcuda.so.1");
      return;
    }
    driver.cu = functions;  // kept for the life of the process
    const CUresult init = functions->cuInit(0);
    if (init != CUDA_SUCCESS) {
      const char* name = nullptr;
      functions->cuGetErrorName(init, &name);
      driver.initError = std::string("cuInit failed: ") + (name ? name : "unknown error");
    }
  });
  return driver;
}

std::string UuidString(const Uuid& uuid) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[uuid[i] >> 4];
    out += kHex[uuid[i] & 15];
  }
  return out;
}

std::vector<CudaDevice> Devices() {
  const Driver& driver = LoadDriver();
  std::vector<CudaDevice> out;
  if (!driver.cu || !driver.initError.empty()) return out;
  const CudaFunctions* cu = driver.cu;
  int count = 0;
  Check(cu->cuDeviceGetCount(&count), "cuDeviceGetCount");
  for (int i = 0; i < count; ++i) {
    CudaDevice d;
    d.ordinal = i;
    CUdevice handle = 0;
    Check(cu->cuDeviceGet(&handle, i), "cuDeviceGet");
    char name[256] = {0};
    Check(cu->cuDeviceGetName(name, sizeof(name) - 1, handle), "cuDeviceGetName");
    d.name = name;
    if (cu->cuDeviceGetUuid) {
      CUuuid uuid{};
      Check(cu->cuDeviceGetUuid(&uuid, handle), "cuDeviceGetUuid");
      for (size_t b = 0; b < 16; ++b) d.uuid[b] = static_cast<uint8_t>(uuid.bytes[b]);
    }
    cu->cuDeviceGetAttribute(&d.computeMajor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, handle);
    cu->cuDeviceGetAttribute(&d.computeMinor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, handle);
    out.push_back(std::move(d));
  }
  return out;
}

const NvencLoad& LoadNvenc() {
  static std::once_flag once;
  static NvencLoad load;
  std::call_once(once, [] {
    NvencFunctions* functions = nullptr;
    lastLoaderMessage.clear();
    if (nvenc_load_functions(&functions, nullptr) != 0 || !functions) {
      load.loadError = LoaderFailure("libnvidia-encode.so.1");
      return;
    }
    load.nv = functions;
  });
  return load;
}

const char* NvencStatusName(NVENCSTATUS status) {
  switch (status) {
#define GLASSLAB_NVENC_CASE(name) \
  case name: return #name;
    GLASSLAB_NVENC_CASE(NV_ENC_SUCCESS)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_NO_ENCODE_DEVICE)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_UNSUPPORTED_DEVICE)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_INVALID_ENCODERDEVICE)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_INVALID_DEVICE)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_DEVICE_NOT_EXIST)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_INVALID_PTR)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_INVALID_PARAM)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_INVALID_CALL)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_OUT_OF_MEMORY)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_UNSUPPORTED_PARAM)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_INVALID_VERSION)
    GLASSLAB_NVENC_CASE(NV_ENC_ERR_GENERIC)
#undef GLASSLAB_NVENC_CASE
    default: return "NVENCSTATUS (other)";
  }
}

std::string ProbeNvencSession(int ordinal) {
  const NvencLoad& nvenc = LoadNvenc();
  if (!nvenc.nv) return "NVENC library not loadable: " + nvenc.loadError;
  uint32_t maxVersion = 0;
  NVENCSTATUS status = nvenc.nv->NvEncodeAPIGetMaxSupportedVersion(&maxVersion);
  if (status != NV_ENC_SUCCESS) return std::string("NvEncodeAPIGetMaxSupportedVersion: ") + NvencStatusName(status);
  const uint32_t built = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
  if (maxVersion < built) {
    return "the driver's NVENC API is " + std::to_string(maxVersion >> 4) + "." + std::to_string(maxVersion & 15) +
           ", older than the " + std::to_string(NVENCAPI_MAJOR_VERSION) + "." + std::to_string(NVENCAPI_MINOR_VERSION) +
           " the addon was built with (update the NVIDIA driver)";
  }
  NV_ENCODE_API_FUNCTION_LIST api{};
  api.version = NV_ENCODE_API_FUNCTION_LIST_VER;
  status = nvenc.nv->NvEncodeAPICreateInstance(&api);
  if (status != NV_ENC_SUCCESS) return std::string("NvEncodeAPICreateInstance: ") + NvencStatusName(status);
  try {
    ScopedPrimaryContext context(ordinal);
    NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS params{};
    params.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
    params.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
    params.device = context.context();
    params.apiVersion = NVENCAPI_VERSION;
    void* encoder = nullptr;
    status = api.nvEncOpenEncodeSessionEx(&params, &encoder);
    if (encoder) api.nvEncDestroyEncoder(encoder);
    if (status == NV_ENC_SUCCESS) return "";
    std::string why = std::string("nvEncOpenEncodeSessionEx: ") + NvencStatusName(status);
    if (status == NV_ENC_ERR_NO_ENCODE_DEVICE || status == NV_ENC_ERR_UNSUPPORTED_DEVICE) {
      why += " (this GPU has no NVENC engine; data-centre GPUs such as the H100 and H200 have none)";
    }
    return why;
  } catch (const CudaError& e) {
    return e.what();
  }
}

ScopedPrimaryContext::ScopedPrimaryContext(int ordinal) {
  const Driver& driver = LoadDriver();
  if (!driver.cu) throw std::runtime_error("CUDA driver not loaded: " + driver.loadError);
  Check(driver.cu->cuDeviceGet(&device_, ordinal), "cuDeviceGet");
  Check(driver.cu->cuDevicePrimaryCtxRetain(&context_, device_), "cuDevicePrimaryCtxRetain");
  const CUresult pushed = driver.cu->cuCtxPushCurrent(context_);
  if (pushed != CUDA_SUCCESS) {
    driver.cu->cuDevicePrimaryCtxRelease(device_);
    Check(pushed, "cuCtxPushCurrent");
  }
}

ScopedPrimaryContext::~ScopedPrimaryContext() {
  const Driver& driver = LoadDriver();
  CUcontext popped = nullptr;
  driver.cu->cuCtxPopCurrent(&popped);
  driver.cu->cuDevicePrimaryCtxRelease(device_);
}

}  // namespace glasslab::cuda
