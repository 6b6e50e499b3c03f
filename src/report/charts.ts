/**
 * uPlot option builders shared by the browser page and the offline HTML report: each function returns
 * `{ opts, data }` ready for `new uPlot(opts, data, el)`. Pure: no DOM work here, no uPlot runtime import
 * (types only), so the module is safe to import anywhere and cheap to test in Node.
 *
 * Point clouds and trajectories use uPlot's faceted mode (mode 2, as in uPlot's scatter demo) with path
 * builders that draw straight onto the canvas and return null; uPlot calls them on every redraw. They map
 * values to pixels with one multiply-add per coordinate (all scales here are linear) and fill or stroke
 * one path per series, so 30k trajectory vertices or 10k points cost a single canvas call.
 *
 * Not here: DOM layout (page.ts, web/), data generation, live-update throttling.
 */
import type uPlot from 'uplot';
import { WHEEL_COLORS, wheelIndex } from './colour';

export interface ChartSpec {
  opts: uPlot.Options;
  data: uPlot.AlignedData;
}

export interface ChartSize {
  width?: number;
  height?: number;
}

/** Tableau-10 order, minus the two pale entries; dark enough for white backgrounds. */
const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
/** Fixed roles so every chart colours the same thing the same way. */
export const roles = { data: '#7f7f7f', samples: '#1f77b4', trajectory: '#1f77b4', end: '#d62728', beta: '#1f77b4', alphaBar: '#ff7f0e' };

const AXIS_FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const LABEL_FONT = 'bold 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const AXIS_STROKE = '#333';
const GRID = { stroke: '#e6e6e6', width: 1 };
const TICKS = { stroke: '#ccc', width: 1, size: 4 };

/** '#rrggbb' -> 'rgba(r,g,b,a)'; anything else is returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

/** Line-chart column: non-finite values become null so uPlot draws a gap instead of a spike to NaN. */
function lineColumn(a: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number.isFinite(a[i]) ? a[i] : null;
  return out;
}

/** Facet column: typed arrays pass through untouched (uPlot reads them as they are). */
function facetColumn(a: ArrayLike<number>): number[] | uPlot.TypedArray {
  return Array.isArray(a) || ArrayBuffer.isView(a) ? (a as number[] | uPlot.TypedArray) : Array.from(a);
}

function axis(label: string | undefined, extra: uPlot.Axis = {}): uPlot.Axis {
  return { label, stroke: AXIS_STROKE, font: AXIS_FONT, labelFont: LABEL_FONT, grid: GRID, ticks: TICKS, ...extra };
}

/** Debiased exponential moving average (TensorBoard's smoothing); `weight` near 1 smooths more. */
export function smooth(values: ArrayLike<number>, weight = 0.98): number[] {
  const out = new Array<number>(values.length);
  let acc = 0;
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      acc = weight * acc + (1 - weight) * v;
      norm = weight * norm + (1 - weight);
    }
    out[i] = norm > 0 ? acc / norm : NaN;
  }
  return out;
}

/** q-quantile bounds of the finite values (q = 0 gives min/max). */
function quantileBounds(a: ArrayLike<number>, q: number): [number, number] | null {
  const v = new Float64Array(a.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) v[n++] = a[i];
  if (n === 0) return null;
  const s = v.subarray(0, n).sort();
  return [s[Math.floor(q * (n - 1))], s[Math.ceil((1 - q) * (n - 1))]];
}

export interface PointSet {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/**
 * Square x and y ranges (same span, so one unit is as long on both axes) covering every set. The outer
 * 0.1% of each set is ignored so that a few diverged samples do not shrink the cloud to a dot; pass the
 * same result to every panel of a row so the panels compare.
 */
export function pointRanges(sets: PointSet[], pad = 0.06, q = 0.001): { xRange: [number, number]; yRange: [number, number] } {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of sets) {
    const bx = quantileBounds(s.x, q), by = quantileBounds(s.y, q);
    if (bx) (x0 = Math.min(x0, bx[0])), (x1 = Math.max(x1, bx[1]));
    if (by) (y0 = Math.min(y0, by[0])), (y1 = Math.max(y1, by[1]));
  }
  if (!(x1 >= x0)) (x0 = -1), (x1 = 1);
  if (!(y1 >= y0)) (y0 = -1), (y1 = 1);
  const half = (Math.max(x1 - x0, y1 - y0, 1e-6) * (1 + 2 * pad)) / 2;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  return { xRange: [cx - half, cx + half], yRange: [cy - half, cy + half] };
}

