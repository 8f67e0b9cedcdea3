#include "capture_zero_copy.h"

#include "marker.h"
#include "zero_copy_handoff.h"

namespace glasslab::capture {
namespace {

// How long the render thread waits for the encoder to free a surface before it fails the frame.
constexpr uint64_t kSlotWaitNs = 250'000'000;

class ZeroCopy final : public CapturePath {
 public:
  ZeroCopy(const CaptureTarget& target, int cudaOrdinal) {
    zerocopy::RingOptions options;
    options.slots = kZeroCopySlots;
    options.exportSemaphore = true;
    auto ring = std::make_unique<zerocopy::SurfaceRing>(*target.device, target.image, target.width, target.height, options);
    auto importer = std::make_unique<zerocopy::CudaImporter>(*ring, cudaOrdinal);
    surfaces_ = zerocopy::SharedSurfaces::Create(std::move(ring), std::move(importer));
  }
  ~ZeroCopy() override { surfaces_->Close(); }

  const char* name() const override { return "zero-copy"; }
  int cudaOrdinal() const override { return surfaces_->cudaOrdinal(); }

  HostFrame Capture(uint32_t frameId, uint64_t captureTimeNs) override {
    HostFrame frame;
    frame.gpu = surfaces_->Convert(frameId, captureTimeNs, kSlotWaitNs);
    frame.layout = surfaces_->layout();
    frame.copyDoneNs = frame.gpu->frame().submitNs;
    frame.convertDoneNs = frame.copyDoneNs;
    return frame;
  }

 private:
  std::shared_ptr<zerocopy::SharedSurfaces> surfaces_;
};

}  // namespace

std::unique_ptr<CapturePath> CreateZeroCopy(const CaptureTarget& target, int cudaOrdinal) {
  return std::make_unique<ZeroCopy>(target, cudaOrdinal);
}

}  // namespace glasslab::capture
