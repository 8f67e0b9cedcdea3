// Frame marker, layout version 1 (see native/README.md): frame id and capture time as
// black/white luma blocks with a CRC-32, stamped by the renderer, read from decoded Y planes.
#pragma once
#include <cstdint>
#include <vector>

namespace glasslab::marker {

enum class ReadStatus { kOk, kTooSmall, kCheckFailed };

struct ReadResult {
  ReadStatus status;
  uint32_t frameId;
  uint64_t captureTimeNs;
};

// Block size in pixels for a frame of this size: 8 * max(1, floor(min(w, h) / 360)).
int BlockSize(int width, int height);

// True when the marker region (34 x 6 blocks) fits in the frame.
bool Fits(int width, int height);

// CRC-32 (IEEE, as zlib) over the 12 payload bytes id(BE) || time(BE).
uint32_t Checksum(uint32_t frameId, uint64_t captureTimeNs);

// Reads the marker from an 8-bit luma plane.
ReadResult Read(const uint8_t* y, int width, int height, int stride);

// Writes the marker into an 8-bit luma plane (black border 16, bits 16/235).
void WriteLuma(uint8_t* y, int width, int height, int stride, uint32_t frameId, uint64_t captureTimeNs);

// Fills `rgba` (34B x 6B pixels, tightly packed R,G,B,A) with the marker region as the
// renderer stamps it: black border, black/white data blocks. Returns the region's width and height.
void RenderRgba(std::vector<uint8_t>& rgba, int width, int height, uint32_t frameId, uint64_t captureTimeNs,
                int* regionWidth, int* regionHeight);

// CLOCK_MONOTONIC now, nanoseconds.
uint64_t MonotonicNowNs();

}  // namespace glasslab::marker
