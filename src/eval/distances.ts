/**
 * Distances between two point sets, in data units: exact 2-Wasserstein (optimal assignment), sliced
 * 2-Wasserstein, energy distance and RBF-mixture MMD. All are pure (inputs untouched; randomness only through the
 * Rng passed in).
 *
 * Not here: the draws they are computed on and the report beside the floor (draws.ts), the variational bound /
 * NLL (that needs the model), file reading (the CLI does it).
 */
import type { Points } from '../data/points';
import { UsageError } from '../util/errors';
import type { Rng } from '../util/rng';
import { solveAssignment } from './assignment';
import { slicedDistances } from './sliced';

function checkSameDim(a: Points, b: Points): void {
  if (a.d !== b.d) throw new UsageError(`cannot compare points of dimension ${a.d} with points of dimension ${b.d}`);
  if (a.n < 1 || b.n < 1) throw new UsageError('cannot compare an empty point set');
}

// ---------------------------------------------------------------------------------------------------
// Exact W2 via the linear assignment problem (assignment.ts)

/** n x n squared Euclidean distances, f64, row-major. */
export function squaredDistances(a: Points, b: Points): Float64Array {
  const { n: m, d } = a;
  const n = b.n;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const t = a.data[i * d + k] - b.data[j * d + k];
        s += t * t;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

/**
 * Exact 2-Wasserstein distance between two empirical sets of equal size n:
 * W2 = sqrt( min over permutations pi of (1/n) sum_i |a_i - b_pi(i)|^2 ). For equal uniform weights an optimal
 * coupling is a permutation (Birkhoff), so the assignment problem solves it exactly.
 */
export function w2Exact(a: Points, b: Points): number {
  checkSameDim(a, b);
  if (a.n !== b.n) throw new UsageError(`exact W2 needs equal sizes, got ${a.n} and ${b.n} points`);
  const n = a.n;
  const cost = squaredDistances(a, b);
  const col = solveAssignment(cost, n);
  let total = 0;
  for (let i = 0; i < n; i++) total += cost[i * n + col[i]];
  return Math.sqrt(Math.max(0, total / n));
}

// ---------------------------------------------------------------------------------------------------
// Sliced W2 (the 1-D machinery lives in sliced.ts, shared with the large-sample energy distance)

/**
 * Sliced 2-Wasserstein: sqrt of the mean, over `projections` random directions theta (uniform on the sphere),
 * of W2^2 between the 1-D projections <a, theta> and <b, theta>. Sizes may differ (exact quantile coupling).
 */
export function slicedWasserstein(a: Points, b: Points, projections: number, rng: Rng): number {
  return slicedDistances(a, b, projections, rng).sw2;
}

// ---------------------------------------------------------------------------------------------------
// Kernel / energy statistics. Pair sums are O(n^2 d) in f64.

/** sum over ordered pairs (i, j) (i != j when same) of f(|a_i - b_j|^2). */
function pairSum(a: Points, b: Points, same: boolean, f: (r2: number) => number): number {
  const d = a.d;
  const A = a.data;
  const B = b.data;
  let total = 0;
  for (let i = 0; i < a.n; i++) {
    let row = 0;
    for (let j = same ? i + 1 : 0; j < b.n; j++) {
      let r2 = 0;
      for (let k = 0; k < d; k++) {
        const t = A[i * d + k] - B[j * d + k];
        r2 += t * t;
      }
      row += f(r2);
    }
    total += row;
  }
  return same ? 2 * total : total; // symmetric: count each unordered pair twice
}

export interface StatisticOptions {
  /** true: U-statistic (self terms averaged over i != j, unbiased, can be < 0); false: V-statistic (default differs per function). */
  unbiased?: boolean;
}

/**
 * Energy distance (Szekely & Rizzo) D^2 = 2 E|X - Y| - E|X - X'| - E|Y - Y'|, a squared distance between laws
 * (0 iff equal). Default the V-statistic: self means over all m^2 pairs including i = j, so it is >= 0 and
 * its expectation for equal laws is (1/m + 1/n) E|X - X'|. With { unbiased: true } self means are over i != j.
 */
export function energyDistance(a: Points, b: Points, opts: StatisticOptions = {}): number {
  checkSameDim(a, b);
  const m = a.n;
  const n = b.n;
  const unbiased = opts.unbiased ?? false;
  const xy = pairSum(a, b, false, Math.sqrt) / (m * n);
  const xx = m > 1 || !unbiased ? pairSum(a, a, true, Math.sqrt) / (unbiased ? m * (m - 1) : m * m) : 0;
  const yy = n > 1 || !unbiased ? pairSum(b, b, true, Math.sqrt) / (unbiased ? n * (n - 1) : n * n) : 0;
  return 2 * xy - xx - yy;
}

/** Multipliers of the data scale used as RBF bandwidths: fine structure (0.05) up to the whole set (1). */
const DEFAULT_RELATIVE_BANDWIDTHS = [0.05, 0.1, 0.25, 0.5, 1];

/** Data scale = sqrt(mean over coordinates of the variance), the RMS per-coordinate std, of `ref`. */
export function dataScale(ref: Points): number {
  const { n, d, data } = ref;
  let total = 0;
  for (let k = 0; k < d; k++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + k];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + k] - mean) ** 2;
    total += v / n;
  }
  return Math.sqrt(total / d);
}

/** Absolute bandwidths = relative x dataScale(ref) (scale floored at 1e-12 for a degenerate ref). */
export function rbfBandwidths(ref: Points, relative: number[] = DEFAULT_RELATIVE_BANDWIDTHS): number[] {
  const s = Math.max(dataScale(ref), 1e-12);
  return relative.map((r) => r * s);
}

/**
 * MMD^2 with the kernel k(x, y) = mean over h in `bandwidths` of exp(-|x - y|^2 / (2 h^2)) (absolute bandwidths;
 * see rbfBandwidths). Default the unbiased U-statistic (Gretton et al. 2012, eq. 3): self terms over i != j;
 * it is 0 in expectation for equal laws and can be slightly negative. { unbiased: false } gives the
 * V-statistic (biased, >= 0), which the report uses.
 */
export function mmdRbf(a: Points, b: Points, bandwidths: number[], opts: StatisticOptions = {}): number {
  checkSameDim(a, b);
  if (bandwidths.length === 0 || bandwidths.some((h) => !(h > 0))) {
    throw new UsageError(`MMD bandwidths must be positive, got [${bandwidths.join(', ')}]`);
  }
  const unbiased = opts.unbiased ?? true;
  const m = a.n;
  const n = b.n;
  if (unbiased && (m < 2 || n < 2)) throw new UsageError('unbiased MMD needs at least 2 points in each set');
  const g = bandwidths.map((h) => -1 / (2 * h * h));
  const nb = g.length;
  const k = (r2: number) => {
    let s = 0;
    for (let q = 0; q < nb; q++) s += Math.exp(g[q] * r2);
    return s / nb;
  };
  const xy = pairSum(a, b, false, k) / (m * n);
  // V-statistic self means include the m diagonal terms k(x, x) = 1.
  const xx = unbiased ? pairSum(a, a, true, k) / (m * (m - 1)) : (pairSum(a, a, true, k) + m) / (m * m);
  const yy = unbiased ? pairSum(b, b, true, k) / (n * (n - 1)) : (pairSum(b, b, true, k) + n) / (n * n);
  return xx + yy - 2 * xy;
}
