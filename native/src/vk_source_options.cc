#include "vk_source_options.h"

#include <cmath>
#include <cstdlib>

#include "js_args.h"
#include "marker.h"

namespace glasslab::vk {
namespace {

std::string Show(Napi::Value v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsString()) return "'" + v.As<Napi::String>().Utf8Value() + "'";
  return js::Describe(v);  // never runs JS (a toString() that throws or loops)
}

[[noreturn]] void Fail(Napi::Env env, const char* call, const std::string& what, bool type = false) {
  if (type) throw js::WithCode(Napi::TypeError::New(env, std::string(call) + ": " + what), "ERR_SOURCE_OPTIONS");
  throw js::WithCode(Napi::RangeError::New(env, std::string(call) + ": " + what), "ERR_SOURCE_OPTIONS");
}

int EvenDimension(Napi::Env env, Napi::Object o, const char* call, const char* field, int minimum) {
  Napi::Value v = o.Get(field);
  const std::string rule = std::string(field) + " must be an even integer in " + std::to_string(minimum) + ".." +
                           std::to_string(kMaxDimension);
  if (!v.IsNumber()) Fail(env, call, rule + " (got " + Show(v) + ")", true);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < minimum || d > kMaxDimension || static_cast<int>(d) % 2 != 0) {
    Fail(env, call, rule + " (got " + Show(v) + ")");
  }
  return static_cast<int>(d);
}

DeviceSelector SelectorFrom(const std::string& text, const std::string& source) {
  DeviceSelector s;
  s.source = source;
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 9;
  if (digits) {
    s.index = static_cast<uint32_t>(std::stoul(text));
  } else {
    s.nameSubstring = text;
  }
  return s;
}

// A BigInt field in 0..2^64-1 (lossless), else a TypeError/RangeError naming it.
uint64_t Uint64Field(Napi::Env env, Napi::Object o, const char* call, const std::string& field) {
  Napi::Value v = o.Get(field.substr(field.rfind('.') + 1));
  const std::string rule = field + " must be a bigint in 0..2^64-1 (ns)";
  if (!v.IsBigInt()) Fail(env, call, rule + " (got " + Show(v) + ")", true);
  bool lossless = false;
  const uint64_t value = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) Fail(env, call, rule + " (got " + Show(v) + ")");
  return value;
}

TestCaptureTime ParseTestCaptureTime(Napi::Env env, Napi::Value v, const char* call) {
  TestCaptureTime out;
  if (v.IsUndefined()) return out;
  if (!v.IsObject()) Fail(env, call, "testCaptureTime must be {firstNs, stepNs} (bigints, tests only) (got " + Show(v) + ")", true);
  Napi::Object o = v.As<Napi::Object>();
  out.firstNs = Uint64Field(env, o, call, "testCaptureTime.firstNs");
  out.stepNs = Uint64Field(env, o, call, "testCaptureTime.stepNs");
  out.enabled = true;
  return out;
}

}  // namespace

SourceOptions ParseSourceOptions(Napi::Env env, Napi::Value value, const char* call) {
  if (!value.IsObject()) Fail(env, call, "expected an options object {width, height, fps, capturePath}", true);
  Napi::Object o = value.As<Napi::Object>();
  SourceOptions out;
  // The marker region is 34 x 6 blocks of at least 8 px.
  out.width = EvenDimension(env, o, call, "width", 34 * 8);
  out.height = EvenDimension(env, o, call, "height", 6 * 8);
  if (!marker::Fits(out.width, out.height)) {
    const int b = marker::BlockSize(out.width, out.height);
    Fail(env, call, "a " + std::to_string(out.width) + "x" + std::to_string(out.height) +
                        " frame cannot carry the marker (needs " + std::to_string(34 * b) + "x" + std::to_string(6 * b) +
                        " at block size " + std::to_string(b) + ")");
  }

  Napi::Value fps = o.Get("fps");
  if (!fps.IsNumber()) Fail(env, call, "fps must be a number in (0, 240] (got " + Show(fps) + ")", true);
  out.fps = fps.As<Napi::Number>().DoubleValue();
  if (!(out.fps > 0 && out.fps <= kMaxFps)) Fail(env, call, "fps must be a number in (0, 240] (got " + Show(fps) + ")");

  Napi::Value path = o.Get("capturePath");
  if (!path.IsString()) {
    Fail(env, call, "capturePath must be 'readback', 'gpu-convert' or 'zero-copy' (got " + Show(path) + ")", true);
  }
  out.capturePath = path.As<Napi::String>().Utf8Value();
  if (!capture::IsKnownPath(out.capturePath)) {
    Fail(env, call, "unknown capturePath " + Show(path) + " (expected 'readback', 'gpu-convert' or 'zero-copy')");
  }

  Napi::Value format = o.Get("pixelFormat");
  if (!format.IsUndefined()) {
    std::string f = format.IsString() ? format.As<Napi::String>().Utf8Value() : "";
    if (f == "i420") {
      out.format = capture::PixelFormat::kI420;
    } else if (f == "nv12") {
      out.format = capture::PixelFormat::kNV12;
    } else {
      Fail(env, call, "pixelFormat must be 'i420' or 'nv12' (got " + Show(format) + ")", !format.IsString());
    }
  }

  Napi::Value device = o.Get("device");
  if (device.IsNumber()) {
    double d = device.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d < 1e6 && d == std::floor(d))) {
      Fail(env, call, "device must be a device index (integer >= 0) or a name substring (got " + Show(device) + ")");
    }
    out.device.index = static_cast<uint32_t>(d);
    out.device.source = "option device";
  } else if (device.IsString()) {
    std::string text = device.As<Napi::String>().Utf8Value();
    if (text.empty()) Fail(env, call, "device must not be an empty string");
    out.device = SelectorFrom(text, "option device");
  } else if (!device.IsUndefined()) {
    Fail(env, call, "device must be a device index or a name substring (got " + Show(device) + ")", true);
  } else if (const char* envDevice = std::getenv("GLASSLAB_VULKAN_DEVICE"); envDevice && *envDevice) {
    out.device = SelectorFrom(envDevice, "GLASSLAB_VULKAN_DEVICE");
  }

  Napi::Value depth = o.Get("queueDepth");
  if (!depth.IsUndefined()) {
    double d = depth.IsNumber() ? depth.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 1024 && d == std::floor(d))) {
      Fail(env, call, "queueDepth must be an integer in 1..1024 (got " + Show(depth) + ")", !depth.IsNumber());
    }
    out.queueDepth = static_cast<uint32_t>(d);
  }
  out.testCaptureTime = ParseTestCaptureTime(env, o.Get("testCaptureTime"), call);
  return out;
}

}  // namespace glasslab::vk
