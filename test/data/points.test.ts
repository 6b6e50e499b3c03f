/**
 * Tests for src/data/points.ts: standardisation round-trips and its Jacobian; row helpers (views, stacking,
 * random subsets, disjoint draws).
 */
import { describe, expect, test } from 'vitest';
import { getDataset } from '../../src/data/datasets';
import {
  concatRows, fitStandardization, logDetJacobian, slicePoints, splitDraws, standardize, subsample, unstandardize, type Points,
} from '../../src/data/points';
import { UsageError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

function rows(p: Points): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < p.n; i++) out.push([p.data[2 * i], p.data[2 * i + 1]]);
  return out;
}

describe('standardization', () => {
  test('standardize gives mean 0 / std 1 and unstandardize inverts it', () => {
    const p = getDataset('moons', 3001, 1);
    for (let i = 0; i < p.n; i++) {
      p.data[2 * i] = p.data[2 * i] * 30 + 100;
      p.data[2 * i + 1] = p.data[2 * i + 1] * 0.01 - 5;
    }
    const s = fitStandardization(p);
    const z = standardize(p, s);
    const zs = fitStandardization(z);
    for (let j = 0; j < 2; j++) {
      expect(Math.abs(zs.mean[j])).toBeLessThan(1e-5);
      expect(zs.std[j]).toBeCloseTo(1, 5);
    }
    const back = unstandardize(z, s);
    for (let i = 0; i < p.data.length; i++) {
      expect(Math.abs(back.data[i] - p.data[i])).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(p.data[i])) * 100);
    }
  });

  test('a constant column maps to 0 (no NaN) and round-trips', () => {
    const p: Points = { data: new Float32Array([1, 7, 2, 7, 3, 7]), n: 3, d: 2 };
    const s = fitStandardization(p);
    expect(s.std[1]).toBeGreaterThan(0);
    const z = standardize(p, s);
    expect(Array.from(z.data).every(Number.isFinite)).toBe(true);
    expect([z.data[1], z.data[3], z.data[5]]).toEqual([0, 0, 0]);
    const back = unstandardize(z, s);
    for (let i = 0; i < 6; i++) expect(back.data[i]).toBeCloseTo(p.data[i], 6);
  });

  test('logDetJacobian = sum log std; scaling data by c adds d log c', () => {
    const p = getDataset('gaussian', 1000, 2);
    const s = fitStandardization(p);
    expect(logDetJacobian(s)).toBeCloseTo(Math.log(s.std[0]) + Math.log(s.std[1]), 12);
    const q: Points = { data: p.data.map((v) => v * 4), n: p.n, d: p.d };
    expect(logDetJacobian(fitStandardization(q)) - logDetJacobian(s)).toBeCloseTo(2 * Math.log(4), 5);
  });

  test('dimension mismatch is a UsageError', () => {
    expect(() => standardize({ data: new Float32Array(3), n: 1, d: 3 }, { mean: [0, 0], std: [1, 1] })).toThrow(UsageError);
  });
});
describe('row helpers', () => {
  const p: Points = { data: Float32Array.from({ length: 20 }, (_, i) => i), n: 10, d: 2 };

  test('slicePoints is a view; concatRows copies in order', () => {
    const s = slicePoints(p, 3, 4);
    expect(s).toMatchObject({ n: 4, d: 2 });
    expect(Array.from(s.data)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    expect(s.data.buffer).toBe(p.data.buffer);
    expect(() => slicePoints(p, 8, 3)).toThrow(UsageError);
    const c = concatRows(slicePoints(p, 0, 1), slicePoints(p, 9, 1));
    expect(Array.from(c.data)).toEqual([0, 1, 18, 19]);
    expect(() => concatRows(p, { data: new Float32Array(3), n: 1, d: 3 })).toThrow(UsageError);
  });

  test('subsample draws distinct rows, deterministically', () => {
    const a = subsample(p, 7, new Rng(1));
    const b = subsample(p, 7, new Rng(1));
    expect(a).toEqual(b);
    const firsts = rows(a).map(([x]) => x);
    expect(new Set(firsts).size).toBe(7);
    for (const [x, y] of rows(a)) expect(y).toBe(x + 1); // whole rows are kept together
    expect(() => subsample(p, 11, new Rng(1))).toThrow(UsageError);
  });

  test('splitDraws gives disjoint draws', () => {
    const draws = splitDraws(p, 3, 3, new Rng(2));
    const seen = draws.flatMap((q) => rows(q).map(([x]) => x));
    expect(new Set(seen).size).toBe(9);
    expect(() => splitDraws(p, 3, 4, new Rng(2))).toThrow(/cannot take 3 disjoint draws of 4 points from a set of 10/);
  });
});
