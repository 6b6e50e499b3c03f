// The study reports in a real browser: a schedule study and a trajectory study on a tiny budget (the numbers do
// not matter here, the drawing does), rendered to HTML, opened in headless Chromium; every chart's canvas must
// have drawn marks, with coloured (series) pixels where the chart has a coloured series, and the console must
// stay free of errors. Also the terminal summary's shape. And `study tour --quick` run as a user would: its report
// opens offline with every chart drawn, no console error and not one network request.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { getDataset } from '../../src/data/datasets';
import { createDiffusion } from '../../src/api/diffusion';
import { formatSummary, runStudy, studyReport } from '../../src/lab/schedule-study';
import { trajectorySections, trajectoryStudy } from '../../src/lab/trajectories';
import { runVarianceStudy, varianceReport } from '../../src/lab/variance-study';
import { loadReportAssets } from '../../src/cli/report-assets';
import { type ReportData, renderReport } from '../../src/report/render';
import { launchChromium } from '../system.mjs';

const tiny = { width: 16, depth: 1, embedSize: 8 };
let browser: BrowserContext;
const dir = mkdtempSync(join(tmpdir(), 'ddpm-lab-'));

beforeAll(async () => {
  browser = await launchChromium({ viewport: { width: 1200, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
});

/** Charts the page should draw for this report: one per lines/loss/schedule/trajectories section, one per panel of a row
 * (plus a wheel's key). */
function expectedCharts(r: ReportData): number {
  let n = 0;
  for (const s of r.sections) {
    if ('panels' in s) n += s.panels.length + (s.kind === 'wheelRow' && s.key ? 1 : 0);
    else if (s.kind !== 'table' && s.kind !== 'text') n++;
  }
  return n;
}

async function openAndInspect(report: ReportData | string, name: string) {
  const file = typeof report === 'string' ? report : join(dir, name);
  if (typeof report !== 'string') writeFileSync(file, renderReport(report, loadReportAssets()));
  const page = await browser.newPage();
  const errors: string[] = [], requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (r.url() !== `file://${file}` && !/^(data|blob):/.test(r.url())) requests.push(r.url()); });
  await page.goto(`file://${file}`);
  await page.waitForSelector('footer');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const canvases = await page.evaluate(() =>
    Array.from(document.querySelectorAll('canvas')).map((c) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let ink = 0, coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 0) continue;
        ink++;
        if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) coloured++;
      }
      const title = c.closest('.uplot')?.querySelector('.u-title')?.textContent ?? '';
      return { w: c.width, h: c.height, ink, coloured, title };
    }),
  );
  const sectionErrors = await page.locator('.error').count();
  if (typeof report === 'string') await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  await page.close();
  return { canvases, errors, sectionErrors, requests };
}

