/** How the CPU benches time a pass: `warmups` passes for the JIT, then the median of `repeats`, ms. */
export function medianPassMs(run: () => void, repeats = 7, warmups = 2): number {
  for (let w = 0; w < warmups; w++) run();
  const passes: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    run();
    passes.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return passes.sort((a, b) => a - b)[repeats >> 1]!;
}
