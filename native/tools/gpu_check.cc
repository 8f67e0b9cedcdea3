// glasslab GPU check (scripts/gpu-check.sh): on a machine with an NVIDIA GPU, in one go, prints
// the Vulkan and CUDA devices with their UUIDs, the zero-copy detection's verdict, a known
// pattern (the lab's scene with its frame marker, converted to NV12 by the gpu-convert shader)
// written by Vulkan into exported memory and read through CUDA, compared byte for byte with
// gpu-convert's own output, and gpu-convert / zero-copy timings at 1080p and 4K. Writes the same
// as JSON with --json PATH. Exit 0 when every check that could run passed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capture_gpu_convert.h"
#include "cuda_driver.h"
#include "marker.h"
#include "vk_check.h"
#include "vk_context.h"
#include "vk_scene.h"
#include "zero_copy_cuda.h"
#include "zero_copy_handoff.h"
#include "zero_copy_probe.h"
#include "zero_copy_ring.h"

#include <ffnvcodec/dynlink_loader.h>

using namespace glasslab;

namespace {

std::string Json(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

struct Stats {
  double p50 = 0, p99 = 0, max = 0;
};
Stats Summarise(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))]; };
  s.p50 = at(0.5);
  s.p99 = at(0.99);
  s.max = v.back();
  return s;
}

double NowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint64_t CaptureTime(int i) { return 1'000'000'000ull + static_cast<uint64_t>(i) * 16'666'667ull; }

struct Resolution {
  int width, height;
  const char* name;
};

struct ResolutionResult {
  std::string name;
  Stats convertGpuMs;       // the NV12 dispatch alone, GPU timestamps
  Stats gpuConvertWallMs;   // gpu-convert path: submit -> NV12 in host memory
  bool zeroCopyRan = false;
  std::string zeroCopySkipped;
  Stats zeroCopyWallMs;     // convert submitted -> CUDA stream past the semaphore and the NV12 copied out
  int frames = 0, exact = 0, markersRead = 0;
  size_t firstMismatchByte = 0;
  bool semaphore = false;
  // The hand-off an NVENC encoder makes (zero_copy_handoff.h): each frame copied on the GPU into
  // a pitched CUDA surface like libavcodec's, read back and compared.
  bool handoffRan = false;
  Stats handoffMs;  // CopyInto: semaphore wait + two 2D copies + stream sync
  int handoffExact = 0;
};

// Copies a pitched NV12 CUDA surface back to a tight host buffer.
void SurfaceToHost(CUdeviceptr y, CUdeviceptr uv, size_t pitch, int w, int h, uint8_t* out) {
  const auto& cu = *cuda::LoadDriver().cu;
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  copy.srcDevice = y;
  copy.srcPitch = pitch;
  copy.dstMemoryType = CU_MEMORYTYPE_HOST;
  copy.dstHost = out;
  copy.dstPitch = static_cast<size_t>(w);
  copy.WidthInBytes = static_cast<size_t>(w);
  copy.Height = static_cast<size_t>(h);
  cuda::Check(cu.cuMemcpy2D(&copy), "cuMemcpy2D (Y to host)");
  copy.srcDevice = uv;
  copy.dstHost = out + static_cast<size_t>(w) * h;
  copy.Height = static_cast<size_t>(h / 2);
  cuda::Check(cu.cuMemcpy2D(&copy), "cuMemcpy2D (UV to host)");
}

// GPU time of the NV12 conversion dispatch, from timestamp queries around it.
std::vector<double> TimeConvertOnGpu(vk::Device& device, vk::SceneRenderer& scene, int w, int h, int frames) {
  std::vector<double> out;
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(device.physical(), &props);
  vk::Buffer target = device.CreateBuffer(static_cast<VkDeviceSize>(w) * h * 3 / 2, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, false);
  capture::Nv12Converter converter(device, scene.image(), w, h, {target.buffer});
  VkQueryPoolCreateInfo qinfo{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  qinfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
  qinfo.queryCount = 2;
  VkQueryPool pool = VK_NULL_HANDLE;
  vk::Check(vkCreateQueryPool(device.handle(), &qinfo, nullptr, &pool), "vkCreateQueryPool");
  vk::CommandSlot slot;
  slot.Create(device.handle(), device.queueFamily(), true);
  for (int i = 0; i < frames; ++i) {
    scene.Render(static_cast<uint32_t>(i));
    vk::Check(vkResetCommandBuffer(slot.commands, 0), "vkResetCommandBuffer");
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vk::Check(vkBeginCommandBuffer(slot.commands, &begin), "vkBeginCommandBuffer");
    vkCmdResetQueryPool(slot.commands, pool, 0, 2);
    VkMemoryBarrier toCompute{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    toCompute.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    toCompute.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    vkCmdPipelineBarrier(slot.commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                         &toCompute, 0, nullptr, 0, nullptr);
    vkCmdWriteTimestamp(slot.commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool, 0);
    converter.Record(slot.commands, 0);
    vkCmdWriteTimestamp(slot.commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, 1);
    vk::Check(vkEndCommandBuffer(slot.commands), "vkEndCommandBuffer");
    vk::SubmitAndWait(device.handle(), device.queue(), slot.commands, slot.fence, "timed conversion");
    uint64_t stamps[2] = {0, 0};
    vk::Check(vkGetQueryPoolResults(device.handle(), pool, 0, 2, sizeof(stamps), stamps, sizeof(uint64_t),
                                    VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
              "vkGetQueryPoolResults");
    if (i > 0) out.push_back(static_cast<double>(stamps[1] - stamps[0]) * props.limits.timestampPeriod / 1e6);
  }
  vkDeviceWaitIdle(device.handle());
  slot.Destroy(device.handle());
  vkDestroyQueryPool(device.handle(), pool, nullptr);
  device.DestroyBuffer(target);
  return out;
}

ResolutionResult RunResolution(const std::shared_ptr<vk::Instance>& instance, const vk::DeviceInfo& info,
                               const zerocopy::Facts& facts, const zerocopy::Verdict& verdict, const Resolution& r, int frames) {
  ResolutionResult result;
  result.name = r.name;
  const int w = r.width, h = r.height;
  std::vector<std::vector<uint8_t>> reference;
  {
    vk::Device device(instance, info);
    vk::SceneRenderer scene(device, w, h);
    result.convertGpuMs = Summarise(TimeConvertOnGpu(device, scene, w, h, frames));
    capture::CaptureTarget target{&device, scene.image(), w, h, capture::PixelFormat::kNV12};
    auto path = capture::CreateGpuConvert(target);
    std::vector<double> wall;
    for (int i = 0; i < frames; ++i) {
      scene.Render(static_cast<uint32_t>(i));
      const double start = NowMs();
      capture::HostFrame frame = path->Capture(static_cast<uint32_t>(i), CaptureTime(i));
      wall.push_back(NowMs() - start);
      reference.emplace_back(frame.data.get(), frame.data.get() + frame.layout.totalBytes);
    }
    result.gpuConvertWallMs = Summarise(wall);
  }
  // The CUDA import needs the Vulkan export checks and a CUDA device with the same UUID; NVENC
  // is not needed for it.
  const bool vulkanSide = facts.externalMemoryFd && facts.memoryExportable;
  if (!vulkanSide || verdict.cudaOrdinal < 0) {
    result.zeroCopySkipped = verdict.reason;
    return result;
  }
  vk::Device device(instance, info);
  vk::SceneRenderer scene(device, w, h);
  zerocopy::RingOptions options;
  options.slots = 3;
  options.exportSemaphore = facts.semaphoreExportable;
  result.semaphore = options.exportSemaphore;
  zerocopy::SurfaceRing ring(device, scene.image(), w, h, options);
  zerocopy::CudaImporter importer(ring, verdict.cudaOrdinal);
  std::vector<uint8_t> bytes(ring.layout().totalBytes);
  std::vector<double> wall;
  for (int i = 0; i < frames; ++i) {
    scene.Render(static_cast<uint32_t>(i));
    const auto slot = ring.NextFree();
    const double start = NowMs();
    const zerocopy::SlotFrame frame = ring.Convert(*slot, static_cast<uint32_t>(i), CaptureTime(i));
    if (!options.exportSemaphore) ring.WaitConverted(frame.slot);
    importer.CopyToHost(frame, bytes.data(), bytes.size());
    wall.push_back(NowMs() - start);
    ring.WaitConverted(frame.slot);
    ring.Release(frame.slot);
    result.frames++;
    if (bytes == reference[static_cast<size_t>(i)]) {
      result.exact++;
    } else if (result.firstMismatchByte == 0) {
      for (size_t b = 0; b < bytes.size(); ++b) {
        if (bytes[b] != reference[static_cast<size_t>(i)][b]) {
          result.firstMismatchByte = b + 1;
          break;
        }
      }
    }
    const marker::ReadResult read = marker::Read(bytes.data(), w, h, w);
    if (read.status == marker::ReadStatus::kOk && read.frameId == static_cast<uint32_t>(i)) result.markersRead++;
  }
  result.zeroCopyRan = true;
  result.zeroCopyWallMs = Summarise(wall);
  if (!options.exportSemaphore) return result;
  // The hand-off, through the classes the addon's NVENC encoder uses, into a surface pitched as
  // NVENC's are (256-byte rows); 8 slots for `frames` frames shows each copy returns its slot.
  {
    zerocopy::RingOptions handoffOptions;
    handoffOptions.slots = 8;
    auto handoffRing = std::make_unique<zerocopy::SurfaceRing>(device, scene.image(), w, h, handoffOptions);
    auto handoffImporter = std::make_unique<zerocopy::CudaImporter>(*handoffRing, verdict.cudaOrdinal);
    auto surfaces = zerocopy::SharedSurfaces::Create(std::move(handoffRing), std::move(handoffImporter));
    const auto& cu = *cuda::LoadDriver().cu;
    const size_t pitch = (static_cast<size_t>(w) + 255) / 256 * 256;
    CUdeviceptr y = 0, uv = 0;
    {
      cuda::ScopedPrimaryContext context(verdict.cudaOrdinal);
      cuda::Check(cu.cuMemAlloc(&y, pitch * h), "cuMemAlloc (Y)");
      cuda::Check(cu.cuMemAlloc(&uv, pitch * h / 2), "cuMemAlloc (UV)");
    }
    std::vector<double> copyMs;
    for (int i = 0; i < frames; ++i) {
      scene.Render(static_cast<uint32_t>(i));
      auto lease = surfaces->Convert(static_cast<uint32_t>(i), CaptureTime(i), 250'000'000);
      const double start = NowMs();
      surfaces->CopyInto(static_cast<uint32_t>(lease->frame().slot), lease->frame().semaphoreValue, y, pitch, uv, pitch);
      copyMs.push_back(NowMs() - start);
      {
        cuda::ScopedPrimaryContext context(verdict.cudaOrdinal);
        SurfaceToHost(y, uv, pitch, w, h, bytes.data());
      }
      if (bytes == reference[static_cast<size_t>(i)]) result.handoffExact++;
    }
    {
      cuda::ScopedPrimaryContext context(verdict.cudaOrdinal);
      cu.cuMemFree(y);
      cu.cuMemFree(uv);
    }
    surfaces->Close();
    result.handoffRan = true;
    result.handoffMs = Summarise(copyMs);
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  std::string jsonPath;
  int frames = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) {
      jsonPath = argv[++i];
    } else if (a == "--frames" && i + 1 < argc) {
      frames = std::max(2, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: gpu-check [--json PATH] [--frames N]\n");
      return 2;
    }
  }
  std::string json = "{";
  bool ok = true;
  try {
    auto instance = vk::Instance::Get();
    const auto devices = instance->Devices();
    std::printf("== Vulkan devices\n");
    std::printf("%-3s %-40s %-10s %-38s %-6s %-6s %-8s\n", "#", "name", "type", "deviceUUID", "memFd", "semFd", "timeline");
    json += "\"vulkanDevices\":[";
    for (const auto& d : devices) {
      std::printf("%-3u %-40s %-10s %-38s %-6s %-6s %-8s\n", d.index, d.name.c_str(), d.type.c_str(),
                  cuda::UuidString(d.deviceUuid).c_str(), d.externalMemoryFd ? "yes" : "no",
                  d.externalSemaphoreFd ? "yes" : "no", d.timelineSemaphore ? "yes" : "no");
      json += std::string(d.index ? "," : "") + "{\"name\":" + Json(d.name) + ",\"uuid\":" + Json(cuda::UuidString(d.deviceUuid)) +
              ",\"driver\":" + Json(d.driverName + " " + d.driverInfo) + "}";
    }
    json += "],";
    vk::DeviceSelector selector;
    selector.source = "GLASSLAB_VULKAN_DEVICE";
    if (const char* e = std::getenv("GLASSLAB_VULKAN_DEVICE"); e && *e) selector.nameSubstring = e;
    const auto choice = vk::ChooseDevice(devices, selector);
    const vk::DeviceInfo& info = devices[choice.index];
    std::printf("chosen: %u %s (%s)\n\n", info.index, info.name.c_str(), choice.reason.c_str());
    const zerocopy::Facts facts = zerocopy::Gather(info, true);
    const zerocopy::Verdict verdict = zerocopy::Decide(facts);
    std::printf("== CUDA\n");
    std::printf("driver: %s\n", facts.cudaLoadError.empty() ? (facts.cudaInitError.empty() ? "loaded, cuInit ok" : facts.cudaInitError.c_str())
                                                            : facts.cudaLoadError.c_str());
    json += "\"cudaLoadError\":" + Json(facts.cudaLoadError) + ",\"cudaInitError\":" + Json(facts.cudaInitError) + ",\"cudaDevices\":[";
    for (size_t i = 0; i < facts.cudaDevices.size(); ++i) {
      const auto& d = facts.cudaDevices[i];
      const bool same = d.uuid == facts.vulkanUuid;
      std::printf("cuda %d: %-30s sm_%d%d uuid %s %s\n", d.ordinal, d.name.c_str(), d.computeMajor, d.computeMinor,
                  cuda::UuidString(d.uuid).c_str(), same ? "== Vulkan device" : "");
      json += std::string(i ? "," : "") + "{\"ordinal\":" + std::to_string(d.ordinal) + ",\"name\":" + Json(d.name) +
              ",\"uuid\":" + Json(cuda::UuidString(d.uuid)) + ",\"matchesVulkan\":" + (same ? "true" : "false") + "}";
    }
    json += "],";
    std::printf("NVENC: %s\n", !facts.nvencError ? "not probed (an earlier check failed)"
                                                  : facts.nvencError->empty() ? "a session opens" : facts.nvencError->c_str());
    std::printf("zero-copy verdict: %s\n\n", verdict.available ? "available" : verdict.reason.c_str());
    json += "\"nvenc\":" + Json(facts.nvencError ? (facts.nvencError->empty() ? "ok" : *facts.nvencError) : "not probed") +
            ",\"zeroCopyVerdict\":" + Json(verdict.available ? "available" : verdict.reason) + ",\"resolutions\":[";

    const Resolution resolutions[] = {{1920, 1080, "1080p"}, {3840, 2160, "4K"}};
    std::printf("== per resolution (%d frames; ms)\n", frames);
    std::printf("%-6s %-22s %-22s %-26s %-10s %-8s %s\n", "res", "convert GPU p50/p99", "gpu-convert wall p50/p99",
                "zero-copy via CUDA p50/p99", "exact", "markers", "note");
    bool first = true;
    for (const auto& r : resolutions) {
      const ResolutionResult rr = RunResolution(instance, info, facts, verdict, r, frames);
      char conv[64], wall[64], zc[64], exact[32], markers[32];
      std::snprintf(conv, sizeof(conv), "%.3f / %.3f", rr.convertGpuMs.p50, rr.convertGpuMs.p99);
      std::snprintf(wall, sizeof(wall), "%.3f / %.3f", rr.gpuConvertWallMs.p50, rr.gpuConvertWallMs.p99);
      std::snprintf(zc, sizeof(zc), rr.zeroCopyRan ? "%.3f / %.3f" : "-", rr.zeroCopyWallMs.p50, rr.zeroCopyWallMs.p99);
      std::snprintf(exact, sizeof(exact), rr.zeroCopyRan ? "%d/%d" : "-", rr.exact, rr.frames);
      std::snprintf(markers, sizeof(markers), rr.zeroCopyRan ? "%d/%d" : "-", rr.markersRead, rr.frames);
      const std::string note = rr.zeroCopyRan ? (rr.semaphore ? "CUDA waits on the exported timeline semaphore" : "host fence wait (no exportable semaphore)")
                                              : "zero-copy skipped: " + rr.zeroCopySkipped;
      std::printf("%-6s %-22s %-22s %-26s %-10s %-8s %s\n", rr.name.c_str(), conv, wall, zc, exact, markers, note.c_str());
      if (rr.zeroCopyRan && (rr.exact != rr.frames || rr.markersRead != rr.frames)) ok = false;
      if (rr.handoffRan) {
        std::printf("       hand-off into a pitched CUDA surface (NVENC's input): %d/%d exact, copy p50 %.3f / p99 %.3f ms\n",
                    rr.handoffExact, rr.frames, rr.handoffMs.p50, rr.handoffMs.p99);
        if (rr.handoffExact != rr.frames) ok = false;
      }
      if (rr.zeroCopyRan && rr.firstMismatchByte) std::printf("       first differing byte: %zu\n", rr.firstMismatchByte - 1);
      auto stats = [](const Stats& s) {
        char b[128];
        std::snprintf(b, sizeof(b), "{\"p50\":%.4f,\"p99\":%.4f,\"max\":%.4f}", s.p50, s.p99, s.max);
        return std::string(b);
      };
      json += std::string(first ? "" : ",") + "{\"resolution\":" + Json(rr.name) + ",\"convertGpuMs\":" + stats(rr.convertGpuMs) +
              ",\"gpuConvertWallMs\":" + stats(rr.gpuConvertWallMs) + ",\"zeroCopyRan\":" + (rr.zeroCopyRan ? "true" : "false") +
              ",\"zeroCopySkipped\":" + Json(rr.zeroCopySkipped) + ",\"zeroCopyWallMs\":" + stats(rr.zeroCopyWallMs) +
              ",\"frames\":" + std::to_string(rr.frames) + ",\"pixelExact\":" + std::to_string(rr.exact) +
              ",\"markersRead\":" + std::to_string(rr.markersRead) + ",\"semaphore\":" + (rr.semaphore ? "true" : "false") +
              ",\"handoffRan\":" + (rr.handoffRan ? "true" : "false") + ",\"handoffExact\":" + std::to_string(rr.handoffExact) +
              ",\"handoffMs\":" + stats(rr.handoffMs) + "}";
      first = false;
    }
    json += "],";
    std::printf("\nzero-copy into NVENC: %s\n",
                verdict.available ? "available: run a scenario with capture.path zero-copy and encoder h264_nvenc"
                                  : ("not run: " + verdict.reason).c_str());
  } catch (const std::exception& e) {
    std::printf("FAILED: %s\n", e.what());
    json += "\"error\":" + Json(e.what()) + ",";
    ok = false;
  }
  json += std::string("\"ok\":") + (ok ? "true" : "false") + "}\n";
  if (!jsonPath.empty()) {
    if (FILE* f = std::fopen(jsonPath.c_str(), "w")) {
      std::fputs(json.c_str(), f);
      std::fclose(f);
    }
  }
  std::printf("%s\n", ok ? "gpu-check: ok" : "gpu-check: FAILED");
  return ok ? 0 : 1;
}
