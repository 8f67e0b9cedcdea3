/**
 * The pages the lab loads into Chromium: src/browser/<name>.ts and the lab modules it imports (the
 * marker reader and writer), bundled by esbuild into one script when the process starts (≈ 50 ms),
 * so a page runs the same TypeScript the lab tests.
 */
import { build } from 'esbuild';
import { fromRepositoryRoot } from '../shared/repository-root.ts';
import type { PageSource } from './browser.ts';

const html = (title: string, body: string): string => `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title></head>
<body>${body}<script type="module" src="/page.js"></script></body></html>
`;

async function bundle(entry: string): Promise<string> {
  const result = await build({ entryPoints: [fromRepositoryRoot(entry)], bundle: true, write: false, format: 'esm', target: 'chrome120', logLevel: 'silent' });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error(`esbuild produced no script for ${entry}`);
  return script;
}

/** The receiver page: a muted video the stream plays into. */
export async function receiverPageSource(): Promise<PageSource> {
  return { html: html('glasslab receiver', '<video muted autoplay playsinline></video>'), script: await bundle('src/browser/receiver-page.ts') };
}

/** The sender page: it makes its own canvas. */
export async function senderPageSource(): Promise<PageSource> {
  return { html: html('glasslab sender', ''), script: await bundle('src/browser/sender-page.ts') };
}
