/**
 * A classifier two-sample test (Friedman 2003; Lopez-Paz & Oquab 2017): can a k-nearest-neighbour classifier
 * tell model samples from data? Accuracy at chance (0.5) means it cannot; z says by how many null standard
 * deviations it can. Pure: inputs untouched, randomness only from the seed.
 *
 * Not here: the sample distances (distances.ts), reading files (the CLI), training the model.
 *
 * The protocol: n = min(#samples, #data) points of each (a random n of the larger set), so the classes are
 * balanced and chance is exactly 0.5; both sets standardised per column by the data's mean and sd (the test
 * sees shapes in the data's units, whatever their scale); the 2n points split into `folds` folds, each class
 * evenly; each fold's points are predicted by the majority vote of their k nearest neighbours among the OTHER
 * folds (cross-fitting: no point is judged by a model that saw it). A vote tie (k even) counts half.
 *
 * The null sd: under "samples and data come from the same law" every point's label is independent of where it
 * lies, so given the predictions each fold's correct count is hypergeometric with variance at most m/4
 * (m points in the fold); over 2n points, sd(accuracy) = 0.5 / sqrt(2n). This is the sd of a coin flipper,
 * a slight overestimate (by a factor sqrt(m / (m - 1))), so z is a little conservative; the tests check that
 * fresh data's z is N(0, 1) within tolerance. p is one-sided: a classifier below chance is luck, not a finding.
 *
 * What it sees, at 20,000 points of each: local errors of shape (a 3% change of scale, a blurred or thickened
 * structure, points where the data has none) with z well above 5. What it cannot see: a small shift of mass
 * between far-apart modes. With k = 25 the vote in each neighbourhood is too noisy to notice a 1-2% imbalance,
 * and even the ideal classifier would reach only z = 2 TV sqrt(2n) ~ 4 for a 0.52 / 0.48 vs 0.50 / 0.50 split
 * (TV = 0.02) at n = 20,000: that is what the sliced W2 beside it is for.
 */
import { fitStandardization, type Points } from '../data/points';
import { UsageError } from '../util/errors';
import { Rng } from '../util/rng';
import { KdTree } from './knn';

export interface TwoSampleResult {
  /** Points per class (2n are classified). */
  n: number;
  k: number;
  /** Fraction of the 2n points classified correctly, each by a model that did not see it. */
  accuracy: number;
  /** sd of the accuracy when samples and data have the same law: 0.5 / sqrt(2n). */
  nullSd: number;
  /** (accuracy - 0.5) / nullSd. */
  z: number;
  /** One-sided p-value, P(Z >= z) under the null. */
  p: number;
}

export interface TwoSampleOptions {
  /** Neighbours per vote (default 25). */
  k?: number;
  /** Cross-fitting folds (default 2). */
  folds?: number;
  /** Seed for the subsample of the larger set, the fold split and the permutations (default 0). */
  seed?: number;
  /** Relabellings for the null sd (default 100; 0 or 1: the coin-flip sd 0.5 / sqrt(2n), which is too small). */
  permutations?: number;
}

const DEFAULT_TWO_SAMPLE_K = 25;
const DEFAULT_PERMUTATIONS = 100;

/** Upper tail of the standard normal, P(Z >= z), via erfc (W. J. Cody's rational fits through Math functions: |rel err| < 1.2e-7). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, Chebyshev fit, fractional error < 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
          t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function checkFinite(p: Points, what: string): void {
  const m = p.n * p.d;
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(p.data[i])) {
      throw new UsageError(`${what} has a non-finite value (${p.data[i]}) at row ${Math.floor(i / p.d) + 1}, column ${(i % p.d) + 1}`);
    }
  }
}

/** A random `count` of the rows of p, in random order, as f64 rows standardised by (mean, sd). */
function pick(p: Points, count: number, rng: Rng, mean: number[], sd: number[], out: Float64Array, at: number): void {
  const d = p.d;
  const order = new Int32Array(p.n);
  for (let i = 0; i < p.n; i++) order[i] = i;
  rng.shuffle(order);
  for (let r = 0; r < count; r++) {
    const i = order[r];
    for (let c = 0; c < d; c++) out[(at + r) * d + c] = (p.data[i * d + c] - mean[c]) / sd[c];
  }
}

/**
 * The classifier two-sample test of `samples` against `data` (see the file header). Cost: one k-d tree per fold
 * over (folds - 1) / folds of the 2n points and 2n k-nearest-neighbour queries: in 2-D at n = 20,000 and k = 25,
 * about 0.3 s in Node.
 */
