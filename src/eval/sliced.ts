/**
 * Sliced distances for large samples: the sliced 2-Wasserstein distance and the energy distance, both from the
 * same sorted 1-D projections, O(P n log n) for P directions instead of the O(n^2) pair sums of distances.ts, and
 * the 1-D pieces (directions, projections, the exact 1-D W2) that distances.ts's slicedWasserstein also uses.
 *
 * Not here: the exact W2 and the pair-sum energy / MMD of small draws (distances.ts), the two-sample test.
 *
 * The energy distance through projections is exact in expectation over the directions, not an approximation
 * of a different quantity: for theta uniform on the sphere, E|<theta, x>| = kappa_d |x| with
 * kappa_d = Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)) (kappa_1 = 1, kappa_2 = 2/pi, kappa_{d+2} = kappa_d d/(d+1)),
 * so every term of 2 E|X - Y| - E|X - X'| - E|Y - Y'| is kappa_d^-1 times the mean of its 1-D projections.
 * With P directions it carries a Monte Carlo error on top of the sampling one (the tests bound it by 4 / sqrt(P)
 * relative for a shifted, rescaled Gaussian); with the same directions for a model and its floor much of it cancels.
 */
import type { Points } from '../data/points';
import { UsageError } from '../util/errors';
import type { Rng } from '../util/rng';

/**
 * Squared W2 between two sorted 1-D samples of any sizes m, n: integral over u in (0,1) of (F^-1(u) - G^-1(u))^2,
 * exact, by walking the merged breakpoints i/m and j/n (compared in integers, k/(mn), so no rounding).
 */
export function w2Squared1dSorted(a: Float64Array, b: Float64Array): number {
  const m = a.length;
  const n = b.length;
  let i = 0;
  let j = 0;
  let t = 0; // current breakpoint, in units of 1/(mn)
  let total = 0;
  while (i < m && j < n) {
    const ea = (i + 1) * n;
    const eb = (j + 1) * m;
    const next = ea < eb ? ea : eb;
    const diff = a[i] - b[j];
    total += (next - t) * diff * diff;
    t = next;
    if (ea === next) i++;
    if (eb === next) j++;
  }
  return total / (m * n);
}

/** A direction uniform on the unit sphere of R^theta.length, into theta (normal coordinates, normalised). */
export function randomDirection(theta: Float64Array, rng: Rng): void {
  let norm = 0;
  do {
    norm = 0;
    for (let k = 0; k < theta.length; k++) {
      theta[k] = rng.normal();
      norm += theta[k] * theta[k];
    }
  } while (norm === 0);
  norm = Math.sqrt(norm);
  for (let k = 0; k < theta.length; k++) theta[k] /= norm;
}

/** out[i] = <p_i, theta>. */
function project(out: Float64Array, p: Points, theta: Float64Array): void {
  const d = p.d;
  for (let i = 0; i < p.n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += p.data[i * d + k] * theta[k];
    out[i] = s;
  }
}


/** kappa_d = E|theta_1| for theta uniform on the unit sphere of R^d. */
export function sphereMeanAbsCoordinate(d: number): number {
  let k = d % 2 === 1 ? 1 : 2 / Math.PI;
  for (let e = d % 2 === 1 ? 1 : 2; e < d; e += 2) k *= e / (e + 1);
  return k;
}

/** sum over unordered pairs i < j of |x_i - x_j| for sorted x: sum_i x_i (2i - (n - 1)). */
function pairAbsSumSorted(x: Float64Array): number {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * (2 * i - (n - 1));
  return s;
}

/** The same over the union of two sorted arrays, merged on the fly. */
function pairAbsSumMerged(a: Float64Array, b: Float64Array): number {
  const n = a.length + b.length;
  let s = 0;
  let i = 0;
  let j = 0;
  for (let r = 0; r < n; r++) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    s += v * (2 * r - (n - 1));
  }
  return s;
}

/** 1-D energy distance (V-statistic) of two sorted samples: 2 E|X - Y| - E|X - X'| - E|Y - Y'|, self pairs included. */
export function energy1dSorted(a: Float64Array, b: Float64Array): number {
  const m = a.length;
  const n = b.length;
  const aa = pairAbsSumSorted(a);
  const bb = pairAbsSumSorted(b);
  const ab = pairAbsSumMerged(a, b) - aa - bb;
  return (2 * ab) / (m * n) - (2 * aa) / (m * m) - (2 * bb) / (n * n);
}

export interface SlicedResult {
  /** Sliced W2: sqrt of the mean over directions of the 1-D W2^2. */
  sw2: number;
  /** Energy distance D^2 (V-statistic), kappa_d^-1 x the mean over directions of the 1-D energy distances. */
  energy: number;
}

/**
 * Sliced W2 and energy distance of `a` and `b` over `projections` directions drawn from rng (pass a fresh Rng of the
 * same seed to judge several sets on the same directions). Sizes may differ.
 */
export function slicedDistances(a: Points, b: Points, projections: number, rng: Rng): SlicedResult {
  if (a.d !== b.d) throw new UsageError(`cannot compare points of dimension ${a.d} with points of dimension ${b.d}`);
  if (a.n < 1 || b.n < 1) throw new UsageError('cannot compare an empty point set');
  if (!Number.isInteger(projections) || projections < 1) throw new UsageError(`projections must be a positive integer, got ${projections}`);
  const theta = new Float64Array(a.d);
  const pa = new Float64Array(a.n);
  const pb = new Float64Array(b.n);
  let w2 = 0;
  let en = 0;
  for (let p = 0; p < projections; p++) {
    randomDirection(theta, rng);
    project(pa, a, theta);
    project(pb, b, theta);
    pa.sort();
    pb.sort();
    w2 += w2Squared1dSorted(pa, pb);
    en += energy1dSorted(pa, pb);
  }
  return { sw2: Math.sqrt(w2 / projections), energy: en / projections / sphereMeanAbsCoordinate(a.d) };
}
