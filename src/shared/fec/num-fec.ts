/**
 * Number of FEC packets for a block, as libwebrtc's ForwardErrorCorrection::NumFecPackets:
 * round(numMedia × factor / 256) computed as (numMedia × factor + 128) >> 8, at least 1 when
 * factor > 0, and never more than numMedia nor `maxFecPackets`.
 *
 * @param numMedia media packets in the block (≥ 0)
 * @param protectionFactor protection factor in 1/255 units (0..255; larger values are clamped)
 * @param maxFecPackets cap on FEC packets per block (default 48, libwebrtc's limit)
 */
export function numFecPackets(numMedia: number, protectionFactor: number, maxFecPackets = 48): number {
  if (numMedia <= 0 || protectionFactor <= 0) return 0;
  const factor = Math.min(255, Math.floor(protectionFactor));
  let numFec = (numMedia * factor + 128) >> 8;
  if (factor > 0 && numFec === 0) numFec = 1;
  return Math.min(numFec, numMedia, maxFecPackets);
}
