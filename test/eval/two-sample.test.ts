/**
 * The classifier two-sample test: calibrated on fresh data (its z over seeds looks like N(0, 1), its
 * permutation sd matches the accuracy's spread over seeds), powerful where it should be (a 3% change of scale at
 * 20,000 points), and what it is not (the coin-flip sd is too small; a small mass shift is beyond its reach).
 */
import { describe, expect, test } from 'vitest';
import { getDataset } from '../../src/data/datasets';
import { type Points } from '../../src/data/points';
import { UsageError } from '../../src/util/errors';
import { classifierTwoSampleTest, compareAccuracies, formatDifferences, normalUpperTail } from '../../src/eval/two-sample';
import { Rng } from '../../src/util/rng';

function scaled(p: Points, s: number): Points {
  const q = { ...p, data: new Float32Array(p.data) };
  for (let i = 0; i < q.data.length; i++) q.data[i] *= s;
  return q;
}
/** Two round modes at x = -2 and x = 2 (sd 0.3), a share w of the points in the left one. */
function twoModes(n: number, w: number, rng: Rng): Points {
  const p = { data: new Float32Array(2 * n), n, d: 2 };
  for (let i = 0; i < n; i++) {
    p.data[2 * i] = (rng.uniform() < w ? -2 : 2) + 0.3 * rng.normal();
    p.data[2 * i + 1] = 0.3 * rng.normal();
  }
  return p;
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

describe('classifierTwoSampleTest', () => {
  test('fresh data: z over 16 seeds is N(0, 1) within tolerance, and the permutation sd is the accuracy spread', () => {
    const n = 1500;
    const acc: number[] = [];
    const z: number[] = [];
    const nullSd: number[] = [];
    for (let s = 0; s < 16; s++) {
      const r = classifierTwoSampleTest(getDataset('moons', n, 2 * s), getDataset('moons', n, 2 * s + 1), { seed: s });
      acc.push(r.accuracy);
      z.push(r.z);
      nullSd.push(r.nullSd);
      expect(Math.abs(r.z)).toBeLessThan(4); // P(|Z| > 4) = 6e-5 per draw
    }
    // mean of 16 N(0, 1): sd 0.25, so |mean| < 1 is a 4-sd tolerance
    expect(Math.abs(mean(z))).toBeLessThan(1);
    // the spread of the accuracies over seeds against the permutation sd: a sample sd of 16 values is within
    // [0.6, 1.45] x the true sd with probability > 0.998 (chi-square, 15 df)
    const ratio = sd(acc) / mean(nullSd);
    expect(ratio).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.45);
  });

  test('the coin-flip sd 0.5 / sqrt(2n) underestimates the null: the permutation sd is 1.1-1.3x it', () => {
    const a = getDataset('swissroll', 4000, 1);
    const b = getDataset('swissroll', 4000, 2);
    const perm = classifierTwoSampleTest(a, b, { seed: 1, permutations: 200 });
    const coin = classifierTwoSampleTest(a, b, { seed: 1, permutations: 0 });
    expect(coin.nullSd).toBeCloseTo(0.5 / Math.sqrt(8000), 12);
    expect(perm.accuracy).toBe(coin.accuracy);
    // 200 permutations estimate the sd within ~5% (1 / sqrt(2 * 200)); mutual neighbours' votes add ~k pi^2 / 4 to the
    // variance of each, pi = P(a vote of 25 is split 12-12) ~ 0.16, so the variance grows by ~1.3-1.6x
    expect(perm.nullSd / coin.nullSd).toBeGreaterThan(1.05);
    expect(perm.nullSd / coin.nullSd).toBeLessThan(1.4);
  });

  test('a 3% change of scale at 20,000 points: z > 5 on moons and swissroll', () => {
    for (const name of ['moons', 'swissroll']) {
      const r = classifierTwoSampleTest(scaled(getDataset(name, 20000, 1), 1.03), getDataset(name, 20000, 2), { seed: 4 });
      expect(r.n).toBe(20000);
      expect(r.z).toBeGreaterThan(5);
      expect(r.p).toBeLessThan(3e-7);
    }
  });

  test('a shift of mass between two far modes: seen at 0.60 / 0.40, beyond any classifier at 0.52 / 0.48', () => {
    // The ideal classifier's accuracy is 0.5 + TV / 2, so z <= TV sqrt(2n) / (2 * 0.5) ~ 4 for TV = 0.02 at n = 20,000
    // (coin-flip sd; the real null sd is larger): the sliced W2 is the figure that sees a 2% mass shift (eval reports it).
    const n = 20000;
    const big = classifierTwoSampleTest(twoModes(n, 0.6, new Rng(1, 1)), twoModes(n, 0.5, new Rng(1, 2)), { seed: 1 });
    expect(big.z).toBeGreaterThan(5);
  });

  test('seeded: the same inputs and seed give the same result; the larger set is subsampled to balance the classes', () => {
    const a = getDataset('cross', 3000, 1);
    const b = getDataset('cross', 1200, 2);
    const r1 = classifierTwoSampleTest(a, b, { seed: 9, k: 11, folds: 3 });
    const r2 = classifierTwoSampleTest(a, b, { seed: 9, k: 11, folds: 3 });
    expect(r2).toEqual(r1);
    expect(r1.n).toBe(1200);
    expect(r1.k).toBe(11);
    expect(r1.z).toBeCloseTo((r1.accuracy - 0.5) / r1.nullSd, 12);
    expect(r1.p).toBeCloseTo(normalUpperTail(r1.z), 15);
  });

  test('normalUpperTail against known values', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalUpperTail(-1.959964)).toBeCloseTo(0.975, 6);
    expect(normalUpperTail(5) / 2.866516e-7).toBeCloseTo(1, 4);
  });

  test('bad input: another dimension, NaN, too few points, bad k or folds', () => {
    const a = getDataset('moons', 100, 1);
    const three = { data: new Float32Array(300), n: 100, d: 3 };
    expect(() => classifierTwoSampleTest(three, a)).toThrow(UsageError);
    expect(() => classifierTwoSampleTest(three, a)).toThrow(/dimension 3 but the data has 2/);
    const nan = { ...a, data: new Float32Array(a.data) };
    nan.data[7] = NaN;
    expect(() => classifierTwoSampleTest(nan, a)).toThrow(/non-finite value \(NaN\) at row 4, column 2/);
    expect(() => classifierTwoSampleTest(getDataset('moons', 20, 1), a)).toThrow(/too few points/);
    expect(() => classifierTwoSampleTest(a, a, { k: 0 })).toThrow(/k must be/);
    expect(() => classifierTwoSampleTest(a, a, { folds: 1 })).toThrow(/folds/);
  });

  test('compareAccuracies: a difference beyond 3 sd of the two tests is real, a smaller one is not', () => {
    const t = (accuracy: number, nullSd: number) => ({ n: 20000, k: 25, accuracy, nullSd, z: (accuracy - 0.5) / nullSd, p: 0 });
    const d = compareAccuracies([
      { label: 'a', test: t(0.53, 0.003) },
      { label: 'b', test: t(0.51, 0.004) },
      { label: 'c', test: t(0.519, 0.004) },
    ]);
    expect(d.map((x) => `${x.a}-${x.b}`)).toEqual(['a-b', 'a-c', 'b-c']);
    expect(d[0].sd).toBeCloseTo(0.005, 12);
    expect(d[0].z).toBeCloseTo(4, 9);
    expect(d[0].real).toBe(true);
    expect(d[1].z).toBeCloseTo(2.2, 9);
    expect(d[1].real).toBe(false);
    expect(d[2].z).toBeCloseTo(-0.009 / Math.hypot(0.004, 0.004), 9);
    const text = formatDifferences(d);
    expect(text).toMatch(/1 of 3 real/);
    expect(text).toMatch(/a vs b: accuracy \+0\.0200 ± 0\.0050 \(z = 4\.0\): real, b is closer to the data/);
    expect(text).toMatch(/a vs c: .*not significant/);
  });
});
