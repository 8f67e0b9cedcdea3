#!/usr/bin/env bash
# Builds native/build/gpu-check, the standalone GPU check (native/tools/gpu_check.cc) from the
# addon's own Vulkan, capture and zero-copy sources, without Node or FFmpeg: it needs only
# libvulkan.so.1 at run time and loads libcuda/libnvidia-encode itself (ffnvcodec), so the same
# binary runs on a GPU machine that has neither Node nor Debian's libraries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/native"
[ -f generated/shaders.cc ] || bash "$root/scripts/build-native.sh"
mkdir -p build
sources=(tools/gpu_check.cc src/vk_context.cc src/vk_check.cc src/vk_scene.cc src/capture_marker.cc src/marker.cc
  src/capture_gpu_convert.cc src/capture_layout.cc src/cuda_driver.cc src/zero_copy_probe.cc src/zero_copy_ring.cc
  src/zero_copy_cuda.cc src/zero_copy_handoff.cc generated/shaders.cc)
out=build/gpu-check
if [ -f "$out" ] && [ -z "$(find "${sources[@]}" src/*.h "$0" -newer "$out" 2>/dev/null)" ]; then
  echo "[build-gpu-check] up to date: native/$out"; exit 0
fi
echo "[build-gpu-check] compiling native/$out"
g++ -std=c++17 -O2 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Isrc -Igenerated \
  "${sources[@]}" -o "$out" -lvulkan -ldl -pthread -static-libstdc++ -static-libgcc
echo "[build-gpu-check] ok: native/$out"
