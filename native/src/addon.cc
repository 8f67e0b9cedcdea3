#include "registry.h"

namespace glasslab {

std::vector<std::pair<std::string, ModuleInit>>& ModuleRegistry() {
  static std::vector<std::pair<std::string, ModuleInit>> modules;
  return modules;
}

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  Napi::Array names = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto& [name, init] : ModuleRegistry()) {
    init(env, exports);
    names.Set(i++, Napi::String::New(env, name));
  }
  exports.Set("modules", names);
  return exports;
}

}  // namespace glasslab

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return glasslab::InitAll(env, exports); }

NODE_API_MODULE(glasslab_native, InitAddon)
