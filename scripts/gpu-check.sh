#!/usr/bin/env bash
# The GPU check of the zero-copy path, for a machine with an NVIDIA GPU, in one go (< 5 min):
# nvidia-smi's view, then native/build/gpu-check (Vulkan and CUDA devices with UUIDs, the
# zero-copy verdict, the lab's NV12 pattern written by Vulkan into exported memory and read
# through CUDA byte for byte, gpu-convert and zero-copy timings at 1080p and 4K, NVENC or why not).
# Usage: scripts/gpu-check.sh [--json PATH] [--frames N]. Exit status: the check's.
# Where the machine has no Vulkan loader, Debian's libvulkan1 .deb in .gpucarry/ is unpacked
# (the device tool's machines start bare); where the loader finds no NVIDIA ICD, the driver's
# own under /usr/local/nvidia is named.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  if ls .gpucarry/*.deb >/dev/null 2>&1; then
    for f in .gpucarry/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "gpu-check: no Vulkan loader (libvulkan.so.1) on this machine; install libvulkan1" >&2
    exit 2
  fi
fi
if ! ls /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json >/dev/null 2>&1; then
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
fi
echo "== nvidia-smi"
nvidia-smi --query-gpu=index,name,driver_version,uuid,encoder.stats.sessionCount --format=csv 2>&1 || echo "(nvidia-smi failed)"
bin=native/build/gpu-check
[ -x "$bin" ] || bash scripts/build-gpu-check.sh || exit 2
echo
timeout 240 "$bin" "$@"
