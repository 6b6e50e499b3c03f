/**
 * Point sets as the whole host passes them: `Points` (n rows of d coordinates in one Float32Array), the
 * standardisation the model trains in (z = (x - mean) / std per column, and its Jacobian for likelihoods in data
 * units), and row helpers: views, stacking, random subsets and disjoint draws.
 *
 * Not here: where points come from (datasets.ts, csv.ts) or distances between sets (src/eval/).
 */
import { UsageError } from '../util/errors';
import type { Rng } from '../util/rng';

/** n rows of d coordinates, row-major: point i is data[i*d .. i*d + d). */
export interface Points {
  data: Float32Array;
  n: number;
  d: number;
}

export function makePoints(n: number, d: number): Points {
  return { data: new Float32Array(n * d), n, d };
}

// ---------------------------------------------------------------------------------------------------
// Standardisation: z = (x - mean) / std per column. The model is trained on z; samples are mapped back.

/** Per-column mean and standard deviation: models train on standardised coordinates and sample back to data units. */
export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Column means and (population) standard deviations, accumulated in f64 in two passes. std is floored at
 * 1e-6 max(1, |mean|): a constant column then maps to 0 instead of dividing by zero, and the floor stays above
 * the f32 spacing of values near `mean` (about 6e-8 |mean|), below which "variation" is rounding.
 */
export function fitStandardization(p: Points): Standardization {
  const { data, n, d } = p;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - mean[j];
      std[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) std[j] = Math.max(Math.sqrt(std[j] / n), 1e-6 * Math.max(1, Math.abs(mean[j])));
  return { mean, std };
}

function checkDims(p: Points, s: Standardization): void {
  if (s.mean.length !== p.d || s.std.length !== p.d) {
    throw new UsageError(`standardization is for ${s.mean.length} columns but the points have ${p.d}`);
  }
}

export function standardize(p: Points, s: Standardization): Points {
  checkDims(p, s);
  const out = makePoints(p.n, p.d);
  for (let i = 0; i < p.n; i++) {
    for (let j = 0; j < p.d; j++) out.data[i * p.d + j] = (p.data[i * p.d + j] - s.mean[j]) / s.std[j];
  }
  return out;
}

export function unstandardize(p: Points, s: Standardization): Points {
  checkDims(p, s);
  const out = makePoints(p.n, p.d);
  for (let i = 0; i < p.n; i++) {
    for (let j = 0; j < p.d; j++) out.data[i * p.d + j] = p.data[i * p.d + j] * s.std[j] + s.mean[j];
  }
  return out;
}

/**
 * log |det dz/dx|^-1 = sum_j log std_j. With z = (x - mean) / std, log p_x(x) = log p_z(z) - sum_j log std_j,
 * so an NLL bound in nats computed on z becomes one in data units by adding this.
 */
export function logDetJacobian(s: Standardization): number {
  let t = 0;
  for (const v of s.std) t += Math.log(v);
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Row helpers

/** Rows [start, start + count) as a view sharing memory with `p` (no copy). */
export function slicePoints(p: Points, start: number, count: number): Points {
  if (start < 0 || count < 0 || start + count > p.n) {
    throw new UsageError(`rows [${start}, ${start + count}) are outside a set of ${p.n} points`);
  }
  return { data: p.data.subarray(start * p.d, (start + count) * p.d), n: count, d: p.d };
}

/** All rows of the given sets, in order, in a new array. */
export function concatRows(...sets: Points[]): Points {
  if (sets.length === 0) throw new UsageError('concatRows needs at least one point set');
  const d = sets[0].d;
  let n = 0;
  for (const s of sets) {
    if (s.d !== d) throw new UsageError(`cannot stack points of dimension ${s.d} under points of dimension ${d}`);
    n += s.n;
  }
  const out = makePoints(n, d);
  let off = 0;
  for (const s of sets) {
    out.data.set(s.data.subarray(0, s.n * d), off);
    off += s.n * d;
  }
  return out;
}

/** The row order of a uniformly random permutation's first `k` entries (partial Fisher-Yates). */
function randomRows(n: number, k: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.intBelow(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.subarray(0, k);
}

function gatherRows(p: Points, rows: ArrayLike<number>, from: number, count: number): Points {
  const out = makePoints(count, p.d);
  for (let i = 0; i < count; i++) {
    const r = rows[from + i];
    out.data.set(p.data.subarray(r * p.d, (r + 1) * p.d), i * p.d);
  }
  return out;
}

/** n rows drawn without replacement, in random order (a copy). */
export function subsample(p: Points, n: number, rng: Rng): Points {
  if (!Number.isInteger(n) || n < 0 || n > p.n) {
    throw new UsageError(`cannot draw ${n} points without replacement from a set of ${p.n}`);
  }
  return gatherRows(p, randomRows(p.n, n, rng), 0, n);
}

/**
 * `count` disjoint random subsets of `size` rows each (copies): one random permutation cut into consecutive
 * blocks. Used for eval draws, where an ordered file (e.g. sorted by class) must not give biased blocks.
 */
export function splitDraws(p: Points, count: number, size: number, rng: Rng): Points[] {
  if (count * size > p.n) {
    throw new UsageError(`cannot take ${count} disjoint draws of ${size} points from a set of ${p.n}`);
  }
  const rows = randomRows(p.n, count * size, rng);
  return Array.from({ length: count }, (_, k) => gatherRows(p, rows, k * size, size));
}