export function classifierTwoSampleTest(samples: Points, data: Points, o: TwoSampleOptions = {}): TwoSampleResult {
  const k = o.k ?? DEFAULT_TWO_SAMPLE_K;
  const folds = o.folds ?? 2;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(folds) || folds < 2) throw new UsageError(`folds must be an integer >= 2, got ${folds}`);
  if (samples.d !== data.d) throw new UsageError(`samples have dimension ${samples.d} but the data has ${data.d}`);
  checkFinite(samples, 'samples');
  checkFinite(data, 'data');
  const d = data.d;
  const n = Math.min(samples.n, data.n);
  // each fold's training set holds >= (folds - 1) * floor(2n / folds) points; it must have k
  if (n < folds || (folds - 1) * Math.floor((2 * n) / folds) < k) {
    throw new UsageError(`too few points for the two-sample test: ${n} of each class for k = ${k} and ${folds} folds`);
  }
  const st = fitStandardization(data);
  const rng = new Rng(seed, 0);
  const x = new Float64Array(2 * n * d);
  pick(samples, n, rng, st.mean, st.std, x, 0); // rows [0, n): label 1
  pick(data, n, rng, st.mean, st.std, x, n); // rows [n, 2n): label 0
  // folds: each class is in random order already, so row r of a class goes to fold r mod folds
  const fold = new Int32Array(2 * n);
  for (let r = 0; r < n; r++) {
    fold[r] = r % folds;
    fold[n + r] = r % folds;
  }

  // Neighbour lists first (they depend on positions and folds only), then votes: the same lists serve the
  // observed labels and every relabelling of the permutation null.
  const nb = new Int32Array(2 * n * k);
  const got = new Int32Array(2 * n);
  const out = KdTree.buffer(k);
  const members: Int32Array[] = [];
  for (let f = 0; f < folds; f++) {
    let m = 0;
    for (let r = 0; r < 2 * n; r++) if (fold[r] !== f) m++;
    const train = new Float64Array(m * d);
    const row = new Int32Array(m);
    let j = 0;
    for (let r = 0; r < 2 * n; r++) {
      if (fold[r] === f) continue;
      for (let c = 0; c < d; c++) train[j * d + c] = x[r * d + c];
      row[j++] = r;
    }
    const tree = new KdTree(train, m, d);
    const mine = new Int32Array(2 * n - m);
    let q = 0;
    for (let r = 0; r < 2 * n; r++) {
      if (fold[r] !== f) continue;
      mine[q++] = r;
      const g = tree.knn(x, r, k, out);
      got[r] = g;
      for (let t = 0; t < g; t++) nb[r * k + t] = row[out.index[t]];
    }
    members.push(mine);
  }
  const label = new Uint8Array(2 * n);
  for (let r = 0; r < n; r++) label[r] = 1;
  const accuracyOf = (y: Uint8Array): number => {
    let correct = 0;
    for (let r = 0; r < 2 * n; r++) {
      let votes = 0;
      const g = got[r];
      for (let t = 0; t < g; t++) votes += y[nb[r * k + t]];
      if (2 * votes === g) correct += 0.5;
      else if (2 * votes > g === (y[r] === 1)) correct += 1;
    }
    return correct / (2 * n);
  };
  const accuracy = accuracyOf(label);
  // The permutation null: labels shuffled within each fold (so each fold stays balanced, as in the real split),
  // positions and folds kept. Its mean is 0.5 by the symmetry between the labels; its sd is measured.
  const permutations = o.permutations ?? DEFAULT_PERMUTATIONS;
  let nullSd = 0.5 / Math.sqrt(2 * n);
  if (permutations >= 2) {
    const prng = new Rng(seed, 1);
    const y = new Uint8Array(label);
    let ss = 0;
    for (let b = 0; b < permutations; b++) {
      for (const mine of members) {
        for (let i = mine.length - 1; i > 0; i--) {
          const j = prng.intBelow(i + 1);
          const t = y[mine[i]];
          y[mine[i]] = y[mine[j]];
          y[mine[j]] = t;
        }
      }
      ss += (accuracyOf(y) - 0.5) ** 2;
    }
    nullSd = Math.sqrt(ss / permutations);
  }
  const z = (accuracy - 0.5) / nullSd;
  return { n, k, accuracy, nullSd, z, p: normalUpperTail(z) };
}

/** Two rows of a study compared by their accuracies (each against fresh data). */
export interface AccuracyDifference {
  a: string;
  b: string;
  /** accuracy(a) - accuracy(b): positive when a is the easier to tell from data (the worse model). */
  diff: number;
  /** sqrt(nullSd_a^2 + nullSd_b^2): the test's noise only (see compareAccuracies). */
  sd: number;
  z: number;
  /** |z| > the bar (default 3). */
  real: boolean;
}

/**
 * Every pair of rows: is the difference in accuracy beyond the test's own noise? The sd treats the two tests as
 * independent; when both judge against the same fresh data they are positively correlated, so this sd is an upper
 * bound and "real" is conservative. It does not include the training seed's spread (retrain with other seeds for
 * that): a real difference here is real for these models, at this seed.
 */
export function compareAccuracies(rows: { label: string; test: TwoSampleResult }[], bar = 3): AccuracyDifference[] {
  const out: AccuracyDifference[] = [];
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const a = rows[i], b = rows[j];
      const diff = a.test.accuracy - b.test.accuracy;
      const sd = Math.hypot(a.test.nullSd, b.test.nullSd);
      const z = diff / sd;
      out.push({ a: a.label, b: b.label, diff, sd, z, real: Math.abs(z) > bar });
    }
  }
  return out;
}

/** One line per pair, then which are real. */
export function formatDifferences(d: AccuracyDifference[], bar = 3): string {
  if (d.length === 0) return '';
  const lines = d.map((x) => {
    const better = x.diff > 0 ? x.b : x.a;
    return `  ${x.a} vs ${x.b}: accuracy ${x.diff >= 0 ? '+' : ''}${x.diff.toFixed(4)} ± ${x.sd.toFixed(4)} (z = ${x.z.toFixed(1)}): ` +
      `${x.real ? `real, ${better} is closer to the data` : 'not significant'}`;
  });
  const real = d.filter((x) => x.real).length;
  return [`differences between rows (two-sample accuracy; real = |z| > ${bar}): ${real} of ${d.length} real`, ...lines].join('\n') + '\n';
}