/** Value -> canvas pixel maps for the x and y scales of a faceted chart (linear scales only). */
function pixelMap(u: uPlot) {
  const { left, top, width, height } = u.bbox;
  const sx = u.scales.x, sy = u.scales.y;
  const x0 = sx.min ?? 0, kx = width / ((sx.max ?? 1) - x0);
  const y0 = sy.min ?? 0, ky = height / ((sy.max ?? 1) - y0);
  return { ax: left - x0 * kx, kx, ay: top + height + y0 * ky, ky };
}

function dpr(): number {
  return (globalThis as { devicePixelRatio?: number }).devicePixelRatio || 1;
}

/** Runs `draw` with the canvas clipped to the plot area so out-of-range marks do not cover the axes. */
function clipped(u: uPlot, draw: (ctx: CanvasRenderingContext2D) => void): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  draw(ctx);
  ctx.restore();
}

/** Path builder for a faceted series [x, y]: one filled dot per point (squares when small: same look, faster). */
function pointsPath(fill: string, sizeCss: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx) => {
    const [xs, ys] = u.data[seriesIdx] as unknown as [ArrayLike<number>, ArrayLike<number>];
    const { ax, kx, ay, ky } = pixelMap(u);
    const r = sizeCss * dpr();
    const h = r / 2;
    clipped(u, (ctx) => {
      ctx.fillStyle = fill;
      ctx.beginPath();
      const n = Math.min(xs.length, ys.length);
      if (r <= 4) {
        for (let i = 0; i < n; i++) {
          const x = xs[i], y = ys[i];
          if (x != null && y != null) ctx.rect(ax + x * kx - h, ay - y * ky - h, r, r);
        }
      } else {
        for (let i = 0; i < n; i++) {
          const x = xs[i], y = ys[i];
          if (x == null || y == null) continue;
          const cx = ax + x * kx, cy = ay - y * ky;
          ctx.moveTo(cx + h, cy);
          ctx.arc(cx, cy, h, 0, 2 * Math.PI);
        }
      }
      ctx.fill();
    });
    return null;
  };
}

/**
 * Path builder for many polylines stored end to end in one faceted series; `starts` has one entry per path plus the
 * total. One stroke for all in `stroke`, or with `colors` each path in its wheel colour (one stroke per path: the
 * paths drawn then are a few dozen to hundreds).
 */
function polylinesPath(
  stroke: string, widthCss: number, starts: Int32Array, colors?: ArrayLike<number>, alpha = 1,
): uPlot.Series.PathBuilder {
  return (u, seriesIdx) => {
    const [xs, ys] = u.data[seriesIdx] as unknown as [ArrayLike<number>, ArrayLike<number>];
    const { ax, kx, ay, ky } = pixelMap(u);
    clipped(u, (ctx) => {
      ctx.globalAlpha = alpha;
      ctx.strokeStyle = stroke;
      ctx.lineWidth = widthCss * dpr();
      ctx.lineJoin = 'round';
      if (!colors) ctx.beginPath();
      for (let p = 0; p + 1 < starts.length; p++) {
        const a = starts[p], b = starts[p + 1];
        if (b - a < 2) continue;
        if (colors) (ctx.strokeStyle = WHEEL_COLORS[colors[p]] ?? stroke), ctx.beginPath();
        ctx.moveTo(ax + xs[a] * kx, ay - ys[a] * ky);
        for (let i = a + 1; i < b; i++) ctx.lineTo(ax + xs[i] * kx, ay - ys[i] * ky);
        if (colors) ctx.stroke();
      }
      if (!colors) ctx.stroke();
    });
    return null;
  };
}

/** Shared frame of a faceted (x, y) chart: fixed ranges, square plot area, no hover lookup, no zoom. */
function facetedBase(title: string, size: number, xRange: [number, number], yRange: [number, number]): uPlot.Options {
  const axisSize = 40; // both axes the same size and both pads the same, so the plot area is square
  return {
    mode: 2,
    title,
    width: size,
    height: size,
    padding: [10, 10, 0, 0],
    legend: { live: false },
    // The default hover lookup assumes aligned data; nothing useful to read off a single point anyway.
    cursor: { dataIdx: () => null, points: { show: false }, drag: { x: false, y: false, setScale: false } },
    scales: {
      x: { time: false, auto: false, range: xRange },
      y: { auto: false, range: yRange },
    },
    axes: [axis(undefined, { size: axisSize, space: 40 }), axis(undefined, { size: axisSize, space: 40 })],
    series: [{}],
  };
}

