/**
 * The data card: a named data set (regenerated here exactly as the worker and the CLI make it), the drawing pad
 * (pointer events spray points along the path), or a CSV file; its scatter chart.
 * Not here: training on it (web/main.ts sends it to the worker).
 */
import { roles, pointRanges, scatterChart } from '../../src/report/charts';
import { DATASETS, getDataset } from '../../src/data/datasets';
import { type Points } from '../../src/data/points';
import { parseCsv } from '../../src/data/csv';
import { type Source, state } from './state';
import { $, clearError, input, mount, onFrame, onResize, placeholder, plane, showError } from './ui';

export function source(): Source {
  const v = $<HTMLSelectElement>('dataset').value;
  return v === 'draw' ? 'draw' : v === 'csv' ? 'csv' : 'named';
}

export function showDataChart(p: Points | undefined, title: string): void {
  $('data-title').textContent = title;
  if (!p || p.n === 0) return placeholder('chart-data', 'No data yet.');
  const { x, y } = plane(p.data, p.d, Math.min(p.n, 5000));
  onFrame('data', () => mount('chart-data', scatterChart('', [{ label: 'data', x, y, color: roles.data }]), true));
}

export function refreshData(): void {
  clearError('data-error');
  const src = source();
  $('csv-row').hidden = src !== 'csv';
  $('draw-area').hidden = src !== 'draw';
  $('chart-data').hidden = src === 'draw';
  $('row-ndata').hidden = src !== 'named';
  const info = $('data-info');
  if (src === 'named') {
    const name = $<HTMLSelectElement>('dataset').value;
    const n = Number(input('n-data').value);
    try {
      state.data = getDataset(name, Math.max(2, Math.min(100000, Math.round(n) || 2000)), Number(input('seed').value) || 0);
      info.textContent = DATASETS[name].description;
      showDataChart(state.data, `${name}, ${state.data.n} points`);
    } catch (e) {
      showError((e as Error).message, 'data-error');
    }
  } else if (src === 'draw') {
    drawPad.resize();
    info.textContent = 'Drag on the pad (mouse, pen or finger) to spray points; train when the shape is there.';
    $('data-title').textContent = 'draw your own';
  } else {
    state.data = state.csv?.points;
    info.textContent = state.csv
      ? `${state.csv.name}: ${state.csv.points.n} rows × ${state.csv.points.d} columns` +
        `${state.csv.points.d !== 2 ? ' (charts show the first two)' : ''}`
      : 'Choose a CSV file: a header row, then one point per row.';
    showDataChart(state.data, state.csv?.name ?? '');
  }
}

export async function readCsvFile(file: File): Promise<void> {
  clearError('data-error');
  state.csv = undefined;
  try {
    if (file.size > 200 * 1024 * 1024) {
      throw new Error(`${file.name} is ${(file.size / 1048576).toFixed(0)} MB; the page reads CSV files up to 200 MB`);
    }
    const points = parseCsv(await file.text(), file.name);
    if (points.n < 2) throw new Error(`${file.name}: only ${points.n} row; at least 2 points are needed to train`);
    state.csv = { points, name: file.name };
    refreshData();
  } catch (e) {
    refreshData();
    showError((e as Error).message, 'data-error');
  }
}

