#version 450
// RGBA8 image -> NV12 bytes in a storage buffer (Y plane, then interleaved UV), BT.601 limited
// range with libyuv's integer coefficients, so the result matches the readback path's libyuv
// conversion. One invocation converts a 4x2 pixel block: two Y words and one UV word (U0 V0 U1 V1).
// Requires width % 4 == 0 and an even height.
layout(local_size_x = 64, local_size_y = 1) in;
layout(binding = 0, rgba8) uniform readonly image2D src;
layout(binding = 1, std430) writeonly buffer Nv12 { uint words[]; } dst;
layout(push_constant) uniform Push {
  uint width;
  uint height;
} pc;

uint Luma(uvec3 c) { return (66u * c.r + 129u * c.g + 25u * c.b + 0x1080u) >> 8; }

uint ChromaPair(uvec3 sum) {
  ivec3 c = ivec3((sum + 2u) >> 2);  // mean of the 2x2 block, rounded
  uint u = uint(112 * c.b - 74 * c.g - 38 * c.r + 0x8080) >> 8;
  uint v = uint(112 * c.r - 94 * c.g - 18 * c.b + 0x8080) >> 8;
  return (u & 255u) | ((v & 255u) << 8);
}

void main() {
  uint x0 = gl_GlobalInvocationID.x * 4u, y0 = gl_GlobalInvocationID.y * 2u;
  if (x0 >= pc.width || y0 >= pc.height) return;
  uvec3 left = uvec3(0), right = uvec3(0);
  for (uint row = 0u; row < 2u; ++row) {
    uint word = 0u;
    for (uint i = 0u; i < 4u; ++i) {
      uvec3 c = uvec3(round(imageLoad(src, ivec2(x0 + i, y0 + row)).rgb * 255.0));
      word |= Luma(c) << (8u * i);
      if (i < 2u) left += c; else right += c;
    }
    dst.words[((y0 + row) * pc.width + x0) / 4u] = word;
  }
  uint uvBase = pc.width * pc.height / 4u;
  dst.words[uvBase + (gl_GlobalInvocationID.y * pc.width + x0) / 4u] = ChromaPair(left) | (ChromaPair(right) << 16);
}
