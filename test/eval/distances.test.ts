/**
 * Tests for src/eval/distances.ts and the assignment solver behind exact W2 (src/eval/assignment.ts) against
 * independent oracles: brute force over all permutations (n <= 7), a separate O(n^3) Hungarian (e-maxx form,
 * written here), the exact 1-D sorted coupling, closed forms (translation, hand-computed tiny cases), and seeded
 * statistical checks whose thresholds come from the sample size.
 */
import { describe, expect, test } from 'vitest';
import { getDataset } from '../../src/data/datasets';
import { type Points } from '../../src/data/points';
import { UsageError } from '../../src/util/errors';
import { dataScale, energyDistance, mmdRbf, rbfBandwidths, slicedWasserstein, squaredDistances, w2Exact } from '../../src/eval/distances';
import { solveAssignment } from '../../src/eval/assignment';
import { w2Squared1dSorted } from '../../src/eval/sliced';
import { Rng } from '../../src/util/rng';

function pts(rowsOrFlat: number[][] | number[], d?: number): Points {
  if (typeof rowsOrFlat[0] === 'number') {
    const flat = rowsOrFlat as number[];
    return { data: Float32Array.from(flat), n: flat.length / d!, d: d! };
  }
  const r = rowsOrFlat as number[][];
  return { data: Float32Array.from(r.flat()), n: r.length, d: r[0].length };
}
function randomPoints(n: number, d: number, rng: Rng, f: () => number = () => rng.normal()): Points {
  const p: Points = { data: new Float32Array(n * d), n, d };
  for (let i = 0; i < n * d; i++) p.data[i] = f();
  return p;
}
function shifted(p: Points, s: number[]): Points {
  const q: Points = { data: new Float32Array(p.data), n: p.n, d: p.d };
  for (let i = 0; i < p.n; i++) for (let k = 0; k < p.d; k++) q.data[i * p.d + k] += s[k];
  return q;
}

