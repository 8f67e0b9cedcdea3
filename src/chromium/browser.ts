/**
 * Debian's Chromium (/usr/bin/chromium, driven by puppeteer-core; never a downloaded browser) as
 * a WebRTC peer: launched headless in this process's network namespace (it inherits it), with a
 * throwaway profile, over a pipe (no DevTools port), and with what keeps it off the network and
 * its ICE on the run's addresses: no background networking, no mDNS-hidden host candidates,
 * loopback candidates allowed for `link: none` runs. The page comes from a server on 127.0.0.1
 * of the same namespace.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Raised when Chromium is absent, cannot start, or its page fails; the message is Chromium's own where it gave one. */
export class ChromiumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChromiumError';
  }
}

/** Why Chromium cannot be used here, or undefined when it is installed. */
export function chromiumUnavailableReason(executable = CHROMIUM_PATH): string | undefined {
  return existsSync(executable) ? undefined : `${executable} is not installed (Debian package chromium)`;
}

/** Flags every lab Chromium gets (see issue 12's facts: without them it tries the network at each start). */
export function chromiumArgs(profileDir: string, extra: readonly string[] = []): string[] {
  return [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--mute-audio',
    '--autoplay-policy=no-user-gesture-required',
    // host candidates as addresses, not mDNS names werift cannot resolve; loopback for link: none
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--allow-loopback-in-peer-connection',
    // a hidden or headless page must not throttle its timers and rvfc
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    `--user-data-dir=${profileDir}`,
    ...extra,
  ];
}

/** A page's HTML and script, served as / and /page.js. */
export interface PageSource {
  html: string;
  script: string;
}

/** A launched Chromium with one page open on the lab's local page. */
export interface ChromiumPeer {
  browser: Browser;
  page: Page;
  version: string;
  /** the browser process (its renderers and helpers are its descendants) */
  pid: number | undefined;
  /** console errors and page errors, as Chromium said them */
  errors: string[];
  close(): Promise<void>;
}

async function servePage(source: PageSource): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const body = request.url === '/page.js' ? source.script : request.url === '/' ? source.html : undefined;
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': request.url === '/page.js' ? 'text/javascript' : 'text/html', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/**
 * Starts Chromium and opens the page; resolves once the page says it is ready
 * (body[data-ready="true"]). Rejects with ChromiumError carrying Chromium's error.
 */
export async function launchChromiumPeer(source: PageSource, options: { executable?: string; extraArgs?: readonly string[]; timeoutMs?: number } = {}): Promise<ChromiumPeer> {
  const executable = options.executable ?? CHROMIUM_PATH;
  const missing = chromiumUnavailableReason(executable);
  if (missing) throw new ChromiumError(missing);
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-chromium-'));
  // puppeteer keeps a piped browser's stderr to itself: a wrapper writes it where a failed start can quote it
  const stderrLog = path.join(profileDir, 'stderr.log');
  const wrapper = path.join(profileDir, 'chromium.sh');
  const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
  await writeFile(wrapper, `#!/bin/sh\nexec ${quote(executable)} "$@" 2>>${quote(stderrLog)}\n`, { mode: 0o700 });
  const said = async (): Promise<string> => {
    const lines = (await readFile(stderrLog, 'utf8').catch(() => '')).split('\n').filter((l) => l.trim() !== '');
    return lines.length > 0 ? `; Chromium said: ${lines.slice(-5).join(' | ')}` : '';
  };
  const { server, url } = await servePage(source);
  let browser: Browser | undefined;
  const cleanup = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    server.close();
    await rm(profileDir, { recursive: true, force: true });
  };
  try {
    browser = await puppeteer.launch({ executablePath: wrapper, headless: true, pipe: true, args: chromiumArgs(profileDir, options.extraArgs), timeout: options.timeoutMs ?? 30_000 });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error instanceof Error ? error.message : String(error)}`));
    await page.goto(url, { waitUntil: 'load', timeout: options.timeoutMs ?? 30_000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: options.timeoutMs ?? 30_000 }).catch((error: unknown) => {
      throw new ChromiumError(`the page did not get ready: ${(error as Error).message}${errors.length > 0 ? `; ${errors.join('; ')}` : ''}`);
    });
    const version = await browser.version();
    return { browser, page, version, pid: browser.process()?.pid, errors, close: cleanup };
  } catch (error) {
    const words = await said();
    await cleanup();
    throw error instanceof ChromiumError ? error : new ChromiumError(`Chromium did not start: ${(error as Error).message}${words}`);
  }
}
