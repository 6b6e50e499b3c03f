// npm run docs:images: every picture in README.md and docs/, redrawn from real runs at fixed seeds. Small runs (a
// swiss-roll model of 3000 steps at T = 100 and moons studies of 1000 steps per model, one thread each) write their
// HTML reports into a temporary folder; the reports are opened in the Chromium the tests use (test/system.mjs) and
// each picture is one report section, cropped to what it draws, saved as docs/images/<name>.png; page.png is the
// browser lab (node dist/cli.js serve) after training a small moons model in it.
// Usage: node docs/images.mjs [--only NAME,NAME] [--keep]   (--keep leaves the temporary folder and prints it)
// Not here: checking that the pictures exist (test/docs/docs.test.ts). Needs a built dist/ (npm run build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../test/system.mjs';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const outDir = join(root, 'docs/images');
const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  console.log('usage: node docs/images.mjs [--only NAME,NAME] [--keep]\nredraws docs/images/*.png from small runs at fixed seeds');
  process.exit(0);
}
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : undefined;
const keep = args.includes('--keep');
for (const a of args) {
  if (!['--only', '--keep'].includes(a) && a !== args[onlyAt + 1]) {
    console.error(`error: unknown option ${a} (try --help)`);
    process.exit(2);
  }
}
if (!existsSync(cli)) {
  console.error('error: dist/cli.js is missing: run npm run build first');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'ddpm-docs-images-'));
const model = join(tmp, 'train/model.safetensors');
const study = (kind, extra = []) =>
  ['study', kind, '--dataset', 'moons', '--steps', '1000', '--seed', '0', '--test-n', '0', ...extra, '--out', join(tmp, kind), '-q'];

/** The runs, in order (later ones may use earlier outputs); `report` is the HTML file each writes. */
const RUNS = {
  train: {
    cmd: ['train', '--dataset', 'swissroll', '--steps', '3000', '--T', '100', '--threads', '1', '--seed', '0',
      '--out', join(tmp, 'train'), '-q'],
    report: join(tmp, 'train/report.html'),
  },
  vlb: {
    cmd: ['eval', '--model', model, '--vlb', '--vlb-n', '1000', '--report', join(tmp, 'vlb.html'), '-q'],
    report: join(tmp, 'vlb.html'), after: 'train',
  },
  trajectories: {
    cmd: ['study', 'trajectories', '--model', model, '--seed', '0', '--out', join(tmp, 'trajectories'), '-q'],
    report: join(tmp, 'trajectories/report.html'), after: 'train',
  },
  schedules: { cmd: study('schedules', ['--T', '100']), report: join(tmp, 'schedules/report.html') },
  T: { cmd: study('T'), report: join(tmp, 'T/report.html') },
  variance: { cmd: study('variance', ['--T', '100']), report: join(tmp, 'variance/report.html') },
};

/** Each picture: the run whose report it comes from and the heading of its section there (a regular expression). */
const SHOTS = [
  ['forward', 'train', /^Forward process/],
  ['reverse', 'train', /^Reverse process/],
  ['samples', 'train', /^Samples against data/],
  ['field', 'train', /^The learned field/],
  ['schedule', 'train', /^Noise schedule/],
  ['loss', 'train', /^Training loss/],
  ['bound', 'vlb', /per t/i],
  ['trajectories', 'trajectories', /^Reverse process: each start/],
  ['paths', 'trajectories', /^Reverse paths .*DDIM eta = 0$/],
  ['fan', 'trajectories', /^One start run/],
  ['forward-colours', 'trajectories', /^Forward process: each data point/],
  ['schedules-abar', 'schedules', /^abar_t per schedule/],
  ['schedules-bound', 'schedules', /^Bound per t/],
  ['schedules-samples', 'schedules', /^Samples per variant/],
  ['T-samples', 'T', /^Samples per variant/],
  ['variance-samples', 'variance', /^Samples per variant/],
  ['variance-bound', 'variance', /^Bound per t/],
].filter(([name]) => !only || only.has(name));
/** The browser lab itself (node dist/cli.js serve): trained on moons with small settings, the window after training. */
const PAGE = !only || only.has('page');
if (only) for (const n of only) if (n !== 'page' && !SHOTS.some(([name]) => name === n)) {
  console.error(`error: no picture named ${n}`);
  process.exit(2);
}