function facetSeries(label: string, color: string, paths: uPlot.Series.PathBuilder): uPlot.Series {
  return {
    label,
    stroke: color,
    fill: color,
    facets: [
      { scale: 'x', auto: false },
      { scale: 'y', auto: false },
    ],
    paths,
    points: { show: false },
  };
}

export interface ScatterSet extends PointSet {
  label: string;
  color?: string;
}

export interface ScatterOptions {
  /** Outer width and height in CSS pixels (the plot area is square). */
  size?: number;
  xRange?: [number, number];
  yRange?: [number, number];
  /** Dot diameter in CSS pixels; by default smaller as the cloud gets denser. */
  pointSize?: number;
  /** Dot opacity; by default lower as the cloud gets denser. */
  alpha?: number;
}

/** One panel of 2-D point clouds, each set a colour, drawn in order (later sets on top). */
export function scatterChart(title: string, sets: ScatterSet[], options: ScatterOptions = {}): ChartSpec {
  const size = options.size ?? 300;
  const ranges = options.xRange && options.yRange ? { xRange: options.xRange, yRange: options.yRange } : pointRanges(sets);
  const xRange = options.xRange ?? ranges.xRange;
  const yRange = options.yRange ?? ranges.yRange;
  const opts = facetedBase(title, size, xRange, yRange);
  if (sets.length < 2) opts.legend = { show: false };
  const data: unknown[] = [null];
  sets.forEach((s, i) => {
    const n = Math.min(s.x.length, s.y.length);
    const pointSize = options.pointSize ?? (n > 5000 ? 1.5 : n > 1500 ? 2 : 3);
    const alpha = options.alpha ?? (n > 5000 ? 0.35 : n > 1500 ? 0.55 : 0.75);
    const color = s.color ?? palette[i % palette.length];
    opts.series.push(facetSeries(s.label, color, pointsPath(withAlpha(color, alpha), pointSize)));
    data.push([facetColumn(s.x), facetColumn(s.y)]);
  });
  return { opts, data: data as uPlot.AlignedData };
}

export interface TrajectoryOptions {
  size?: number;
  xRange?: [number, number];
  yRange?: [number, number];
  /** Line opacity; the default keeps 300 overlapping paths readable. */
  alpha?: number;
  /** Wheel colour index per path: each path (and its end) drawn in its start's colour instead of one blue. */
  colors?: ArrayLike<number>;
}

/**
 * Reverse-process trajectories x_T -> x_0 as polylines over a background cloud (usually the data), with
 * the end point x_0 of each path marked. Each path's points are in sampling order.
 */
export function trajectoryChart(
  title: string,
  paths: PointSet[],
  background: PointSet,
  options: TrajectoryOptions = {},
): ChartSpec {
  const size = options.size ?? 360;
  let total = 0;
  for (const p of paths) total += Math.min(p.x.length, p.y.length);
  const xs = new Float64Array(total), ys = new Float64Array(total);
  const ex = new Float64Array(paths.length), ey = new Float64Array(paths.length);
  const starts = new Int32Array(paths.length + 1);
  let at = 0;
  paths.forEach((p, k) => {
    const n = Math.min(p.x.length, p.y.length);
    starts[k] = at;
    for (let i = 0; i < n; i++) (xs[at + i] = p.x[i] ?? NaN), (ys[at + i] = p.y[i] ?? NaN);
    at += n;
    ex[k] = n ? (p.x[n - 1] ?? NaN) : NaN;
    ey[k] = n ? (p.y[n - 1] ?? NaN) : NaN;
  });
  starts[paths.length] = at;
  const fit = pointRanges([background, { x: xs, y: ys }]);
  const opts = facetedBase(title, size, options.xRange ?? fit.xRange, options.yRange ?? fit.yRange);
  const alpha = options.alpha ?? Math.min(0.6, Math.max(0.08, 20 / Math.max(1, paths.length)));
  const colors = options.colors;
  if (colors) {
    opts.legend = { show: false };
    opts.scales!.c = { auto: false, range: [0, WHEEL_COLORS.length] };
    const end = facetSeries('x\u2080', '#555', wheelPointsPath(4, 0.95));
    end.facets!.push({ scale: 'c', auto: false });
    opts.series.push(
      facetSeries('data', roles.data, pointsPath(withAlpha(roles.data, 0.25), 2)),
      facetSeries('trajectories', '#555', polylinesPath('#555', 1, starts, colors, Math.max(alpha, 0.35))),
      end,
    );
    const data = [null, [facetColumn(background.x), facetColumn(background.y)], [xs, ys], [ex, ey, facetColumn(colors)]];
    return { opts, data: data as unknown as uPlot.AlignedData };
  }
  opts.series.push(
    facetSeries('data', roles.data, pointsPath(withAlpha(roles.data, 0.25), 2)),
    facetSeries('trajectories', roles.trajectory, polylinesPath(withAlpha(roles.trajectory, alpha), 1, starts)),
    facetSeries('x\u2080', roles.end, pointsPath(withAlpha(roles.end, 0.8), 3)),
  );
  const data = [null, [facetColumn(background.x), facetColumn(background.y)], [xs, ys], [ex, ey]];
  return { opts, data: data as unknown as uPlot.AlignedData };
}

