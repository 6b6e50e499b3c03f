/**
 * web/examples/kernels.html in Chromium (playwright-core), served from dist/web by `node dist/cli.js serve` as in
 * browser.test.ts: the page loads ddpm.wasm through @assemblyscript/loader (its file served beside the page, no
 * bundler), noises two moons with qSample and runs a reverse chain with reverseStep, and draws both with uPlot.
 * Checked: no console error, no failed or external request, the loader's and uPlot's files were fetched, the
 * kernels were called through the loader's wrappers, the noised clouds have the variance q(x_t | x_0) gives, and
 * the chain's end is nearer the data than its start. Screenshot in test-results/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../system.mjs';

const root = new URL('../..', import.meta.url).pathname;
const shots = join(root, 'test-results');
let server: ChildProcess, url: string, ctx: BrowserContext;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const args = [join(root, 'dist/cli.js'), 'serve', '--port', '0', '--json'];
  server = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((ok) => server.stdout!.once('data', (b) => ok(JSON.parse(String(b)).url)));
  ctx = await launchChromium({ viewport: { width: 1100, height: 800 } });
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  server?.kill('SIGTERM');
});

interface Example {
  viaLoader: boolean;
  start: number;
  end: number;
  forward: { t: number; variance: number[]; expected: number[] }[];
}

describe('kernels example', () => {
  it('loads ddpm.wasm with the loader, noises the moons and runs the reverse chain toward the data, with no error', async () => {
    const page = await ctx.newPage();
    const problems: string[] = [], fetched: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      fetched.push(r.url());
      if (!r.url().startsWith(url) && !/^(data|blob):/.test(r.url())) problems.push(`external request: ${r.url()}`);
    });
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
    await page.goto(`${url}examples/kernels.html`);
    await page.waitForSelector('body[data-state=done]', { timeout: 60_000 });
    for (const id of ['chart-forward', 'chart-reverse']) expect(await page.$(`#${id} canvas`), id).not.toBeNull();
    await page.screenshot({ path: join(shots, 'kernels-example.png'), fullPage: true });
    expect(problems).toEqual([]);
    for (const file of ['assemblyscript-loader.js', 'uplot.js', 'ddpm.wasm']) expect(fetched, file).toContain(`${url}${file}`);

    const r = (await page.evaluate('window.kernelsExample')) as Example;
    expect(r.viaLoader).toBe(true);
    // Var(x_t) per coordinate = abar S + 1 - abar; a sample variance of N = 1000 has relative sd sqrt(2 / (N - 1)) ~ 0.045
    // for Gaussian data (the moons are not, at small t, hence 5 sd).
    expect(r.forward.map((f) => f.t)).toEqual([10, 30, 100]);
    for (const f of r.forward) {
      for (let j = 0; j < 2; j++) expect(Math.abs(f.variance[j] / f.expected[j] - 1), `t = ${f.t}`).toBeLessThan(5 * 0.045);
    }
    // The chain ends at the Gaussian fitted to the data: far nearer the moons (energy distance) than N(0, I) is.
    expect(r.start).toBeGreaterThan(0.1);
    expect(r.end).toBeLessThan(r.start / 4);
    console.log(`energy distance to the data: start ${r.start.toFixed(3)}, end ${r.end.toFixed(3)}`);
  }, 90_000);
});
