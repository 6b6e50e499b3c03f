/**
 * The lab page's main thread, wiring its panels (web/panels/*.ts) to the worker: it creates the worker, routes
 * its messages to the panels, and owns the run's buttons (Train, Stop, Sample again). All computation happens in
 * web/worker.ts; panels only turn messages into chart updates, at most one redraw per chart per animation frame,
 * with chart options from src/report/charts.ts (the builders the Node reports use).
 *
 * The worker does one job at a time. The deck panels' questions about a trained model (trajectories, field,
 * verdict) are views: one in flight at a time, the latest of each kind kept while one runs, and a run's own
 * messages (train, sample, load, save) wait until the view in flight has answered.
 *
 * The page measures its own responsiveness: the longest gap between two animation frames while training
 * (shown as "longest frame gap"; the browser test reads it).
 */
import { DATASETS, getDataset } from '../src/data/datasets';
import { drawPad, initData, showDataChart, source } from './panels/data';
import { armField, initField, requestField, resetField, showField } from './panels/field';
import { initFiles, onFile } from './panels/files';
import { initProcesses, resetProcesses, showProcesses } from './panels/process';
import { drawSchedule, initSchedule, refreshSchedule } from './panels/schedule';
import { setState, state } from './panels/state';
import { drawLoss, onProgress, onSnapshot, resetTraining, startTraining } from './panels/training';
import { choiceLabel, initChoice, readChoice } from './panels/sampling';
import { initTrajectories, requestTrajectories, resetTrajectories, showHand, showTrajectories } from './panels/trajectories';
import { resetVerdict, showVerdict } from './panels/verdict';
import { $, clearError, gap, input, num, pending, placeholder, showError, showGap, status, tick } from './panels/ui';
import type { FromWorker, ModelInfo, ToWorker, TrainRequest } from './worker';
import type { ViewRequest } from './worker-views';

// ---------------------------------------------------------------------------------------------------
// The worker, and the order of what is sent to it

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onerror = (e) => {
  showError(`the worker failed: ${e.message || 'could not start (see the browser console)'}`);
  setState('idle');
};
// (the list is written here: importing worker-views' values would pull the worker's code into this bundle)
const VIEWS = new Set<string>(['trajectories', 'hand', 'field', 'judge'] satisfies ViewRequest['type'][]);
let viewInFlight = false;
const waiting: [ToWorker, Transferable[]][] = [];
const nextView = new Map<string, ViewRequest>();

/** A run's message: now, or as soon as the view in flight has answered (Stop always goes at once). */
function send(m: ToWorker, transfer: Transferable[] = []): void {
  if (viewInFlight && m.type !== 'stop') waiting.push([m, transfer]);
  else worker.postMessage(m, transfer);
}
/** A deck panel's question: replaces any not yet sent of the same kind. */
function request(m: ViewRequest): void {
  if (state.busy || !state.model) return;
  nextView.set(m.type, m);
  pump();
}
function pump(): void {
  if (viewInFlight) return;
  const run = waiting.shift();
  if (run) return worker.postMessage(run[0], run[1]);
  const [kind, m] = nextView.entries().next().value ?? [];
  if (!kind || !m) return;
  nextView.delete(kind);
  viewInFlight = true;
  worker.postMessage(m);
}
function viewDone(): void {
  viewInFlight = false;
  pump();
}

