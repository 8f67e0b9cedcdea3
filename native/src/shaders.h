// SPIR-V compute shaders compiled at build time from native/shaders/*.comp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace glasslab::shaders {

struct Shader {
  const char* name;      // file name without .comp, '-' replaced by '_'
  const uint32_t* code;  // SPIR-V words
  size_t sizeBytes;
};

// Returns nullptr when no shader of that name was compiled in.
const Shader* Find(const std::string& name);

}  // namespace glasslab::shaders