export interface LineSeries {
  label: string;
  y: ArrayLike<number>;
  color?: string;
  dash?: number[];
}

export interface LineOptions extends ChartSize {
  logX?: boolean;
  logY?: boolean;
  xLabel?: string;
  yLabel?: string;
}

/** Tick label of a log axis: plain down to 0.001, then powers of ten. */
function logTick(v: number | null): string {
  if (v == null || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  return a === 0 || (a >= 1e-3 && a < 1e6) ? String(Number(v.toPrecision(3))) : v.toExponential(0).replace('e+', 'e');
}

function alignedBase(title: string, options: LineOptions): uPlot.Options {
  return {
    title,
    width: options.width ?? 640,
    height: options.height ?? 280,
    scales: { x: options.logX ? { time: false, distr: 3 } : { time: false }, y: options.logY ? { distr: 3 } : {} },
    // A log axis spans decades below 1e-3, which uPlot's default labels round to "0": write those as 1e-4, 1e-5.
    axes: [axis(options.xLabel), axis(options.yLabel, options.logY ? { size: 56, values: (_u, vals) => vals.map(logTick) } : { size: 56 })],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    series: [{ label: options.xLabel ?? 'x' }],
  };
}

/** Generic lines over a shared x (per-timestep loss, bound terms, metrics over training). */
export function lineChart(title: string, x: ArrayLike<number>, series: LineSeries[], options: LineOptions = {}): ChartSpec {
  const opts = alignedBase(title, options);
  const data: (number | null)[][] = [lineColumn(x)];
  series.forEach((s, i) => {
    opts.series.push({ label: s.label, stroke: s.color ?? palette[i % palette.length], width: 1.5, dash: s.dash, points: { show: false } });
    data.push(lineColumn(s.y));
  });
  return { opts, data: data as uPlot.AlignedData };
}

/** Training loss against step on a log axis; `smoothed` (e.g. from `smooth`) is drawn bold over the raw curve. */
export function lossChart(
  step: ArrayLike<number>, loss: ArrayLike<number>, smoothed?: ArrayLike<number>, options: ChartSize = {},
): ChartSpec {
  const c = roles.samples;
  const series: LineSeries[] = [{ label: 'loss', y: loss, color: smoothed ? withAlpha(c, 0.3) : c }];
  if (smoothed) series.push({ label: 'smoothed', y: smoothed, color: c });
  const spec = lineChart('Training loss', step, series, { ...options, logY: true, xLabel: 'step', yLabel: 'loss' });
  spec.opts.series[1].width = 1;
  if (smoothed) spec.opts.series[2].width = 2;
  return spec;
}

/** The noise schedule: beta_t on the left axis, alphaBar_t (in [0, 1]) on the right. */
export function scheduleChart(
  t: ArrayLike<number>, beta: ArrayLike<number>, alphaBar: ArrayLike<number>, options: ChartSize = {},
): ChartSpec {
  const opts = alignedBase('Noise schedule', { ...options, xLabel: 't' });
  opts.scales = { x: { time: false }, beta: {}, abar: { auto: false, range: [0, 1] } };
  opts.axes = [
    axis('t'),
    axis('\u03b2\u209c', { scale: 'beta', size: 56, stroke: roles.beta }),
    axis('\u1fb1\u209c', { scale: 'abar', side: 1, size: 44, stroke: roles.alphaBar, grid: { show: false } }),
  ];
  opts.series.push(
    { label: '\u03b2\u209c', scale: 'beta', stroke: roles.beta, width: 1.5, points: { show: false } },
    { label: '\u1fb1\u209c', scale: 'abar', stroke: roles.alphaBar, width: 1.5, points: { show: false } },
  );
  return { opts, data: [lineColumn(t), lineColumn(beta), lineColumn(alphaBar)] as uPlot.AlignedData };
}

/** Signal-to-noise ratio alphaBar_t / (1 - alphaBar_t) on a log axis (Kingma et al., Variational Diffusion Models). */
export function snrChart(t: ArrayLike<number>, alphaBar: ArrayLike<number>, options: ChartSize = {}): ChartSpec {
  const snr = Array.from(alphaBar, (a) => a / (1 - a));
  return lineChart('Signal-to-noise ratio', t, [{ label: 'SNR', y: snr, color: roles.beta }], {
    ...options,
    logY: true,
    xLabel: 't',
    yLabel: '\u1fb1/(1\u2212\u1fb1)',
  });
}

/** Path builder for one series of grouped bars: slot `k` of `of` within each x step, from 0 to the value. */
function barsPath(fill: string, k: number, of: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx) => {
    const xs = u.data[0] as ArrayLike<number>;
    const ys = u.data[seriesIdx] as ArrayLike<number | null>;
    const n = xs.length;
    if (n === 0) return null;
    const px = (v: number) => u.valToPos(v, 'x', true);
    const py = (v: number) => u.valToPos(v, 'y', true);
    let step = Infinity;
    for (let i = 1; i < n; i++) step = Math.min(step, Math.abs(px(xs[i]) - px(xs[i - 1])));
    if (!Number.isFinite(step)) step = u.bbox.width / 2;
    const group = step * 0.8, bar = group / of;
    const base = py(Math.max(0, u.scales.y.min ?? 0));
    clipped(u, (ctx) => {
      ctx.fillStyle = fill;
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        const y = ys[i];
        if (y == null || !Number.isFinite(y)) continue;
        const left = px(xs[i]) - group / 2 + k * bar;
        const top = py(y);
        ctx.rect(left, Math.min(top, base), bar, Math.abs(base - top));
      }
      ctx.fill();
    });
    return null;
  };
}

/** Grouped bars over a shared x, bars from zero (per-timestep loss or bound terms as a histogram). */
export function barChart(title: string, x: ArrayLike<number>, series: LineSeries[], options: LineOptions = {}): ChartSpec {
  const spec = lineChart(title, x, series, options);
  const pad = (u: uPlot, min: number, max: number): uPlot.Range.MinMax => [Math.min(0, min), max > 0 ? max * 1.05 : 0];
  if (!options.logY) spec.opts.scales!.y = { range: pad };
  // half a bar step of room at both ends so the outer bars are not cut in half
  let lo = Infinity, hi = -Infinity, n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) (lo = Math.min(lo, x[i])), (hi = Math.max(hi, x[i])), n++;
  if (n > 1 && hi > lo) {
    const h = (hi - lo) / (n - 1) / 2;
    spec.opts.scales!.x = { time: false, range: [lo - h, hi + h] };
  }
  spec.opts.series.forEach((s, i) => {
    if (i === 0) return;
    const color = series[i - 1].color ?? palette[(i - 1) % palette.length];
    s.paths = barsPath(withAlpha(color, 0.8), i - 1, series.length);
    s.fill = withAlpha(color, 0.8);
  });
  return spec;
}

// ---------------------------------------------------------------------------------------------------
// Colour by position: the wheel charts (the wheel, its colours and frames are colour.ts's).

/** Path builder for a faceted series [x, y, colour index]: one filled path per wheel colour. */
function wheelPointsPath(sizeCss: number, alpha: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx) => {
    const [xs, ys, cs] = u.data[seriesIdx] as unknown as [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>];
    const { ax, kx, ay, ky } = pixelMap(u);
    const r = sizeCss * dpr(), h = r / 2, n = Math.min(xs.length, ys.length, cs.length);
    // Bucket the points by colour first: then one path and one fill per colour.
    const count = new Int32Array(WHEEL_COLORS.length + 1);
    for (let i = 0; i < n; i++) count[cs[i] + 1]++;
    for (let c = 1; c <= WHEEL_COLORS.length; c++) count[c] += count[c - 1];
    const order = new Int32Array(n), at = count.slice();
    for (let i = 0; i < n; i++) order[at[cs[i]]++] = i;
    clipped(u, (ctx) => {
      ctx.globalAlpha = alpha;
      for (let c = 0; c < WHEEL_COLORS.length; c++) {
        if (count[c + 1] === count[c]) continue;
        ctx.fillStyle = WHEEL_COLORS[c];
        ctx.beginPath();
        for (let k = count[c]; k < count[c + 1]; k++) {
          const i = order[k], x = xs[i], y = ys[i];
          if (x == null || y == null || !Number.isFinite(x) || !Number.isFinite(y)) continue;
          const px = ax + x * kx, py = ay - y * ky;
          ctx.moveTo(px + h, py);
          ctx.arc(px, py, h, 0, 2 * Math.PI);
        }
        ctx.fill();
      }
    });
    return null;
  };
}