describe('study reports in headless Chromium', () => {
  it('study schedules: every chart canvas drawn, no console errors; terminal summary has one row per schedule', async () => {
    const data = getDataset('moons', 600, 0);
    const heldOut = getDataset('moons', 60 + 2 * 60, 7919);
    const variants = ['linear', 'quadratic', 'cosine', 'sigmoid', 'learned']
      .map((s) => ({ label: s, config: { schedule: s as 'linear' } }));
    const results = await runStudy(variants, {
      base: { dataset: 'moons', data, T: 10, steps: 20, batch: 32, seed: 0, model: tiny }, heldOut, vlbN: 60, draws: 1, size: 60, seed: 1,
    });
    const report = studyReport('schedule', results, { data, dataset: 'moons', seconds: 1 });
    const { canvases, errors, sectionErrors } = await openAndInspect(report, 'schedules.html');
    expect(errors).toEqual([]);
    expect(sectionErrors).toBe(0);
    expect(canvases.length).toBe(expectedCharts(report));
    expect(canvases.length).toBeGreaterThanOrEqual(13);
    for (const c of canvases) {
      expect(c.w * c.h, c.title).toBeGreaterThan(0);
      expect(c.ink, `chart "${c.title}" is blank`).toBeGreaterThan(100);
      if (c.title !== 'data') expect(c.coloured, `chart "${c.title}" has no series drawn`).toBeGreaterThan(20);
    }
    const table = formatSummary(results).trim().split('\n');
    expect(table).toHaveLength(2 + 5);
    expect(table[0]).toMatch(/bound bits\/dim/);
    expect(table.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['linear', 'quadratic', 'cosine', 'sigmoid', 'learned']);
  });

  it('study variance: every chart drawn, no console errors', async () => {
    const data = getDataset('moons', 600, 0);
    const st = await runVarianceStudy({
      base: { dataset: 'moons', data, T: 10, steps: 20, batch: 32, seed: 0, model: tiny }, heldOut: getDataset('moons', 180, 7919),
      vlbN: 60, draws: 1, size: 60, seed: 1, loss: 'hybrid', lambda: 0.001, fewerSteps: [4],
    });
    const report = varianceReport(st, { data, dataset: 'moons', seconds: 1, config: {} });
    const { canvases, errors, sectionErrors } = await openAndInspect(report, 'variance.html');
    expect(errors).toEqual([]);
    expect(sectionErrors).toBe(0);
    expect(canvases.length).toBe(expectedCharts(report));
    for (const c of canvases) {
      expect(c.ink, `chart "${c.title}" is blank`).toBeGreaterThan(100);
      if (c.title !== 'data') expect(c.coloured, `chart "${c.title}" has no series drawn`).toBeGreaterThan(20);
    }
  });

  it('study trajectories: the paths and the figures table render', async () => {
    const data = getDataset('moons', 600, 0);
    const model = await createDiffusion({ dataset: 'moons', data, T: 10, steps: 20, batch: 32, model: tiny });
    await model.train();
    const s = trajectoryStudy(model, getDataset('moons', 300, 5), { starts: 20, runs: 3, nOverlap: 60, k: 5, paths: 50 });
    const report: ReportData = { title: 'trajectories', config: {}, sections: trajectorySections(s, data) };
    const { canvases, errors, sectionErrors } = await openAndInspect(report, 'trajectories.html');
    expect(errors).toEqual([]);
    expect(sectionErrors).toBe(0);
    expect(canvases.length).toBe(expectedCharts(report));
    for (const c of canvases) expect(c.coloured, 'trajectory chart without paths').toBeGreaterThan(20);
  });

  it('study tour --quick: the command writes one self-contained report; every chart drawn, no console error, no request', async () => {
    const out = join(dir, 'tour');
    const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [cli, 'study', 'tour', '--quick', '--out', out, '--json', '-q'],
      { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.datasets.map((d: { name: string }) => d.name)).toEqual(['swissroll', 'moons', 'cross']);
    for (const d of summary.datasets) {
      expect(d.schedules.map((s: { label: string }) => s.label)).toEqual(['linear', 'quadratic', 'cosine', 'sigmoid', 'learned']);
      expect(d.trajectories.samplers).toHaveLength(3);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/i); // everything inline
    const data = JSON.parse(html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1]) as ReportData;
    const kinds = new Set(data.sections.map((s) => s.kind));
    for (const k of ['scatterRow', 'wheelRow', 'fanRow', 'positions', 'fieldRow', 'lines', 'table', 'text']) expect(kinds, k).toContain(k);
    const { canvases, errors, sectionErrors, requests } = await openAndInspect(join(out, 'report.html'), 'tour');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(sectionErrors).toBe(0);
    expect(canvases.length).toBe(expectedCharts(data));
    expect(canvases.length).toBeGreaterThan(60);
    for (const c of canvases) {
      expect(c.ink, `chart "${c.title}" is blank`).toBeGreaterThan(100);
      if (!/^(data|data x_0|swissroll|moons|cross)$/.test(c.title))
        expect(c.coloured, `chart "${c.title}" has no series drawn`).toBeGreaterThan(20);
    }
  }, 180_000);
});
