#!/usr/bin/env bash
# Runs the webgpu backend's conformance suite and benchmarks on an NVIDIA GPU, through Dawn's Vulkan
# backend, and writes the results to the folder given as the argument.
#
#   bash bench/gpu.sh OUT_DIR [bench args...]     e.g. bash bench/gpu.sh /tmp/gpu-results --sizes 1024,2048,4096
#
# What an NVIDIA machine needs for Dawn's Vulkan backend: the NVIDIA driver (its Vulkan ICD lives in
# libGLX_nvidia.so.0 with an nvidia_icd.json manifest) and the Vulkan loader (libvulkan1). The script
#  1. finds or installs the loader: from .gl/*.deb beside the repository when present (machines without
#     network: download them elsewhere with `apt-get download libvulkan1 libglvnd0 libgl1 libglx0 libegl1`),
#     else with apt-get;
#  2. finds the NVIDIA ICD manifest, or writes one pointing at libGLX_nvidia.so.0, and exports VK_DRIVER_FILES;
#  3. installs the node packages if needed, prints the adapter Dawn picks (it must not be llvmpipe),
#  4. runs packages/backend-webgpu's tests with CI=true (so they cannot skip) and bench/webgpu-kernels.ts.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: bash bench/gpu.sh OUT_DIR [bench args...]}"
shift
mkdir -p "$out"
out="$(cd "$out" && pwd)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/r1ts-xdg}"
mkdir -p "$XDG_RUNTIME_DIR"
log() { echo "--- $*" | tee -a "$out/gpu.log"; }

log "machine"
{ nvidia-smi 2>&1 || echo "nvidia-smi not found"; node --version 2>&1 || echo "node not found"; } | tee "$out/machine.txt"

# 1. Vulkan loader
if ! ldconfig -p | grep -q libvulkan.so.1; then
  if ls .gl/*.deb >/dev/null 2>&1; then
    log "unpacking the Vulkan loader from .gl/"
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    log "installing libvulkan1 with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 >/dev/null
  fi
fi
ldconfig -p | grep -q libvulkan.so.1 || { log "no Vulkan loader (libvulkan.so.1): cannot continue"; exit 1; }

# 2. NVIDIA ICD manifest
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  lib=$(ldconfig -p | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
  [ -z "$lib" ] && lib=$(find / -name 'libGLX_nvidia.so.0' -not -path '/proc/*' 2>/dev/null | head -n1)
  if [ -n "$lib" ]; then
    mkdir -p "$out/icd"
    printf '{ "file_format_version": "1.0.1", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$lib" > "$out/icd/nvidia_icd.json"
    export VK_DRIVER_FILES="$out/icd/nvidia_icd.json"
  fi
fi
log "VK_DRIVER_FILES=${VK_DRIVER_FILES:-<none, the loader default>}"

# 3. node packages and the adapter
if [ ! -d node_modules/.pnpm ]; then
  log "installing node packages"
  npx -y pnpm@12.4.2 install --frozen-lockfile 2>&1 | tail -n 5 | tee -a "$out/gpu.log"
fi
log "adapter"
cat > "$out/adapter.ts" <<'TS'
import { createWebGPUBackend } from "@r1ts/backend-webgpu";
const b = await createWebGPUBackend();
console.log(JSON.stringify(b.adapter, null, 2));
if (b.adapter.software) console.log("WARNING: a software adapter; the GPU's Vulkan driver was not found");
b.destroy();
TS
cp "$out/adapter.ts" bench/.gpu-adapter.ts
npx -y pnpm@12.4.2 exec tsx bench/.gpu-adapter.ts 2>&1 | tee "$out/adapter.json.txt"
rm -f bench/.gpu-adapter.ts

# 4. conformance suite and benchmarks
log "conformance suite and webgpu tests (CI=true: they cannot skip)"
CI=true npx -y pnpm@12.4.2 exec vitest run packages/backend-webgpu 2>&1 | tee "$out/conformance.log" | tail -n 8
tests=${PIPESTATUS[0]}
log "benchmarks"
npx -y pnpm@12.4.2 exec tsx bench/webgpu-kernels.ts --out "$out" "$@" 2>&1 | tee "$out/bench.log" | tail -n 30
bench=${PIPESTATUS[0]}
log "done: tests exit $tests, bench exit $bench; results in $out"
[ "$tests" = 0 ] && [ "$bench" = 0 ]
