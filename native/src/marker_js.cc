// JS entry points of the frame marker: readMarker, writeMarker, monotonicNowNs.
#include <napi.h>

#include "js_args.h"
#include "marker.h"
#include "registry.h"

namespace glasslab::marker {

namespace {

struct PlaneArgs {
  Napi::Buffer<uint8_t> buffer;
  int width, height, stride;
};

PlaneArgs CheckPlane(const Napi::CallbackInfo& info, const char* call) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsBuffer() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber()) {
    throw js::WithCode(Napi::TypeError::New(env, std::string(call) + ": expected (y: Buffer, width, height, stride)"), "ERR_MARKER_ARGS");
  }
  PlaneArgs a{info[0].As<Napi::Buffer<uint8_t>>(), info[1].As<Napi::Number>().Int32Value(),
              info[2].As<Napi::Number>().Int32Value(), info[3].As<Napi::Number>().Int32Value()};
  if (a.width <= 0 || a.height <= 0 || a.stride < a.width) {
    throw js::WithCode(Napi::RangeError::New(env, std::string(call) + ": width and height must be > 0 and stride >= width"), "ERR_MARKER_ARGS");
  }
  if (a.buffer.Length() < static_cast<size_t>(a.stride) * (a.height - 1) + a.width) {
    throw js::WithCode(Napi::RangeError::New(env, std::string(call) + ": buffer of " + std::to_string(a.buffer.Length()) +
                                         " bytes is smaller than the plane it describes"), "ERR_MARKER_ARGS");
  }
  return a;
}

Napi::Value JsReadMarker(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlaneArgs a = CheckPlane(info, "readMarker");
  ReadResult r = Read(a.buffer.Data(), a.width, a.height, a.stride);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", r.status == ReadStatus::kOk);
  if (r.status == ReadStatus::kOk) {
    out.Set("frameId", Napi::Number::New(env, r.frameId));
    out.Set("captureTimeNs", Napi::BigInt::New(env, r.captureTimeNs));
  } else {
    out.Set("reason", r.status == ReadStatus::kTooSmall ? "too-small" : "check-failed");
  }
  return out;
}

Napi::Value JsWriteMarker(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlaneArgs a = CheckPlane(info, "writeMarker");
  if (info.Length() < 6 || !info[4].IsNumber() || !info[5].IsBigInt()) {
    throw js::WithCode(Napi::TypeError::New(env, "writeMarker: expected (y, width, height, stride, frameId: number, captureTimeNs: bigint)"), "ERR_MARKER_ARGS");
  }
  double id = info[4].As<Napi::Number>().DoubleValue();
  if (!(id >= 0 && id <= 4294967295.0) || id != static_cast<double>(static_cast<uint32_t>(id))) {
    throw js::WithCode(Napi::RangeError::New(env, "writeMarker: frameId must be an integer in 0..2^32-1"), "ERR_MARKER_ARGS");
  }
  bool lossless = false;
  uint64_t time = info[5].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throw js::WithCode(Napi::RangeError::New(env, "writeMarker: captureTimeNs must fit in uint64"), "ERR_MARKER_ARGS");
  if (!Fits(a.width, a.height)) {
    throw js::WithCode(Napi::RangeError::New(env, "writeMarker: a " + std::to_string(a.width) + "x" + std::to_string(a.height) +
                                         " frame is too small for the marker region"), "ERR_MARKER_ARGS");
  }
  WriteLuma(a.buffer.Data(), a.width, a.height, a.stride, static_cast<uint32_t>(id), time);
  return env.Undefined();
}

Napi::Value JsMonotonicNowNs(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), MonotonicNowNs());
}

const Registrar kRegistrar("marker", [](Napi::Env env, Napi::Object exports) {
  exports.Set("readMarker", Napi::Function::New(env, JsReadMarker, "readMarker"));
  exports.Set("writeMarker", Napi::Function::New(env, JsWriteMarker, "writeMarker"));
  exports.Set("monotonicNowNs", Napi::Function::New(env, JsMonotonicNowNs, "monotonicNowNs"));
});

}  // namespace
}  // namespace glasslab::marker
