#version 450
// Moving test scene for the frame source: a colour gradient, a detailed pattern (checker x zone
// plate) and fine grain, all scrolling together by whole pixels, text-like hashed glyph rows
// scrolling sideways, moving discs and a rotating bar, so that H.264 encoders see motion and
// texture as on real content. The grain is fixed to the scrolling world (no fresh noise every
// frame: incompressible temporal noise that streamed games and desktops rarely have). Per-frame values (positions, angles) come in as push constants computed on the
// CPU, so each pixel costs only a few dozen ALU operations on llvmpipe.
layout(local_size_x = 64, local_size_y = 1) in;
layout(binding = 0, rgba8) uniform writeonly image2D outImage;
layout(push_constant) uniform Push {
  uint frame;
  uint width;
  uint height;
  float pixelScale;  // height / 360: the pattern keeps its look at any resolution
  vec4 discs[3];     // centre x, y (pixels), radius squared (pixels^2), 4 / radius squared
  vec4 bar;          // centre x, y (pixels), cos, sin of the rotation
  vec2 scroll;       // pattern offset (pattern pixels)
  float hue;         // gradient phase, 0..1
} pc;

uint Hash(uint x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

vec3 Triangle(vec3 x) { return abs(fract(x) * 2.0 - 1.0); }

void main() {
  ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  if (p.x >= int(pc.width) || p.y >= int(pc.height)) return;
  vec2 pf = vec2(p);
  vec2 q = pf / pc.pixelScale + pc.scroll;  // pattern coordinates

  // Background gradient, scrolling with the pattern (pc.hue is no longer used).
  vec2 world = pf + floor(pc.scroll * pc.pixelScale + 0.5);  // scrolls with the pattern
  float g = (world.x * 0.35 + world.y * 0.25) / float(pc.height);
  vec3 col = 0.15 + 0.7 * Triangle(g + vec3(0.0, 0.33, 0.67));

  // Scrolling detail: 8-px checker times a zone plate (rings getting finer outwards).
  ivec2 qi = ivec2(q);
  float checker = float(((qi.x >> 3) ^ (qi.y >> 3)) & 1);
  vec2 r = vec2(qi & 127) - 64.0;
  float zone = abs(fract(dot(r, r) * (1.0 / 256.0)) * 2.0 - 1.0);
  col = mix(col, vec3(0.15 + 0.7 * checker * zone), 0.35);

  // Text-like rows of 4x8 glyph cells in the lower part, scrolling left.
  if (pf.y > 0.55 * float(pc.height) && pf.y < 0.9 * float(pc.height)) {
    uint gx = uint(qi.x + int(pc.frame) * 2), gy = uint(pf.y / pc.pixelScale);
    uint cx = gx % 6u, cy = gy % 12u;
    if (cy < 8u && cx < 4u && ((Hash((gx / 6u) * 7919u + (gy / 12u) * 104729u) >> (cy * 4u + cx)) & 1u) == 1u) {
      col = vec3(0.05, 0.05, 0.1);
    }
  }

  // Moving discs with rings (unrolled: llvmpipe runs loops over push-constant arrays slowly).
  vec2 d0 = pf - pc.discs[0].xy, d1 = pf - pc.discs[1].xy, d2 = pf - pc.discs[2].xy;
  float e0 = dot(d0, d0), e1 = dot(d1, d1), e2 = dot(d2, d2);
  if (e0 < pc.discs[0].z) col = vec3(0.9, 0.3, 0.2) * (0.75 + 0.25 * abs(fract(e0 * pc.discs[0].w) * 2.0 - 1.0));
  if (e1 < pc.discs[1].z) col = vec3(0.6, 0.6, 0.55) * (0.75 + 0.25 * abs(fract(e1 * pc.discs[1].w) * 2.0 - 1.0));
  if (e2 < pc.discs[2].z) col = vec3(0.3, 0.9, 0.9) * (0.75 + 0.25 * abs(fract(e2 * pc.discs[2].w) * 2.0 - 1.0));
  vec2 b = pf - pc.bar.xy;
  vec2 rel = vec2(pc.bar.z * b.x + pc.bar.w * b.y, -pc.bar.w * b.x + pc.bar.z * b.y) / pc.pixelScale;
  if (abs(rel.x) < 65.0 && abs(rel.y) < 9.0) col = vec3(0.95, 0.95, 0.3);

  // Fine grain, +-5/255, fixed to the scrolling pattern (moves with it by whole pixels).
  ivec2 grain = ivec2(world);
  uint n = Hash(uint(grain.x) * 73856093u ^ uint(grain.y) * 19349663u);
  col += (float(n & 255u) - 127.5) * (10.0 / 65025.0);

  imageStore(outImage, p, vec4(col, 1.0));
}
