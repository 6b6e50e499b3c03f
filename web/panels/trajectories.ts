/**
 * "Does the starting position decide the ending position?": the same starts x_T (seeded) through the sampler the
 * switch names, each start coloured by its place (the colour wheel of src/report/colour.ts), each ending drawn in
 * its start's colour, and the x coordinate of a few dozen of them against t. After deterministic DDIM eta = 0 the
 * colours stay ordered on the data; after DDPM, which draws fresh noise at every step, they mix.
 * The worker computes (web/worker-views.ts `trajectories`); this panel only asks and draws.
 */
import { positionsChart, pointRanges, wheelScatterChart } from '../../src/report/charts';
import { wheelIndices } from '../../src/report/colour';
import type { ViewRequest, ViewResult, ViewSampler } from '../worker-views';
import { dataPlane, dataRanges } from './data';
import { $, mount, onFrame, placeholder } from './ui';

const N = 600, LINES = 30;

const CAPTIONS: Record<ViewSampler, string> = {
  ddim: 'DDIM η = 0 is deterministic: neighbouring starts end as neighbours, so the colours stay ordered along the data. The start decides the end.',
  ode: 'The probability-flow ODE is deterministic too (DDIM η = 0 is its first-order step): the colours stay ordered. The start decides the end.',
  ddpm: 'DDPM adds fresh noise at every step: the colours mix on the data. The start does not decide the end.',
};

const split = (xy: Float32Array) => ({ x: xy.filter((_, i) => i % 2 === 0), y: xy.filter((_, i) => i % 2 === 1) });

export function requestTrajectories(request: (m: ViewRequest) => void): void {
  const sampler = ($<HTMLSelectElement>('traj-sampler').value as ViewSampler) || 'ddim';
  $('traj-label').textContent = 'computing…';
  request({ type: 'trajectories', sampler, n: N, lines: LINES });
}

export function showTrajectories(m: Extract<ViewResult, { type: 'trajectories' }>): void {
  const starts = split(m.starts), ends = split(m.ends);
  const color = wheelIndices(starts.x, starts.y);
  const card = $('card-traj');
  card.dataset.sampler = m.sampler;
  $('traj-label').textContent = `${m.n} starts, ${m.seconds.toFixed(2)} s`;
  $('traj-caption').textContent = CAPTIONS[m.sampler];
  // x of the first LINES points against t, frame-major in m.lines: one line per point in its start's colour.
  const F = m.times.length;
  const lines = Array.from({ length: m.lineN }, (_, p) => ({ y: Float64Array.from({ length: F }, (_, j) => m.lines[(j * m.lineN + p) * 2]), color: color[p] }));
  onFrame('traj', () => {
    mount('chart-traj-start', wheelScatterChart('', { ...starts, color }, { ...pointRanges([starts]), pointSize: 3.5 }), true);
    mount('chart-traj', wheelScatterChart('', { ...ends, color }, { ...dataRanges([ends]), pointSize: 3.5, background: dataPlane() }), true);
    mount('chart-traj-time', positionsChart('', m.times, lines, { height: 220, reversed: true, yLabel: 'x' }), false);
  });
}

export function resetTrajectories(): void {
  placeholder('chart-traj-start', 'After training: the starts x_T, each coloured by where it is.');
  placeholder('chart-traj', 'After training: where each start ends, in its start\'s colour.');
  placeholder('chart-traj-time', 'After training: x of 30 points against t.');
  $('traj-label').textContent = '';
  $('traj-caption').textContent = '';
}

export function initTrajectories(request: (m: ViewRequest) => void): void {
  $('traj-sampler').addEventListener('change', () => requestTrajectories(request));
}
