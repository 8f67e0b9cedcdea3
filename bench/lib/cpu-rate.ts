/**
 * Operations per CPU-second of this process (process.cpuUsage, user + system), so other tenants
 * of a noisy machine do not count: `work(i)` runs in batches of 256 until `seconds` of CPU are used.
 */
export function ratePerCpuSecond(seconds: number, work: (i: number) => void): number {
  const start = process.cpuUsage();
  const cpuSeconds = (): number => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
  };
  let count = 0;
  while (cpuSeconds() < seconds) for (let i = 0; i < 256; i++) work(count++);
  return count / cpuSeconds();
}
