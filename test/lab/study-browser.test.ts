// The study reports in a real browser: a schedule study and a trajectory study on a tiny budget (the numbers do
// not matter here, the drawing does), rendered to HTML, opened in headless Chromium; every chart's canvas must
// have drawn marks, with coloured (series) pixels where the chart has a coloured series, and the console must
// stay free of errors. Also the terminal summary's shape.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { getDataset } from '../../src/data/datasets';
import { createDiffusion } from '../../src/api/diffusion';
import { trajectorySections } from '../../src/cli/study';
import { formatSummary, runStudy, studyReport } from '../../src/lab/study';
import { trajectoryStudy } from '../../src/lab/trajectories';
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

/** Charts the page should draw for this report: one per lines/loss/schedule/trajectories section, one per scatter panel. */
function expectedCharts(r: ReportData): number {
  let n = 0;
  for (const s of r.sections) {
    if (s.kind === 'scatterRow') n += s.panels.length;
    else if (s.kind !== 'table' && s.kind !== 'text') n++;
  }
  return n;
}

async function openAndInspect(report: ReportData, name: string) {
  const file = join(dir, name);
  writeFileSync(file, renderReport(report, loadReportAssets()));
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
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
  await page.close();
  return { canvases, errors, sectionErrors };
}

describe('study reports in headless Chromium', () => {
  it('study schedules: every chart canvas drawn, no console errors; terminal summary has one row per schedule', async () => {
    const data = getDataset('moons', 600, 0);
    const heldOut = getDataset('moons', 60 + 2 * 60, 7919);
    const variants = ['linear', 'quadratic', 'cosine', 'sigmoid', 'learned'].map((s) => ({ label: s, config: { schedule: s as 'linear' } }));
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
});
