/**
 * The sliced figures against independent oracles: the sliced W2 of distances.ts (same directions, same bits),
 * the O(n^2) pair-sum energy distance (exact in 1-D, within the directions' Monte Carlo error in 2-D and 3-D),
 * the sphere constant against a Monte Carlo mean, and the floors' ordering in sampleQuality.
 */
import { describe, expect, test } from 'vitest';
import { getDataset } from '../../src/data/datasets';
import { type Points } from '../../src/data/points';
import { energyDistance, slicedWasserstein } from '../../src/eval/distances';
import { randomDirection } from '../../src/eval/sliced';
import { sampleQuality, formatSampleQuality } from '../../src/eval/sample-quality';
import { energy1dSorted, slicedDistances, sphereMeanAbsCoordinate } from '../../src/eval/sliced';
import { Rng } from '../../src/util/rng';

function normal(n: number, d: number, rng: Rng, shift = 0, scale = 1): Points {
  const p = { data: new Float32Array(n * d), n, d };
  for (let i = 0; i < n * d; i++) p.data[i] = shift + scale * rng.normal();
  return p;
}

describe('sliced distances', () => {
  test('kappa_d matches a Monte Carlo mean of |theta_1| on the sphere', () => {
    for (const d of [1, 2, 3, 4, 7]) {
      const rng = new Rng(d, 0);
      const theta = new Float64Array(d);
      let s = 0;
      const m = 40000;
      for (let i = 0; i < m; i++) {
        randomDirection(theta, rng);
        s += Math.abs(theta[0]);
      }
      // sd of |theta_1| <= 0.5, so the mean of 40,000 is within 4 * 0.5 / 200 = 0.01
      expect(Math.abs(s / m - sphereMeanAbsCoordinate(d))).toBeLessThan(0.01);
    }
    expect(sphereMeanAbsCoordinate(2)).toBeCloseTo(2 / Math.PI, 15);
    expect(sphereMeanAbsCoordinate(3)).toBeCloseTo(0.5, 15);
  });

  test('1-D energy by sorting equals the pair sums exactly (unequal sizes, ties)', () => {
    const rng = new Rng(3, 0);
    const a = Float64Array.from({ length: 57 }, () => rng.intBelow(9) / 4).sort();
    const b = Float64Array.from({ length: 91 }, () => rng.intBelow(9) / 4 + 0.1).sort();
    const pa = { data: Float32Array.from(a), n: 57, d: 1 };
    const pb = { data: Float32Array.from(b), n: 91, d: 1 };
    expect(energy1dSorted(Float64Array.from(pa.data), Float64Array.from(pb.data))).toBeCloseTo(energyDistance(pa, pb), 10);
    // d = 1: every direction is +-1, so the sliced energy is the exact one
    expect(slicedDistances(pa, pb, 3, new Rng(1, 0)).energy).toBeCloseTo(energyDistance(pa, pb), 10);
  });

  test('the sliced W2 is distances.ts sliced W2 on the same directions', () => {
    const a = getDataset('moons', 700, 1);
    const b = getDataset('moons', 500, 2);
    expect(slicedDistances(a, b, 64, new Rng(4, 3)).sw2).toBe(slicedWasserstein(a, b, 64, new Rng(4, 3)));
  });

  test('the energy distance through 512 directions is within its Monte Carlo error of the pair sums (2-D, 3-D)', () => {
    for (const d of [2, 3]) {
      const rng = new Rng(10 + d, 0);
      const a = normal(600, d, rng, 0.3);
      const b = normal(500, d, rng, 0, 1.2);
      const exact = energyDistance(a, b);
      const sliced = slicedDistances(a, b, 512, new Rng(d, 1)).energy;
      // measured: the relative error over directions has sd ~1/sqrt(P) for a shift; 4 sd
      expect(Math.abs(sliced / exact - 1)).toBeLessThan(4 / Math.sqrt(512));
    }
  });

  test('sampleQuality: a perfect model is at the floor, a biased one above it; the table names every row', () => {
    const n = 4000;
    const fresh = getDataset('swissroll', n, 1);
    const perfect = getDataset('swissroll', n, 2);
    const train = getDataset('swissroll', 2000, 3);
    const bad = getDataset('swissroll', n, 4);
    for (let i = 0; i < bad.data.length; i++) bad.data[i] *= 1.05;
    const q = sampleQuality(bad, fresh, [perfect, getDataset('swissroll', n, 6)], train, { seed: 1 });
    expect(q.sw2Floor.perDraw).toHaveLength(2);
    expect(q.sw2Floor.perDraw[0]).toBe(q.perfect.sw2);
    expect(q.sw2Ratio).toBeCloseTo(q.model.sw2 / q.sw2Floor.mean, 12);
    expect(q.model.test.z).toBeGreaterThan(5);
    expect(Math.abs(q.perfect.test.z)).toBeLessThan(4);
    expect(q.sw2Ratio).toBeGreaterThan(1.5);
    expect(q.energyRatio).toBeGreaterThan(1.5);
    expect(q.train!.test.n).toBe(2000);
    const text = formatSampleQuality(q);
    expect(text).toMatch(/model samples/);
    expect(text).toMatch(/fresh data \(perfect model\)/);
    expect(text).toMatch(/training set \(memoriser\)/);
    expect(text).toMatch(/distinguishable from fresh data at n = 4000/);
    const fair = sampleQuality(perfect, fresh, [getDataset('swissroll', n, 5)], undefined, { seed: 1 });
    expect(fair.sw2Floor.sd).toBe(0);
    expect(fair.train).toBeUndefined();
    expect(Math.abs(fair.model.test.z)).toBeLessThan(4);
  });
});
