/**
 * The browser lab end to end in Debian's Chromium (playwright-core): serve dist/web, train on moons and watch
 * the live charts, play the reverse process, draw a data set and train on it, download a model and sample it
 * with the CLI, load a CLI checkpoint and a model written by PyTorch (python/ddpm_torch.py) and sample from them,
 * get a readable error for a malformed CSV, see the deck panels (trajectories coloured by their start with a sampler
 * switch, the learned field on a t slider, the two-sample verdict), run the embedding examples (DiffusionWorker: frames keep coming while
 * it trains; its protocol with and without cross-origin isolation; dist/index.js on the page's thread with kernels
 * from a URL), with no console errors and a main thread that never stalls 100 ms while training. Screenshots go to test-results/.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, torchForTests } from '../system.mjs';

const root = new URL('../..', import.meta.url).pathname;
const torch = torchForTests('the browser test of a PyTorch-written model');
const cli = join(root, 'dist/cli.js');
const shots = join(root, 'test-results');
const tmp = mkdtempSync(join(tmpdir(), 'ddpm-browser-'));

let server: ChildProcess, url: string, ctx: BrowserContext, page: Page;
const problems: string[] = [];

/** Small settings: each run takes a few seconds. */
async function settings(p: Page, o: Record<string, string | number>): Promise<void> {
  for (const [id, v] of Object.entries(o)) await p.fill(`#${id}`, String(v));
}
const updates = (p: Page, id: string) => p.$eval(`#${id}`, (e) => Number((e as HTMLElement).dataset.updates ?? 0));
const csvRows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));

/** A new page whose console errors, page errors and failed or external requests count as problems. */
function watch(p: Page): Page {
  p.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  p.on('request', (r) => !r.url().startsWith(url) && !/^(data|blob):/.test(r.url()) && problems.push(`external request: ${r.url()}`));
  return p;
}
const watchedPage = async () => watch(await ctx.newPage());
/**
 * The frame-gap helper, run in the page (handed to addInitScript or evaluate): the gaps between its animation frames
 * go to window.frames_.gaps while its #status starts with `prefix` (null: all the time). frameGaps reads them.
 */
const recordFrameGaps = (prefix: string | null) => {
  const f = { gaps: [] as number[], last: 0 };
  (window as unknown as { frames_: typeof f }).frames_ = f;
  const tick = (t: number) => {
    if (prefix === null || (document.getElementById('status')?.textContent ?? '').startsWith(prefix)) {
      if (f.last) f.gaps.push(t - f.last);
      f.last = t;
    } else f.last = 0;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};
const frameGaps = (p: Page) => p.evaluate(() => (window as unknown as { frames_: { gaps: number[] } }).frames_.gaps);
/** Pixels of a chart's canvas that are drawn and coloured (not grey): the wheel colours of the points, lines and arrows. */
const inkOf = (p: Page, id: string) => p.$eval(`#${id} canvas`, (c) => {
  const { data } = (c as HTMLCanvasElement).getContext('2d')!
    .getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
  let drawn = 0, coloured = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    drawn++;
    if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) coloured++;
  }
  return { drawn, coloured };
});
type Lib = typeof import('../../src/index');
/**
 * The library bundle as the page sees it, as window.ddpm. Imported by a string (the page's CSP allows no inline
 * script, and vitest would rewrite an import() inside a function handed to evaluate).
 */