export interface WheelSet extends PointSet {
  /** wheelIndex per point (usually of the point's start). */
  color: ArrayLike<number>;
}

export interface WheelChartOptions extends ScatterOptions {
  /** Grey points drawn underneath (the data). */
  background?: PointSet;
}

/** Points coloured by their wheel index (a start's colour carried to its end), over an optional grey background. */
export function wheelScatterChart(title: string, set: WheelSet, options: WheelChartOptions = {}): ChartSpec {
  const size = options.size ?? 300;
  const fit = options.xRange && options.yRange
    ? { xRange: options.xRange, yRange: options.yRange }
    : pointRanges([set, ...(options.background ? [options.background] : [])]);
  const opts = facetedBase(title, size, options.xRange ?? fit.xRange, options.yRange ?? fit.yRange);
  opts.legend = { show: false };
  const data: unknown[] = [null];
  if (options.background) {
    opts.series.push(facetSeries('data', roles.data, pointsPath(withAlpha(roles.data, 0.18), 2)));
    data.push([facetColumn(options.background.x), facetColumn(options.background.y)]);
  }
  const n = Math.min(set.x.length, set.y.length);
  const s = facetSeries('points', '#555',
    wheelPointsPath(options.pointSize ?? (n > 3000 ? 2.5 : n > 1000 ? 3.5 : 4.5), options.alpha ?? 0.85));
  s.facets!.push({ scale: 'c', auto: false });
  opts.scales!.c = { auto: false, range: [0, WHEEL_COLORS.length] };
  opts.series.push(s);
  data.push([facetColumn(set.x), facetColumn(set.y), facetColumn(set.color)]);
  return { opts, data: data as uPlot.AlignedData };
}

/** The key of the wheel charts: a disc of points, each in the colour its position gets. */
export function wheelKeyChart(title: string, size = 160): ChartSpec {
  const xs: number[] = [], ys: number[] = [], cs: number[] = [];
  const G = 41;
  for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) {
    const u = (2 * i) / (G - 1) - 1, v = (2 * j) / (G - 1) - 1;
    if (u * u + v * v > 1.0001) continue;
    xs.push(u), ys.push(v), cs.push(wheelIndex(u, v));
  }
  const spec = wheelScatterChart(title, { x: xs, y: ys, color: cs },
    { size, xRange: [-1.1, 1.1], yRange: [-1.1, 1.1], pointSize: size / 30, alpha: 1 });
  spec.opts.axes = [{ show: false }, { show: false }];
  spec.opts.padding = [6, 6, 6, 6];
  return spec;
}

/** Path builder for [x0, y0, x1, y1, colour index]: a thin segment per row in its wheel colour (a start to each ending). */
function wheelSegmentsPath(alpha: number, widthCss: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx) => {
    const [x0, y0, x1, y1, cs] = u.data[seriesIdx] as unknown as ArrayLike<number>[];
    const { ax, kx, ay, ky } = pixelMap(u);
    clipped(u, (ctx) => {
      ctx.globalAlpha = alpha;
      ctx.lineWidth = widthCss * dpr();
      for (let i = 0; i < x0.length; i++) {
        ctx.strokeStyle = WHEEL_COLORS[cs[i]] ?? '#555';
        ctx.beginPath();
        ctx.moveTo(ax + x0[i] * kx, ay - y0[i] * ky);
        ctx.lineTo(ax + x1[i] * kx, ay - y1[i] * ky);
        ctx.stroke();
      }
    });
    return null;
  };
}

