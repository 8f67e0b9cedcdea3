// JS entry points of the zero-copy detection and of its Vulkan half's check:
// probeCapturePaths, decideZeroCopy, zeroCopyVulkanCheck (CapturePathReport, ZeroCopyFacts and
// ZeroCopyVulkanCheck in src/native/types.ts).
#include <napi.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "capture_path.h"
#include "cuda_driver.h"
#include "js_args.h"
#include "registry.h"
#include "vk_devices_js.h"
#include "vk_scene.h"
#include "vk_source_options.h"
#include "zero_copy_probe.h"
#include "zero_copy_ring.h"

namespace glasslab::zerocopy {
namespace {

constexpr const char* kProbeCode = "ERR_SOURCE_OPTIONS";

// probeCapturePaths/zeroCopyVulkanCheck take FrameSourceOptions' width/height/pixelFormat/device:
// parse them with the frame source's own rules (fps and capturePath filled in).
vk::SourceOptions ParseGeometry(Napi::Env env, Napi::Value value, const char* call) {
  if (!value.IsObject()) throw js::TypeError(env, kProbeCode, std::string(call) + ": expected an options object {width, height}");
  Napi::Object given = value.As<Napi::Object>();
  Napi::Object o = Napi::Object::New(env);
  for (const char* key : {"width", "height", "pixelFormat", "device"}) o.Set(key, given.Get(key));
  o.Set("fps", Napi::Number::New(env, 30));
  o.Set("capturePath", Napi::String::New(env, "readback"));
  return vk::ParseSourceOptions(env, o, call);
}

Napi::Object CudaDeviceToJs(Napi::Env env, const cuda::CudaDevice& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ordinal", Napi::Number::New(env, d.ordinal));
  o.Set("name", Napi::String::New(env, d.name));
  o.Set("uuid", Napi::String::New(env, cuda::UuidString(d.uuid)));
  o.Set("computeCapability", Napi::String::New(env, std::to_string(d.computeMajor) + "." + std::to_string(d.computeMinor)));
  return o;
}

Napi::Object FactsToJs(Napi::Env env, const Facts& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("vulkanDevice", Napi::String::New(env, f.vulkanDevice));
  o.Set("vulkanUuid", Napi::String::New(env, cuda::UuidString(f.vulkanUuid)));
  o.Set("externalMemoryFd", Napi::Boolean::New(env, f.externalMemoryFd));
  o.Set("memoryExportable", Napi::Boolean::New(env, f.memoryExportable));
  o.Set("externalSemaphoreFd", Napi::Boolean::New(env, f.externalSemaphoreFd));
  o.Set("timelineSemaphore", Napi::Boolean::New(env, f.timelineSemaphore));
  o.Set("semaphoreExportable", Napi::Boolean::New(env, f.semaphoreExportable));
  o.Set("cudaLoadError", Napi::String::New(env, f.cudaLoadError));
  o.Set("cudaInitError", Napi::String::New(env, f.cudaInitError));
  Napi::Array devices = Napi::Array::New(env, f.cudaDevices.size());
  for (uint32_t i = 0; i < f.cudaDevices.size(); ++i) devices.Set(i, CudaDeviceToJs(env, f.cudaDevices[i]));
  o.Set("cudaDevices", devices);
  if (f.nvencError) o.Set("nvencError", Napi::String::New(env, *f.nvencError));
  return o;
}

Napi::Object VerdictToJs(Napi::Env env, const Verdict& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", Napi::Boolean::New(env, v.available));
  if (!v.available) o.Set("reason", Napi::String::New(env, v.reason));
  if (v.cudaOrdinal >= 0) o.Set("cudaOrdinal", Napi::Number::New(env, v.cudaOrdinal));
  return o;
}

bool BoolField(Napi::Env env, Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) throw js::TypeError(env, "ERR_INPUT_INVALID", std::string("decideZeroCopy: ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string StringField(Napi::Env env, Napi::Object o, const char* key, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw js::TypeError(env, "ERR_INPUT_INVALID", "decideZeroCopy: " + what + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

cuda::Uuid UuidField(Napi::Env env, Napi::Object o, const char* key, const std::string& what) {
  const std::string text = StringField(env, o, key, what);
  cuda::Uuid uuid{};
  std::string hex;
  for (char c : text) {
    if (c != '-') hex += c;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool ok = hex.size() == 32;
  for (size_t i = 0; ok && i < 16; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    ok = hi >= 0 && lo >= 0;
    if (ok) uuid[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  if (!ok) throw js::RangeError(env, "ERR_INPUT_INVALID", "decideZeroCopy: " + what + key + " must be a UUID of 32 hex digits");
  return uuid;
}

Napi::Value JsDecideZeroCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw js::TypeError(env, "ERR_INPUT_INVALID", "decideZeroCopy: expected a ZeroCopyFacts object");
  Napi::Object o = info[0].As<Napi::Object>();
  Facts f;
  f.vulkanDevice = StringField(env, o, "vulkanDevice", "");
  f.vulkanUuid = UuidField(env, o, "vulkanUuid", "");
  f.externalMemoryFd = BoolField(env, o, "externalMemoryFd");
  f.memoryExportable = BoolField(env, o, "memoryExportable");
  f.externalSemaphoreFd = BoolField(env, o, "externalSemaphoreFd");
  f.timelineSemaphore = BoolField(env, o, "timelineSemaphore");
  f.semaphoreExportable = BoolField(env, o, "semaphoreExportable");
  f.cudaLoadError = StringField(env, o, "cudaLoadError", "");
  f.cudaInitError = StringField(env, o, "cudaInitError", "");
  Napi::Value devices = o.Get("cudaDevices");
  if (!devices.IsArray()) throw js::TypeError(env, "ERR_INPUT_INVALID", "decideZeroCopy: cudaDevices must be an array");
  Napi::Array list = devices.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length() && i < 64; ++i) {
    Napi::Value item = list.Get(i);
    if (!item.IsObject()) throw js::TypeError(env, "ERR_INPUT_INVALID", "decideZeroCopy: cudaDevices[" + std::to_string(i) + "] must be an object");
    Napi::Object d = item.As<Napi::Object>();
    const std::string where = "cudaDevices[" + std::to_string(i) + "].";
    cuda::CudaDevice device;
    device.ordinal = static_cast<int>(js::RequiredNumber(env, d.Get("ordinal"), "decideZeroCopy: " + where + "ordinal", 0, 1024, true, "ERR_INPUT_INVALID"));
    device.name = StringField(env, d, "name", where);
    device.uuid = UuidField(env, d, "uuid", where);
    f.cudaDevices.push_back(std::move(device));
  }
  Napi::Value nvenc = o.Get("nvencError");
  if (!nvenc.IsUndefined()) f.nvencError = StringField(env, o, "nvencError", "");
  return VerdictToJs(env, Decide(f));
}

class ProbeCapturePathsWorker final : public Napi::AsyncWorker {
 public:
  ProbeCapturePathsWorker(Napi::Env env, vk::SourceOptions options)
      : Napi::AsyncWorker(env, "glasslab.probeCapturePaths"), deferred_(Napi::Promise::Deferred::New(env)), options_(std::move(options)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      auto instance = vk::Instance::Get();
      const auto devices = instance->Devices();
      device_ = devices.at(vk::ChooseDevice(devices, options_.device).index);
      facts_ = Gather(device_, true);
      for (const char* path : {"readback", "gpu-convert"}) {
        paths_.push_back({path, capture::Unavailable(path, device_, options_.width, options_.format)});
      }
      verdict_ = Decide(facts_);
      if (auto why = capture::ZeroCopyUnavailable(facts_, options_.width, options_.format)) {
        verdict_.available = false;
        verdict_.reason = *why;
      }
    } catch (const std::exception& e) {
      SetError(std::string("probeCapturePaths: ") + e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("device", vk::DeviceInfoToJs(env, device_));
    Napi::Array paths = Napi::Array::New(env, 3);
    uint32_t i = 0;
    for (const auto& [name, why] : paths_) {
      Napi::Object p = Napi::Object::New(env);
      p.Set("path", Napi::String::New(env, name));
      p.Set("available", Napi::Boolean::New(env, !why));
      if (why) p.Set("reason", Napi::String::New(env, *why));
      paths.Set(i++, p);
    }
    Napi::Object zero = VerdictToJs(env, verdict_);
    zero.Set("path", Napi::String::New(env, "zero-copy"));
    paths.Set(i, zero);
    out.Set("paths", paths);
    out.Set("zeroCopy", FactsToJs(env, facts_));
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(js::WithCode(error, "ERR_VULKAN").Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  vk::SourceOptions options_;
  vk::DeviceInfo device_;
  Facts facts_;
  Verdict verdict_;
  std::vector<std::pair<std::string, std::optional<std::string>>> paths_;
};

Napi::Value JsProbeCapturePaths(const Napi::CallbackInfo& info) {
  vk::SourceOptions options = ParseGeometry(info.Env(), info[0], "probeCapturePaths");
  auto* worker = new ProbeCapturePathsWorker(info.Env(), std::move(options));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// Renders `frames` frames, converts each into the next ring slot, imports every slot's fd into
// a second logical device and reads it back there; renders the same frames through gpu-convert.
class VulkanCheckWorker final : public Napi::AsyncWorker {
 public:
  VulkanCheckWorker(Napi::Env env, vk::SourceOptions options, int frames, int slots)
      : Napi::AsyncWorker(env, "glasslab.zeroCopyVulkanCheck"),
        deferred_(Napi::Promise::Deferred::New(env)),
        options_(std::move(options)),
        frames_(frames),
        slots_(slots) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      auto instance = vk::Instance::Get();
      const auto devices = instance->Devices();
      const vk::DeviceInfo info = devices.at(vk::ChooseDevice(devices, options_.device).index);
      deviceName_ = info.name;
      const int w = options_.width, h = options_.height;
      // Capture times as a test would inject them: both paths stamp the same marker.
      auto captureTime = [](int i) { return 1'000'000'000ull + static_cast<uint64_t>(i) * 16'666'667ull; };
      {
        vk::Device exporter(instance, info);
        vk::Device importerDevice(instance, info);
        vk::SceneRenderer scene(exporter, w, h);
        RingOptions ringOptions;
        ringOptions.slots = slots_;
        ringOptions.exportSemaphore = false;  // lavapipe has no VK_KHR_external_semaphore_fd: wait on the host
        SurfaceRing ring(exporter, scene.image(), w, h, ringOptions);
        allocationBytes_ = static_cast<double>(ring.allocationSize(0));
        VulkanImporter importer(importerDevice, ring);
        for (int i = 0; i < frames_; ++i) {
          scene.Render(static_cast<uint32_t>(i));
          const auto slot = ring.NextFree();
          if (!slot) throw std::logic_error("no free slot although every frame was released");
          const SlotFrame frame = ring.Convert(*slot, static_cast<uint32_t>(i), captureTime(i));
          ring.WaitConverted(frame.slot);
          std::vector<uint8_t> bytes(ring.layout().totalBytes);
          importer.Read(frame.slot, bytes.data());
          ring.Release(frame.slot);
          imported_.push_back(std::move(bytes));
          slotOrder_.push_back(static_cast<int>(frame.slot));
        }
      }
      vk::Device device(instance, info);
      vk::SceneRenderer scene(device, w, h);
      capture::CaptureTarget target{&device, scene.image(), w, h, capture::PixelFormat::kNV12};
      auto path = capture::Create("gpu-convert", target);
      for (int i = 0; i < frames_; ++i) {
        scene.Render(static_cast<uint32_t>(i));
        capture::HostFrame frame = path->Capture(static_cast<uint32_t>(i), captureTime(i));
        gpuConvert_.emplace_back(frame.data.get(), frame.data.get() + frame.layout.totalBytes);
      }
    } catch (const std::exception& e) {
      SetError(std::string("zeroCopyVulkanCheck: ") + e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("device", Napi::String::New(env, deviceName_));
    auto buffers = [&](const std::vector<std::vector<uint8_t>>& list) {
      Napi::Array a = Napi::Array::New(env, list.size());
      for (uint32_t i = 0; i < list.size(); ++i) a.Set(i, Napi::Buffer<uint8_t>::Copy(env, list[i].data(), list[i].size()));
      return a;
    };
    out.Set("imported", buffers(imported_));
    out.Set("gpuConvert", buffers(gpuConvert_));
    Napi::Array slots = Napi::Array::New(env, slotOrder_.size());
    for (uint32_t i = 0; i < slotOrder_.size(); ++i) slots.Set(i, Napi::Number::New(env, slotOrder_[i]));
    out.Set("slots", slots);
    out.Set("allocationBytes", Napi::Number::New(env, allocationBytes_));
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(js::WithCode(error, "ERR_VULKAN").Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  vk::SourceOptions options_;
  int frames_, slots_;
  std::string deviceName_;
  std::vector<std::vector<uint8_t>> imported_, gpuConvert_;
  std::vector<int> slotOrder_;
  double allocationBytes_ = 0;
};

Napi::Value JsZeroCopyVulkanCheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  vk::SourceOptions options = ParseGeometry(env, info[0], "zeroCopyVulkanCheck");
  if (auto why = capture::GpuConvertUnsupported(options.width, capture::PixelFormat::kNV12)) {
    throw js::RangeError(env, kProbeCode, "zeroCopyVulkanCheck: " + *why);
  }
  Napi::Object o = info[0].As<Napi::Object>();
  const int frames = static_cast<int>(js::RequiredNumber(env, o.Get("frames"), "zeroCopyVulkanCheck: frames", 1, 240, true, kProbeCode));
  const int slots = static_cast<int>(js::Number(env, o.Get("slots"), "zeroCopyVulkanCheck: slots", 3, 2, 16, true, kProbeCode));
  auto* worker = new VulkanCheckWorker(env, std::move(options), frames, slots);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

const Registrar kRegistrar("zero-copy", [](Napi::Env env, Napi::Object exports) {
  exports.Set("probeCapturePaths", Napi::Function::New(env, JsProbeCapturePaths, "probeCapturePaths"));
  exports.Set("decideZeroCopy", Napi::Function::New(env, JsDecideZeroCopy, "decideZeroCopy"));
  exports.Set("zeroCopyVulkanCheck", Napi::Function::New(env, JsZeroCopyVulkanCheck, "zeroCopyVulkanCheck"));
});

}  // namespace
}  // namespace glasslab::zerocopy
