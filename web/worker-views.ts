/**
 * The worker's views of a trained model for the page's deck panels, each one message in and one out (added to
 * web/worker.ts's protocol as new message types; the existing ones are unchanged):
 *   trajectories  the same seeded starts x_T through a chosen sampler: starts, endings, and a few dozen paths
 *   hand          one start placed by hand (data units) through a chosen sampler: its path, and the endings of 30 runs
 *                 from it, with whether they differ (the sampler drew noise after x_T)
 *   field         -eps_theta(x, t) on a grid over q(x_t) at one t, with those points
 *   judge         the classifier two-sample test of the samples (through the samples' sampler) against fresh data
 *                 (or the training points when there is no generator): accuracy, z and a verdict in words
 * Pure functions of the model and the request; everything returned is a fresh copy, ready to transfer.
 * Not here: drawing (web/panels/*.ts), training and checkpoints (web/worker.ts).
 */
import type { Diffusion } from '../src/api/diffusion';
import { startsAt } from '../src/api/worker-host';
import type { SamplerChoice } from '../src/api/worker-protocol';
import { DATASETS, getDataset } from '../src/data/datasets';
import { type Points } from '../src/data/points';
import { epsField } from '../src/diffusion/field';
import { FRESH_SEED_OFFSET } from '../src/eval/draws';
import { classifierTwoSampleTest } from '../src/eval/two-sample';
import { gridPoints, pointRanges } from '../src/report/charts';
import { Rng } from '../src/util/rng';

export const VIEW_TYPES = ['trajectories', 'hand', 'field', 'judge'] as const;

export function isViewRequest(m: { type: string }): m is ViewRequest {
  return (VIEW_TYPES as readonly string[]).includes(m.type);
}

export type ViewRequest =
  | ({ type: 'trajectories'; n: number; lines: number } & SamplerChoice)
  | ({ type: 'hand'; start: [number, number]; runs: number } & SamplerChoice)
  | { type: 'field'; t: number; grid: number }
  | ({ type: 'judge'; n: number } & SamplerChoice);

export type ViewResult =
  | {
      type: 'trajectories';
      choice: SamplerChoice;
      /** Runs from the same starts end apart: the sampler draws noise after x_T. */
      stochastic: boolean;
      /** n starts and n endings in the plotted plane (x, y interleaved), data units. */
      n: number;
      starts: Float32Array;
      ends: Float32Array;
      /** Timestep of each recorded frame (T .. 0), and `lineN` paths: frame-major, (frames, lineN, 2). */
      times: Float64Array;
      lineN: number;
      lines: Float32Array;
      seconds: number;
    }
  | {
      type: 'hand';
      choice: SamplerChoice;
      /** The start asked for, and the path of the first run in the plane (frames[0] is the start, back in data units). */
      start: [number, number];
      times: Float64Array;
      path: Float32Array;
      /** The endings of `runs` runs from the start (interleaved), and whether they differ. */
      runs: number;
      endings: Float32Array;
      stochastic: boolean;
      seconds: number;
    }
  | {
      type: 'field';
      t: number;
      /** sqrt(abar_t): how much of x_0 is left at t. */
      signal: number;
      grid: number;
      gx: Float32Array;
      gy: Float32Array;
      u: Float32Array;
      v: Float32Array;
      /** Up to 1000 points of q(x_t) in the plane (interleaved). */
      points: Float32Array;
      maxScore: number;
    }
  | { type: 'judged'; n: number; k: number; accuracy: number; z: number; p: number;
      against: 'fresh data' | 'the training points'; verdict: string; seconds: number };

/** First two coordinates of n rows, interleaved (x0, y0, x1, y1, ...). */
function planeOf(data: Float32Array, d: number, n = data.length / d): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) (out[2 * i] = data[i * d]), (out[2 * i + 1] = d > 1 ? data[i * d + 1] : 0);
  return out;
}

/** The sampler options of a view request (sampler, steps, eta), as Diffusion.sample takes them. */
const choiceOf = (m: SamplerChoice): SamplerChoice => ({ sampler: m.sampler, steps: m.steps, eta: m.eta });

/**
 * Whether points (n x d, data units) lie apart from `ref` (row by row; one row: every point against it) by more than
 * rounding: runs of a deterministic sampler from the same x_T repeat their endings to float rounding, while noise drawn
 * after x_T moves them by a good fraction of the data's spread. Decided by running, so it covers every sampler.
 */
function apart(model: Diffusion, points: Float32Array, ref: Float32Array): boolean {
  const d = model.config.model.dim, sd = model.standardization.std;
  for (let i = 0; i < points.length; i++) if (Math.abs(points[i] - ref[i % ref.length]) > 1e-3 * sd[i % d]) return true;
  return false;
}

/** The same starts for every sampler (seeded by the model's seed), so switching samplers compares like with like. */
function trajectories(model: Diffusion, m: Extract<ViewRequest, { type: 'trajectories' }>): { msg: ViewResult; transfer: Transferable[] } {
  const t0 = performance.now(), d = model.config.model.dim, choice = choiceOf(m);
  const n = Math.max(2, Math.min(2000, Math.round(m.n))), L = Math.max(0, Math.min(n, Math.round(m.lines)));
  const rng = new Rng(model.config.seed + 31337, 5);
  const zT = Float32Array.from({ length: n * d }, () => rng.normal());
  model.reseedSampling(model.config.seed + 4243);
  const rec = model.sample(n, { ...choice, xT: zT, record: true });
  const frames = rec.frames!, F = frames.length;
  const lines = new Float32Array(F * L * 2);
  frames.forEach((f, j) => lines.set(planeOf(f.subarray(0, L * d), d, L), j * L * 2));
  // A few of the same starts again: do they end where they did?
  const again = model.sample(Math.min(8, n), { ...choice, xT: zT.subarray(0, Math.min(8, n) * d) }).points.data;
  const msg: ViewResult = {
    type: 'trajectories', choice, stochastic: apart(model, again, rec.points.data.subarray(0, again.length)), n,
    starts: planeOf(frames[0], d), ends: planeOf(rec.points.data, d),
    times: Float64Array.from(rec.times!), lineN: L, lines, seconds: (performance.now() - t0) / 1000,
  };
  return { msg, transfer: [msg.starts.buffer, msg.ends.buffer, msg.times.buffer, msg.lines.buffer] };
}

