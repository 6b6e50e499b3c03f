/**
 * Trajectories through the forward and the reverse process, and the seed's question "does the starting position
 * influence the ending position?" answered with two numbers per sampler:
 *
 * - spread: the same x_T run R times; the RMS distance of the R endings from their own centroid, averaged over
 *   starts, divided by the RMS distance of the data from theirs (1 = the endings scatter like the whole data set,
 *   0 = x_T fixes x_0). DDPM draws fresh noise each run; DDIM with eta = 0 is deterministic (0 by construction).
 * - neighbourhood overlap: for N starts, the mean fraction of each point's k nearest neighbours among the x_T that
 *   are still among its k nearest neighbours among the x_0 (standardised units); a random matching of starts to
 *   endings gives k/(N-1) in expectation (also measured, with a random permutation).
 *
 * Not here: drawing (report sections are built by the caller from `paths`).
 */
import { type Points, standardize, unstandardize } from '../data/datasets';
import type { Diffusion } from '../api/diffusion';
import { Rng } from '../util/rng';
import { type SamplerName, labSample } from '../diffusion/samplers';

/** Forward Markov chain x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps from x0 (data units): T+1 frames, data units. */
export function forwardPaths(model: Diffusion, x0: Points, seed: number): Float32Array[] {
  const s = model.schedule, rng = new Rng(seed, 23);
  let z = standardize(x0, model.standardization).data;
  const frames = [z];
  for (let i = 0; i < s.T; i++) {
    const a = Math.sqrt(s.alpha[i]), b = Math.sqrt(s.beta[i]);
    z = z.map((v) => a * v + b * rng.normal());
    frames.push(z);
  }
  return frames.map((f) => unstandardize({ data: f, n: x0.n, d: x0.d }, model.standardization).data);
}

/** Indices of the k nearest neighbours of every row (excluding itself), brute force: (n, k). */
export function knn(x: Float32Array, d: number, k: number): Int32Array {
  const n = x.length / d, out = new Int32Array(n * k), dist = new Float64Array(n), idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (x[i * d + c] - x[j * d + c]) ** 2;
      dist[j] = j === i ? Infinity : s;
      idx[j] = j;
    }
    idx.sort((a, b) => dist[a] - dist[b]);
    out.set(idx.subarray(0, k), i * k);
  }
  return out;
}

/** Mean over rows of |N_k^a(i) ∩ N_k^b(i)| / k; row i of a and row i of b are the same point's two positions. */
export function knnOverlap(a: Float32Array, b: Float32Array, d: number, k: number): number {
  const n = a.length / d, na = knn(a, d, k), nb = knn(b, d, k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const set = new Set(na.subarray(i * k, i * k + k));
    for (let q = 0; q < k; q++) if (set.has(nb[i * k + q])) total++;
  }
  return total / (n * k);
}

/** RMS distance of rows from their centroid. */
export function rmsRadius(x: Float32Array, d: number): number {
  const n = x.length / d, c = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) c[j] += x[i * d + j] / n;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) s += (x[i * d + j] - c[j]) ** 2;
  return Math.sqrt(s / n);
}

export interface SamplerSpec {
  label: string;
  sampler: SamplerName;
  eta?: number;
  steps?: number;
}

export const DEFAULT_SAMPLERS: SamplerSpec[] = [
  { label: 'DDPM (beta-tilde)', sampler: 'ddpm' },
  { label: 'DDIM eta = 0', sampler: 'ddim', eta: 0 },
  { label: 'DDIM eta = 0.5', sampler: 'ddim', eta: 0.5 },
];

export interface TrajectoryFigures {
  label: string;
  /** Mean RMS spread of endings from one x_T, relative to the data's RMS radius. */
  spread: number;
  /** The same, in data units. */
  spreadData: number;
  /** kNN overlap between x_T and x_0 neighbourhoods. */
  overlap: number;
}

export interface TrajectoryStudy {
  k: number;
  nOverlap: number;
  starts: number;
  runs: number;
  dataRadius: number;
  /**
   * Expected overlap of a random matching, k/(N-1); and the null measured: the first sampler's endings shuffled
   * among the starts, 20 times (mean and standard deviation), so an overlap can be read as a z-score.
   */
  randomExpected: number;
  randomMeasured: number;
  randomSd: number;
  /** Forward process data -> x_T: the overlap between x_0 and x_T neighbourhoods. */
  forwardOverlap: number;
  figures: TrajectoryFigures[];
  /** A few hundred paths (data units) per sampler, and the forward ones: each path is the list of its frames. */
  reversePaths: { label: string; paths: { x: number[]; y: number[] }[] }[];
  forward: { x: number[]; y: number[] }[];
}