/** The drawing pad: pointer events (mouse, pen, touch) spray points around the pointer's path. */
export const drawPad = (() => {
  const canvas = $<HTMLCanvasElement>('draw');
  const ctx = canvas.getContext('2d')!;
  const SPAN = 1.2; // the pad shows [-SPAN, SPAN]^2
  const MAX = 20000;
  let pts: number[] = [];
  let last: [number, number] | undefined;
  let size = 360;
  let seed = 1;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const toData = (px: number, py: number): [number, number] => [((px / size) * 2 - 1) * SPAN, (1 - (py / size) * 2) * SPAN];
  const toPx = (x: number, y: number): [number, number] => [((x / SPAN + 1) / 2) * size, ((1 - y / SPAN) / 2) * size];

  function redraw(): void {
    const dpr = devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size, size);
    ctx.strokeStyle = '#e6e6e6';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let v = -1; v <= 1; v += 0.5) {
      const [a] = toPx(v, 0), [, b] = toPx(0, v);
      ctx.moveTo(a, 0), ctx.lineTo(a, size), ctx.moveTo(0, b), ctx.lineTo(size, b);
    }
    ctx.stroke();
    dots(0);
  }
  function dots(from: number): void {
    ctx.fillStyle = 'rgba(31,119,180,0.7)';
    ctx.beginPath();
    for (let i = from; i < pts.length; i += 2) {
      const [a, b] = toPx(pts[i], pts[i + 1]);
      ctx.rect(a - 1.5, b - 1.5, 3, 3);
    }
    ctx.fill();
  }
  function spray(x: number, y: number): void {
    const from = pts.length;
    const segs = last ? Math.max(1, Math.ceil(Math.hypot(x - last[0], y - last[1]) / 0.03)) : 1;
    for (let s = 1; s <= segs && pts.length < 2 * MAX; s++) {
      const cx = last ? last[0] + ((x - last[0]) * s) / segs : x, cy = last ? last[1] + ((y - last[1]) * s) / segs : y;
      for (let k = 0; k < 3; k++) pts.push(cx + 0.03 * normal(), cy + 0.03 * normal());
    }
    last = [x, y];
    onFrame('draw', () => dots(from));
    count();
  }
  function count(): void {
    const n = pts.length / 2;
    $('draw-count').textContent = n === 0 ? '0 points: drag to draw' : `${n} points${n >= MAX ? ' (full)' : ''}`;
  }
  const at = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return toData(e.clientX - r.left, e.clientY - r.top);
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (state.busy) return;
    canvas.setPointerCapture(e.pointerId);
    last = undefined;
    spray(...at(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!e.buttons || state.busy) return;
    for (const c of e.getCoalescedEvents?.() ?? [e]) spray(...at(c));
  });
  const end = () => (last = undefined);
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  $('draw-clear').addEventListener('click', () => {
    pts = [];
    redraw();
    count();
  });
  return {
    points(): Points {
      return { data: Float32Array.from(pts), n: pts.length / 2, d: 2 };
    },
    resize(): void {
      size = Math.max(220, Math.floor($('card-data').clientWidth - 32));
      const dpr = devicePixelRatio || 1;
      canvas.style.width = canvas.style.height = `${size}px`;
      canvas.width = canvas.height = Math.round(size * dpr);
      redraw();
    },
  };
})();

/** Up to `max` training points in the plane, the grey background of the sample charts. */
export function dataPlane(max = 2000): { x: Float32Array; y: Float32Array } {
  const d = state.data;
  return d ? plane(d.data, d.d, Math.min(d.n, max)) : { x: new Float32Array(0), y: new Float32Array(0) };
}

/** Square ranges covering the data (and `extra` sets), shared by the sample, reverse and field charts. */
export function dataRanges(extra: { x: ArrayLike<number>; y: ArrayLike<number> }[] = []) {
  return pointRanges([...(state.data ? [dataPlane()] : []), ...extra]);
}

export function initData(): void {
  const sel = $<HTMLSelectElement>('dataset');
  for (const name of Object.keys(DATASETS)) sel.add(new Option(name, name, name === 'moons', name === 'moons'));
  sel.add(new Option('draw your own…', 'draw'));
  sel.add(new Option('upload a CSV…', 'csv'));
  sel.addEventListener('change', refreshData);
  input('n-data').addEventListener('change', refreshData);
  input('seed').addEventListener('change', () => source() === 'named' && refreshData());
  input('csv-file').addEventListener('change', () => {
    const f = input('csv-file').files?.[0];
    if (f) void readCsvFile(f);
  });
  onResize(() => {
    if (!$('draw-area').hidden) drawPad.resize();
  });
  refreshData();
}