/**
 * A start placed by hand: `runs` chains from one x_T (the clicked point of the plotted plane, data units; further
 * coordinates at the data's mean), the first one's path recorded. The sampling stream is not reseeded: a second click
 * on the same spot draws new noise, as running the sampler again would.
 */
function hand(model: Diffusion, m: Extract<ViewRequest, { type: 'hand' }>): { msg: ViewResult; transfer: Transferable[] } {
  const t0 = performance.now(), d = model.config.model.dim, choice = choiceOf(m);
  const runs = Math.max(2, Math.min(1000, Math.round(m.runs)));
  const start = model.standardization.mean.slice();
  start[0] = m.start[0];
  if (d > 1) start[1] = m.start[1];
  const zT = startsAt(model, start, runs);
  const rec = model.sample(runs, { ...choice, xT: zT, record: true });
  const path = new Float32Array(rec.frames!.length * 2);
  rec.frames!.forEach((f, j) => path.set(planeOf(f.subarray(0, d), d, 1), 2 * j));
  const ends = rec.points.data, stochastic = apart(model, ends, ends.subarray(0, d));
  const msg: ViewResult = {
    type: 'hand', choice, start: [m.start[0], m.start[1]], times: Float64Array.from(rec.times!), path, runs,
    endings: planeOf(ends, d), stochastic, seconds: (performance.now() - t0) / 1000,
  };
  return { msg, transfer: [msg.times.buffer, msg.path.buffer, msg.endings.buffer] };
}

function field(model: Diffusion, m: Extract<ViewRequest, { type: 'field' }>): { msg: ViewResult; transfer: Transferable[] } {
  const T = model.schedule.T, d = model.config.model.dim;
  const t = Math.max(1, Math.min(T, Math.round(m.t))), G = Math.max(3, Math.min(40, Math.round(m.grid)));
  // A model file loaded without its data: its own samples stand in for x_0 (as the forward-process panel does).
  const src = model.trainData.n > 0 ? model.trainData : (model.reseedSampling(model.config.seed + 516), model.sample(1000).points);
  const n = Math.min(1000, src.n);
  const sub: Points = { data: src.data.subarray(0, n * d), n, d };
  model.reseedSampling(model.config.seed + 515); // the same noise at every t: the cloud moves smoothly with the slider
  const pts = planeOf(model.diffuse(sub, [t])[0].data, d);
  const xs = pts.filter((_, i) => i % 2 === 0), ys = pts.filter((_, i) => i % 2 === 1);
  const data = planeOf(sub.data, d);
  const { xRange, yRange } = pointRanges([{ x: xs, y: ys },
    { x: data.filter((_, i) => i % 2 === 0), y: data.filter((_, i) => i % 2 === 1) }], 0.04);
  const g = gridPoints(xRange, yRange, G);
  const f = epsField(model, g.x, g.y, t);
  let maxScore = 0;
  for (const s of f.score) maxScore = Math.max(maxScore, s);
  const msg: ViewResult = { type: 'field', t, signal: Math.sqrt(model.schedule.alphaBar[t - 1]), grid: G,
    gx: g.x, gy: g.y, u: f.u, v: f.v, points: pts, maxScore };
  return { msg, transfer: [g.x.buffer, g.y.buffer, f.u.buffer, f.v.buffer, pts.buffer] };
}

/**
 * The page's verdict on its samples: the classifier two-sample test (src/eval/two-sample.ts: can a 25-NN classifier
 * tell n samples from n fresh points? accuracy 0.5 = no; z in null sds) at a page-sized n. A drawn or CSV data set has
 * no generator: its samples are judged against the training points, which a model that memorised them would pass.
 */
function judge(model: Diffusion, m: Extract<ViewRequest, { type: 'judge' }>): { msg: ViewResult; transfer: Transferable[] } {
  const t0 = performance.now(), d = model.config.model.dim, name = model.config.dataset;
  const named = Object.prototype.hasOwnProperty.call(DATASETS, name) && d === 2;
  const n = Math.max(50, Math.min(20000, Math.round(m.n), named ? Infinity : model.trainData.n));
  const data = named ? getDataset(name, n, model.config.seed + FRESH_SEED_OFFSET) : model.trainData;
  model.reseedSampling(model.config.seed + 99);
  const t = classifierTwoSampleTest(model.sample(n, choiceOf(m)).points, data, { seed: 1 });
  const verdict = t.z <= 3 ? 'the classifier cannot tell them apart'
    : t.z <= 6 ? 'a close match, but the classifier can tell' : 'clearly different from the data: train longer';
  const msg: ViewResult = {
    type: 'judged', n: t.n, k: t.k, accuracy: t.accuracy, z: t.z, p: t.p, against: named ? 'fresh data' : 'the training points',
    verdict, seconds: (performance.now() - t0) / 1000,
  };
  return { msg, transfer: [] };
}

export function view(model: Diffusion, m: ViewRequest): { msg: ViewResult; transfer: Transferable[] } {
  if (m.type === 'trajectories') return trajectories(model, m);
  if (m.type === 'hand') return hand(model, m);
  if (m.type === 'field') return field(model, m);
  return judge(model, m);
}

