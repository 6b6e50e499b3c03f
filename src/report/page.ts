/**
 * Browser entry of the offline report, bundled with uPlot into dist/report-page.js and inlined into every
 * report by renderReport(). It reads the JSON in <script id="report-data">, lays out the header (title,
 * config) and one <section> per ReportSection, and draws each chart with the builders in charts.ts.
 *
 * Not here: the data model and the HTML shell (report.ts), chart options (charts.ts).
 */
import uPlot from 'uplot';
import { barChart, lineChart, lossChart, pointRanges, scatterChart, scheduleChart, smooth, trajectoryChart, type ChartSpec } from './charts';
import type { ReportData, ReportSection } from './render';

type Renderer<K extends ReportSection['kind']> = (body: HTMLElement, section: Extract<ReportSection, { kind: K }>) => void;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: { class?: string; text?: string } = {}, parent?: HTMLElement): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (attrs.class) e.className = attrs.class;
  if (attrs.text != null) e.textContent = attrs.text;
  parent?.appendChild(e);
  return e;
}

/** Width available to one section body, for charts that fill the column. */
function fullWidth(body: HTMLElement): number {
  return Math.max(320, Math.min(1060, body.clientWidth || 960));
}

/** Charts that follow the column width; resized together, at most once per animation frame. */
const fluid: { plot: uPlot; body: HTMLElement; height: number }[] = [];
let resizeQueued = false;
addEventListener('resize', () => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => {
    resizeQueued = false;
    for (const f of fluid) f.plot.setSize({ width: fullWidth(f.body), height: f.height });
  });
});

function plot(spec: ChartSpec, parent: HTMLElement, fluidIn?: HTMLElement): uPlot {
  const holder = el('div', { class: 'chart' }, parent);
  const u = new uPlot(spec.opts, spec.data, holder);
  if (fluidIn) fluid.push({ plot: u, body: fluidIn, height: spec.opts.height });
  return u;
}

function note(body: HTMLElement, text?: string): void {
  if (text) el('p', { class: 'note', text }, body);
}

/** Compact number for tables: integers as they are, others to 4 significant digits. */
function fmt(v: string | number): string {
  if (typeof v !== 'number') return String(v ?? '');
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

const renderers: { [K in ReportSection['kind']]: Renderer<K> } = {
  scatterRow(body, s) {
    const row = el('div', { class: 'row' }, body);
    const n = Math.max(1, s.panels.length);
    const size = Math.max(180, Math.min(340, Math.floor((fullWidth(body) - 12 * (n - 1)) / n)));
    const { xRange, yRange } = pointRanges(s.panels);
    s.panels.forEach((p, i) => {
      const color = p.color ?? (i === 0 ? '#7f7f7f' : '#1f77b4');
      plot(scatterChart(p.title, [{ label: p.title, x: p.x, y: p.y, color }], { size, xRange, yRange }), row);
    });
    note(body, s.note);
  },
  loss(body, s) {
    const smoothed = s.loss.length >= 50 ? smooth(s.loss, s.loss.length > 2000 ? 0.99 : 0.95) : undefined;
    const spec = lossChart(s.step, s.loss, smoothed, { width: fullWidth(body), height: 300 });
    plot(spec, body, body);
  },
  schedule(body, s) {
    plot(scheduleChart(s.t, s.beta, s.alphaBar, { width: fullWidth(body), height: 260 }), body, body);
  },
  trajectories(body, s) {
    const size = Math.min(560, fullWidth(body));
    plot(trajectoryChart('', s.paths, s.background, { size }), body);
    note(body, s.note);
  },
  lines(body, s) {
    const build = s.bars ? barChart : lineChart;
    const opts = { width: fullWidth(body), height: 280, logY: s.logY, xLabel: s.xLabel, yLabel: s.yLabel };
    plot(build('', s.x, s.series, opts), body, body);
    note(body, s.note);
  },
  table(body, s) {
    const table = el('table', { class: 'data-table' }, body);
    const tr = el('tr', {}, el('thead', {}, table));
    for (const c of s.columns) el('th', { text: c }, tr);
    const tbody = el('tbody', {}, table);
    for (const r of s.rows) {
      const row = el('tr', {}, tbody);
      for (const v of r) el('td', { text: fmt(v) }, row);
    }
    note(body, s.note);
  },
  text(body, s) {
    const div = el('div', { class: 'text' }, body);
    div.innerHTML = s.html;
  },
};

function sectionTitle(s: ReportSection): string {
  if ('title' in s && s.title) return s.title;
  return s.kind === 'loss' ? 'Training loss' : s.kind === 'schedule' ? 'Noise schedule' : '';
}

function renderHeader(main: HTMLElement, data: ReportData): void {
  main.textContent = '';
  const header = el('header', {}, main);
  el('h1', { text: data.title }, header);
  if (data.subtitle) el('p', { class: 'subtitle', text: data.subtitle }, header);
  const entries = Object.entries(data.config ?? {});
  if (entries.length) {
    const dl = el('dl', { class: 'config' }, header);
    for (const [k, v] of entries) {
      const pair = el('div', {}, dl);
      el('dt', { text: k }, pair);
      const dd = el('dd', { text: fmt(v) }, pair);
      dd.title = String(v);
    }
  }
}

function renderSection(main: HTMLElement, s: ReportSection): void {
  const section = el('section', {}, main);
  const title = sectionTitle(s);
  if (title) el('h2', { text: title }, section);
  const body = el('div', { class: 'body' }, section);
  const render = (renderers as Record<string, Renderer<ReportSection['kind']> | undefined>)[s.kind];
  if (!render) {
    el('p', { class: 'error', text: `This viewer does not know section kind "${String(s.kind)}".` }, body);
    return;
  }
  try {
    render(body, s as never);
  } catch (e) {
    // one broken section must not blank the rest of the report
    el('p', { class: 'error', text: `Could not draw this section: ${(e as Error).message}` }, body);
    console.error(e);
  }
}

function main(): void {
  const main = document.getElementById('report') ?? document.body;
  const source = document.getElementById('report-data');
  let data: ReportData;
  try {
    data = JSON.parse(source?.textContent ?? '');
  } catch (e) {
    el('p', { class: 'error', text: `Report data is missing or corrupt: ${(e as Error).message}` }, main);
    return;
  }
  renderHeader(main, data);
  for (const s of data.sections ?? []) renderSection(main, s);
  el('footer', { text: 'Generated by ddpm-wasm. Drag across a line chart to zoom, double-click to reset.' }, main);
}

main();
