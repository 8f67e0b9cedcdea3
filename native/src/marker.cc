// Frame marker layout version 1; the layout is specified in native/README.md.
#include "marker.h"

#include <time.h>

#include <array>

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

}  // namespace glasslab::marker
