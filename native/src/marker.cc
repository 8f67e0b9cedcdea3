// Frame marker layout version 1; the layout is specified in native/README.md.
#include "marker.h"

#include <time.h>

#include <array>

#include "js_args.h"
#include "registry.h"

namespace glasslab::marker {
namespace {

constexpr int kColumns = 32;
constexpr int kRows = 4;
constexpr int kRegionBlocksWide = kColumns + 2;
constexpr int kRegionBlocksHigh = kRows + 2;
constexpr uint8_t kLumaZero = 16;
constexpr uint8_t kLumaOne = 235;
constexpr uint8_t kLumaBorder = 16;  // BT.601 limited-range luma of RGB 0 (black)

const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

// The four 32-bit payload words, row by row.
std::array<uint32_t, kRows> Words(uint32_t frameId, uint64_t captureTimeNs) {
  return {frameId, static_cast<uint32_t>(captureTimeNs >> 32), static_cast<uint32_t>(captureTimeNs),
          Checksum(frameId, captureTimeNs)};
}

bool Bit(const std::array<uint32_t, kRows>& words, int row, int column) {
  return (words[row] >> (31 - column)) & 1u;
}

}  // namespace

int BlockSize(int width, int height) {
  int shorter = width < height ? width : height;
  int scale = shorter / 360;
  return 8 * (scale < 1 ? 1 : scale);
}

bool Fits(int width, int height) {
  int b = BlockSize(width, height);
  return width >= kRegionBlocksWide * b && height >= kRegionBlocksHigh * b;
}

uint32_t Checksum(uint32_t frameId, uint64_t captureTimeNs) {
  uint8_t bytes[12];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(frameId >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) bytes[4 + i] = static_cast<uint8_t>(captureTimeNs >> (56 - 8 * i));
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t byte : bytes) c = CrcTable()[(c ^ byte) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

ReadResult Read(const uint8_t* y, int width, int height, int stride) {
  if (!Fits(width, height)) return {ReadStatus::kTooSmall, 0, 0};
  const int b = BlockSize(width, height);
  const int inner0 = b / 4, inner1 = 3 * b / 4;
  const int count = (inner1 - inner0) * (inner1 - inner0);
  std::array<uint32_t, kRows> words{};
  for (int row = 0; row < kRows; ++row) {
    for (int column = 0; column < kColumns; ++column) {
      const int x0 = b + column * b, y0 = b + row * b;
      uint32_t sum = 0;
      for (int yy = y0 + inner0; yy < y0 + inner1; ++yy) {
        const uint8_t* line = y + static_cast<size_t>(yy) * stride;
        for (int xx = x0 + inner0; xx < x0 + inner1; ++xx) sum += line[xx];
      }
      // bit = mean > 125.5, in integers
      if (sum * 2u > 251u * static_cast<uint32_t>(count)) words[row] |= 1u << (31 - column);
    }
  }
  const uint32_t frameId = words[0];
  const uint64_t time = (static_cast<uint64_t>(words[1]) << 32) | words[2];
  if (Checksum(frameId, time) != words[3]) return {ReadStatus::kCheckFailed, 0, 0};
  return {ReadStatus::kOk, frameId, time};
}

void WriteLuma(uint8_t* y, int width, int height, int stride, uint32_t frameId, uint64_t captureTimeNs) {
  if (!Fits(width, height)) return;
  const int b = BlockSize(width, height);
  const auto words = Words(frameId, captureTimeNs);
  for (int py = 0; py < kRegionBlocksHigh * b; ++py) {
    uint8_t* line = y + static_cast<size_t>(py) * stride;
    const int row = py / b - 1;
    for (int px = 0; px < kRegionBlocksWide * b; ++px) {
      const int column = px / b - 1;
      const bool data = row >= 0 && row < kRows && column >= 0 && column < kColumns;
      line[px] = data ? (Bit(words, row, column) ? kLumaOne : kLumaZero) : kLumaBorder;
    }
  }
}

void RenderRgba(std::vector<uint8_t>& rgba, int width, int height, uint32_t frameId, uint64_t captureTimeNs,
                int* regionWidth, int* regionHeight) {
  const int b = BlockSize(width, height);
  const int w = kRegionBlocksWide * b, h = kRegionBlocksHigh * b;
  *regionWidth = w;
  *regionHeight = h;
  rgba.resize(static_cast<size_t>(w) * h * 4);
  const auto words = Words(frameId, captureTimeNs);
  for (int py = 0; py < h; ++py) {
    const int row = py / b - 1;
    for (int px = 0; px < w; ++px) {
      const int column = px / b - 1;
      const bool data = row >= 0 && row < kRows && column >= 0 && column < kColumns;
      const uint8_t v = data ? (Bit(words, row, column) ? 255 : 0) : 0;
      uint8_t* p = &rgba[(static_cast<size_t>(py) * w + px) * 4];
      p[0] = p[1] = p[2] = v;
      p[3] = 255;
    }
  }
}

uint64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// ---- JS bindings: readMarker, writeMarker, monotonicNowNs ----
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
