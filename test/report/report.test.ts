/**
 * The offline report and the chart builders: the HTML shell (data JSON round trip, nothing external,
 * no way for data to close its <script>), option/data shapes of every builder, and, with no browser in
 * CI, a small fake DOM with a recording canvas to run real uPlot and the bundled page script in Node:
 * every section must draw without throwing and the custom path builders must put marks inside the plot.
 */
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type uPlot from 'uplot';
import { WHEEL_COLORS, wheelIndex } from '../../src/report/colour';
import {
  barChart, fanChart, fieldChart, gridPoints, lineChart, lossChart, pointRanges, positionsChart, scatterChart, scheduleChart, smooth,
  snrChart, trajectoryChart, wheelKeyChart, wheelScatterChart, withAlpha, type ChartSpec,
} from '../../src/report/charts';
import { loadReportAssets } from '../../src/cli/report-assets';
import { renderReport, roundSig, serializeReportData, type ReportData } from '../../src/report/render';

// ---------------------------------------------------------------------------------------------------
// A fake DOM: just enough of document, elements and a 2-D context for uPlot 1.6 to build and draw.

type Op = { op: string; args: number[]; style?: string };

function fakeDom() {
  const ops: Op[] = [];
  const errors: string[] = [];
  const makeCtx = () => {
    const state: Record<string | symbol, unknown> = {};
    return new Proxy(state, {
      get(t, k) {
        if (k in t) return t[k];
        if (k === 'measureText') return () => ({ width: 10, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 });
        return (...args: number[]) => {
          ops.push({ op: String(k), args, style: k === 'fill' ? String(t.fillStyle) : k === 'stroke' ? String(t.strokeStyle) : undefined });
        };
      },
      set(t, k, v) {
        t[k] = v;
        return true;
      },
    });
  };
  class El {
    tagName: string;
    children: El[] = [];
    parentNode: El | null = null;
    style: Record<string, string> = {};
    attrs: Record<string, string> = {};
    cls = new Set<string>();
    text = '';
    innerHTML = '';
    ctx: unknown;
    constructor(tag: string) {
      this.tagName = tag.toUpperCase();
    }
    get classList() {
      const s = this.cls;
      return {
        add: (...c: string[]) => c.forEach((x) => s.add(x)), remove: (...c: string[]) => c.forEach((x) => s.delete(x)),
        contains: (c: string) => s.has(c), toggle: (c: string) => (s.has(c) ? s.delete(c) : s.add(c)),
      };
    }
    get className() {
      return [...this.cls].join(' ');
    }
    set className(v: string) {
      this.cls = new Set(String(v).split(/\s+/).filter(Boolean));
    }
    get nodeValue() {
      return this.text;
    }
    set nodeValue(v: string) {
      this.text = String(v ?? '');
    }
    get textContent(): string {
      return this.text + this.children.map((c) => c.textContent).join('');
    }
    set textContent(v: string) {
      this.children = [];
      this.text = '';
      if (v != null && v !== '') {
        const t = new El('#text');
        t.text = String(v);
        this.appendChild(t);
      }
    }
    get childNodes() {
      return this.children;
    }
    get firstChild() {
      return this.children[0] ?? null;
    }
    get clientWidth() {
      return 1000;
    }
    get clientHeight() {
      return 600;
    }
    appendChild(c: El) {
      c.parentNode?.removeChild(c);
      c.parentNode = this;
      this.children.push(c);
      return c;
    }
    insertBefore(c: El, ref: El | null) {
      if (!ref) return this.appendChild(c);
      c.parentNode?.removeChild(c);
      c.parentNode = this;
      this.children.splice(Math.max(0, this.children.indexOf(ref)), 0, c);
      return c;
    }
    removeChild(c: El) {
      this.children = this.children.filter((x) => x !== c);
      c.parentNode = null;
      return c;
    }
    remove() {
      this.parentNode?.removeChild(this);
    }
    setAttribute(k: string, v: string) {
      this.attrs[k] = String(v);
    }
    getAttribute(k: string) {
      return this.attrs[k] ?? null;
    }
    addEventListener() {}
    removeEventListener() {}
    getBoundingClientRect() {
      return { left: 0, top: 0, right: 1000, bottom: 600, width: 1000, height: 600, x: 0, y: 0 };
    }
    querySelector() {
      return null;
    }
    getContext() {
      return (this.ctx ??= makeCtx());
    }
    all(): El[] {
      return [this, ...this.children.flatMap((c) => c.all())];
    }
  }
  const byId: Record<string, El> = {};
  const body = new El('body');
  const noop = () => {};
  const document = {
    body,
    head: new El('head'),
    createElement: (t: string) => new El(t),
    createElementNS: (_ns: string, t: string) => new El(t),
    getElementById: (id: string) => byId[id] ?? null,
    addEventListener: noop,
    removeEventListener: noop,
  };
  const globals: Record<string, unknown> = {
    HTMLElement: El,
    document,
    navigator: { userAgent: 'node' },
    devicePixelRatio: 1,
    matchMedia: () => ({ matches: false, addEventListener: noop, removeEventListener: noop, addListener: noop, removeListener: noop }),
    addEventListener: noop,
    removeEventListener: noop,
    dispatchEvent: noop,
    CustomEvent: class {
      constructor(public type: string) {}
    },
    requestAnimationFrame: (f: () => void) => setTimeout(f, 0),
    // uPlot's own line and axis paths; recorded apart from the direct canvas calls our builders make
    Path2D: class {
      constructor() {
        return new Proxy(this, { get: (_t, k) => (...args: number[]) => void ops.push({ op: `path.${String(k)}`, args }) });
      }
    },
    ResizeObserver: class {
      observe() {}
      disconnect() {}
    },
    console: { log: noop, warn: noop, error: (...a: unknown[]) => errors.push(a.map((x) => (x as Error)?.stack ?? String(x)).join(' ')) },
  };
  return { El, body, byId, globals, ops, errors };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

// ---------------------------------------------------------------------------------------------------

function lengthsMatch(spec: ChartSpec): void {
  const data = spec.data as unknown as unknown[];
  expect(spec.opts.series.length).toBe(data.length);
  if (spec.opts.mode === 2) {
    expect(data[0]).toBeNull();
    for (const d of data.slice(1) as ArrayLike<number>[][]) {
      expect(d).toHaveLength(2);
      expect(d[0].length).toBe(d[1].length);
    }
  } else {
    const n = (data[0] as unknown[]).length;
    for (const d of data as unknown[][]) expect(d.length).toBe(n);
  }
}

const ring = (n: number, r = 1) => ({
  x: Array.from({ length: n }, (_, i) => r * Math.cos((2 * Math.PI * i) / n)),
  y: Array.from({ length: n }, (_, i) => r * Math.sin((2 * Math.PI * i) / n)),
});

describe('chart builders', () => {
  it('lossChart: log y, raw and smoothed series aligned with the steps', () => {
    const step = [1, 2, 3, 4], loss = [1, 0.5, NaN, 0.25];
    const spec = lossChart(step, loss, smooth(loss, 0.5));
    lengthsMatch(spec);
    expect(spec.opts.series).toHaveLength(3);
    expect(spec.opts.scales!.y.distr).toBe(3);
    expect(spec.opts.scales!.x.time).toBe(false);
    expect((spec.data[1] as unknown[])[2]).toBeNull(); // NaN becomes a gap
    lengthsMatch(lossChart(step, [1, 2, 3, 4]));
    expect(lossChart(step, [1, 2, 3, 4]).opts.series).toHaveLength(2);
  });

  it('smooth is a debiased EMA that skips non-finite values', () => {
    expect(smooth([2, 2, 2])).toEqual([2, 2, 2]);
    const s = smooth([1, NaN, 3], 0.5);
    expect(s[0]).toBe(1);
    expect(s[1]).toBe(1);
    expect(s[2]).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / 0.75);
  });

  it('scheduleChart: beta and alphaBar on their own scales, alphaBar fixed to [0, 1]', () => {
    const spec = scheduleChart([1, 2, 3], [1e-4, 0.01, 0.02], [0.9999, 0.99, 0.97]);
    lengthsMatch(spec);
    expect(spec.opts.series.map((s) => s.scale)).toEqual([undefined, 'beta', 'abar']);
    expect(spec.opts.scales!.abar.range).toEqual([0, 1]);
    expect(spec.opts.axes!.map((a) => a.scale ?? 'x')).toEqual(['x', 'beta', 'abar']);
    const snr = snrChart([1, 2], [0.9, 0.5]);
    lengthsMatch(snr);
    expect((snr.data[1] as number[])[0]).toBeCloseTo(9);
  });

  it('scatterChart: faceted, one series per set, square plot area and equal spans', () => {
    const a = ring(100), b = ring(50, 2);
    const spec = scatterChart('clouds', [{ label: 'data', ...a }, { label: 'samples', ...b, color: '#d62728' }], { size: 280 });
    lengthsMatch(spec);
    expect(spec.opts.mode).toBe(2);
    expect(spec.opts.series).toHaveLength(3);
    expect(spec.opts.width).toBe(280);
    expect(spec.opts.height).toBe(280);
    const [ax, ay] = spec.opts.axes!;
    expect(ax.size).toBe(ay.size);
    const [top, right, bottom, left] = spec.opts.padding!;
    expect(top).toBe(right);
    expect(bottom).toBe(left);
    const xr = spec.opts.scales!.x.range as [number, number], yr = spec.opts.scales!.y.range as [number, number];
    expect(xr[1] - xr[0]).toBeCloseTo(yr[1] - yr[0]);
    expect(xr[0]).toBeLessThan(-2);
    expect(xr[1]).toBeGreaterThan(2);
    // explicit ranges win (a row shares one frame)
    const fixed = scatterChart('x', [{ label: 'a', ...a }], { xRange: [-5, 5], yRange: [-5, 5] });
    expect(fixed.opts.scales!.x.range).toEqual([-5, 5]);
  });

  it('pointRanges: square, covers the sets, ignores rare outliers and non-finite values', () => {
    const big = ring(5000);
    big.x[0] = 1e6;
    big.y[1] = NaN;
    const { xRange, yRange } = pointRanges([big]);
    expect(xRange[1]).toBeLessThan(2);
    expect(xRange[0]).toBeLessThan(-1);
    expect(xRange[1] - xRange[0]).toBeCloseTo(yRange[1] - yRange[0]);
    expect(pointRanges([{ x: [], y: [] }])).toEqual({ xRange: [-1.12, 1.12], yRange: [-1.12, 1.12] });
  });

  it('trajectoryChart: paths end to end in one series, background and end points beside them', () => {
    const paths = Array.from({ length: 300 }, (_, k) => ({
      x: Float32Array.from({ length: 100 }, (_, i) => Math.cos(k) * (1 - i / 100)),
      y: Float32Array.from({ length: 100 }, (_, i) => Math.sin(k) * (1 - i / 100)),
    }));
    const spec = trajectoryChart('reverse', paths, ring(200));
    lengthsMatch(spec);
    const data = spec.data as unknown as (null | Float64Array[])[];
    expect(data[2]![0].length).toBe(300 * 100);
    expect(data[3]![0].length).toBe(300);
    expect(data[3]![0][5]).toBeCloseTo(paths[5].x[99]);
  });

  it('lineChart / barChart: one series per input, colours from the palette', () => {
    const x = [1, 2, 3, 4];
    const series = [{ label: 'a', y: [1, 2, 3, 4] }, { label: 'b', y: [4, 3, 2, 1] }];
    const line = lineChart('terms', x, series, { logY: true });
    lengthsMatch(line);
    expect(line.opts.series.map((s) => s.label)).toEqual(['x', 'a', 'b']);
    expect(line.opts.series[1].stroke).not.toBe(line.opts.series[2].stroke);
    const bars = barChart('terms', x, series);
    lengthsMatch(bars);
    expect(bars.opts.scales!.x.range).toEqual([0.5, 4.5]);
    expect(withAlpha('#ff0000', 0.5)).toBe('rgba(255,0,0,0.5)');
  });
});

