/**
 * The page's plumbing shared by every panel: element lookup, the one animation-frame loop (queued redraws, at most
 * one per key per frame, and the frame-gap monitor), the registry of mounted uPlot charts (mount, update,
 * placeholder, resize), form numbers, status and error lines. Panels build their chart options with
 * src/report/charts.ts, the builders the Node reports use.
 * Not here: any one panel's charts (web/panels/<panel>.ts), the worker (web/main.ts).
 */
import uPlot from 'uplot';
import type { ChartSpec } from '../../src/report/charts';

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
export const input = (id: string) => $<HTMLInputElement>(id);

// ---------------------------------------------------------------------------------------------------
// Redraws: at most once per animation frame, plus the frame-gap monitor on the same loop.

export const pending = new Map<string, () => void>();
/** Queue `fn` under `key` for the next frame; a later call with the same key replaces it. */
export function onFrame(key: string, fn: () => void): void {
  pending.set(key, fn);
}

// Armed at Train, measuring from the first progress message: "while training" starts when steps run, not while the
// worker is still compiling the kernels and building the model (that setup is timed separately by the worker).
export const gap = { armed: false, measuring: false, last: 0, max: 0, shownAt: 0 };
export function tick(now: number): void {
  if (gap.measuring) {
    if (gap.last > 0) gap.max = Math.max(gap.max, now - gap.last);
    gap.last = now;
    if (now - gap.shownAt > 250) showGap(now);
  }
  // Run queued redraws in order, but leave the rest for the next frame once this one has had ~10 ms of work,
  // so a burst (four charts after sampling) is spread over frames instead of stalling one.
  const start = performance.now();
  for (const [key, job] of [...pending]) {
    if (performance.now() - start > 10) break;
    pending.delete(key);
    try {
      job();
    } catch (e) {
      showError(`drawing failed: ${(e as Error).message}`);
    }
  }
  requestAnimationFrame(tick);
}
export function showGap(now: number): void {
  gap.shownAt = now;
  const el = $('frame-gap');
  el.textContent = gap.max > 0 ? `${gap.max.toFixed(0)} ms` : '–';
  el.dataset.ms = gap.max.toFixed(1);
  el.classList.toggle('bad', gap.max >= 100);
}

// ---------------------------------------------------------------------------------------------------
// Charts


interface Mounted {
  plot: uPlot;
  square: boolean;
}
export const charts = new Map<string, Mounted>();

export function chartWidth(holder: HTMLElement): number {
  return Math.max(220, Math.floor(holder.clientWidth || holder.parentElement?.clientWidth || 360));
}

/** Replace the chart in `holder` (id) with a new one built from `spec`. */
export function mount(id: string, spec: ChartSpec, square: boolean): uPlot {
  const holder = $(id);
  charts.get(id)?.plot.destroy();
  holder.textContent = '';
  delete spec.opts.title; // the card has the title
  const w = chartWidth(holder);
  spec.opts.width = w;
  spec.opts.height = square ? w : spec.opts.height;
  const plot = new uPlot(spec.opts, spec.data, holder);
  charts.set(id, { plot, square });
  bump(holder);
  return plot;
}
/** New data for a mounted chart (scales kept when `rescale` is false). */
export function update(id: string, data: uPlot.AlignedData, rescale: boolean): void {
  const c = charts.get(id);
  if (!c) return;
  c.plot.setData(data, rescale);
  if (!rescale) c.plot.redraw(); // setData(_, false) does not draw by itself
  bump($(id));
}
/** Counts redraws in data-updates, for tests and for anyone inspecting the page. */
export function bump(holder: HTMLElement): void {
  holder.dataset.updates = String(Number(holder.dataset.updates ?? 0) + 1);
}
export function placeholder(id: string, text: string): void {
  charts.get(id)?.plot.destroy();
  charts.delete(id);
  const holder = $(id);
  holder.textContent = '';
  const p = document.createElement('p');
  p.className = 'placeholder';
  p.textContent = text;
  holder.appendChild(p);
}


/** Work a panel wants done on resize (besides resizing the mounted charts), e.g. the drawing pad. */
const resizers: (() => void)[] = [];
export function onResize(fn: () => void): void {
  resizers.push(fn);
}
addEventListener('resize', () =>
  onFrame('resize', () => {
    for (const [id, c] of charts) {
      const w = chartWidth($(id));
      c.plot.setSize({ width: w, height: c.square ? w : c.plot.height });
    }
    for (const fn of resizers) fn();
  }),
);

/** The plotted plane (first two coordinates) of n x d points, as fresh arrays. */
export function plane(data: Float32Array, d: number, n = data.length / d): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = data[i * d];
    y[i] = d > 1 ? data[i * d + 1] : 0;
  }
  return { x, y };
}

/** At most `max` points of a long curve (bucket means), so the live loss chart stays cheap to redraw. */
export function bucket(steps: number[], loss: number[], max = 1500): { s: number[]; l: number[] } {
  const n = steps.length, b = Math.max(1, Math.ceil(n / max));
  if (b === 1) return { s: steps.slice(), l: loss.slice() };
  const s: number[] = [], l: number[] = [];
  for (let i = 0; i < n; i += b) {
    let acc = 0, c = 0;
    for (let j = i; j < Math.min(n, i + b); j++, c++) acc += loss[j];
    s.push(steps[Math.min(n, i + b) - 1]);
    l.push(acc / c);
  }
  return { s, l };
}

export function status(text: string): void {
  $('status').textContent = text;
}
/** Messages from the engine name CLI flags (--T); on this page the fields have the bare names. */
export function readable(msg: string): string {
  return msg.replace(/(^|[\s(])--([a-zA-Z][\w-]*)/g, '$1$2');
}
export function showError(msg: string, where = 'error'): void {
  const el = $(where);
  el.textContent = readable(msg);
  el.hidden = false;
}
export function clearError(where = 'error'): void {
  $(where).hidden = true;
  $(where).textContent = '';
}

export function num(id: string, lo: number, hi: number, integer: boolean): number {
  const el = input(id);
  const label = (el.closest('label')?.firstChild?.textContent ?? id).trim();
  const v = Number(el.value);
  if (el.value.trim() === '' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    el.focus();
    throw new Error(`${label} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got "${el.value}"`);
  }
  return v;
}