/** Path builder for markers [x, y, colour index]: a ring in the point's colour with a dark outline. */
function ringsPath(sizeCss: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx) => {
    const [xs, ys, cs] = u.data[seriesIdx] as unknown as [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>];
    const { ax, kx, ay, ky } = pixelMap(u);
    const r = (sizeCss / 2) * dpr();
    clipped(u, (ctx) => {
      for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
        const px = ax + xs[i] * kx, py = ay - ys[i] * ky;
        ctx.beginPath();
        ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.fillStyle = WHEEL_COLORS[cs[i]] ?? '#555';
        ctx.fill();
        ctx.lineWidth = 2 * dpr();
        ctx.strokeStyle = '#111';
        ctx.stroke();
      }
    });
    return null;
  };
}

export interface FanGroup {
  /** The start x_T (plotted in data units). */
  start: [number, number];
  /** Its endings, one per run. */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Wheel colour of the start. */
  color: number;
}

/**
 * One start run many times: each start (a ringed dot) and its endings (small dots of the same colour) over the
 * data (grey). A deterministic sampler puts every run of a start on one spot; a stochastic one spreads them.
 */
export function fanChart(title: string, groups: FanGroup[], background: PointSet, options: ScatterOptions = {}): ChartSpec {
  const size = options.size ?? 340;
  const ex: number[] = [], ey: number[] = [], ec: number[] = [], fx: number[] = [], fy: number[] = [];
  for (const g of groups) {
    for (let i = 0; i < Math.min(g.x.length, g.y.length); i++) {
      ex.push(g.x[i]), ey.push(g.y[i]), ec.push(g.color), fx.push(g.start[0]), fy.push(g.start[1]);
    }
  }
  const sx = groups.map((g) => g.start[0]), sy = groups.map((g) => g.start[1]), sc = groups.map((g) => g.color);
  const fit = pointRanges([background, { x: ex, y: ey }, { x: sx, y: sy }], 0.08, 0);
  const opts = facetedBase(title, size, options.xRange ?? fit.xRange, options.yRange ?? fit.yRange);
  opts.legend = { show: false };
  opts.scales!.c = { auto: false, range: [0, WHEEL_COLORS.length] };
  const ends = facetSeries('endings', '#555', wheelPointsPath(options.pointSize ?? 5, options.alpha ?? 0.8));
  const rays = facetSeries('runs', '#555', wheelSegmentsPath(0.3, 1));
  const rings = facetSeries('starts', '#111', ringsPath(12));
  ends.facets!.push({ scale: 'c', auto: false });
  rings.facets!.push({ scale: 'c', auto: false });
  rays.facets!.push({ scale: 'x', auto: false }, { scale: 'y', auto: false }, { scale: 'c', auto: false });
  opts.series.push(facetSeries('data', roles.data, pointsPath(withAlpha(roles.data, 0.2), 2)), rays, ends, rings);
  const data = [null, [facetColumn(background.x), facetColumn(background.y)], [fx, fy, ex, ey, ec], [ex, ey, ec], [sx, sy, sc]];
  return { opts, data: data as unknown as uPlot.AlignedData };
}

export interface PositionsOptions extends ChartSize {
  /** Draw t from high to low (the reverse process read left to right). */
  reversed?: boolean;
  yLabel?: string;
}

/**
 * One coordinate of a few dozen points against t, each line in its point's wheel colour (x_0's for the forward
 * process, x_T's for the reverse): where the lines cross and tangle, position is being forgotten or chosen.
 */
export function positionsChart(
  title: string, t: ArrayLike<number>, lines: { y: ArrayLike<number>; color: number }[], options: PositionsOptions = {},
): ChartSpec {
  // uPlot wants x ascending: sort t once and carry every line along.
  const order = Array.from({ length: t.length }, (_, i) => i).sort((a, b) => t[a] - t[b]);
  const x = order.map((i) => t[i]);
  const opts = alignedBase(title, { width: options.width ?? 480, height: options.height ?? 260, xLabel: 't', yLabel: options.yLabel });
  opts.legend = { show: false };
  opts.cursor = { show: false };
  opts.scales = { x: { time: false, dir: options.reversed ? -1 : 1 }, y: {} };
  const data: (number | null)[][] = [x];
  for (const l of lines) {
    opts.series.push({ label: '', stroke: withAlpha(WHEEL_COLORS[l.color] ?? '#555', 0.9), width: 1.2, points: { show: false } });
    data.push(lineColumn(order.map((i) => l.y[i])));
  }
  return { opts, data: data as uPlot.AlignedData };
}

export interface FieldGrid {
  /** Arrow tails (grid points), data units. */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Arrow vectors (any units: lengths are normalised per chart). */
  u: ArrayLike<number>;
  v: ArrayLike<number>;
}

