/**
 * CPU time a child process spent (user + system, all its threads, from process.cpuUsage), for
 * the `stopped` summary: `cpuTotalMs` since the process started (module loading included, which
 * is where running TypeScript through tsx costs most) and `cpuRunningMs` from the run's start to
 * its stop (the measured path).
 */
export interface ProcessCpu {
  cpuTotalMs: number;
  cpuRunningMs: number;
}

const ms = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

/** Call when the run starts; the returned function gives the figures at its stop. */
export function startCpuAccount(): () => ProcessCpu {
  const atStart = process.cpuUsage();
  return () => {
    const total = process.cpuUsage();
    return { cpuTotalMs: ms(total), cpuRunningMs: ms(total) - ms(atStart) };
  };
}