const needed = new Set(SHOTS.map(([, run]) => run));
for (const r of [...needed]) if (RUNS[r].after) needed.add(RUNS[r].after);
for (const [name, run] of Object.entries(RUNS)) {
  if (!needed.has(name)) continue;
  const t0 = Date.now();
  process.stderr.write(`run ${name}: node dist/cli.js ${run.cmd.join(' ').replaceAll(tmp, 'TMP')}\n`);
  const r = spawnSync(process.execPath, [cli, ...run.cmd], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`error: run ${name} failed (exit ${r.status}); its output is in ${tmp}`);
    process.exit(1);
  }
  process.stderr.write(`  done in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

mkdirSync(outDir, { recursive: true });
const ctx = await launchChromium({ viewport: { width: 1100, height: 900 } });
const page = await ctx.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(e.message));
page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
let opened = '';
for (const [name, run, heading] of SHOTS) {
  const report = RUNS[run].report;
  if (opened !== report) {
    await page.goto(`file://${report}`);
    await page.waitForFunction(() => document.querySelectorAll('section').length > 0);
    await page.waitForTimeout(500); // the charts draw on the next animation frames
    opened = report;
  }
  // The section's box, cropped to what is drawn in it: the union of its leaf elements and its text lines.
  const clip = await page.evaluate((src) => {
    const re = new RegExp(src.source, src.flags);
    const s = [...document.querySelectorAll('section')].find((x) => re.test(x.querySelector('h2, h3')?.textContent?.trim() ?? ''));
    if (!s) return null;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const add = (r) => {
      if (r.width === 0 || r.height === 0) return;
      x0 = Math.min(x0, r.left), y0 = Math.min(y0, r.top), x1 = Math.max(x1, r.right), y1 = Math.max(y1, r.bottom);
    };
    for (const e of s.querySelectorAll('*')) {
      const text = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if ((e.children.length === 0 && !text) || e.tagName === 'CANVAS' || e.classList.contains('uplot')) add(e.getBoundingClientRect());
      for (const n of e.childNodes) if (n.nodeType === 3 && n.textContent.trim()) {
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) add(r);
      }
    }
    const pad = 8;
    return { x: Math.max(0, x0 - pad + scrollX), y: Math.max(0, y0 - pad + scrollY), width: x1 - x0 + 2 * pad, height: y1 - y0 + 2 * pad };
  }, { source: heading.source, flags: heading.flags });
  if (!clip) {
    console.error(`error: no section headed ${heading} in ${report.replace(tmp, 'TMP')} (picture ${name})`);
    process.exit(1);
  }
  const file = join(outDir, `${name}.png`);
  await page.screenshot({ path: `${file}.tmp.png`, clip, fullPage: true });
  renameSync(`${file}.tmp.png`, file);
  process.stderr.write(`docs/images/${name}.png  ${Math.round(clip.width)} x ${Math.round(clip.height)}, ` +
    `${Math.round(statSync(file).size / 1024)} KB\n`);
}
if (PAGE) {
  const server = spawn(process.execPath, [cli, 'serve', '--port', '0', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise((ok) => server.stdout.once('data', (b) => ok(JSON.parse(String(b)).url)));
    const lab = await ctx.newPage();
    lab.on('pageerror', (e) => problems.push(e.message));
    lab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await lab.setViewportSize({ width: 1280, height: 860 });
    await lab.goto(url);
    await lab.waitForSelector('body[data-state=idle]', { timeout: 60_000 });
    await lab.selectOption('#dataset', 'moons');
    for (const [id, v] of Object.entries({ 'n-data': 2000, T: 50, width: 64, depth: 2, steps: 2000, seed: 1 }))
      await lab.fill(`#${id}`, String(v));
    process.stderr.write('page: training moons in the browser lab (2000 steps, T = 50)\n');
    await lab.click('#train');
    await lab.waitForSelector('body[data-state=ready]', { timeout: 600_000 });
    await lab.waitForTimeout(500);
    const file = join(outDir, 'page.png');
    await lab.screenshot({ path: `${file}.tmp.png` });
    renameSync(`${file}.tmp.png`, file);
    process.stderr.write(`docs/images/page.png  1280 x 860, ${Math.round(statSync(file).size / 1024)} KB\n`);
  } finally {
    server.kill('SIGTERM');
  }
}
await ctx.close();
if (problems.length) {
  console.error(`error: the reports logged errors:\n${problems.join('\n')}`);
  process.exit(1);
}
if (keep) console.log(`runs and reports kept in ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });
