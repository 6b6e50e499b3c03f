// Training steps per second in the lab page's Web Worker vs the CLI, same settings, same machine, runs
// alternated so both see the same load. Not a test. Needs a build (npm run build) and a Chromium (test/system.mjs finds it).
//   node bench/web-vs-cli.mjs [rounds=2] [steps=2000]
// The page's figure is its worker's own count (training time only; the sample snapshots it takes for the
// live chart are timed and left out), the CLI's is steps / trainSeconds of `train --json`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../test/system.mjs';

const root = new URL('..', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 2), steps = Number(process.argv[3] ?? 2000);
const S = { 'n-data': 2000, T: 50, width: 64, depth: 2, batch: 256, lr: 0.002, seed: 0 };

function cliRun() {
  const out = mkdtempSync(join(tmpdir(), 'ddpm-bench-'));
  const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'train', '--dataset', 'moons', '--steps', String(steps),
    '--warmup', String(Math.min(200, Math.floor(steps / 10))),
    '--embed', '64', '--checkpoint-every', '100000000', '--samples', '10', '--out', out, '-q', '--json',
    ...Object.entries(S).flatMap(([k, v]) => [`--${k}`, String(v)])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const j = JSON.parse(r.stdout);
  return j.steps / j.trainSeconds;
}

const server = spawn(process.execPath, [join(root, 'dist/cli.js'), 'serve', '--port', '0', '--json'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((ok) => server.stdout.once('data', (b) => ok(JSON.parse(String(b)).url)));
const ctx = await launchChromium();
const page = ctx.pages()[0] ?? (await ctx.newPage());
await page.goto(url);
await page.waitForSelector('body[data-state=idle]');
async function pageRun() {
  for (const [k, v] of Object.entries({ ...S, steps })) await page.fill(`#${k}`, String(v));
  await page.click('#train');
  await page.waitForSelector('body[data-state=training]');
  await page.waitForSelector('body[data-state=ready]', { timeout: 600_000 });
  return Number(await page.$eval('#stat-sps', (e) => e.dataset.value));
}
const cli = [], web = [];
for (let i = 0; i < rounds; i++) {
  cli.push(cliRun());
  web.push(await pageRun());
}
await ctx.close();
server.kill();
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`moons, ${steps} steps, T ${S.T}, width ${S.width}, depth ${S.depth}, batch ${S.batch}, ${rounds} alternated rounds`);
console.log(`CLI  steps/s: ${cli.map((x) => x.toFixed(0)).join(', ')}`);
console.log(`page steps/s: ${web.map((x) => x.toFixed(0)).join(', ')}`);
console.log(`CLI / page (medians): ${(med(cli) / med(web)).toFixed(2)}x`);
