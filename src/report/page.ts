/**
 * Browser entry of the offline report, bundled with uPlot into dist/report-page.js and inlined into every
 * report by renderReport(). It reads the JSON in <script id="report-data">, lays out the header (title,
 * config) and one <section> per ReportSection, and draws each chart with the builders in charts.ts.
 *
 * Not here: the data model and the HTML shell (report.ts), chart options (charts.ts).
 */
import uPlot from 'uplot';
import {
  barChart, fanChart, fieldChart, lineChart, lossChart, pointRanges, positionsChart, scatterChart, scheduleChart, smooth, trajectoryChart,
  wheelKeyChart, wheelScatterChart, type ChartSpec,
} from './charts';
import type { ReportData, ReportSection } from './render';

type Renderer<K extends ReportSection['kind']> = (body: HTMLElement, section: Extract<ReportSection, { kind: K }>) => void;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: { class?: string; text?: string } = {}, parent?: HTMLElement,
): HTMLElementTagNameMap[K] {
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

/** Square panel size for n panels (`extra` of them at half size) in one row of the section body, 12 px gaps. */
function panelSize(body: HTMLElement, n: number, max = 340, half = 0): number {
  const gaps = 12 * (n + half - 1) + 4;
  return Math.max(180, Math.min(max, Math.floor((fullWidth(body) - gaps) / Math.max(1, n + half / 2))));
}

/** One chart of a row with its one-sentence caption underneath, as wide as the chart. */
function panel(row: HTMLElement, spec: ChartSpec, caption?: string, cls = 'panel'): uPlot {
  const holder = el('div', { class: cls }, row);
  const u = plot(spec, holder);
  if (caption) {
    const c = el('p', { class: 'caption', text: caption }, holder);
    c.style.maxWidth = `${spec.opts.width}px`;
  }
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
    const size = Math.max(150, Math.min(340, Math.floor((fullWidth(body) - 12 * (n - 1)) / n)));
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
    plot(trajectoryChart('', s.paths, s.background, { size, colors: s.colors }), body);
    note(body, s.note);
  },
  wheelRow(body, s) {
    const row = el('div', { class: 'row' }, body);
    const size = panelSize(body, s.panels.length, 340, s.key ? 1 : 0);
    if (s.key) {
      panel(row, wheelKeyChart('colour = position', Math.floor(size / 2)),
        'Each point gets the colour of its place on this wheel: angle is hue, distance from the centre is saturation.', 'panel key');
    }
    const shared = s.panels.filter((p) => !p.ownRange);
    const { xRange, yRange } = pointRanges([...shared, ...(s.background ? [s.background] : [])]);
    for (const p of s.panels) {
      const own = p.ownRange ? pointRanges([p]) : { xRange, yRange };
      panel(row, wheelScatterChart(p.title, { x: p.x, y: p.y, color: p.color },
        { size, ...own, background: p.ownRange ? undefined : s.background }), p.caption);
    }
    note(body, s.note);
  },
  fanRow(body, s) {
    const row = el('div', { class: 'row' }, body);
    const size = panelSize(body, s.panels.length, 420);
    const all = s.panels.flatMap((p) => p.groups);
    const { xRange, yRange } = pointRanges([
      s.background, { x: all.flatMap((g) => g.x), y: all.flatMap((g) => g.y) },
      { x: all.map((g) => g.start[0]), y: all.map((g) => g.start[1]) },
    ], 0.08, 0);
    for (const p of s.panels) panel(row, fanChart(p.title, p.groups, s.background, { size, xRange, yRange }), p.caption);
    note(body, s.note);
  },
  positions(body, s) {
    const row = el('div', { class: 'row' }, body);
    const n = s.panels.length, w = Math.max(300, Math.floor((fullWidth(body) - 12 * (Math.min(n, 2) - 1)) / Math.min(n, 2)));
    for (const p of s.panels) {
      panel(row, positionsChart(p.title, p.t, p.lines, { width: w, height: 240, reversed: p.reversed, yLabel: p.yLabel }), p.caption);
    }
    note(body, s.note);
  },
  fieldRow(body, s) {
    const row = el('div', { class: 'row' }, body);
    const size = panelSize(body, s.panels.length);
    for (const p of s.panels) panel(row, fieldChart(p.title, p.grid, p.points, { size }), p.caption);
    note(body, s.note);
  },
  lines(body, s) {
    const build = s.bars ? barChart : lineChart;
    const opts = { width: fullWidth(body), height: 280, logX: s.logX, logY: s.logY, xLabel: s.xLabel, yLabel: s.yLabel };
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
