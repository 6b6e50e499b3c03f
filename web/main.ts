/**
 * The lab page's main thread: settings, the drawing pad, CSV and checkpoint files, and the charts. All
 * computation happens in web/worker.ts; this thread only turns its messages into chart updates, batched so
 * that each chart is redrawn at most once per animation frame. Chart options come from src/report/charts.ts (the
 * builders the Node report uses) and always get copies of the data (the worker transfers copies; nothing
 * here sees wasm memory).
 *
 * The page measures its own responsiveness: the longest gap between two animation frames while training
 * (shown as "longest frame gap"; the browser test reads it).
 */
import uPlot from 'uplot';
import { type ChartSpec, lossChart, pointRanges, roles, scatterChart, scheduleChart, smooth, trajectoryChart } from '../src/report/charts';
import { DATASETS, type Points, getDataset, parseCsv, toCsv } from '../src/data/datasets';
import { initialLearnedSchedule } from '../src/diffusion/learned-schedule';
import { ALL_SCHEDULES, makeSchedule } from '../src/schedule/schedule';
import type { FromWorker, ModelInfo, ToWorker, TrainRequest } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);

// ---------------------------------------------------------------------------------------------------
// Redraws: at most once per animation frame, plus the frame-gap monitor on the same loop.

const pending = new Map<string, () => void>();
/** Queue `fn` under `key` for the next frame; a later call with the same key replaces it. */
function onFrame(key: string, fn: () => void): void {
  pending.set(key, fn);
}

