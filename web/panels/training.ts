/**
 * The training cards: the live loss curve (bucketed, redrawn at most ~7 times a second), the sample snapshots
 * over the data while training, and the status line's step, loss and speed.
 * Not here: the frame-gap monitor (ui.ts), the worker (web/main.ts).
 */
import { lossChart, roles, scatterChart, smooth } from '../../src/report/charts';
import type { FromWorker } from '../worker';
import { dataPlane, dataRanges } from './data';
import { state } from './state';
import { $, bucket, charts, gap, mount, onFrame, pending, placeholder, plane, status, update } from './ui';

export let lossDrawnAt = 0, lossTimer = 0;
export function drawLoss(): void {
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
    if (charts.has('chart-loss') && charts.get('chart-loss')!.plot.series.length === spec.opts.series.length) {
      update('chart-loss', spec.data, true);
    } else mount('chart-loss', spec, false);
  });
}

export function onProgress(m: Extract<FromWorker, { type: 'progress' }>): void {
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

/** A sample snapshot over the data (same ranges for the whole run); `fresh`: a new chart (the final samples). */
export function onSnapshot(points: Float32Array, d: number, label: string, fresh = false): void {
  if (fresh) {
    charts.get('chart-samples')?.plot.destroy();
    charts.delete('chart-samples');
  }
  const s = plane(points, d);
  $('samples-title').textContent = label;
  onFrame('samples', () => {
    const dset = dataPlane();
    const spec = scatterChart('', [{ label: 'data', ...dset, color: roles.data }, { label: 'samples', ...s, color: roles.samples }], {
      ...dataRanges(state.data ? [] : [s]),
      alpha: 0.6,
    });
    // Same ranges for the whole run: new snapshots only swap the data.
    if (charts.has('chart-samples')) update('chart-samples', spec.data, false);
    else mount('chart-samples', spec, true);
  });
}

/** Empty live charts, built before the worker starts: while training only their data change. */
export function startTraining(): void {
  pending.delete('loss');
  pending.delete('samples');
  mount('chart-loss', lossChart([], [], [], { height: 300 }), false);
  const empty = new Float32Array(0);
  mount('chart-samples', scatterChart('', [{ label: 'data', ...dataPlane(), color: roles.data },
    { label: 'samples', x: empty, y: empty, color: roles.samples }], { ...dataRanges(), alpha: 0.6 }), true);
  gap.max = 0;
  gap.last = 0;
  gap.armed = true;
  gap.measuring = false;
  $('progress-bar').style.width = '0%';
}

export function resetTraining(): void {
  state.lossSteps = [];
  state.loss = [];
  state.samples = undefined;
  placeholder('chart-loss', 'Waiting for the first loss values…');
  placeholder('chart-samples', 'Samples appear here every few hundred steps while training.');
  $('samples-title').textContent = '';
  for (const id of ['stat-step', 'stat-loss', 'stat-sps']) $(id).textContent = '–';
}