/** Path builder drawing arrows (x, y) -> (x, y) + scale (u, v), heads included; one stroke for all. */
function arrowsPath(color: string, widthCss: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx) => {
    const [xs, ys, us, vs] = u.data[seriesIdx] as unknown as ArrayLike<number>[];
    const { ax, kx, ay, ky } = pixelMap(u);
    const n = Math.min(xs.length, ys.length, us.length, vs.length);
    // Spacing of the grid in pixels. Arrow length grows as the square root of the vector's size, so the short
    // vectors on the data stay visible beside the long ones far from it; the 95% quantile gets 0.9 of a cell.
    let cell = Infinity;
    for (let i = 1; i < n; i++) {
      const dx = Math.abs(xs[i] - xs[0]) * kx, dy = Math.abs(ys[i] - ys[0]) * ky;
      const d = Math.max(dx, dy);
      if (d > 0.5) cell = Math.min(cell, d);
    }
    if (!Number.isFinite(cell)) cell = 20 * dpr();
    const mags = Float64Array.from({ length: n }, (_, i) => Math.hypot(us[i] * kx, vs[i] * ky)).sort();
    const top = mags[Math.min(n - 1, Math.floor(0.95 * n))] || 1;
    clipped(u, (ctx) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = widthCss * dpr();
      ctx.lineCap = 'round';
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        const px = us[i] * kx, py = -vs[i] * ky, m = Math.hypot(px, py);
        if (!(m > 0)) continue;
        const len = Math.min(1.1, Math.sqrt(m / top) * 0.9) * cell;
        if (len < 0.5) continue;
        const dx = (px / m) * len, dy = (py / m) * len;
        const x0 = ax + xs[i] * kx, y0 = ay - ys[i] * ky, x1 = x0 + dx, y1 = y0 + dy;
        ctx.moveTo(x0, y0);
        ctx.lineTo(x1, y1);
        const head = Math.min(0.35 * len, 5 * dpr()), ux = dx / len, uy = dy / len;
        ctx.moveTo(x1 - head * (ux - 0.5 * uy), y1 - head * (uy + 0.5 * ux));
        ctx.lineTo(x1, y1);
        ctx.lineTo(x1 - head * (ux + 0.5 * uy), y1 - head * (uy - 0.5 * ux));
      }
      ctx.stroke();
    });
    return null;
  };
}

/**
 * The learned field at one t: arrows on a grid over the points of q(x_t) (light blue). Arrow lengths grow as the
 * square root of the vector's size, scaled per chart (the longest ~ one grid cell): compare directions between
 * charts, and sizes within one.
 */
export function fieldChart(title: string, grid: FieldGrid, points: PointSet, options: ScatterOptions = {}): ChartSpec {
  const size = options.size ?? 300;
  const fit = pointRanges([{ x: grid.x, y: grid.y }], 0.03, 0);
  const opts = facetedBase(title, size, options.xRange ?? fit.xRange, options.yRange ?? fit.yRange);
  opts.legend = { show: false };
  const arrows = facetSeries('field', '#222', arrowsPath('rgba(20,20,20,0.85)', 1.1));
  arrows.facets!.push({ scale: 'u', auto: false }, { scale: 'v', auto: false });
  opts.scales!.u = { auto: false, range: [-1, 1] };
  opts.scales!.v = { auto: false, range: [-1, 1] };
  const np = Math.min(points.x.length, points.y.length);
  opts.series.push(facetSeries('q(x_t)', roles.samples, pointsPath(withAlpha(roles.samples, np > 2000 ? 0.3 : 0.45), 2.5)), arrows);
  const data = [
    null, [facetColumn(points.x), facetColumn(points.y)],
    [facetColumn(grid.x), facetColumn(grid.y), facetColumn(grid.u), facetColumn(grid.v)],
  ];
  return { opts, data: data as unknown as uPlot.AlignedData };
}

/** A square grid of G x G arrow tails covering the given ranges (row-major, y outer). */
export function gridPoints(xRange: [number, number], yRange: [number, number], G: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(G * G), y = new Float32Array(G * G);
  for (let j = 0; j < G; j++) for (let i = 0; i < G; i++) {
    x[j * G + i] = xRange[0] + ((i + 0.5) * (xRange[1] - xRange[0])) / G;
    y[j * G + i] = yRange[0] + ((j + 0.5) * (yRange[1] - yRange[0])) / G;
  }
  return { x, y };
}
