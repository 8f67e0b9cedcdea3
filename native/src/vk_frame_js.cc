#include "vk_frame_js.h"

#include <cstdlib>
#include <memory>

#include "zero_copy_handoff.h"

namespace glasslab::vk {
namespace {

Napi::Value BigIntNs(Napi::Env env, uint64_t ns) { return Napi::BigInt::New(env, ns); }

}  // namespace

Napi::Object FrameToJs(Napi::Env env, ProducedFrame& f, int width, int height, capture::PixelFormat format) {
  Napi::Object o = Napi::Object::New(env);
  const capture::PlaneLayout& l = f.host.layout;
  Napi::Buffer<uint8_t> buffer;
  if (f.host.gpu) {
    // A zero-copy frame: no pixels on the host. The empty Buffer carries the frame's lease on its
    // surface, so a frame JS drops without encoding returns the surface when it is collected.
    auto* lease = new std::shared_ptr<zerocopy::SurfaceLease>(std::move(f.host.gpu));
    const auto& slot = (*lease)->frame();
    Napi::Object surface = Napi::Object::New(env);
    surface.Set("ring", Napi::Number::New(env, static_cast<double>((*lease)->ring())));
    surface.Set("slot", Napi::Number::New(env, static_cast<double>(slot.slot)));
    surface.Set("value", BigIntNs(env, slot.semaphoreValue));
    o.Set("gpuSurface", surface);
    static uint8_t kNoPixels = 0;
    buffer = Napi::Buffer<uint8_t>::New(env, &kNoPixels, 0, [lease](Napi::Env, uint8_t*) { delete lease; });
  } else {
    const size_t bytes = l.totalBytes;
    uint8_t* data = f.host.data.release();
    buffer = Napi::Buffer<uint8_t>::New(env, data, bytes, [bytes](Napi::Env env, uint8_t* p) {
      std::free(p);
      Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(bytes));
    });
    Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
  }
  Napi::Array strides = Napi::Array::New(env, l.planes);
  Napi::Array offsets = Napi::Array::New(env, l.planes);
  for (int i = 0; i < l.planes; ++i) {
    strides.Set(i, Napi::Number::New(env, l.strides[i]));
    offsets.Set(i, Napi::Number::New(env, static_cast<double>(l.offsets[i])));
  }
  Napi::Object times = Napi::Object::New(env);
  times.Set("renderSubmitNs", BigIntNs(env, f.renderSubmitNs));
  times.Set("renderDoneNs", BigIntNs(env, f.renderDoneNs));
  times.Set("copyDoneNs", BigIntNs(env, f.host.copyDoneNs));
  times.Set("convertDoneNs", BigIntNs(env, f.host.convertDoneNs));
  o.Set("id", Napi::Number::New(env, f.id));
  o.Set("width", Napi::Number::New(env, width));
  o.Set("height", Napi::Number::New(env, height));
  o.Set("format", Napi::String::New(env, format == capture::PixelFormat::kI420 ? "i420" : "nv12"));
  o.Set("data", buffer);
  o.Set("strides", strides);
  o.Set("planeOffsets", offsets);
  o.Set("captureTimeNs", BigIntNs(env, f.captureTimeNs));
  o.Set("times", times);
  return o;
}

}  // namespace glasslab::vk