async function withLibrary(p: Page): Promise<void> {
  await p.evaluate(`import(${JSON.stringify(`${url}ddpm-wasm.js`)}).then((lib) => { window.ddpm = lib; })`);
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  server = spawn(process.execPath, [cli, 'serve', '--port', '0', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((ok) => server.stdout!.once('data', (b) => ok(JSON.parse(String(b)).url)));
  ctx = await launchChromium({ acceptDownloads: true, viewport: { width: 1440, height: 1000 } });
  page = watch(ctx.pages()[0] ?? (await ctx.newPage()));
  await page.goto(url);
  await page.waitForSelector('body[data-state=idle]', { timeout: 30_000 });
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  server?.kill('SIGTERM');
});

describe('browser lab', () => {
  it('trains on moons in the worker with live loss and samples, and the main thread stays responsive', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.textContent('#badge-engine')).toMatch(/wasm SIMD/);
    await page.selectOption('#dataset', 'moons');
    await settings(page, { 'n-data': 2000, T: 50, width: 48, depth: 2, steps: 1200, lr: 0.003, seed: 1 });
    const loss0 = await updates(page, 'chart-loss');
    await page.click('#train');
    await page.waitForSelector('body[data-state=training]');
    // Live: the loss chart redraws and a snapshot reaches the scatter while the run is still going.
    await page.waitForFunction(() => /^step \d+$/.test(document.getElementById('samples-title')!.textContent ?? ''), null,
      { timeout: 60_000 });
    expect(await page.$eval('body', (b) => b.dataset.state)).toBe('training');
    expect(await updates(page, 'chart-loss')).toBeGreaterThan(loss0 + 1);
    await page.screenshot({ path: join(shots, 'lab-training.png'), fullPage: true });
    await page.waitForSelector('body[data-state=ready]', { timeout: 90_000 });
    expect(await page.textContent('#status')).toMatch(/at step 1200: sampled 1000 points/);
    const gapMs = Number(await page.$eval('#frame-gap', (e) => (e as HTMLElement).dataset.ms));
    expect(gapMs).toBeGreaterThan(0);
    console.log(`longest frame gap while training: ${gapMs} ms`);
    expect(gapMs, `longest frame gap ${gapMs} ms`).toBeLessThan(100);
    const loss = Number(await page.textContent('#stat-loss'));
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(0.6); // from ~1 at the start: it learned something
    for (const id of ['chart-samples', 'chart-reverse', 'chart-forward', 'chart-traj', 'chart-schedule']) {
      expect(await page.$(`#${id} canvas`), id).not.toBeNull();
    }
  }, 120_000);

  it('the deck panels after training: coloured trajectories with a sampler switch, the field on a t slider, ' +
    'the two-sample verdict', async () => {
    const ink = (id: string) => inkOf(page, id);
    // After sampling the page asks the worker for its views by itself: DDIM eta = 0 first.
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.sampler === 'ddim', null, { timeout: 30_000 });
    expect(await page.textContent('#traj-caption')).toMatch(/colours stay ordered/);
    for (const id of ['chart-traj-start', 'chart-traj', 'chart-traj-time']) expect((await ink(id)).coloured, id).toBeGreaterThan(200);
    const before = await updates(page, 'chart-traj');
    await page.selectOption('#traj-sampler', 'ddpm');
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.sampler === 'ddpm', null, { timeout: 30_000 });
    expect(await page.textContent('#traj-caption')).toMatch(/colours mix/);
    await page.locator('#card-traj').screenshot({ path: join(shots, 'lab-trajectories-ddpm.png') });
    expect(await updates(page, 'chart-traj')).toBeGreaterThan(before);
    await page.selectOption('#traj-sampler', 'ode');
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.sampler === 'ode', null, { timeout: 30_000 });
    expect(await page.textContent('#traj-caption')).toMatch(/probability-flow ODE .* colours stay ordered/);
    await page.locator('#card-traj').screenshot({ path: join(shots, 'lab-trajectories.png') });
    // The field: drawn at the default t, redrawn at a larger t from the slider.
    await page.waitForSelector('#chart-field canvas', { timeout: 30_000 });
    expect((await ink('chart-field')).drawn).toBeGreaterThan(500);
    const t0 = Number(await page.getAttribute('#t-field-label', 'data-t'));
    expect(t0).toBeGreaterThanOrEqual(1);
    await page.$eval('#t-field', (e) => {
      (e as HTMLInputElement).value = '700';
      e.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction((t) => Number(document.getElementById('t-field-label')!.dataset.t) > t, t0, { timeout: 30_000 });
    expect(Number(await page.getAttribute('#t-field-label', 'data-t'))).toBeLessThanOrEqual(50);
    await page.locator('#card-field').screenshot({ path: join(shots, 'lab-field.png') });
    // The verdict: the classifier two-sample test against fresh moons, with its accuracy and z.
    await page.waitForSelector('#verdict:not([hidden])', { timeout: 60_000 });
    expect(await page.textContent('#verdict')).toMatch(/Two-sample test, 2000 samples against 2000 of fresh data: .* z = -?\d/);
    const acc = Number(await page.getAttribute('#verdict', 'data-accuracy'));
    expect(acc).toBeGreaterThan(0.3);
    expect(acc).toBeLessThan(1);
    expect(Number.isFinite(Number(await page.getAttribute('#verdict', 'data-z')))).toBe(true);
    // Back to DDIM so the next test sees the page as a user leaves it; the forward process is coloured by x_0.
    await page.selectOption('#traj-sampler', 'ddim');
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.sampler === 'ddim', null, { timeout: 30_000 });
    expect((await ink('chart-forward')).coloured).toBeGreaterThan(200);
  }, 120_000);

  it('plays the reverse process, scrubs it, and moves the forward slider', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { seenT: Set<string> };
      w.seenT = new Set();
      new MutationObserver(() => w.seenT.add(document.getElementById('t-reverse-label')!.dataset.t!))
        .observe(document.getElementById('t-reverse-label')!, { attributes: true, childList: true, characterData: true, subtree: true });
    });
    expect(await page.getAttribute('#t-reverse-label', 'data-t')).toBe('50');
    await page.click('#play');
    expect(await page.getAttribute('#card-reverse', 'class')).toMatch(/playing/);
    await page.waitForTimeout(900);
    await page.screenshot({ path: join(shots, 'lab-reverse-playing.png'), fullPage: false,
      clip: await page.locator('#card-reverse').boundingBox() ?? undefined });
    await page.waitForFunction(() => document.getElementById('t-reverse-label')!.dataset.t === '0', null, { timeout: 20_000 });
    const seen = await page.evaluate(() => [...(window as unknown as { seenT: Set<string> }).seenT].map(Number));
    expect(seen.filter((t) => t > 0 && t < 50).length).toBeGreaterThan(5);
    expect(await page.getAttribute('#card-reverse', 'class')).not.toMatch(/playing/);
    await page.$eval('#t-reverse', (e) => {
      (e as HTMLInputElement).value = '20';
      e.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction(() => document.getElementById('t-reverse-label')!.dataset.t === '30');
    await page.$eval('#t-forward', (e) => {
      (e as HTMLInputElement).value = '25';
      e.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction(() => document.getElementById('t-forward-label')!.dataset.t === '25');
    await page.screenshot({ path: join(shots, 'lab-trained.png'), fullPage: true });
  }, 60_000);

  it('samples again through the chosen sampler and steps: the reverse process has K + 1 frames', async () => {
    const choices = await page.$$eval('#samples-sampler option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(choices).toEqual(expect.arrayContaining(['ddpm', 'ddim', 'ode'])); // SAMPLERS, whatever else it lists
    expect(await page.isVisible('#samples-eta-row')).toBe(false); // eta is ddim's
    await page.selectOption('#samples-sampler', 'ddim');
    expect(await page.isVisible('#samples-eta-row')).toBe(true);
    await settings(page, { 'samples-steps': 10 });
    await page.click('#sample');
    await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/sampled 1000 points \(ddim, 10 steps, η = 0;/);
    expect(await page.getAttribute('#t-reverse', 'max')).toBe('10');
    expect(await page.getAttribute('#t-reverse-label', 'data-t')).toBe('50');
    await page.$eval('#t-reverse', (e) => {
      (e as HTMLInputElement).value = '10';
      e.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction(() => document.getElementById('t-reverse-label')!.dataset.t === '0');
    // A steps count beyond T: a readable error naming it, nothing sent.
    await settings(page, { 'samples-steps': 51 });
    await page.click('#sample');
    expect(await page.textContent('#error')).toMatch(/sampler steps must be an integer in \[1, 50\].*got "51"/);
    // Back to Algorithm 2 at every step for the tests after this one.
    await page.selectOption('#samples-sampler', 'ddpm');
    await settings(page, { 'samples-steps': '' });
    await page.click('#sample');
    await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
    expect(await page.getAttribute('#t-reverse', 'max')).toBe('50');
  }, 120_000);

  it('a start placed by hand on the x_T plot: its path at once, the endings of 30 runs under a stochastic sampler, ' +
    'frames all along', async () => {
    const card = (key: string) => page.$eval('#card-traj', (e, k) => (e as HTMLElement).dataset[k] ?? '', key);
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.sampler === 'ddim', null, { timeout: 30_000 });
    await page.evaluate(recordFrameGaps, null);
    // A click at a place given as a fraction of the x_T plot's area (the locator scrolls it into view first).
    const clickAt = async (fx: number, fy: number) => {
      const over = page.locator('#chart-traj-start .u-over');
      const box = (await over.boundingBox())!;
      await over.click({ position: { x: fx * box.width, y: fy * box.height } });
    };
    await clickAt(0.7, 0.3);
    // DDIM eta = 0: the path, and every run from the start ends on one point.
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.hand === 'ddim', null, { timeout: 30_000 });
    expect(await card('handEndings')).toBe('1');
    expect(await page.textContent('#traj-hand-caption')).toMatch(/all 30 runs from this start end on one point/);
    // The worker's path starts where the click was: the start went into standardised units and its x_T came back.
    const [sx, sy] = (await card('handStart')).split(',').map(Number), [px, py] = (await card('handPathStart')).split(',').map(Number);
    expect(Math.abs(px - sx) + Math.abs(py - sy)).toBeLessThan(1e-4 * (1 + Math.abs(sx) + Math.abs(sy)));
    expect(sx).toBeGreaterThan(0); // right of the plot's centre, where x_T ~ N(0, I) is centred on the data's mean (about 0.5 for moons)
    await page.waitForSelector('#chart-traj-hand canvas');
    expect((await inkOf(page, 'chart-traj-hand')).coloured).toBeGreaterThan(30);
    // DDPM: the same start again, now 30 endings apart.
    await page.selectOption('#traj-sampler', 'ddpm');
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.hand === 'ddpm', null, { timeout: 30_000 });
    expect(await card('handEndings')).toBe('30');
    expect(await page.textContent('#traj-hand-caption')).toMatch(/30 runs from this start end apart/);
    await page.locator('#card-traj').screenshot({ path: join(shots, 'lab-hand-start-ddpm.png') });
    // Another click, elsewhere: a new start through the same sampler.
    await clickAt(0.25, 0.65);
    await page.waitForFunction((s) => document.getElementById('card-traj')!.dataset.handStart !== s, `${sx},${sy}`, { timeout: 30_000 });
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.handEndings === '30', null, { timeout: 30_000 });
    // DDIM with eta = 0.5 draws noise too: its runs end apart.
    await page.selectOption('#traj-sampler', 'ddim');
    await page.fill('#traj-eta', '0.5');
    await page.$eval('#traj-eta', (e) => e.dispatchEvent(new Event('change')));
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.hand === 'ddim' &&
      document.getElementById('card-traj')!.dataset.handEndings === '30', null, { timeout: 30_000 });
    // The seeded trajectories' verdict comes in its own message, which may land after the hand start's.
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.stochastic === 'true', null, { timeout: 30_000 });
    const gaps = await frameGaps(page);
    const longest = Math.max(...gaps);
    console.log(`hand-placed starts: ${gaps.length} frames, longest gap ${longest.toFixed(1)} ms`);
    expect(gaps.length).toBeGreaterThan(20);
    expect(longest, `longest frame gap ${longest} ms`).toBeLessThan(100);
    // Back to DDIM eta = 0 as the card starts.
    await page.fill('#traj-eta', '0');
    await page.$eval('#traj-eta', (e) => e.dispatchEvent(new Event('change')));
    await page.waitForFunction(() => document.getElementById('card-traj')!.dataset.stochastic === 'false', null, { timeout: 30_000 });
  }, 120_000);

  it('downloads the model, which the CLI samples from, and the samples as CSV', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-model')]);
    expect(dl.suggestedFilename()).toMatch(/^ddpm-moons-step1200-model\.safetensors$/);
    const model = join(tmp, 'page-model.safetensors');
    await dl.saveAs(model);
    const r = spawnSync(process.execPath, [cli, 'sample', '--model', model, '--n', '200', '--seed', '3'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const pts = r.stdout.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    expect(pts).toHaveLength(200);
    // moons spans x in [-1, 1], y in [-0.5, 0.5]: most CLI samples of the page's model land there.
    const inside = pts.filter(([x, y]) => Math.abs(x) < 1.3 && Math.abs(y) < 0.8).length;
    expect(inside).toBeGreaterThan(170);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-samples')]);
    await csv.saveAs(join(tmp, 'page-samples.csv'));
    expect(readFileSync(join(tmp, 'page-samples.csv'), 'utf8').split('\n')[0]).toBe('x,y');
    expect(csvRows(join(tmp, 'page-samples.csv'))).toHaveLength(1000);
  }, 60_000);

  it('draws a data set with mouse moves and trains on it', async () => {
    await page.selectOption('#dataset', 'draw');
    const box = (await page.locator('#draw').boundingBox())!;
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2, r = box.width * 0.3;
    // A ring of radius 0.3 * 2.4 = 0.72 in data units (the pad spans [-1.2, 1.2]).
    await page.mouse.move(cx + r, cy);
    await page.mouse.down();
    for (let k = 1; k <= 60; k++)
      await page.mouse.move(cx + r * Math.cos((2 * Math.PI * k) / 60), cy + r * Math.sin((2 * Math.PI * k) / 60), { steps: 2 });
    await page.mouse.up();
    const drawn = Number((await page.textContent('#draw-count'))!.split(' ')[0]);
    expect(drawn).toBeGreaterThan(100);
    await page.screenshot({ path: join(shots, 'lab-drawn.png'), clip: (await page.locator('#card-data').boundingBox())! });
    await settings(page, { steps: 800, T: 40 });
    await page.click('#train');
    await page.waitForSelector('body[data-state=training]');
    await page.waitForSelector('body[data-state=ready]', { timeout: 90_000 });
    expect(await page.textContent('#status')).toMatch(/at step 800/);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-samples')]);
    await csv.saveAs(join(tmp, 'drawn-samples.csv'));
    const radii = csvRows(join(tmp, 'drawn-samples.csv')).map(([x, y]) => Math.hypot(x, y)).sort((a, b) => a - b);
    const median = radii[radii.length >> 1];
    expect(median).toBeGreaterThan(0.5);
    expect(median).toBeLessThan(0.95); // on the drawn ring, not a blob at the centre
    expect(Number(await page.$eval('#frame-gap', (e) => (e as HTMLElement).dataset.ms))).toBeLessThan(100);
    await page.screenshot({ path: join(shots, 'lab-drawn-trained.png'), fullPage: true });
  }, 120_000);

  it('loads a checkpoint made by the CLI and samples from it', async () => {
    const out = join(tmp, 'cli-run');
    const r = spawnSync(process.execPath, [cli, 'train', '--dataset', 'moons', '--steps', '1000', '--T', '30', '--width', '48',
      '--depth', '2', '--embed', '32', '--batch', '128', '--n-data', '1000', '--samples', '50', '--schedule', 'cosine', '--out', out, '-q'],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    await page.setInputFiles('#ckpt-file', join(out, 'checkpoint.safetensors'));
    await page.waitForFunction(() => /^Loaded checkpoint\.safetensors/.test(document.getElementById('status')!.textContent ?? ''), null,
      { timeout: 30_000 });
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/Model checkpoint at step 1000: sampled 1000 points/);
    expect(await page.inputValue('#T')).toBe('30');
    expect(await page.inputValue('#schedule')).toBe('cosine');
    expect(await page.textContent('#data-title')).toMatch(/moons/);
    expect(await page.inputValue('#dataset')).toBe('moons');
    expect(await page.isVisible('#draw-area')).toBe(false);
    expect(await page.getAttribute('#t-reverse-label', 'data-t')).toBe('30');
    await page.click('#play');
    await page.waitForFunction(() => document.getElementById('t-reverse-label')!.dataset.t === '0', null, { timeout: 20_000 });
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-samples')]);
    await csv.saveAs(join(tmp, 'ckpt-samples.csv'));
    expect(csvRows(join(tmp, 'ckpt-samples.csv'))).toHaveLength(1000);
    await page.screenshot({ path: join(shots, 'lab-checkpoint.png'), fullPage: true });
    // A file that is not a checkpoint: a readable error, and the page stays usable.
    await page.setInputFiles('#ckpt-file',
      { name: 'junk.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a checkpoint at all') });
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/could not load the checkpoint: .*junk\.safetensors/);
    expect(await page.$eval('#train', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
  }, 90_000);

  it.skipIf(!torch.python)('loads a model written by PyTorch (python/ddpm_torch.py fine-tuned the CLI\'s model) ' +
    'and samples from it', async () => {
    // The CLI's model from the test above, trained on in PyTorch and saved there in our layout.
    const data = join(tmp, 'moons.csv'), model = join(tmp, 'torch-model.safetensors');
    expect(spawnSync(process.execPath, [cli, 'data', '--dataset', 'moons', '--n', '1000', '--out', data, '-q']).status).toBe(0);
    const r = spawnSync(torch.python!, [join(root, 'python/ddpm_torch.py'), 'train', '--model', join(tmp, 'cli-run', 'model.safetensors'),
      '--data', data, '--steps', '100', '--out', model],
      { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    await page.setInputFiles('#ckpt-file', model);
    await page.waitForFunction(() => /^Loaded torch-model\.safetensors/.test(document.getElementById('status')!.textContent ?? '') ||
      !document.getElementById('error')!.hidden, null, { timeout: 30_000 });
    expect(await page.isVisible('#error'), (await page.textContent('#error')) ?? '').toBe(false);
    await page.waitForSelector('body[data-state=ready]', { timeout: 30_000 });
    // (A model file carries no optimiser state: the page counts its steps from 0, as for a CLI model file.)
    expect(await page.textContent('#status')).toMatch(/^Model torch-model at step \d+: sampled 1000 points/);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-samples')]);
    await csv.saveAs(join(tmp, 'torch-samples.csv'));
    const pts = csvRows(join(tmp, 'torch-samples.csv'));
    expect(pts).toHaveLength(1000);
    expect(pts.filter(([x, y]) => Math.abs(x) < 1.3 && Math.abs(y) < 0.8).length).toBeGreaterThan(900);
  }, 90_000);

  it('trains with the learned schedule, then with a learned variance (one thread), and samples from each', async () => {
    await page.selectOption('#dataset', 'moons');
    await settings(page, { 'n-data': 1000, T: 30, width: 32, depth: 1, steps: 300, seed: 2 });
    for (const [schedule, variance] of [['learned', 'beta'], ['linear', 'learned']]) {
      await page.selectOption('#schedule', schedule);
      await page.selectOption('#variance', variance);
      const schedDraws = await updates(page, 'chart-schedule');
      await page.click('#train');
      await page.waitForSelector('body[data-state=training]');
      await page.waitForSelector('body[data-state=ready]', { timeout: 90_000 });
      expect(await page.textContent('#status'), `${schedule} / ${variance}`).toMatch(/at step 300: sampled \d+ points/);
      expect(await updates(page, 'chart-schedule')).toBeGreaterThan(schedDraws); // the model's own (learned) curve came back
    }
    await page.selectOption('#schedule', 'linear');
    await page.selectOption('#variance', 'posterior');
  }, 120_000);

  it('shows a readable error for a malformed CSV', async () => {
    await page.selectOption('#dataset', 'csv');
    await page.setInputFiles('#csv-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('x,y\n0.1,0.2\n0.3,abc\n') });
    await page.waitForSelector('#data-error:not([hidden])');
    expect(await page.textContent('#data-error')).toBe('bad.csv: line 3, column 2 ("y"): "abc" is not a number');
    await page.click('#train');
    expect(await page.textContent('#error')).toMatch(/choose a CSV file first/);
    await page.screenshot({ path: join(shots, 'lab-bad-csv.png'), clip: (await page.locator('aside').boundingBox())! });
    await page.setInputFiles('#csv-file', { name: 'good.csv', mimeType: 'text/csv',
      buffer: Buffer.from('x,y\n' + Array.from({ length: 300 }, (_, i) => `${Math.cos(i)},${Math.sin(i)}`).join('\n')) });
    await page.waitForSelector('#data-error', { state: 'hidden' });
    expect(await page.textContent('#data-info')).toMatch(/good\.csv: 300 rows × 2 columns/);
  }, 30_000);

  it('the embedding example keeps the page\'s frames coming while it trains in the worker (DiffusionWorker)', async () => {
    const p = await watchedPage();
    // Frame gaps on the embedding page's own thread, counted only while its status says it is training.
    await p.addInitScript(recordFrameGaps, 'training');
    await p.goto(`${url}examples/embed.html`);
    await p.waitForSelector('#status[data-done="1000"]', { timeout: 90_000 });
    expect(await p.textContent('#status')).toMatch(/^done: 1000 samples after 2000 steps$/);
    const gaps = await frameGaps(p);
    const longest = Math.max(...gaps);
    console.log(`embedding page: ${gaps.length} frames while training, longest gap ${longest.toFixed(1)} ms`);
    expect(gaps.length).toBeGreaterThan(30); // it trained for a while, and the page drew all along
    expect(longest, `longest frame gap ${longest} ms`).toBeLessThan(100);
    expect(await p.getAttribute('#status', 'data-threads')).toBe('1'); // every core but one, of 2
    await p.screenshot({ path: join(shots, 'embed.png') });
    await p.close();
  }, 120_000);

  it('DiffusionWorker: progress, cancel, seeded samples, save and load, errors as rejections', async () => {
    const p = await watchedPage();
    await p.goto(`${url}examples/embed.html`); // any page of the site: the test imports the library itself
    await withLibrary(p);
    const r = await p.evaluate(async () => {
      const { DiffusionWorker } = (window as unknown as { ddpm: Lib }).ddpm;
      const w = await DiffusionWorker.start();
      const noModel = await w.sample(10).then(() => 'resolved', (e: Error) => e.message);
      let progress = 0, lastStep = 0;
      const run = await w.train({ dataset: 'moons', nData: 500, T: 20, steps: 1_000_000, threads: 2,
        model: { width: 16, depth: 1, embedSize: 8 } }, {
        sampleN: 300,
        onProgress: (q) => {
          if (++progress === 2) w.cancel();
          lastStep = q.step;
        },
      });
      const a = await w.sample(200, { seed: 9 }), b = await w.sample(200, { seed: 9 });
      const same = a.points.data.every((v, i) => v === b.points.data[i]);
      const bytes = await w.save();
      const w2 = await DiffusionWorker.start();
      const loaded = await w2.load(bytes, { name: 'again.safetensors', sampleN: 50 });
      const c = await w2.sample(200, { seed: 9 });
      const sameAfterLoad = c.points.data.every((v, i) => v === a.points.data[i]);
      const junk = await w2.load(new Uint8Array(16), { name: 'junk.safetensors' }).then(() => 'resolved', (e: Error) => e.message);
      w.terminate();
      const afterTerminate = await w.sample(5).then(() => 'resolved', (e: Error) => e.message);
      w2.terminate();
      return {
        noModel, progress, lastStep, stopped: run.stopped, step: run.step, n: run.samples.points.n,
        isF32: run.samples.points.data instanceof Float32Array,
        same, bytes: bytes.length, loadedName: loaded.model.name, loadedN: loaded.samples.points.n, sameAfterLoad, junk, afterTerminate,
        isolated: w.crossOriginIsolated, threads: run.model.threads,
      };
    });
    expect(r.noModel).toMatch(/no model yet/);
    expect(r.progress).toBeGreaterThanOrEqual(2);
    expect(r.stopped).toBe(true);
    expect(r.step).toBeLessThan(1_000_000);
    expect(r.step).toBeGreaterThanOrEqual(r.lastStep);
    expect(r.n).toBe(300);
    expect(r.isF32).toBe(true);
    expect(r.same).toBe(true); // same seed, same points
    expect(r.bytes).toBeGreaterThan(1000);
    expect(r.loadedName).toBe('again');
    expect(r.loadedN).toBe(50);
    expect(r.sameAfterLoad).toBe(true); // the saved model, reloaded in another worker, samples the same bits
    expect(r.junk).toMatch(/junk\.safetensors/);
    expect(r.afterTerminate).toMatch(/terminated/);
    expect(r.isolated).toBe(true);
    expect(r.threads).toBe(2); // isolated: the two threads asked for (the next test: the same request without isolation)
    await p.close();
  }, 120_000);

  it('DiffusionWorker on a page that is not cross-origin isolated trains on one thread', async () => {
    const p = await watchedPage();
    // The same site without the COOP/COEP headers `serve` sends: no SharedArrayBuffer, so no threads.
    await p.route('**/*', async (route) => {
      const res = await route.fetch();
      const headers = { ...res.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response: res, headers });
    });
    await p.goto(`${url}examples/embed.html`);
    await withLibrary(p);
    const r = await p.evaluate(async () => {
      const { DiffusionWorker } = (window as unknown as { ddpm: Lib }).ddpm;
      const w = await DiffusionWorker.start();
      const run = await w.train({ dataset: 'moons', nData: 500, T: 20, steps: 200, threads: 2,
        model: { width: 16, depth: 1, embedSize: 8 } }, { sampleN: 100 });
      w.terminate();
      return { pageIsolated: crossOriginIsolated, isolated: w.crossOriginIsolated, defaultThreads: w.threads, threads: run.model.threads,
        step: run.step, n: run.samples.points.n };
    });
    expect(r).toEqual({ pageIsolated: false, isolated: false, defaultThreads: 1, threads: 1, step: 200, n: 100 });
    await p.close();
  }, 60_000);

  it('the main-thread example runs dist/index.js in the page with kernels fetched from a URL', async () => {
    const wasmTypes: string[] = [];
    page.on('response', (r) => r.url().endsWith('.wasm') && wasmTypes.push(r.headers()['content-type']));
    await page.goto(`${url}examples/main-thread.html`);
    await page.waitForSelector('#status[data-done="1000"]', { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/done: 1000 samples after 1000 steps/);
    expect(wasmTypes).toEqual(['application/wasm']);
    await page.screenshot({ path: join(shots, 'embed-main-thread.png') });
  }, 90_000);

  it('ended with no console errors, failed or external requests', () => {
    expect(problems).toEqual([]);
  });
});
