/**
 * "Does the starting position decide the ending position?": the same starts x_T (seeded) through the card's sampler
 * choice (web/panels/sampling.ts), each start coloured by its place (the colour wheel of src/report/colour.ts), each
 * ending drawn in its start's colour, and the x coordinate of a few dozen of them against t. After deterministic DDIM
 * eta = 0 the colours stay ordered on the data; after DDPM, which draws fresh noise at every step, they mix.
 * And the same question by hand: a click on the x_T plot places a start there; its path under the chosen sampler is
 * drawn over the data, and when runs from it end apart (the sampler draws noise after x_T) the endings of 30 runs too.
 * The worker computes (web/worker-views.ts `trajectories`, `hand`); this panel only asks and draws.
 */
import type uPlot from 'uplot';
import type { SamplerChoice } from '../../src/api/worker-protocol';
import { WHEEL_COLORS, type WheelFrame, wheelFrame, wheelIndices } from '../../src/report/colour';
import { fanChart, pointRanges, positionsChart, trajectoryChart, wheelScatterChart } from '../../src/report/charts';
import type { ViewRequest, ViewResult } from '../worker-views';
import { dataPlane, dataRanges } from './data';
import { choiceLabel, initChoice, readChoice } from './sampling';
import { state } from './state';
import { $, charts, mount, onFrame, placeholder, showError } from './ui';

const N = 600, LINES = 30, RUNS = 30;

/** What the deck says about the three samplers it compares; any other sampler is described by what its runs did. */
const CAPTIONS: Record<string, string> = {
  ddim: 'DDIM η = 0 is deterministic: neighbouring starts end as neighbours, so the colours stay ordered along the data. ' +
    'The start decides the end.',
  ode: 'The probability-flow ODE is deterministic too (DDIM η = 0 is its first-order step): the colours stay ordered. ' +
    'The start decides the end.',
  ddpm: 'DDPM adds fresh noise at every step: the colours mix on the data. The start does not decide the end.',
};
function caption(c: SamplerChoice, stochastic: boolean): string {
  const name = c.sampler ?? 'ddpm';
  if (CAPTIONS[name] && (name !== 'ddim' || !c.eta)) return CAPTIONS[name];
  return stochastic
    ? `${choiceLabel(c)} draws fresh noise after x_T: runs from the same start end apart, and the colours mix on the data. ` +
      `The start does not decide the end.`
    : `${choiceLabel(c)} is deterministic given x_T: the colours stay ordered. The start decides the end.`;
}

const split = (xy: ArrayLike<number>) => ({
  x: Float32Array.from({ length: xy.length >> 1 }, (_, i) => xy[2 * i]),
  y: Float32Array.from({ length: xy.length >> 1 }, (_, i) => xy[2 * i + 1]),
});

/** The start placed by hand (data units), and the wheel frame of the seeded starts that colours it. */
let handStart: [number, number] | undefined;
let frame: WheelFrame | undefined;
const handColor = () => (handStart && frame ? wheelIndices([handStart[0]], [handStart[1]], frame)[0] : 0);

function choice(): SamplerChoice | undefined {
  try {
    return readChoice('traj', state.model!.config.T);
  } catch (e) {
    showError((e as Error).message);
    return undefined;
  }
}

export function requestTrajectories(request: (m: ViewRequest) => void): void {
  const c = choice();
  if (!c || !state.model) return;
  $('traj-label').textContent = 'computing…';
  request({ type: 'trajectories', n: N, lines: LINES, ...c });
  if (handStart) request({ type: 'hand', start: handStart, runs: RUNS, ...c });
}

/** The x_T plot's ring at the start placed by hand, drawn after the chart's own series. */
function drawHandMark(u: uPlot): void {
  if (!handStart) return;
  const ctx = u.ctx, r = 7 * devicePixelRatio;
  const px = u.valToPos(handStart[0], 'x', true), py = u.valToPos(handStart[1], 'y', true);
  ctx.save();
  ctx.beginPath();
  ctx.arc(px, py, r, 0, 2 * Math.PI);
  ctx.fillStyle = WHEEL_COLORS[handColor()];
  ctx.fill();
  ctx.lineWidth = 2.5 * devicePixelRatio;
  ctx.strokeStyle = '#111';
  ctx.stroke();
  ctx.restore();
}