function trainRequest(): TrainRequest {
  const src = source();
  const steps = num('steps', 1, 1e6, true);
  const options: TrainRequest['options'] = {
    schedule: $<HTMLSelectElement>('schedule').value as TrainRequest['options']['schedule'],
    T: num('T', 2, 4000, true),
    variance: $<HTMLSelectElement>('variance').value as 'beta' | 'posterior' | 'learned',
    // The input scale 25, not the CLI's 10: the page's small model measured better with it (docs/page.md).
    model: { width: num('width', 1, 1024, true), depth: num('depth', 0, 16, true), embedSize: 64, inputScale: 25 },
    steps,
    batch: num('batch', 1, 4096, true),
    lr: num('lr', 1e-6, 1, false),
    warmup: Math.min(200, Math.floor(steps / 10)),
    seed: num('seed', 0, 2 ** 31, true),
    // Importance-sampled t with Nichol & Dhariwal's mix, as the page's default was measured (docs/page.md).
    ...($<HTMLSelectElement>('variance').value !== 'learned' ? { importanceMix: 0.001 } : {}),
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
  const sampling = readChoice('samples', options.T!);
  return { type: 'train', options, snapshotEvery: Math.max(50, Math.round(steps / 15 / 50) * 50), snapshotN: 500,
    sampleN: num('sample-n', 1, 100000, true), sampling };
}

function resetRun(): void {
  resetTraining();
  resetProcesses();
  resetTrajectories();
  resetField();
  resetVerdict();
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
  refreshSchedule();
  pending.get('schedule')?.();
  pending.delete('schedule');
  state.sampling = req.sampling ?? {};
  startTraining();
  setState('training');
  status('Starting…');
  send(req, req.options.data ? [req.options.data.data.buffer] : []);
});
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('sample').addEventListener('click', () => {
  clearError();
  try {
    const n = num('sample-n', 1, 100000, true);
    if (!state.model) return;
    const choice = readChoice('samples', state.model.config.T);
    setState('sampling');
    status(`Sampling ${n} points (${choiceLabel(choice)})…`);
    state.sampling = choice;
    send({ type: 'sample', n, ...choice });
  } catch (err) {
    showError((err as Error).message);
  }
});

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
      status(`${m.stopped ? 'Stopped' : 'Trained'} at step ${m.step} in ${m.trainSeconds.toFixed(1)} s ` +
        `(${m.stepsPerSecond.toFixed(0)} steps/s). Sampling…`);
      setState('sampling');
      break;
    case 'sampled':
      onSampled(m);
      break;
    case 'file':
      onFile(m);
      break;
    case 'trajectories':
      showTrajectories(m);
      viewDone();
      break;
    case 'hand':
      showHand(m);
      viewDone();
      break;
    case 'field':
      showField(m);
      viewDone();
      break;
    case 'judged':
      showVerdict(m);
      viewDone();
      break;
    case 'error':
      if (VIEWS.has(m.during)) {
        showError(`${m.during}: ${m.message}`);
        viewDone();
        break;
      }
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
  $('param-count').textContent =
    `${m.parameters.toLocaleString('en')} parameters; ᾱ_T = ${m.alphaBar[m.alphaBar.length - 1].toExponential(2)}`;
  const T = c.T;
  if (m.source === 'load') {
    drawSchedule(m.beta, m.alphaBar);
    // Show the checkpoint's settings in the form, so the page says what is being sampled.
    $<HTMLSelectElement>('schedule').value = c.schedule;
    $<HTMLSelectElement>('variance').value = c.variance;
    for (const [id, v] of [['T', c.T], ['width', c.model.width], ['depth', c.model.depth], ['steps', c.steps], ['batch', c.batch],
      ['lr', c.lr], ['seed', c.seed]] as const) input(id).value = String(v);
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

function onSampled(m: Extract<FromWorker, { type: 'sampled' }>): void {
  state.samples = { data: m.points, n: m.points.length / m.d, d: m.d };
  onSnapshot(m.points, m.d, `${state.samples.n} final samples (EMA weights)`, true);
  showProcesses(m);
  $('stat-step').textContent = String(state.model?.step ?? '–');
  status(`${state.model?.source === 'load' ? `Model ${state.model.name}` : 'Model'} at step ${state.model?.step}: ` +
    `sampled ${state.samples.n} points (${choiceLabel(state.sampling)}; recorded ${m.frameN} reverse paths) ` +
    `in ${m.seconds.toFixed(2)} s. Press ▶ to play the reverse process.`);
  setState('ready');
  // The deck panels' views of the new model, in the order a reader meets them.
  armField(m.T);
  requestTrajectories(request);
  requestField(request);
  request({ type: 'judge', n: 2000, ...state.sampling });
}

function init(): void {
  initData();
  initSchedule();
  initProcesses();
  initChoice('samples', 'ddpm', () => undefined);
  initTrajectories(request);
  initField(request);
  initFiles(send, resetRun);
  resetRun();
  requestAnimationFrame(tick);
}
init();