function pathsOf(frames: Float32Array[], d: number, count: number): { x: number[]; y: number[] }[] {
  return Array.from({ length: count }, (_, p) => ({
    x: frames.map((f) => f[p * d]),
    y: frames.map((f) => (d > 1 ? f[p * d + 1] : 0)),
  }));
}

export function trajectoryStudy(
  model: Diffusion,
  data: Points,
  o: { starts?: number; runs?: number; nOverlap?: number; k?: number; paths?: number; seed?: number; samplers?: SamplerSpec[] } = {},
): TrajectoryStudy {
  const d = data.d, seed = o.seed ?? 0, rng = new Rng(seed, 31);
  const starts = o.starts ?? 200, runs = o.runs ?? 8, N = o.nOverlap ?? 500, k = o.k ?? 10, nPaths = o.paths ?? 300;
  const samplers = o.samplers ?? DEFAULT_SAMPLERS;
  const dataRadius = rmsRadius(standardize(data, model.standardization).data, d);
  const zOverlap = Float32Array.from({ length: N * d }, () => rng.normal());
  const zStarts = Float32Array.from({ length: starts * d }, () => rng.normal());
  const tiled = new Float32Array(starts * runs * d);
  for (let r = 0; r < runs; r++) tiled.set(zStarts, r * starts * d);

  const figures: TrajectoryFigures[] = [];
  let firstEnd: Float32Array | undefined;
  const reversePaths: TrajectoryStudy['reversePaths'] = [];
  for (const s of samplers) {
    model.reseedSampling(seed + 1);
    const rec = labSample(model, N, { sampler: s.sampler, eta: s.eta, steps: s.steps, zT: zOverlap, record: true });
    const end = standardize(rec.points, model.standardization).data;
    const overlap = knnOverlap(zOverlap, end, d, k);
    firstEnd ??= end;
    reversePaths.push({ label: s.label, paths: pathsOf(rec.frames!, d, Math.min(nPaths, N)) });
    const ends = labSample(model, starts * runs, { sampler: s.sampler, eta: s.eta, steps: s.steps, zT: tiled }).points.data;
    let spread = 0, spreadData = 0;
    const z = standardize({ data: ends, n: starts * runs, d }, model.standardization).data;
    const one = new Float32Array(runs * d), oneData = new Float32Array(runs * d);
    for (let p = 0; p < starts; p++) {
      for (let r = 0; r < runs; r++) {
        one.set(z.subarray((r * starts + p) * d, (r * starts + p + 1) * d), r * d);
        oneData.set(ends.subarray((r * starts + p) * d, (r * starts + p + 1) * d), r * d);
      }
      spread += rmsRadius(one, d) / starts;
      spreadData += rmsRadius(oneData, d) / starts;
    }
    figures.push({ label: s.label, spread: spread / dataRadius, spreadData, overlap });
  }
  // Random matching: the endings shuffled among the starts.
  const nulls: number[] = [];
  const perm = Int32Array.from({ length: N }, (_, i) => i), shuffled = new Float32Array(N * d);
  for (let rep = 0; rep < 20; rep++) {
    rng.shuffle(perm);
    for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) shuffled[i * d + j] = firstEnd![perm[i] * d + j];
    nulls.push(knnOverlap(zOverlap, shuffled, d, k));
  }
  const randomMeasured = nulls.reduce((a, b) => a + b, 0) / nulls.length;
  const randomSd = Math.sqrt(nulls.reduce((a, b) => a + (b - randomMeasured) ** 2, 0) / (nulls.length - 1));
  // Forward: N data points pushed to x_T.
  const sub: Points = { data: data.data.subarray(0, Math.min(N, data.n) * d), n: Math.min(N, data.n), d };
  const fwd = forwardPaths(model, sub, seed + 2);
  const forwardOverlap = knnOverlap(standardize(sub, model.standardization).data, standardize({ data: fwd[fwd.length - 1], n: sub.n, d }, model.standardization).data, d, k);
  return {
    k, nOverlap: N, starts, runs, dataRadius: rmsRadius(data.data, d), randomExpected: k / (N - 1), randomMeasured, randomSd, forwardOverlap, figures,
    reversePaths, forward: pathsOf(fwd, d, Math.min(nPaths, sub.n)),
  };
}
