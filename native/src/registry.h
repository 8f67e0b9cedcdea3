// Each native module registers its exports here through a static Registrar, so that
// modules can be added without editing a central init function.
#pragma once
#include <napi.h>
#include <functional>
#include <string>
#include <vector>

namespace glasslab {

using ModuleInit = std::function<void(Napi::Env, Napi::Object)>;

std::vector<std::pair<std::string, ModuleInit>>& ModuleRegistry();

struct Registrar {
  Registrar(const char* name, ModuleInit init) { ModuleRegistry().emplace_back(name, std::move(init)); }
};

}  // namespace glasslab