describe('charts drawn by real uPlot in a fake DOM', () => {
  let dom: ReturnType<typeof fakeDom>;
  let UPlot: typeof uPlot;
  const saved: Record<string, PropertyDescriptor | undefined> = {};

  beforeAll(async () => {
    dom = fakeDom();
    for (const [k, v] of Object.entries({ ...dom.globals, window: globalThis })) {
      if (k === 'console') continue;
      saved[k] = Object.getOwnPropertyDescriptor(globalThis, k);
      Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
    }
    UPlot = (await import('uplot')).default;
  });

  afterAll(() => {
    for (const [k, d] of Object.entries(saved)) {
      if (d) Object.defineProperty(globalThis, k, d);
      else delete (globalThis as Record<string, unknown>)[k];
    }
  });

  function draw(spec: ChartSpec) {
    dom.ops.length = 0;
    const u = new UPlot(spec.opts, spec.data, dom.body as unknown as HTMLElement);
    return u;
  }

  it('scatter: the plot area is square and every dot lands inside it', async () => {
    const n = 400;
    const spec = scatterChart('s', [{ label: 'a', ...ring(n, 3) }], { size: 300, pointSize: 2 });
    const u = draw(spec);
    await tick();
    expect(u.bbox.width).toBeGreaterThan(200);
    expect(u.bbox.width).toBe(u.bbox.height);
    const rects = dom.ops.filter((o) => o.op === 'rect');
    // one clip rect plus one per point
    expect(rects.length).toBe(n + 1);
    const { left, top, width, height } = u.bbox;
    for (const r of rects.slice(1)) {
      const cx = r.args[0] + 1, cy = r.args[1] + 1;
      expect(cx).toBeGreaterThanOrEqual(left);
      expect(cx).toBeLessThanOrEqual(left + width);
      expect(cy).toBeGreaterThanOrEqual(top);
      expect(cy).toBeLessThanOrEqual(top + height);
    }
    // point (3, 0) is at the right of the centre, on the horizontal mid line; (0, 3) is above the centre
    const mid = (v: number, s: 'x' | 'y') => u.valToPos(v, s, true);
    expect(rects[1].args[0] + 1).toBeCloseTo(mid(3, 'x'), 6);
    expect(rects[1].args[1] + 1).toBeCloseTo(mid(0, 'y'), 6);
    expect(rects[1 + n / 4].args[1] + 1).toBeCloseTo(mid(3, 'y'), 6);
    expect(rects[1 + n / 4].args[1]).toBeLessThan(top + height / 2);
    u.destroy();
  });

  it('trajectories: one stroked path with a lineTo per step after the first', async () => {
    const paths = Array.from({ length: 30 }, (_, k) => ({ x: [k / 30, 0.5, 0], y: [1, 0.5, 0] }));
    const u = draw(trajectoryChart('t', paths, ring(20)));
    await tick();
    const moves = dom.ops.filter((o) => o.op === 'moveTo').length;
    const lines = dom.ops.filter((o) => o.op === 'lineTo').length;
    expect(moves).toBeGreaterThanOrEqual(30);
    expect(lines).toBeGreaterThanOrEqual(60);
    expect(dom.ops.some((o) => o.op === 'stroke' && o.style?.startsWith('rgba(31,119,180'))).toBe(true);
    u.destroy();
  });

  it('wheel scatter: one fill per colour present, in that colour; the key shows every hue', async () => {
    const x = [1, 0.9, -1, -0.9, 0, 0.05], y = [0, 0.1, 0, 0.1, 0, 0];
    const color = x.map((v, i) => wheelIndex(v, y[i]));
    const u = draw(wheelScatterChart('w', { x, y, color }, { size: 300 }));
    await tick();
    const fills = dom.ops.filter((o) => o.op === 'fill').map((o) => o.style);
    expect(new Set(color).size).toBeLessThanOrEqual(6);
    for (const c of new Set(color)) expect(fills, `colour ${c}`).toContain(WHEEL_COLORS[c]);
    expect(dom.ops.filter((o) => o.op === 'arc')).toHaveLength(6);
    u.destroy();
    const key = draw(wheelKeyChart('key'));
    await tick();
    expect(new Set(dom.ops.filter((o) => o.op === 'fill').map((o) => o.style)).size).toBeGreaterThan(WHEEL_COLORS.length / 2);
    key.destroy();
  });

  it('field: one arrow per grid point, pointing the way its vector points', async () => {
    const g = gridPoints([-2, 2], [-2, 2], 5);
    const u0 = Array.from(g.x, (v) => -v), v0 = Array.from(g.y, (v) => -v); // towards the origin
    const u = draw(fieldChart('f', { x: g.x, y: g.y, u: u0, v: v0 }, ring(50)));
    await tick();
    // the arrows' path: from its beginPath to its stroke (uPlot's own grid and ticks are paths too)
    const end = dom.ops.findIndex((o) => o.op === 'stroke' && o.style === 'rgba(20,20,20,0.85)');
    const begin = dom.ops.slice(0, end).map((o) => o.op).lastIndexOf('beginPath');
    const ops = dom.ops.slice(begin, end).filter((o) => o.op === 'moveTo' || o.op === 'lineTo');
    // each arrow: moveTo tail, lineTo tip, then the head (moveTo, lineTo tip, lineTo); the centre (0, 0) has none
    const tails = ops.filter((o, i) => o.op === 'moveTo' && ops[i + 1]?.op === 'lineTo' && ops[i + 2]?.op === 'moveTo');
    expect(tails.length).toBe(24);
    const cx = u.valToPos(0, 'x', true), cy = u.valToPos(0, 'y', true);
    for (const t of tails) {
      const tip = ops[ops.indexOf(t) + 1].args;
      expect(Math.hypot(tip[0] - cx, tip[1] - cy)).toBeLessThan(Math.hypot(t.args[0] - cx, t.args[1] - cy));
    }
    u.destroy();
  });

  it('fan: a ray from each start to each of its endings; positions: reversed t runs from T on the left', async () => {
    const groups = [0, 1, 2].map((k) => ({
      start: [k, 1] as [number, number], x: [k, k + 0.1, k - 0.1, k], y: [0, 0, 0.1, -0.1], color: 96 + 8 * k,
    }));
    const f = draw(fanChart('fan', groups, ring(30)));
    await tick();
    expect(dom.ops.filter((o) => o.op === 'stroke' && WHEEL_COLORS.includes(o.style!)).length).toBe(12);
    f.destroy();
    const t = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
    const p = draw(positionsChart('x against t', t, [{ y: t.map((v) => v / 10), color: 3 }, { y: t.map(() => 0), color: 50 }],
      { reversed: true }));
    await tick();
    expect(p.data[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // sorted for uPlot, lines carried along
    expect(p.data[1][10]).toBe(1);
    expect(p.valToPos(10, 'x')).toBeLessThan(p.valToPos(0, 'x'));
    p.destroy();
  });

  it('line, loss, schedule and bar charts build and draw', async () => {
    const x = Array.from({ length: 50 }, (_, i) => i + 1);
    const y = x.map((v) => 1 / v);
    for (const spec of [
      lossChart(x, y, smooth(y)), scheduleChart(x, y, y), lineChart('l', x, [{ label: 'a', y }]),
      barChart('b', x, [{ label: 'a', y }, { label: 'b', y }]),
    ]) {
      const u = draw(spec);
      await tick();
      expect(dom.ops.length).toBeGreaterThan(0);
      u.destroy();
    }
    expect(dom.errors).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------

function sampleReport(): ReportData {
  const r = ring(300);
  return {
    title: 'ddpm-wasm: moons </script><script>alert(1)</script>',
    subtitle: 'a <b>subtitle</b> with <!-- a comment and \u2028 separators',
    config: { dataset: 'moons', T: 1000, lr: 0.001234567891, evil: '</SCRIPT ><!--<script>' },
    sections: [
      { kind: 'scatterRow', title: 'Forward process', panels: [{ title: 'x_0', ...r }, { title: 'x_500', x: r.y, y: r.x }],
        note: 'shared frame' },
      { kind: 'loss', step: [1, 2, 3, 123456789], loss: [1, 0.123456789, 0.1, 0.05] },
      { kind: 'schedule', t: [1, 2, 3], beta: [1e-4, 0.01, 0.02], alphaBar: [0.9999, 0.9899, 0.97] },
      { kind: 'trajectories', title: 'Reverse trajectories', paths: [{ x: [2, 1, 0], y: [2, 1, 0] }, { x: [-2, -1, 0], y: [1, 1, 1] }],
        background: r },
      { kind: 'lines', title: 'Per-t loss', x: [1, 2, 3], series: [{ label: 'L_t', y: [3, 2, 1] }], logY: true },
      { kind: 'lines', title: 'Bound terms', x: [1, 2, 3], series: [{ label: 'a', y: [3, 2, 1] }, { label: 'b', y: [1, 2, 3] }],
        bars: true },
      { kind: 'table', title: 'Metrics', columns: ['metric', 'value'], rows: [['MMD', 0.000123456], ['</script>', 42]] },
      { kind: 'text', title: 'Notes', html: '<p>Trained with <code>eps</code> prediction.</p>' },
    ],
  };
}

function extractJson(html: string): string {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return m![1];
}

describe('renderReport', () => {
  const assets = loadReportAssets();

  it('loads the page bundle (built from source here) and uPlot css', () => {
    expect(assets.pageJs.length).toBeGreaterThan(20000);
    expect(assets.css).toContain('.uplot');
    expect(assets.pageJs).not.toContain('<!--'); // renderReport does not rewrite it (see escapeRawText)
    expect(loadReportAssets()).toBe(assets);
  });

  it('embeds the data as JSON that parses back to the (rounded) data', () => {
    const data = sampleReport();
    const html = renderReport(data, assets);
    const back = JSON.parse(extractJson(html));
    expect(back).toEqual(JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === 'number' ? roundSig(v) : v))));
    expect(back.config.lr).toBe(0.00123457);
    expect(back.sections[1].step[3]).toBe(123456789); // integers are not rounded
    expect(back.title).toBe(data.title);
  });

  it('data cannot close its <script> element: exactly two script end tags, none inside the JSON', () => {
    const html = renderReport(sampleReport(), assets);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    const json = extractJson(html);
    expect(json).not.toMatch(/</);
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/style/gi)).toHaveLength(1);
    expect(html).toContain('<title>ddpm-wasm: moons &#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>');
  });

  it('references nothing outside the file', () => {
    const html = renderReport(sampleReport(), assets);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/<(img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });

  it('rounds to 6 significant digits, writes typed arrays as arrays and non-finite numbers as null', () => {
    const data = {
      title: 't',
      config: {},
      sections: [{ kind: 'lines', title: 'l', x: new Float32Array([0.1, 2]), series: [{ label: 'a', y: [Math.PI, NaN, Infinity] }] }],
    } as unknown as ReportData;
    const back = JSON.parse(serializeReportData(data));
    expect(back.sections[0].x).toEqual([0.1, 2]); // float32 0.1 = 0.100000001490116 -> 0.1
    expect(back.sections[0].series[0].y).toEqual([3.14159, null, null]);
    expect(roundSig(-1.23456789e-12)).toBe(-1.23457e-12);
  });

  it('runs in a (fake) browser: every section is drawn, nothing throws', async () => {
    const data = sampleReport();
    data.sections.push({ kind: 'future-kind', title: 'From a newer writer' } as unknown as ReportData['sections'][number]);
    const html = renderReport(data, assets);
    const dom = fakeDom();
    const main = dom.body.appendChild(new dom.El('main'));
    const script = dom.body.appendChild(new dom.El('script'));
    script.text = extractJson(html);
    dom.byId.report = main;
    dom.byId['report-data'] = script;
    const sandbox: Record<string, unknown> = { ...dom.globals, setTimeout, clearTimeout, queueMicrotask };
    sandbox.window = sandbox;
    vm.createContext(sandbox);
    const js = /<script>\n([\s\S]*?)\n<\/script>/.exec(html)![1];
    vm.runInContext(js, sandbox);
    await tick();
    expect(dom.errors).toEqual([]);
    const all = main.all();
    expect(all.find((e) => e.tagName === 'H1')!.textContent).toBe(data.title);
    expect(all.filter((e) => e.tagName === 'H2').map((e) => e.textContent)).toEqual([
      'Forward process', 'Training loss', 'Noise schedule', 'Reverse trajectories', 'Per-t loss', 'Bound terms', 'Metrics', 'Notes',
      'From a newer writer',
    ]);
    // 2 scatter panels + loss + schedule + trajectories + lines + bars
    expect(all.filter((e) => e.tagName === 'CANVAS')).toHaveLength(7);
    const errors = all.filter((e) => e.cls.has('error')).map((e) => e.textContent);
    expect(errors).toEqual(['This viewer does not know section kind "future-kind".']);
    const table = all.find((e) => e.cls.has('data-table'))!;
    expect(table.all().filter((e) => e.tagName === 'TD').map((e) => e.textContent)).toEqual(['MMD', '1.235e-4', '</script>', '42']);
    expect(all.filter((e) => e.tagName === 'DT').map((e) => e.textContent)).toEqual(['dataset', 'T', 'lr', 'evil']);
  });
});
