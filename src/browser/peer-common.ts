/** What both Chromium pages do with their peer connection: wait for ICE gathering, sample getStats. */

/** One getStats sample: per report of the kinds kept, its numeric and string fields as libwebrtc names them. */
export interface PageStats {
  timeMs: number;
  reports: { type: string; id: string; values: Record<string, number | string> }[];
}

/** Resolves once ICE gathering is complete (the lab hands on whole SDPs, no trickle). */
export async function iceGatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
}

/** The reports of the kinds in `kept` (a candidate pair only when nominated). */
export async function sampleStats(pc: RTCPeerConnection, kept: ReadonlySet<string>): Promise<PageStats> {
  const report = await pc.getStats();
  const reports: PageStats['reports'] = [];
  report.forEach((entry: { type: string; id: string } & Record<string, unknown>) => {
    if (!kept.has(entry.type)) return;
    if (entry.type === 'candidate-pair' && entry.nominated !== true) return;
    const values: Record<string, number | string> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value === 'number' || (typeof value === 'string' && key !== 'id' && key !== 'type')) values[key] = value;
    }
    reports.push({ type: entry.type, id: entry.id, values });
  });
  return { timeMs: performance.now(), reports };
}
