#!/usr/bin/env bash
# Idempotent setup for a Debian 12 machine: Debian packages (installed when root, listed when
# not), npm ci (only when package-lock.json changed), the native addon (incremental build), the
# compiled lab in dist/ (incremental tsc).
# Takes seconds when everything is already there. Every failure names the step and the cause.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Debian packages the project uses, one per purpose:
#   build:   pkg-config, glslang-tools (shaders -> SPIR-V), g++/make/python3 (node-gyp)
#   media:   libavcodec-dev/libavutil-dev (x264, NVENC, H.264 decoder), libavformat-dev (relay muxers), libopenh264-dev, libyuv-dev,
#            libffmpeg-nvenc-dev (ffnvcodec: loads the CUDA driver and NVENC at run time, for zero-copy)
#   vulkan:  libvulkan-dev (loader), mesa-vulkan-drivers (lavapipe)
#   peers:   ffmpeg, chromium
#   network: iproute2 (netns, veth, tc), iperf3
#   guest:   qemu-system-x86 (TCG), busybox-static (the guest's /init), xz-utils (vmlinux out of the bzImage)
#            for the netem tests on Debian's stock kernel where this kernel lacks sch_netem (lab/guest/)
packages=(
  pkg-config g++ make python3 glslang-tools
  libavcodec-dev libavformat-dev libavutil-dev libopenh264-dev libyuv-dev libffmpeg-nvenc-dev
  libvulkan-dev mesa-vulkan-drivers
  ffmpeg chromium
  iproute2 iperf3
  qemu-system-x86 busybox-static xz-utils
)

say() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] FAILED at %s: %s\n' "$1" "$2" >&2; exit 1; }
started=$(date +%s%N)

# 1. Node
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || fail "node" "node is not installed"
[ "$node_major" -ge 20 ] || fail "node" "Node 20 or newer is required (found $(node --version))"

# 2. Debian packages
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    fail "debian-packages" "missing: ${missing[*]} (not root; install them with: sudo apt-get install -y ${missing[*]})"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/tmp/glasslab-apt-update.log 2>&1 || { tail -20 /tmp/glasslab-apt-update.log >&2; fail "debian-packages" "apt-get update failed"; }
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/glasslab-apt-install.log 2>&1 \
    || { tail -20 /tmp/glasslab-apt-install.log >&2; fail "debian-packages" "apt-get install ${missing[*]} failed"; }
else
  say "Debian packages: all ${#packages[@]} present"
fi

# 3. npm dependencies: npm ci only when the lock file differs from what was installed.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.glasslab-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm-ci" "npm ci failed (see npm's output above)"
  echo "$lock_hash" > "$stamp"
else
  say "npm dependencies: up to date"
fi

# 4. Native addon
bash scripts/build-native.sh || fail "native-build" "the native addon did not build"

# 5. Compiled lab (dist/): what bin/glasslab.js and the run's children execute
bash scripts/build-dist.sh || fail "dist-build" "tsc -p tsconfig.build.json failed (see its output above)"
say "dist/: matches the sources"

# 6. The netem guest's kernel (Debian's linux-image-<version>-amd64, unpacked into .gl/guest, not
#    installed; ≈ 70 MB from Debian's mirror once, again only when the package name changes). A
#    failure here (no network) is a warning: the guest test then says why it skipped.
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*-amd64\).*/\1/p' | head -1)
if [ -n "$kernel_pkg" ] && [ -f ".gl/guest/$kernel_pkg/vmlinux" ] && ls ".gl/guest/$kernel_pkg"/root/lib/modules/*/modules.dep >/dev/null 2>&1; then
  say "guest kernel: $kernel_pkg cached"
elif [ "${GLASSLAB_SKIP_GUEST_KERNEL:-0}" = "1" ]; then
  say "guest kernel: not fetched (GLASSLAB_SKIP_GUEST_KERNEL=1)"
else
  say "guest kernel: fetching ${kernel_pkg:-the kernel linux-image-amd64 depends on} into .gl/guest"
  node --import tsx lab/guest/cli.ts --fetch-only || say "WARNING: the guest kernel could not be fetched; the netem-in-guest test will skip and say why"
fi

say "done in $(( ($(date +%s%N) - started) / 1000000 )) ms"
