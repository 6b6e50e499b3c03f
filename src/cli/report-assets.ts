/**
 * Node-only: loads what renderReport() inlines into every report, the bundled page script and uPlot's CSS.
 * In the published package they sit next to the bundled CLI (dist/report-page.js, dist/report.css, made by
 * the build). Running from source (tests, tsx) they do not exist yet, so we bundle src/report/page.ts on
 * the spot with esbuild (a dev dependency) and read the CSS from node_modules/uplot.
 *
 * Synchronous on purpose: it is called once per report, next to other synchronous file writes, and
 * esbuild's buildSync keeps the fallback just as simple. The result is cached for the process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ReportAssets } from '../report/render';

let cached: ReportAssets | null = null;

export function loadReportAssets(): ReportAssets {
  if (cached) return cached;
  try {
    cached = {
      pageJs: readFileSync(new URL('./report-page.js', import.meta.url), 'utf8'),
      css: readFileSync(new URL('./report.css', import.meta.url), 'utf8'),
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    cached = buildReportAssets();
  }
  return cached;
}

/** Bundles the page script from source, exactly as the release build does. */
function buildReportAssets(): ReportAssets {
  const req = createRequire(import.meta.url);
  let esbuild: typeof import('esbuild');
  try {
    esbuild = req('esbuild');
  } catch {
    throw new Error('report assets are missing (no report-page.js next to the program) and esbuild is not installed to build them; ' +
      'run the build');
  }
  const entry = fileURLToPath(new URL('../report/page.ts', import.meta.url));
  const out = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    minify: true,
    write: false,
    logLevel: 'silent',
    platform: 'browser',
  });
  return {
    pageJs: out.outputFiles[0].text,
    css: readFileSync(req.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}