export function showTrajectories(m: Extract<ViewResult, { type: 'trajectories' }>): void {
  const starts = split(m.starts), ends = split(m.ends);
  frame = wheelFrame(starts.x, starts.y);
  const color = wheelIndices(starts.x, starts.y, frame);
  const card = $('card-traj');
  card.dataset.sampler = m.choice.sampler ?? 'ddpm';
  card.dataset.stochastic = String(m.stochastic);
  $('traj-label').textContent = `${m.n} starts, ${choiceLabel(m.choice)}, ${m.seconds.toFixed(2)} s`;
  $('traj-caption').textContent = caption(m.choice, m.stochastic);
  // x of the first LINES points against t, frame-major in m.lines: one line per point in its start's colour.
  const F = m.times.length;
  const lines = Array.from({ length: m.lineN }, (_, p) => ({
    y: Float64Array.from({ length: F }, (_, j) => m.lines[(j * m.lineN + p) * 2]), color: color[p] }));
  onFrame('traj', () => {
    const startSpec = wheelScatterChart('', { ...starts, color }, { ...pointRanges([starts]), pointSize: 3.5 });
    startSpec.opts.hooks = { draw: [drawHandMark] };
    mount('chart-traj-start', startSpec, true);
    mount('chart-traj', wheelScatterChart('', { ...ends, color },
      { ...dataRanges([ends]), pointSize: 3.5, background: dataPlane() }), true);
    mount('chart-traj-time', positionsChart('', m.times, lines, { height: 220, reversed: true, yLabel: 'x' }), false);
  });
}

/**
 * The start placed by hand over the data (grey): its path under the chosen sampler in the start's colour, the start
 * ringed, and the endings of the runs from it with a ray from the start to each (one ending when they coincide).
 */
export function showHand(m: Extract<ViewResult, { type: 'hand' }>): void {
  if (!handStart) return; // the model changed while it was computed
  const bg = dataPlane(), path = split(m.path), color = handColor();
  const all = split(m.endings);
  const ends = m.stochastic ? all : { x: all.x.subarray(0, 1), y: all.y.subarray(0, 1) };
  const card = $('card-traj');
  card.dataset.hand = m.choice.sampler ?? 'ddpm';
  card.dataset.handEndings = String(ends.x.length);
  card.dataset.handStart = m.start.join(',');
  card.dataset.handPathStart = `${path.x[0]},${path.y[0]}`;
  $('traj-hand-caption').textContent = m.stochastic
    ? `${choiceLabel(m.choice)}: ${m.runs} runs from this start end apart, spread over the data. The start does not decide the end.`
    : `${choiceLabel(m.choice)}: all ${m.runs} runs from this start end on one point. The start decides the end.`;
  onFrame('traj-hand', () => {
    const ranges = pointRanges([bg, path, ends], 0.08, 0);
    const spec = fanChart('', [{ start: m.start, ...ends, color }], bg, { ...ranges, pointSize: 6 });
    // The path from trajectoryChart's polyline series, put between the rays and the endings.
    const line = trajectoryChart('', [path], bg, { ...ranges, colors: [color], alpha: 1 });
    spec.opts.series.splice(3, 0, line.opts.series[2]);
    (spec.data as unknown[]).splice(3, 0, line.data[2]);
    mount('chart-traj-hand', spec, true);
  });
}

export function resetTrajectories(): void {
  handStart = undefined;
  placeholder('chart-traj-start', 'After training: the starts x_T, each coloured by where it is. Click here to place a start by hand.');
  placeholder('chart-traj', 'After training: where each start ends, in its start\'s colour.');
  placeholder('chart-traj-hand', 'After training: click the x_T plot to place a start; its path and where runs from it end appear here.');
  placeholder('chart-traj-time', 'After training: x of 30 points against t.');
  $('traj-label').textContent = '';
  $('traj-caption').textContent = '';
  $('traj-hand-caption').textContent = '';
  const card = $('card-traj');
  for (const k of ['sampler', 'stochastic', 'hand', 'handEndings', 'handStart', 'handPathStart']) delete card.dataset[k];
}

export function initTrajectories(request: (m: ViewRequest) => void): void {
  initChoice('traj', 'ddim', () => requestTrajectories(request));
  // A click on the x_T plot: a start there, in the plot's data units, through the card's sampler.
  $('chart-traj-start').addEventListener('click', (e) => {
    const plot = charts.get('chart-traj-start')?.plot;
    if (!plot || !state.model || state.busy) return;
    const box = plot.over.getBoundingClientRect();
    const left = e.clientX - box.left, top = e.clientY - box.top;
    if (left < 0 || top < 0 || left > box.width || top > box.height) return;
    const c = choice();
    if (!c) return;
    handStart = [plot.posToVal(left, 'x'), plot.posToVal(top, 'y')];
    plot.redraw(); // rebuilds the paths too: the point series draw as they are built
    $('traj-hand-caption').textContent = 'computing…';
    request({ type: 'hand', start: handStart, runs: RUNS, ...c });
  });
}