/** Minimum total cost over all n! permutations (Heap's algorithm). */
function bruteForceCost(cost: Float64Array, n: number): number {
  const perm = Array.from({ length: n }, (_, i) => i);
  const total = () => perm.reduce((s, j, i) => s + cost[i * n + j], 0);
  let best = total();
  const c = new Array(n).fill(0);
  let i = 0;
  while (i < n) {
    if (c[i] < i) {
      const k = i % 2 === 0 ? 0 : c[i];
      [perm[k], perm[i]] = [perm[i], perm[k]];
      best = Math.min(best, total());
      c[i]++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return best;
}

/** Independent oracle: the e-maxx Hungarian algorithm with potentials (1-indexed, eager updates). */
function hungarianCost(cost: Float64Array, n: number): number {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (!used[j]) {
          const cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
          if (cur < minv[j]) {
            minv[j] = cur;
            way[j] = j0;
          }
          if (minv[j] < delta) {
            delta = minv[j];
            j1 = j;
          }
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  let total = 0;
  for (let j = 1; j <= n; j++) total += cost[(p[j] - 1) * n + (j - 1)];
  return total;
}

function assignmentCost(cost: Float64Array, n: number): number {
  const col = solveAssignment(cost, n);
  expect(new Set(col).size).toBe(n); // a permutation
  for (const j of col) expect(j >= 0 && j < n).toBe(true);
  let t = 0;
  for (let i = 0; i < n; i++) t += cost[i * n + col[i]];
  return t;
}

describe('solveAssignment / w2Exact', () => {
  test('matches brute force over all permutations, n = 1..7, random, tied and integer costs', () => {
    const rng = new Rng(1);
    for (let n = 1; n <= 7; n++) {
      for (let trial = 0; trial < 40; trial++) {
        const cost = new Float64Array(n * n);
        const kind = trial % 4;
        for (let k = 0; k < n * n; k++) {
          // uniform reals; small integers (many ties); all equal; point-set squared distances below
          cost[k] = kind === 0 ? rng.uniform() : kind === 1 ? rng.intBelow(3) : kind === 2 ? 5 : 0;
        }
        if (kind === 3) {
          const a = randomPoints(n, 2, rng);
          const b = randomPoints(n, 2, rng, () => Math.round(rng.normal())); // duplicated points
          cost.set(squaredDistances(a, b));
          const w = w2Exact(a, b);
          expect(w).toBeCloseTo(Math.sqrt(bruteForceCost(cost, n) / n), 10);
        }
        expect(assignmentCost(cost, n)).toBeCloseTo(bruteForceCost(cost, n), 10);
      }
    }
  });

  test('matches an independent Hungarian solver on n = 4k + 3 point sets (random, clustered, duplicated)', () => {
    const rng = new Rng(2);
    const cases: [Points, Points][] = [
      [getDataset('moons', 203, 1), getDataset('moons', 203, 2)],
      [getDataset('gaussian', 151, 3), getDataset('checkerboard', 151, 4)],
      [randomPoints(131, 2, rng, () => rng.intBelow(4)), randomPoints(131, 2, rng, () => rng.intBelow(4))], // heavy ties
      [randomPoints(99, 5, rng), randomPoints(99, 5, rng)],
    ];
    for (const [a, b] of cases) {
      const cost = squaredDistances(a, b);
      const mine = assignmentCost(cost, a.n);
      const ref = hungarianCost(cost, a.n);
      expect(Math.abs(mine - ref)).toBeLessThan(1e-9 * Math.max(1, ref));
    }
  });

  test('in 1-D equals the sorted coupling (exact for convex costs), n = 1003', () => {
    const rng = new Rng(3);
    const n = 1003;
    const a = randomPoints(n, 1, rng);
    const b = randomPoints(n, 1, rng, () => 2 * rng.uniform() + 0.3);
    const sa = Float64Array.from(a.data).sort();
    const sb = Float64Array.from(b.data).sort();
    let s = 0;
    for (let i = 0; i < n; i++) s += (sa[i] - sb[i]) ** 2;
    expect(w2Exact(a, b)).toBeCloseTo(Math.sqrt(s / n), 10);
    expect(w2Squared1dSorted(sa, sb)).toBeCloseTo(s / n, 10);
  });

  test('W2(a, a) = 0, symmetry, and W2(a, a + s) = |s| exactly (the identity coupling is optimal)', () => {
    const a = getDataset('spiral', 307, 5);
    expect(w2Exact(a, a)).toBe(0);
    const b = getDataset('spiral', 307, 6);
    expect(w2Exact(a, b)).toBeCloseTo(w2Exact(b, a), 10);
    const s = [0.25, -0.5]; // exactly representable, so f32 shifts are exact... up to rounding of a + s
    expect(w2Exact(a, shifted(a, s))).toBeCloseTo(Math.hypot(...s), 6);
  });

  test('refuses unequal sizes, dimensions and non-finite costs', () => {
    expect(() => w2Exact(pts([[0, 0]]), pts([[0, 0], [1, 1]]))).toThrow(/exact W2 needs equal sizes, got 1 and 2/);
    expect(() => w2Exact(pts([[0, 0]]), pts([[0, 0, 0]]))).toThrow(UsageError);
    expect(() => solveAssignment(Float64Array.from([NaN, NaN, NaN, NaN]), 2))
      .toThrow(/assignment costs must be finite, found NaN at row 0/);
  });

  test('timing of W2 at n = 1000 and 2000 (printed, not asserted)', () => {
    for (const n of [1000, 2000]) {
      for (const [x, y] of [['moons', 'moons'], ['gaussian', 'checkerboard']]) {
        const a = getDataset(x, n, 1);
        const b = getDataset(y, n, 2);
        const t0 = performance.now();
        const w = w2Exact(a, b);
        console.log(`w2Exact n=${n} ${x} vs ${y}: ${(performance.now() - t0).toFixed(0)} ms (W2 = ${w.toFixed(4)})`);
      }
    }
  }, 120_000);
});

describe('sliced W2', () => {
  test('1-D exact quantile coupling for unequal sizes, hand-computed', () => {
    // F^-1 = 0 on (0,1); G^-1 = 0 on (0, 1/2), 1 on (1/2, 1): integral of squared gap = 1/2.
    expect(w2Squared1dSorted(Float64Array.from([0]), Float64Array.from([0, 1]))).toBe(0.5);
    // {0, 3} vs {1, 2, 4}: pieces (0,1/3):1, (1/3,1/2):4, (1/2,2/3):1, (2/3,1):1 -> 1/3 + 4/6 + 1/6 + 1/3
    expect(w2Squared1dSorted(Float64Array.from([0, 3]), Float64Array.from([1, 2, 4]))).toBeCloseTo(1.5, 12);
  });

  test('equals exact W2 in 1-D, is <= exact W2 in 2-D, and 0 for a set against its duplicate', () => {
    const rng = new Rng(4);
    const a1 = randomPoints(203, 1, rng);
    const b1 = randomPoints(203, 1, rng, () => rng.uniform());
    expect(slicedWasserstein(a1, b1, 3, new Rng(0))).toBeCloseTo(w2Exact(a1, b1), 10);
    const a = getDataset('moons', 203, 1);
    const b = getDataset('circles', 203, 2);
    expect(slicedWasserstein(a, b, 64, new Rng(0))).toBeLessThanOrEqual(w2Exact(a, b) + 1e-12);
    const twice: Points = { data: new Float32Array([...a.data, ...a.data]), n: 2 * a.n, d: 2 };
    expect(slicedWasserstein(a, twice, 16, new Rng(0))).toBeCloseTo(0, 12);
  });

  test('translation by s gives sqrt(mean (theta . s)^2) ~ |s| / sqrt 2 in 2-D', () => {
    const a = getDataset('gaussians', 500, 1);
    const sw = slicedWasserstein(a, shifted(a, [0.6, 0.8]), 2000, new Rng(1));
    // mean over 2000 uniform directions of cos^2 has sd ~ 0.35/sqrt(2000) = 0.008
    expect(Math.abs(sw * sw - 0.5)).toBeLessThan(0.05);
  });

  test('deterministic for the rng seed', () => {
    const a = getDataset('moons', 100, 1);
    const b = getDataset('moons', 100, 2);
    expect(slicedWasserstein(a, b, 10, new Rng(3))).toBe(slicedWasserstein(a, b, 10, new Rng(3)));
    expect(() => slicedWasserstein(a, b, 0, new Rng(3))).toThrow(UsageError);
  });
});

describe('energy distance and MMD', () => {
  test('hand-computed tiny cases', () => {
    const a = pts([[0]]);
    const b = pts([[1], [3]]);
    // E|X-Y| = 2; E|X-X'| = 0; V: E|Y-Y'| = (0 + 2 + 2 + 0)/4 = 1 -> 4 - 0 - 1 = 3; U: = 2 -> 2
    expect(energyDistance(a, b)).toBeCloseTo(3, 12);
    expect(energyDistance(a, b, { unbiased: true })).toBeCloseTo(2, 12);
    // MMD, one bandwidth h = 1: k(r) = exp(-r^2/2).
    const k = (r: number) => Math.exp(-(r * r) / 2);
    const c = pts([[0], [2]]);
    const kxy = (k(1) + k(3) + k(1) + k(1)) / 4; // pairs (0,1) (0,3) (2,1) (2,3)
    expect(mmdRbf(c, b, [1])).toBeCloseTo(k(2) + k(2) - 2 * kxy, 12);
    expect(mmdRbf(c, b, [1], { unbiased: false })).toBeCloseTo((2 + 2 * k(2)) / 4 + (2 + 2 * k(2)) / 4 - 2 * kxy, 12);
    // Mixture of bandwidths = mean of the single-bandwidth values.
    expect(mmdRbf(c, b, [1, 2])).toBeCloseTo((mmdRbf(c, b, [1]) + mmdRbf(c, b, [2])) / 2, 12);
  });

  test('symmetric and pure (inputs unchanged)', () => {
    const a = getDataset('moons', 101, 1);
    const b = getDataset('cross', 101, 2);
    const copy = new Float32Array(a.data);
    expect(energyDistance(a, b)).toBeCloseTo(energyDistance(b, a), 12);
    expect(mmdRbf(a, b, [0.1, 0.5])).toBeCloseTo(mmdRbf(b, a, [0.1, 0.5]), 12);
    expect(a.data).toEqual(copy);
  });

  // Two independent draws of N(0, I), n = 1000 each, versus a draw shifted by 1 sd.
  const n = 1000;
  const x = getDataset('gaussian', n, 11);
  const y = getDataset('gaussian', n, 12);
  const z = shifted(getDataset('gaussian', n, 13), [1, 0]);

  test('energy distance: near its null expectation (1/m + 1/n) E|X-X\'| for one law, clearly above it when shifted', () => {
    // E|X - X'| for a 2-D standard normal = sqrt(pi). V-statistic null mean = (2/n) sqrt(pi) ~ 0.0035;
    // its sd is of the same order, so 4x the mean is a safe upper bound at a fixed seed.
    const nullMean = (2 / n) * Math.sqrt(Math.PI);
    const same = energyDistance(x, y);
    const diff = energyDistance(x, z);
    console.log(`energy: same ${same.toExponential(3)}, shifted ${diff.toExponential(3)}, null mean ${nullMean.toExponential(3)}`);
    expect(same).toBeGreaterThan(0);
    expect(same).toBeLessThan(4 * nullMean);
    expect(diff).toBeGreaterThan(10 * nullMean);
    // The U-statistic removes the bias: it is centred on 0 (|.| within a few null sds).
    expect(Math.abs(energyDistance(x, y, { unbiased: true }))).toBeLessThan(3 * nullMean);
  });

  test('MMD^2 (unbiased): within a few null sds of 0 for one law, clearly positive when shifted', () => {
    const bw = rbfBandwidths(x);
    expect(bw.length).toBeGreaterThan(1);
    expect(dataScale(x)).toBeCloseTo(1, 1);
    // Null sd of the U-statistic with kernel values in [0, 1] is below sqrt(8) / n (var ~ 2 E[h^2] / n^2, |h| <= 2).
    const sd = Math.sqrt(8) / n;
    const same = mmdRbf(x, y, bw);
    const diff = mmdRbf(x, z, bw);
    console.log(`mmd2: same ${same.toExponential(3)}, shifted ${diff.toExponential(3)}, null sd bound ${sd.toExponential(3)}`);
    expect(Math.abs(same)).toBeLessThan(4 * sd);
    expect(diff).toBeGreaterThan(8 * sd);
    expect(mmdRbf(x, y, bw, { unbiased: false })).toBeGreaterThan(0);
  });

  test('bad bandwidths are refused', () => {
    expect(() => mmdRbf(x, y, [])).toThrow(UsageError);
    expect(() => mmdRbf(x, y, [0.1, 0])).toThrow(/bandwidths must be positive/);
  });
});
