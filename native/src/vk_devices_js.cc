#include "vk_devices_js.h"

#include <exception>
#include <vector>

#include "cuda_driver.h"
#include "js_args.h"
#include "registry.h"

namespace glasslab::vk {


Napi::Object DeviceInfoToJs(Napi::Env env, const DeviceInfo& d) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", Napi::Number::New(env, d.index));
  o.Set("name", Napi::String::New(env, d.name));
  o.Set("type", Napi::String::New(env, d.type));
  o.Set("vendorId", Napi::Number::New(env, d.vendorId));
  o.Set("deviceId", Napi::Number::New(env, d.deviceId));
  o.Set("driverName", Napi::String::New(env, d.driverName));
  o.Set("driverInfo", Napi::String::New(env, d.driverInfo));
  o.Set("apiVersion", Napi::String::New(env, d.apiVersion));
  o.Set("externalMemoryFd", Napi::Boolean::New(env, d.externalMemoryFd));
  o.Set("externalSemaphoreFd", Napi::Boolean::New(env, d.externalSemaphoreFd));
  o.Set("timelineSemaphore", Napi::Boolean::New(env, d.timelineSemaphore));
  o.Set("deviceUuid", Napi::String::New(env, cuda::UuidString(d.deviceUuid)));
  return o;
}

namespace {

// Creates the instance and enumerates devices on a libuv worker thread.
class ListDevicesWorker : public Napi::AsyncWorker {
 public:
  explicit ListDevicesWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "glasslab.listVulkanDevices"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      devices_ = Instance::Get()->Devices();
    } catch (const std::exception& e) {
      SetError(std::string("listVulkanDevices: ") + e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array out = Napi::Array::New(env, devices_.size());
    for (uint32_t i = 0; i < devices_.size(); ++i) out.Set(i, DeviceInfoToJs(env, devices_[i]));
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(js::WithCode(error, "ERR_VULKAN").Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<DeviceInfo> devices_;
};

Napi::Value JsListVulkanDevices(const Napi::CallbackInfo& info) {
  auto* worker = new ListDevicesWorker(info.Env());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

const Registrar kRegistrar("vulkan", [](Napi::Env env, Napi::Object exports) {
  exports.Set("listVulkanDevices", Napi::Function::New(env, JsListVulkanDevices, "listVulkanDevices"));
});

}  // namespace
}  // namespace glasslab::vk
