// `study samplers` end to end (dist/cli.js) as a user runs it: --quick writes summary.json and one self-contained report
// that opens offline in headless Chromium with every chart drawn, no console error and no network request; the JSON
// has a reference row and one row per sampler and budget it can run in; --help and bad input behave.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../system.mjs';
import { expectCleanError, run } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'ddpm-sampler-study-'));

describe('study samplers', () => {
  it('--quick: summary, terminal JSON and a report drawn in Chromium', async () => {
    const out = join(dir, 'quick');
    const r = run(['study', 'samplers', '--quick', '--datasets', 'moons,cross', '--out', out, '--json', '-q']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.kind).toBe('samplers');
    expect(s.datasets.map((d: { dataset: string }) => d.dataset)).toEqual(['moons', 'cross']);
    for (const d of s.datasets) {
      const ref = d.rows.filter((x: { reference: boolean }) => x.reference);
      expect(ref).toHaveLength(1);
      expect(ref[0].evaluations).toBe(d.T);
      // 8 samplers x 3 budgets (5, 10, 15), every one below T = 20; the hybrid's split is T / 20 = 1, one Algorithm-2 step
      const rows = d.rows.filter((x: { reference: boolean }) => !x.reference);
      expect(rows).toHaveLength(8 * 3);
      for (const x of rows) {
        expect(x.evaluations).toBeLessThanOrEqual(x.budget);
        expect(Number.isFinite(x.z) && Number.isFinite(x.sw2Ratio) && x.seconds >= 0).toBe(true);
        expect(typeof x.vsReference.beyondNoise).toBe('boolean');
      }
    }
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).datasets).toHaveLength(2);
    const file = join(out, 'report.html');
    expect(existsSync(file)).toBe(true);

    const browser = await launchChromium({ viewport: { width: 1200, height: 900 } });
    try {
      const page = await browser.newPage();
      const errors: string[] = [], requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (q) => { if (q.url() !== `file://${file}` && !/^(data|blob):/.test(q.url())) requests.push(q.url()); });
      await page.goto(`file://${file}`);
      await page.waitForSelector('footer');
      await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res))));
      const canvases = await page.evaluate(() => Array.from(document.querySelectorAll('canvas')).map((c) => {
        const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, c.width, c.height);
        let ink = 0, coloured = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] === 0) continue;
          ink++;
          if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) coloured++;
        }
        return { title: c.closest('.uplot')?.querySelector('.u-title')?.textContent ?? '', ink, coloured };
      }));
      const sectionErrors = await page.locator('.error').count();
      await page.close();
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(sectionErrors).toBe(0);
      // per data set: the z chart, its zoom, the SW2 chart and 6 sample panels (fresh data + the first 5 rows)
      expect(canvases.length).toBe(2 * 9);
      for (const c of canvases) {
        // fresh data is drawn grey; every other chart has coloured series
        if (c.title === 'fresh data') expect(c.ink, 'fresh data drawn').toBeGreaterThan(50);
        else expect(c.coloured, `chart "${c.title}" has coloured marks`).toBeGreaterThan(50);
      }
    } finally {
      await browser.close();
    }
  }, 180_000);

  it('--split, --tail and --coarse reach every hybrid row and the summary', () => {
    const r = run(['study', 'samplers', '--quick', '--datasets', 'moons', '--samplers', 'hybrid', '--budgets', '5,10',
      '--split', '3', '--tail', '2', '--coarse', 'dpm2m', '--out', join(dir, 'hybrid'), '--json', '-q']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.hybrid).toEqual({ split: 3, tail: 2, coarse: 'dpm2m' });
    const rows = s.datasets[0].rows.filter((x: { reference: boolean }) => !x.reference);
    // K coarse steps + 2 tail steps within each budget (the defaults at T = 20, split 1 and tail 1, would take 4 and 9)
    expect(rows.map((x: { steps: number; evaluations: number }) => [x.steps, x.evaluations])).toEqual([[3, 5], [8, 10]]);
    // the same rows through the SDE solver: the same steps, other points (the options reach the sampling, not only the count)
    const r2 = run(['study', 'samplers', '--quick', '--datasets', 'moons', '--samplers', 'hybrid', '--budgets', '5,10',
      '--split', '3', '--tail', '2', '--coarse', 'dpm2m-sde', '--out', join(dir, 'hybrid-sde'), '--json', '-q']);
    expect(r2.code, r2.err).toBe(0);
    const rows2 = JSON.parse(r2.out).datasets[0].rows.filter((x: { reference: boolean }) => !x.reference);
    expect(rows2.map((x: { steps: number }) => x.steps)).toEqual([3, 8]);
    const z = (rs: { z: number }[]) => rs.map((x) => x.z);
    expect(z(rows2)).not.toEqual(z(rows));
  }, 120_000);

  it('--help names the study; bad input is a one-line error', () => {
    const h = run(['study', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/samplers/);
    expect(h.out).toMatch(/--budgets/);
    expectCleanError(run(['study', 'samplers', '--samplers', 'ddpm,warp', '--quick']), /unknown sampler "warp" in --samplers/);
    expectCleanError(run(['study', 'samplers', '--budgets', '5,x', '--quick']), /--budgets takes integers in \[1, 100000\], got "x"/);
    expectCleanError(run(['study', 'samplers', '--datasets', 'spiral9', '--quick']), /unknown data set "spiral9" in --datasets/);
    expectCleanError(run(['study', 'samplers', '--test-n', '5', '--quick']), /--test-n must be an integer in \[100, 10000000\], got 5/);
    expect(h.out).toMatch(/--split T0 +samplers: the hybrid's split/);
    expectCleanError(run(['study', 'samplers', '--samplers', 'ddpm', '--split', '3', '--quick']),
      /--split applies to the hybrid, which --samplers leaves out/);
    expectCleanError(run(['study', 'samplers', '--coarse', 'euler', '--quick']),
      /--coarse must be one of dpm2m, dpm3m, dpm2m-sde, got "euler"/);
    expectCleanError(run(['study', 'samplers', '--split', '3', '--tail', '4', '--quick']),
      /--tail must be an integer in \[1, 3\] \(the split\), got 4/);
  });
});
