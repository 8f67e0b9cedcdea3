/**
 * The Chromium receiver's page: src/browser/receiver-page.ts and the lab's marker reader it
 * imports, bundled by esbuild into one script when the receiver starts (≈ 50 ms), so the page
 * runs the same TypeScript the lab tests.
 */
import { build } from 'esbuild';
import { fromRepositoryRoot } from '../../shared/repository-root.ts';
import type { PageSource } from './browser.ts';

const HTML = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>glasslab receiver</title></head>
<body><video muted autoplay playsinline></video><script type="module" src="/page.js"></script></body></html>
`;

export async function receiverPageSource(): Promise<PageSource> {
  const result = await build({
    entryPoints: [fromRepositoryRoot('src/browser/receiver-page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'chrome120',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error('esbuild produced no receiver page script');
  return { html: HTML, script };
}
