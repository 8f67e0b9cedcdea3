/**
 * One Chromium page as a peer of a run, what the receiver and sender processes share: launch on
 * the page, typed calls into it (every answer checked at the boundary), the page clock's mapping
 * onto CLOCK_MONOTONIC, waiting for the peer connection, and the CPU of the browser's processes.
 */
import { z } from 'zod';
import { launchChromiumPeer, type ChromiumPeer, type PageSource } from './browser.ts';
import { measureClockMapping, type ClockMapping } from './clock-mapping.ts';
import { processTreeCpuMs } from './process-tree-cpu.ts';

const CONNECT_TIMEOUT_MS = 30_000;

export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface PageSession {
  chromium: ChromiumPeer;
  mapping: ClockMapping;
  /** evaluates an expression in the page (window.glasslab.…) and checks its value */
  call: <T>(expression: string, schema: z.ZodType<T>) => Promise<T>;
  /** resolves once the page's peer connection is connected; throws on failed, closed or timeout */
  waitConnected: (timeoutMs?: number) => Promise<void>;
  /** CPU of the browser's whole process tree so far, ms */
  browserCpuMs: () => number;
}

export async function startPageSession(source: PageSource, extraArgs: readonly string[] = []): Promise<PageSession> {
  const chromium = await launchChromiumPeer(source, { extraArgs });
  const call = async <T>(expression: string, schema: z.ZodType<T>): Promise<T> => schema.parse(await chromium.page.evaluate(expression));
  const mapping = await measureClockMapping(() => call('window.glasslab.now()', z.number()), monotonicMs);
  return {
    chromium,
    mapping,
    call,
    waitConnected: async (timeoutMs = CONNECT_TIMEOUT_MS) => {
      const deadline = monotonicMs() + timeoutMs;
      for (;;) {
        const state = await call('window.glasslab.connectionState()', z.string());
        if (state === 'connected') return;
        if (state === 'failed' || state === 'closed') throw new Error(`Chromium's peer connection is ${state}`);
        if (monotonicMs() > deadline) throw new Error(`Chromium's peer connection is still ${state} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    browserCpuMs: () => (chromium.pid === undefined ? 0 : processTreeCpuMs(chromium.pid)),
  };
}
