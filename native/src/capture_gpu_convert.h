// Capture path 'gpu-convert': one command buffer stamps the marker and runs a compute shader
// (shaders/rgba_to_nv12.comp) converting the RGBA image to NV12 straight into a host-visible
// storage buffer, so only 1.5 bytes per pixel come back to the host. Times: copyDoneNs = its
// fence observed (NV12 in host-visible memory), convertDoneNs = planes copied into the frame's
// own buffer (ready for the encoder). NV12 only; width must be a multiple of 4.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture_path.h"

namespace glasslab::capture {

// The RGBA -> NV12 compute pass (shaders/rgba_to_nv12.comp) over one source image into any of
// several destination storage buffers (one descriptor set each): gpu-convert writes one
// host-visible buffer, zero-copy a ring of exported device-local ones.
class Nv12Converter {
 public:
  Nv12Converter(vk::Device& device, VkImage image, int width, int height, const std::vector<VkBuffer>& destinations);
  ~Nv12Converter();
  Nv12Converter(const Nv12Converter&) = delete;
  Nv12Converter& operator=(const Nv12Converter&) = delete;
  // Records the dispatch writing destination `index`; the image must be readable by compute.
  void Record(VkCommandBuffer commands, size_t index) const;

 private:
  void Destroy();
  vk::Device& device_;
  int width_, height_;
  VkImageView view_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptorPool_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorSet> sets_;
  VkPipelineLayout pipelineLayout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
};

// Why this geometry/format cannot use gpu-convert, or nothing.
std::optional<std::string> GpuConvertUnsupported(int width, PixelFormat format);

std::unique_ptr<CapturePath> CreateGpuConvert(const CaptureTarget& target);

}  // namespace glasslab::capture