// Armed at Train, measuring from the first progress message: "while training" starts when steps run, not while the
// worker is still compiling the kernels and building the model (that setup is timed separately by the worker).
const gap = { armed: false, measuring: false, last: 0, max: 0, shownAt: 0 };
function tick(now: number): void {
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
function showGap(now: number): void {
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
const charts = new Map<string, Mounted>();

function chartWidth(holder: HTMLElement): number {
  return Math.max(220, Math.floor(holder.clientWidth || holder.parentElement?.clientWidth || 360));
}

/** Replace the chart in `holder` (id) with a new one built from `spec`. */
function mount(id: string, spec: ChartSpec, square: boolean): uPlot {
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
function update(id: string, data: uPlot.AlignedData, rescale: boolean): void {
  const c = charts.get(id);
  if (!c) return;
  c.plot.setData(data, rescale);
  if (!rescale) c.plot.redraw(); // setData(_, false) does not draw by itself
  bump($(id));
}
/** Counts redraws in data-updates, for tests and for anyone inspecting the page. */
function bump(holder: HTMLElement): void {
  holder.dataset.updates = String(Number(holder.dataset.updates ?? 0) + 1);
}
function placeholder(id: string, text: string): void {
  charts.get(id)?.plot.destroy();
  charts.delete(id);
  const holder = $(id);
  holder.textContent = '';
  const p = document.createElement('p');
  p.className = 'placeholder';
  p.textContent = text;
  holder.appendChild(p);
}

addEventListener('resize', () =>
  onFrame('resize', () => {
    for (const [id, c] of charts) {
      const w = chartWidth($(id));
      c.plot.setSize({ width: w, height: c.square ? w : c.plot.height });
    }
    if (!$('draw-area').hidden) drawPad.resize();
  }),
);

/** The plotted plane (first two coordinates) of n x d points, as fresh arrays. */
function plane(data: Float32Array, d: number, n = data.length / d): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = data[i * d];
    y[i] = d > 1 ? data[i * d + 1] : 0;
  }
  return { x, y };
}

/** At most `max` points of a long curve (bucket means), so the live loss chart stays cheap to redraw. */
function bucket(steps: number[], loss: number[], max = 1500): { s: number[]; l: number[] } {
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

// ---------------------------------------------------------------------------------------------------
// Page state

type Source = 'named' | 'draw' | 'csv';
const state = {
  data: undefined as Points | undefined, // the chosen training data (preview), data units
  csv: undefined as { points: Points; name: string } | undefined,
  model: undefined as ModelInfo | undefined,
  lossSteps: [] as number[],
  loss: [] as number[],
  samples: undefined as Points | undefined,
  frames: undefined as { frames: Float32Array; n: number; d: number; T: number } | undefined,
  forward: undefined as { frames: Float32Array; n: number; d: number; ts: Int32Array; x0: Float32Array } | undefined,
  t: 0, // reverse-process frame index shown: x at t = T - t
  playing: false,
  busy: false,
  totalSteps: 0,
};

function setState(s: 'loading' | 'idle' | 'training' | 'sampling' | 'ready'): void {
  document.body.dataset.state = s;
  state.busy = s === 'training' || s === 'sampling' || s === 'loading';
  $<HTMLButtonElement>('train').disabled = state.busy;
  $<HTMLButtonElement>('stop').disabled = s !== 'training';
  const has = !!state.model && !state.busy;
  for (const id of ['sample', 'dl-model', 'dl-checkpoint']) $<HTMLButtonElement>(id).disabled = !has;
  $<HTMLButtonElement>('dl-checkpoint').disabled = !has || state.model?.source === 'load' && state.model.data.length === 0;
  $<HTMLButtonElement>('dl-samples').disabled = !state.samples || state.busy;
  input('ckpt-file').disabled = state.busy;
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('fieldset:not(:last-of-type) input, fieldset:not(:last-of-type) select')) el.disabled = state.busy;
  $<HTMLButtonElement>('draw-clear').disabled = state.busy;
}

function status(text: string): void {
  $('status').textContent = text;
}
/** Messages from the engine name CLI flags (--T); on this page the fields have the bare names. */
function readable(msg: string): string {
  return msg.replace(/(^|[\s(])--([a-zA-Z][\w-]*)/g, '$1$2');
}
function showError(msg: string, where = 'error'): void {
  const el = $(where);
  el.textContent = readable(msg);
  el.hidden = false;
}
function clearError(where = 'error'): void {
  $(where).hidden = true;
  $(where).textContent = '';
}

// ---------------------------------------------------------------------------------------------------
// Data: named sets, the drawing pad, CSV files

function source(): Source {
  const v = $<HTMLSelectElement>('dataset').value;
  return v === 'draw' ? 'draw' : v === 'csv' ? 'csv' : 'named';
}

function showDataChart(p: Points | undefined, title: string): void {
  $('data-title').textContent = title;
  if (!p || p.n === 0) return placeholder('chart-data', 'No data yet.');
  const { x, y } = plane(p.data, p.d, Math.min(p.n, 5000));
  onFrame('data', () => mount('chart-data', scatterChart('', [{ label: 'data', x, y, color: roles.data }]), true));
}

/** The schedule chart follows the form (the worker builds the same tables with the same makeSchedule). */
function refreshSchedule(): void {
  const T = Number(input('T').value);
  if (!Number.isInteger(T) || T < 2 || T > 4000) return;
  const name = $<HTMLSelectElement>('schedule').value;
  // The learned schedule starts as the linear one; the chart shows where it went once the model comes back.
  const s = name === 'learned' ? initialLearnedSchedule(T) : makeSchedule(name, T);
  drawSchedule(s.beta, s.alphaBar);
}
function drawSchedule(beta: Float64Array, alphaBar: Float64Array): void {
  const t = Float64Array.from({ length: beta.length }, (_, i) => i + 1);
  onFrame('schedule', () => mount('chart-schedule', scheduleChart(t, beta, alphaBar, { height: 280 }), false));
}

function refreshData(): void {
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
    info.textContent = state.csv ? `${state.csv.name}: ${state.csv.points.n} rows × ${state.csv.points.d} columns${state.csv.points.d !== 2 ? ' (charts show the first two)' : ''}` : 'Choose a CSV file: a header row, then one point per row.';
    showDataChart(state.data, state.csv?.name ?? '');
  }
}

async function readCsvFile(file: File): Promise<void> {
  clearError('data-error');
  state.csv = undefined;
  try {
    if (file.size > 200 * 1024 * 1024) throw new Error(`${file.name} is ${(file.size / 1048576).toFixed(0)} MB; the page reads CSV files up to 200 MB`);
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
const drawPad = (() => {
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

// ---------------------------------------------------------------------------------------------------
// The worker

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
worker.onerror = (e) => {
  showError(`the worker failed: ${e.message || 'could not start (see the browser console)'}`);
  setState('idle');
};

function num(id: string, lo: number, hi: number, integer: boolean): number {
  const el = input(id);
  const label = (el.closest('label')?.firstChild?.textContent ?? id).trim();
  const v = Number(el.value);
  if (el.value.trim() === '' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    el.focus();
    throw new Error(`${label} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got "${el.value}"`);
  }
  return v;
}

function trainRequest(): TrainRequest {
  const src = source();
  const steps = num('steps', 1, 1e6, true);
  const options: TrainRequest['options'] = {
    schedule: $<HTMLSelectElement>('schedule').value as TrainRequest['options']['schedule'],
    T: num('T', 2, 4000, true),
    variance: $<HTMLSelectElement>('variance').value as 'beta' | 'posterior' | 'learned',
    model: { width: num('width', 1, 1024, true), depth: num('depth', 0, 16, true), embedSize: 64 },
    steps,
    batch: num('batch', 1, 4096, true),
    lr: num('lr', 1e-6, 1, false),
    warmup: Math.min(200, Math.floor(steps / 10)),
    seed: num('seed', 0, 2 ** 31, true),
  };
  if (src === 'named') {
    options.dataset = $<HTMLSelectElement>('dataset').value;
    options.nData = num('n-data', 2, 100000, true);
  } else if (src === 'draw') {
    const p = drawPad.points();
    if (p.n < 50) throw new Error(`draw at least 50 points first (the pad has ${p.n})`);
    options.dataset = 'drawn';
    options.data = p;
    state.data = { ...p, data: p.data.slice() }; // the background of the sample charts
  } else {
    if (!state.csv) throw new Error('choose a CSV file first');
    options.dataset = state.csv.name;
    options.data = { ...state.csv.points, data: state.csv.points.data.slice() };
  }
  return { type: 'train', options, snapshotEvery: Math.max(50, Math.round(steps / 15 / 50) * 50), snapshotN: 500, sampleN: num('sample-n', 1, 100000, true) };
}

function resetRun(): void {
  state.lossSteps = [];
  state.loss = [];
  state.samples = undefined;
  state.frames = undefined;
  state.forward = undefined;
  stopPlaying();
  for (const id of ['play', 't-reverse', 't-forward']) $<HTMLInputElement>(id).disabled = true;
  placeholder('chart-loss', 'Waiting for the first loss values…');
  placeholder('chart-samples', 'Samples appear here every few hundred steps while training.');
  placeholder('chart-reverse', 'After training: play the reverse process from noise to data.');
  placeholder('chart-forward', 'After training: slide t to add noise to the data.');
  placeholder('chart-traj', 'After training: reverse paths drawn over the data.');
  $('t-reverse-label').textContent = $('t-forward-label').textContent = 't = –';
  $('samples-title').textContent = '';
  for (const id of ['stat-step', 'stat-loss', 'stat-sps']) $(id).textContent = '–';
}

$('settings').addEventListener('submit', (e) => {
  e.preventDefault();
  if (state.busy) return;
  clearError();
  let req: TrainRequest;
  try {
    req = trainRequest();
  } catch (err) {
    return showError((err as Error).message);
  }
  resetRun();
  state.model = undefined;
  state.totalSteps = req.options.steps!;
  // Build the live charts now, before the worker starts: while training only their data changes.
  pending.delete('loss');
  pending.delete('samples');
  refreshSchedule();
  pending.get('schedule')?.();
  pending.delete('schedule');
  mount('chart-loss', lossChart([], [], [], { height: 300 }), false);
  const empty = new Float32Array(0);
  const dset = state.data ? plane(state.data.data, state.data.d, Math.min(state.data.n, 2000)) : { x: empty, y: empty };
  mount('chart-samples', scatterChart('', [{ label: 'data', ...dset, color: roles.data }, { label: 'samples', x: empty, y: empty, color: roles.samples }], { ...dataRanges(), alpha: 0.6 }), true);
  gap.max = 0;
  gap.last = 0;
  gap.armed = true;
  gap.measuring = false;
  setState('training');
  status('Starting…');
  $('progress-bar').style.width = '0%';
  send(req, req.options.data ? [req.options.data.data.buffer] : []);
});
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('sample').addEventListener('click', () => {
  clearError();
  try {
    const n = num('sample-n', 1, 100000, true);
    setState('sampling');
    status(`Sampling ${n} points…`);
    send({ type: 'sample', n });
  } catch (err) {
    showError((err as Error).message);
  }
});
$('dl-model').addEventListener('click', () => send({ type: 'save', withTraining: false }));
$('dl-checkpoint').addEventListener('click', () => send({ type: 'save', withTraining: true }));
$('dl-samples').addEventListener('click', () => {
  if (state.samples) download(new Blob([toCsv(state.samples)], { type: 'text/csv' }), `${fileStem()}-samples.csv`);
});
input('ckpt-file').addEventListener('change', async () => {
  const f = input('ckpt-file').files?.[0];
  if (!f) return;
  clearError();
  resetRun();
  setState('sampling');
  status(`Loading ${f.name}…`);
  const bytes = await f.arrayBuffer();
  input('ckpt-file').value = '';
  send({ type: 'load', bytes, name: f.name, sampleN: Number(input('sample-n').value) || 1000 }, [bytes]);
});

function fileStem(): string {
  const m = state.model;
  return `ddpm-${(m?.name ?? 'model').replace(/[^\w.-]+/g, '_').replace(/\.csv$/i, '')}-step${m?.step ?? 0}`;
}
function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      $('badge-engine').textContent = `${m.simd ? 'wasm SIMD' : 'wasm (scalar)'} · Web Worker`;
      if (crossOriginIsolated) {
        const b = document.createElement('span');
        b.className = 'badge';
        b.textContent = 'cross-origin isolated';
        $('badges').appendChild(b);
      }
      setState('idle');
      status('Ready: pick a data set and press Train.');
      break;
    case 'model':
      onModel(m);
      break;
    case 'progress':
      onProgress(m);
      break;
    case 'snapshot':
      onSnapshot(m.points, m.d, `step ${m.step}`);
      break;
    case 'trained':
      gap.measuring = false;
      gap.armed = false;
      if (state.model) state.model.step = m.step;
      showGap(performance.now());
      $('stat-sps').textContent = m.stepsPerSecond.toFixed(0);
      $('stat-sps').dataset.value = String(m.stepsPerSecond);
      status(`${m.stopped ? 'Stopped' : 'Trained'} at step ${m.step} in ${m.trainSeconds.toFixed(1)} s (${m.stepsPerSecond.toFixed(0)} steps/s). Sampling…`);
      setState('sampling');
      break;
    case 'sampled':
      onSampled(m);
      break;
    case 'file':
      download(new Blob([m.bytes], { type: 'application/octet-stream' }), `${fileStem()}-${m.withTraining ? 'checkpoint' : 'model'}.safetensors`);
      break;
    case 'error':
      gap.measuring = false;
      gap.armed = false;
      showError(m.during === 'load' ? `could not load the checkpoint: ${m.message}` : m.message);
      status(m.during === 'train' ? 'Training stopped with an error.' : 'Error.');
      setState(state.model && m.during !== 'load' ? 'ready' : 'idle');
      break;
  }
};

function onModel(m: ModelInfo): void {
  state.model = m;
  const c = m.config;
  $('param-count').textContent = `${m.parameters.toLocaleString('en')} parameters; ᾱ_T = ${m.alphaBar[m.alphaBar.length - 1].toExponential(2)}`;
  const T = c.T;
  if (m.source === 'load') {
    drawSchedule(m.beta, m.alphaBar);
    // Show the checkpoint's settings in the form, so the page says what is being sampled.
    $<HTMLSelectElement>('schedule').value = c.schedule;
    $<HTMLSelectElement>('variance').value = c.variance;
    for (const [id, v] of [['T', c.T], ['width', c.model.width], ['depth', c.model.depth], ['steps', c.steps], ['batch', c.batch], ['lr', c.lr], ['seed', c.seed]] as const) input(id).value = String(v);
    $('stat-step').textContent = String(m.step);
    state.data = m.data.length ? { data: m.data, n: m.data.length / m.config.model.dim, d: m.config.model.dim } : undefined;
    if (!state.data && Object.prototype.hasOwnProperty.call(DATASETS, c.dataset)) {
      // A named data set is regenerated exactly as the CLI made it (name, count, seed), for the data views.
      $<HTMLSelectElement>('dataset').value = c.dataset;
      input('n-data').value = String(c.nData);
      state.data = getDataset(c.dataset, Math.min(c.nData, 5000), c.seed);
    }
    $('draw-area').hidden = true;
    $('csv-row').hidden = true;
    $('chart-data').hidden = false;
    showDataChart(state.data, `${c.dataset} (from ${m.name}.safetensors)`);
    if (!state.data) placeholder('chart-data', `${m.name}.safetensors holds no training data; its samples are below.`);
    if (m.losses.length) {
      state.lossSteps = Array.from(m.losses, (_, i) => i + 1);
      state.loss = Array.from(m.losses);
      drawLoss();
    } else placeholder('chart-loss', 'This model file has no loss history (a checkpoint has).');
    status(`Loaded ${m.name}.safetensors: ${c.dataset}, step ${m.step}, T = ${T} ${c.schedule}. Sampling…`);
  } else {
    status(`Training on ${c.dataset}: ${m.parameters.toLocaleString('en')} parameters, T = ${T} ${c.schedule}…`);
  }
}

let lossDrawnAt = 0, lossTimer = 0;
function drawLoss(): void {
  // The loss chart rescales on every update: ~7 redraws a second are plenty for a curve.
  const wait = 140 - (performance.now() - lossDrawnAt);
  if (wait > 0 && state.busy) {
    if (!lossTimer) lossTimer = window.setTimeout(() => ((lossTimer = 0), drawLoss()), wait);
    return;
  }
  lossDrawnAt = performance.now();
  onFrame('loss', () => {
    const { s, l } = bucket(state.lossSteps, state.loss);
    const sm = smooth(l, l.length > 500 ? 0.97 : 0.9);
    const spec = lossChart(s, l, sm, { height: 300 });
    if (charts.has('chart-loss') && charts.get('chart-loss')!.plot.series.length === spec.opts.series.length) update('chart-loss', spec.data, true);
    else mount('chart-loss', spec, false);
  });
}

function onProgress(m: Extract<FromWorker, { type: 'progress' }>): void {
  if (gap.armed) {
    gap.armed = false;
    gap.measuring = true;
  }
  for (let i = 0; i < m.steps.length; i++) {
    state.lossSteps.push(m.steps[i]);
    state.loss.push(m.loss[i]);
  }
  if (m.loss.length) drawLoss();
  const last = m.loss[m.loss.length - 1];
  // Text and bar too change at most once per frame (each change costs a style and layout pass).
  onFrame('stats', () => {
    $('stat-step').textContent = `${m.step} / ${m.total}`;
    if (last !== undefined) $('stat-loss').textContent = last.toFixed(4);
    $('stat-sps').textContent = m.stepsPerSecond.toFixed(0);
    $('progress-bar').style.width = `${((100 * m.step) / m.total).toFixed(1)}%`;
    status(`Training: step ${m.step} of ${m.total}`);
  });
}

function dataRanges(extra: { x: ArrayLike<number>; y: ArrayLike<number> }[] = []) {
  const d = state.data;
  return pointRanges([...(d ? [plane(d.data, d.d, Math.min(d.n, 2000))] : []), ...extra]);
}

function onSnapshot(points: Float32Array, d: number, label: string): void {
  const s = plane(points, d);
  $('samples-title').textContent = label;
  onFrame('samples', () => {
    const dset = state.data ? plane(state.data.data, state.data.d, Math.min(state.data.n, 2000)) : { x: new Float32Array(0), y: new Float32Array(0) };
    const spec = scatterChart('', [{ label: 'data', ...dset, color: roles.data }, { label: 'samples', ...s, color: roles.samples }], {
      ...dataRanges(state.data ? [] : [s]),
      alpha: 0.6,
    });
    // Same ranges for the whole run: new snapshots only swap the data.
    if (charts.has('chart-samples')) update('chart-samples', spec.data, false);
    else mount('chart-samples', spec, true);
  });
}

function onSampled(m: Extract<FromWorker, { type: 'sampled' }>): void {
  const d = m.d;
  state.samples = { data: m.points, n: m.points.length / d, d };
  state.frames = { frames: m.frames, n: m.frameN, d, T: m.T };
  state.forward = { frames: m.forward, n: m.forwardN, d, ts: m.forwardT, x0: m.x0 };
  charts.get('chart-samples')?.plot.destroy();
  charts.delete('chart-samples');
  onSnapshot(m.points, d, `${state.samples.n} final samples (EMA weights)`);

  // Reverse process: one square chart, the frame swapped by play / scrub.
  const T = m.T, per = m.frameN * d;
  const first = plane(m.frames.subarray(0, per), d), lastF = plane(m.frames.subarray(T * per), d);
  const ranges = dataRanges([first, lastF]);
  const bg = state.data ? plane(state.data.data, state.data.d, Math.min(state.data.n, 2000)) : lastF;
  onFrame('reverse', () => {
    mount('chart-reverse', scatterChart('', [{ label: 'data', ...bg, color: roles.data }, { label: 'x_t', ...first, color: roles.samples }], { ...ranges, alpha: 0.7 }), true);
    setFrame(0);
  });
  const slider = input('t-reverse');
  slider.max = String(T);
  slider.value = '0';
  slider.disabled = false;
  $<HTMLButtonElement>('play').disabled = false;

  // Forward process.
  const f = input('t-forward');
  f.max = String(m.forwardT.length);
  f.value = '0';
  f.disabled = false;
  const x0 = plane(m.x0, d);
  const lastFwd = plane(m.forward.subarray((m.forwardT.length - 1) * m.forwardN * d), d);
  onFrame('forward', () => {
    mount('chart-forward', scatterChart('', [{ label: 'x_t', ...x0, color: roles.samples }], { ...pointRanges([x0, lastFwd]), alpha: 0.6 }), true);
    setForward(0);
  });

  // Trajectories of up to 80 of the recorded points over the data.
  const k = Math.min(80, m.frameN);
  const paths = Array.from({ length: k }, (_, p) => {
    const x = new Float32Array(T + 1), y = new Float32Array(T + 1);
    for (let j = 0; j <= T; j++) {
      x[j] = m.frames[j * per + p * d];
      y[j] = d > 1 ? m.frames[j * per + p * d + 1] : 0;
    }
    return { x, y };
  });
  onFrame('traj', () => mount('chart-traj', trajectoryChart('', paths, bg), true));

  $('stat-step').textContent = String(state.model?.step ?? '–');
  status(`${state.model?.source === 'load' ? `Model ${state.model.name}` : 'Model'} at step ${state.model?.step}: sampled ${state.samples.n} points (recorded ${m.frameN} reverse paths) in ${m.seconds.toFixed(2)} s. Press ▶ to play the reverse process.`);
  setState('ready');
}

// ---------------------------------------------------------------------------------------------------
// Reverse-process player and forward slider

function setFrame(j: number): void {
  const f = state.frames;
  if (!f) return;
  j = Math.max(0, Math.min(f.T, Math.round(j)));
  state.t = j;
  input('t-reverse').value = String(j);
  const t = f.T - j;
  $('t-reverse-label').textContent = `t = ${t}`;
  $('t-reverse-label').dataset.t = String(t);
  const per = f.n * f.d;
  const cur = plane(f.frames.subarray(j * per, (j + 1) * per), f.d);
  const c = charts.get('chart-reverse');
  if (!c) return;
  const data = c.plot.data as unknown as unknown[];
  update('chart-reverse', [null, data[1], [cur.x, cur.y]] as unknown as uPlot.AlignedData, false);
}

let playFrom = 0, playStart = 0;
function playStep(now: number): void {
  if (!state.playing || !state.frames) return;
  const T = state.frames.T;
  const seconds = Math.min(6, Math.max(2.5, T / 60));
  const j = Math.min(T, Math.round(playFrom + ((now - playStart) / 1000 / seconds) * T));
  if (j >= T) stopPlaying(); // before the last frame is shown, so "t = 0" and "stopped" are seen together
  setFrame(j);
  if (j >= T) return;
  requestAnimationFrame(playStep);
}
function startPlaying(): void {
  if (!state.frames) return;
  if (state.t >= state.frames.T) state.t = 0;
  state.playing = true;
  playFrom = state.t;
  playStart = performance.now();
  $('play').textContent = '❚❚ Pause';
  $('play').setAttribute('aria-label', 'Pause');
  $('card-reverse').classList.add('playing');
  requestAnimationFrame(playStep);
}
function stopPlaying(): void {
  state.playing = false;
  $('play').textContent = '▶ Play';
  $('play').setAttribute('aria-label', 'Play');
  $('card-reverse').classList.remove('playing');
}
$('play').addEventListener('click', () => (state.playing ? stopPlaying() : startPlaying()));
input('t-reverse').addEventListener('input', () => {
  stopPlaying();
  const j = Number(input('t-reverse').value);
  onFrame('scrub', () => setFrame(j));
});

function setForward(k: number): void {
  const f = state.forward;
  if (!f) return;
  const per = f.n * f.d;
  const t = k === 0 ? 0 : f.ts[k - 1];
  const pts = k === 0 ? f.x0 : f.frames.subarray((k - 1) * per, k * per);
  const cur = plane(pts, f.d);
  const abar = t === 0 ? 1 : state.model!.alphaBar[t - 1];
  $('t-forward-label').textContent = `t = ${t}, ᾱ = ${abar.toFixed(3)}`;
  $('t-forward-label').dataset.t = String(t);
  update('chart-forward', [null, [cur.x, cur.y]] as unknown as uPlot.AlignedData, false);
}
input('t-forward').addEventListener('input', () => {
  const k = Number(input('t-forward').value);
  onFrame('forward-t', () => setForward(k));
});

// ---------------------------------------------------------------------------------------------------
// Start

function init(): void {
  const sel = $<HTMLSelectElement>('dataset');
  for (const name of Object.keys(DATASETS)) sel.add(new Option(name, name, name === 'moons', name === 'moons'));
  sel.add(new Option('draw your own…', 'draw'));
  sel.add(new Option('upload a CSV…', 'csv'));
  const sch = $<HTMLSelectElement>('schedule');
  for (const s of ALL_SCHEDULES) sch.add(new Option(s, s));
  sel.addEventListener('change', refreshData);
  sch.addEventListener('change', refreshSchedule);
  input('T').addEventListener('input', refreshSchedule);
  input('n-data').addEventListener('change', refreshData);
  input('seed').addEventListener('change', () => source() === 'named' && refreshData());
  input('csv-file').addEventListener('change', () => {
    const f = input('csv-file').files?.[0];
    if (f) void readCsvFile(f);
  });
  refreshData();
  refreshSchedule();
  requestAnimationFrame(tick);
}
init();
