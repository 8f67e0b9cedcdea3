// Argument parsing for the JS Encoder (see enc_input.h).
#include "enc_input.h"

#include <cmath>

#include "enc_queue.h"

namespace glasslab::enc {
namespace {

double NumberOption(Napi::Object o, const char* key, double fallback, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) throw Coded(Napi::TypeError::New(o.Env(), std::string("Encoder: option '") + key + "' is required"), "ERR_CODEC_OPTIONS");
    return fallback;
  }
  if (!v.IsNumber()) throw Coded(Napi::TypeError::New(o.Env(), std::string("Encoder: option '") + key + "' must be a number"), "ERR_CODEC_OPTIONS");
  return v.As<Napi::Number>().DoubleValue();
}

void Check(Napi::Env env, bool ok, const std::string& message) {
  if (!ok) throw Coded(Napi::RangeError::New(env, "Encoder: " + message), "ERR_CODEC_OPTIONS");
}

}  // namespace

std::string FormatNumber(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Config ParseConfig(Napi::Env env, Napi::Object o) {
  Config c;
  double w = NumberOption(o, "width", 0, true), h = NumberOption(o, "height", 0, true);
  Check(env, w > 0 && w <= 8192 && std::fmod(w, 2) == 0, "width must be an even integer in 2..8192 (got " + FormatNumber(w) + ")");
  Check(env, h > 0 && h <= 8192 && std::fmod(h, 2) == 0, "height must be an even integer in 2..8192 (got " + FormatNumber(h) + ")");
  double fps = NumberOption(o, "fps", 0, true);
  Check(env, fps > 0 && fps <= 240, "fps must be > 0 and <= 240 (got " + FormatNumber(fps) + ")");
  double bitrate = NumberOption(o, "bitrateBps", 0, true);
  Check(env, bitrate >= kMinBitrateBps && bitrate <= kMaxBitrateBps,
        "bitrateBps must be in 10000..500000000 bits/s (got " + FormatNumber(bitrate) + ")");
  double gop = NumberOption(o, "gop", 0, true);
  Check(env, gop >= 0 && gop <= 1e9 && std::floor(gop) == gop, "gop must be an integer >= 0 (got " + FormatNumber(gop) + ")");
  double vbv = NumberOption(o, "vbvFrames", 1, false);
  Check(env, vbv >= 0.1 && vbv <= 1000, "vbvFrames must be in 0.1..1000 (got " + FormatNumber(vbv) + ")");
  double threads = NumberOption(o, "threads", 1, false);
  Check(env, threads >= 1 && threads <= 64 && std::floor(threads) == threads,
        "threads must be an integer in 1..64 (got " + FormatNumber(threads) + ")");
  double qpMax = NumberOption(o, "qpMax", -1, false);
  Check(env, qpMax == -1 || (qpMax >= 0 && qpMax <= 51 && std::floor(qpMax) == qpMax),
        "qpMax must be an integer in 0..51 (got " + FormatNumber(qpMax) + ")");
  c.width = static_cast<int>(w);
  c.height = static_cast<int>(h);
  c.fps = fps;
  c.bitrateBps = static_cast<int64_t>(bitrate);
  c.gop = static_cast<int>(gop);
  c.vbvFrames = vbv;
  c.threads = static_cast<int>(threads);
  c.qpMax = static_cast<int>(qpMax);
  Napi::Value input = o.Get("inputFormat");
  if (!input.IsUndefined()) {
    const std::string f = input.IsString() ? input.As<Napi::String>().Utf8Value() : "";
    if (f != "i420" && f != "nv12") {
      throw Coded(Napi::TypeError::New(env, "Encoder: option 'inputFormat' must be 'i420' or 'nv12'"), "ERR_CODEC_OPTIONS");
    }
    c.nv12Input = f == "nv12";
  }
  Napi::Value cuda = o.Get("cudaDevice");
  if (!cuda.IsUndefined()) {
    double d = NumberOption(o, "cudaDevice", -1, false);
    Check(env, d >= 0 && d <= 64 && std::floor(d) == d, "cudaDevice must be a CUDA device ordinal 0..64 (got " + FormatNumber(d) + ")");
    c.cudaDevice = static_cast<int>(d);
  }
  return c;
}

FrameView ParseFrame(Napi::Env env, Napi::Value value, const Config& c) {
  auto fail = [&](const std::string& m) { return Coded(Napi::TypeError::New(env, "Encoder.encode: " + m), "ERR_INPUT_INVALID"); };
  if (!value.IsObject()) throw fail("expected a RawFrame object");
  Napi::Object f = value.As<Napi::Object>();
  FrameView v;
  Napi::Value w = f.Get("width"), h = f.Get("height");
  if (!w.IsNumber() || !h.IsNumber()) throw fail("frame.width and frame.height must be numbers");
  int fw = w.As<Napi::Number>().Int32Value(), fh = h.As<Napi::Number>().Int32Value();
  if (fw != c.width || fh != c.height) {
    throw Coded(Napi::RangeError::New(env, "Encoder.encode: frame is " + std::to_string(fw) + "x" + std::to_string(fh) +
                                         ", the encoder was opened for " + std::to_string(c.width) + "x" +
                                         std::to_string(c.height)), "ERR_INPUT_INVALID");
  }
  Napi::Value surface = f.Get("gpuSurface");
  if (!surface.IsUndefined() || c.cudaDevice >= 0) {
    if (surface.IsUndefined()) throw fail("this encoder was opened with cudaDevice and takes zero-copy frames (frame.gpuSurface) only");
    if (c.cudaDevice < 0) throw fail("frame is a zero-copy GPU surface: open an NVENC encoder with cudaDevice (FrameSource.cudaDevice)");
    if (!surface.IsObject()) throw fail("frame.gpuSurface must be an object {ring, slot, value}");
    Napi::Object g = surface.As<Napi::Object>();
    Napi::Value ring = g.Get("ring"), slot = g.Get("slot"), value = g.Get("value");
    if (!ring.IsNumber() || !slot.IsNumber() || !value.IsBigInt()) {
      throw fail("frame.gpuSurface must hold ring and slot numbers and a bigint value");
    }
    const double r = ring.As<Napi::Number>().DoubleValue(), sl = slot.As<Napi::Number>().DoubleValue();
    if (!(r >= 1 && r < 9e15 && std::floor(r) == r && sl >= 0 && sl < 64 && std::floor(sl) == sl)) throw fail("frame.gpuSurface ring/slot out of range");
    bool exact = false;
    v.gpu = true;
    v.surface.ring = static_cast<uint64_t>(r);
    v.surface.slot = static_cast<uint32_t>(sl);
    v.surface.value = value.As<Napi::BigInt>().Uint64Value(&exact);
    if (!exact) throw fail("frame.gpuSurface.value must be a bigint in 0..2^64-1");
    if (!f.Get("data").IsBuffer()) throw fail("frame.data must be a Buffer");
    v.data = f.Get("data").As<Napi::Buffer<uint8_t>>();
    v.nv12 = true;
    Napi::Value id = f.Get("id"), time = f.Get("captureTimeNs");
    if (!id.IsNumber() || !time.IsBigInt()) throw fail("frame.id must be a number and frame.captureTimeNs a bigint");
    v.id = id.As<Napi::Number>().Uint32Value();
    v.captureTimeNs = time.As<Napi::BigInt>().Uint64Value(&exact);
    return v;
  }
  std::string format = f.Get("format").IsString() ? f.Get("format").As<Napi::String>().Utf8Value() : "";
  if (format != "i420" && format != "nv12") throw fail("frame.format must be 'i420' or 'nv12' (got '" + format + "')");
  v.nv12 = format == "nv12";
  if (!f.Get("data").IsBuffer()) throw fail("frame.data must be a Buffer");
  v.data = f.Get("data").As<Napi::Buffer<uint8_t>>();
  v.base = v.data.Data();
  Napi::Value strides = f.Get("strides"), offsets = f.Get("planeOffsets");
  int planes = v.nv12 ? 2 : 3;
  if (!strides.IsArray() || !offsets.IsArray() || strides.As<Napi::Array>().Length() < static_cast<uint32_t>(planes) ||
      offsets.As<Napi::Array>().Length() < static_cast<uint32_t>(planes)) {
    throw fail("frame.strides and frame.planeOffsets must list " + std::to_string(planes) + " planes");
  }
  for (int i = 0; i < planes; ++i) {
    Napi::Value sv = strides.As<Napi::Array>().Get(i), ov = offsets.As<Napi::Array>().Get(i);
    if (!sv.IsNumber() || !ov.IsNumber()) throw fail("frame.strides and frame.planeOffsets must hold numbers");
    double s = sv.As<Napi::Number>().DoubleValue();
    double o = ov.As<Napi::Number>().DoubleValue();
    int rowBytes = i == 0 || v.nv12 ? c.width : c.width / 2;
    int rows = i == 0 ? c.height : c.height / 2;
    if (!(s >= rowBytes && s < 1e6 && o >= 0)) throw Coded(Napi::RangeError::New(env, "Encoder.encode: plane " + std::to_string(i) + " stride/offset invalid"), "ERR_INPUT_INVALID");
    double end = o + s * (rows - 1) + rowBytes;
    if (end > static_cast<double>(v.data.Length())) {
      throw Coded(Napi::RangeError::New(env, "Encoder.encode: plane " + std::to_string(i) + " ends at byte " + FormatNumber(end) +
                                           " beyond the " + std::to_string(v.data.Length()) + "-byte buffer"), "ERR_INPUT_INVALID");
    }
    v.strides[i] = static_cast<int>(s);
    v.offsets[i] = static_cast<size_t>(o);
  }
  Napi::Value id = f.Get("id"), time = f.Get("captureTimeNs");
  if (!id.IsNumber() || !time.IsBigInt()) throw fail("frame.id must be a number and frame.captureTimeNs a bigint");
  v.id = id.As<Napi::Number>().Uint32Value();
  bool lossless = false;
  v.captureTimeNs = time.As<Napi::BigInt>().Uint64Value(&lossless);
  return v;
}

}  // namespace glasslab::enc
