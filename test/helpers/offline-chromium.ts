/**
 * Headless Chromium (/usr/bin/chromium via puppeteer-core, never a downloaded browser) for tests
 * that open the lab's self-contained HTML pages offline: every request that is not a file: URL
 * fails, and console errors/warnings and page errors are collected.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';

/** True where the system Chromium is installed. */
export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** A launched browser with its own throwaway profile; `close` removes both. */
export interface OfflineBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchOfflineChromium(): Promise<OfflineBrowser> {
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profileDir}`],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** A page opened on a local HTML file with the network cut off; `blocked` and `errors` fill as it runs. */
export interface OfflinePage {
  page: Page;
  /** URLs the page tried to fetch that were not file: URLs (all failed) */
  blocked: string[];
  /** console errors/warnings and uncaught page errors */
  errors: string[];
}

/** Opens `file` and waits until the page's charts say they are ready (body[data-charts-ready="true"]). */
export async function openOffline(browser: Browser, file: string, viewport: { width: number; height: number }): Promise<OfflinePage> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const blocked: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url().startsWith('file:')) void request.continue();
    else {
      blocked.push(request.url());
      void request.abort('failed');
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') errors.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error instanceof Error ? error.message : String(error)}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 10_000 });
  return { page, blocked, errors };
}
