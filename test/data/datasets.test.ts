/**
 * Tests for src/data/datasets.ts: each data set is deterministic and has the documented shape and scale;
 * loadDataset takes a name or a CSV path.
 */
import { describe, expect, test } from 'vitest';
import { DATASETS, getDataset, loadDataset } from '../../src/data/datasets';
import type { Points } from '../../src/data/points';
import { UsageError } from '../../src/util/errors';

const N = 4003; // not a round number: catches off-by-one row bookkeeping

function rows(p: Points): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < p.n; i++) out.push([p.data[2 * i], p.data[2 * i + 1]]);
  return out;
}
const frac = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
/** |observed fraction - p| < 5 binomial standard deviations. */
function expectFraction(observed: number, p: number, n: number) {
  expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
}
function moments(p: Points) {
  const r = rows(p);
  const mx = r.reduce((s, [x]) => s + x, 0) / r.length;
  const my = r.reduce((s, [, y]) => s + y, 0) / r.length;
  const vx = r.reduce((s, [x]) => s + (x - mx) ** 2, 0) / r.length;
  const vy = r.reduce((s, [, y]) => s + (y - my) ** 2, 0) / r.length;
  const cxy = r.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / r.length;
  return { mx, my, vx, vy, cxy };
}

describe('data sets', () => {
  const names = Object.keys(DATASETS);

  test('registry has the required sets', () => {
    for (const name of ['swissroll', 'moons', 'cross', 'circles', 'gaussians', 'checkerboard', 'spiral', 'gaussian', 'line']) {
      expect(names).toContain(name);
      expect(DATASETS[name].description.length).toBeGreaterThan(5);
    }
  });

  test.each(names)('%s: deterministic per seed, 2-D, finite, within its span', (name) => {
    const a = getDataset(name, N, 7);
    const b = getDataset(name, N, 7);
    const c = getDataset(name, N, 8);
    expect(a.n).toBe(N);
    expect(a.d).toBe(2);
    expect(a.data.length).toBe(2 * N);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false);
    expect(a.data.every(Number.isFinite)).toBe(true);
    const bound = name === 'gaussian' ? 6 : 1.15;
    let maxAbs = 0;
    for (const v of a.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThan(bound);
    if (name !== 'gaussian') expect(maxAbs).toBeGreaterThan(0.45); // spans a good part of [-1, 1], not collapsed
  });

  test('a prefix of a generated set is the same whatever n (rows are drawn one after another)', () => {
    const small = getDataset('moons', 10, 3);
    const large = getDataset('moons', 1000, 3);
    expect(Array.from(small.data)).toEqual(Array.from(large.data.subarray(0, 20)));
  });

  test('swissroll: radius t/tMax in [1/3, 1], x spans [-0.67, 0.89], y spans [-0.78, 1]', () => {
    const r = rows(getDataset('swissroll', N, 1));
    const radius = r.map(([x, y]) => Math.hypot(x, y));
    expect(Math.min(...radius)).toBeGreaterThan(1 / 3 - 0.05);
    expect(Math.max(...radius)).toBeLessThan(1 + 0.05);
    expect(Math.min(...r.map(([x]) => x))).toBeCloseTo(-0.67, 1);
    expect(Math.max(...r.map(([x]) => x))).toBeCloseTo(0.89, 1);
    expect(Math.min(...r.map(([, y]) => y))).toBeCloseTo(-0.78, 1);
    expect(Math.max(...r.map(([, y]) => y))).toBeCloseTo(1, 1);
  });

  test('moons: two half circles of radius 2/3, half the points on each, noise 0.02', () => {
    const r = rows(getDataset('moons', N, 2));
    // Upper moon: centre ((0 - 0.5)/1.5, (0 - 0.25)/1.5), above it; lower: centre ((1 - 0.5)/1.5, (0.5 - 0.25)/1.5), below it.
    const cu = [-1 / 3, -1 / 6];
    const cl = [1 / 3, 1 / 6];
    const R = 2 / 3;
    const upper = r.map(([x, y]) => Math.abs(Math.hypot(x - cu[0], y - cu[1]) - R) < 0.1 && y > cu[1] - 0.1);
    const lower = r.map(([x, y]) => Math.abs(Math.hypot(x - cl[0], y - cl[1]) - R) < 0.1 && y < cl[1] + 0.1);
    expect(frac(upper.map((u, i) => u || lower[i]))).toBe(1);
    expectFraction(frac(r.map(([, y], i) => upper[i] && !(lower[i] && y < 0))), 0.5, N);
    const xs = r.map(([x]) => x);
    expect(Math.min(...xs)).toBeGreaterThan(-1.15);
    expect(Math.min(...xs)).toBeLessThan(-0.9);
    expect(Math.max(...xs)).toBeGreaterThan(0.9);
    expect(Math.max(...xs)).toBeLessThan(1.15);
  });

  test('cross: points on the diagonals |x| = |y|, both bars used, spanning [-1, 1]', () => {
    const r = rows(getDataset('cross', N, 3));
    // Offset across a bar is w ~ N(0, 0.03^2), so ||x| - |y|| = sqrt 2 |w| < 0.2 with overwhelming probability.
    expect(frac(r.map(([x, y]) => Math.abs(Math.abs(x) - Math.abs(y)) < 0.2))).toBe(1);
    expectFraction(frac(r.map(([x, y]) => x * y > 0)), 0.5, N);
    expect(Math.max(...r.map(([x]) => x))).toBeGreaterThan(0.95);
  });

  test('circles: radii 1 and 0.5, half each', () => {
    const radius = rows(getDataset('circles', N, 4)).map(([x, y]) => Math.hypot(x, y));
    expect(frac(radius.map((q) => Math.abs(q - 1) < 0.1 || Math.abs(q - 0.5) < 0.1))).toBe(1);
    expectFraction(frac(radius.map((q) => q > 0.75)), 0.5, N);
  });

  test('gaussians: 8 clusters of std 0.05 at radius 0.8, about n/8 each', () => {
    const counts = new Array(8).fill(0);
    for (const [x, y] of rows(getDataset('gaussians', N, 5))) {
      const k = ((Math.round((Math.atan2(y, x) / (2 * Math.PI)) * 8) % 8) + 8) % 8;
      const c = [0.8 * Math.cos((2 * Math.PI * k) / 8), 0.8 * Math.sin((2 * Math.PI * k) / 8)];
      expect(Math.hypot(x - c[0], y - c[1])).toBeLessThan(0.3); // 6 std
      counts[k]++;
    }
    for (const c of counts) expectFraction(c / N, 1 / 8, N);
  });

  test('checkerboard: only squares with floor(2x) + floor(2y) even, all 8 of them', () => {
    const r = rows(getDataset('checkerboard', N, 6));
    const cells = new Set<string>();
    for (const [x, y] of r) {
      expect(Math.abs(x)).toBeLessThanOrEqual(1);
      expect(Math.abs(y)).toBeLessThanOrEqual(1);
      const cx = Math.floor(2 * x);
      const cy = Math.floor(2 * y);
      expect(((cx + cy) % 2 + 2) % 2).toBe(0);
      cells.add(`${cx},${cy}`);
    }
    expect(cells.size).toBe(8);
  });

  test('spiral: radius <= 1, two arms that are point reflections of each other', () => {
    const p = getDataset('spiral', N, 7);
    const r = rows(p);
    expect(Math.max(...r.map(([x, y]) => Math.hypot(x, y)))).toBeLessThan(1.1);
    const m = moments(p);
    expect(Math.abs(m.mx)).toBeLessThan(0.05);
    expect(Math.abs(m.my)).toBeLessThan(0.05);
  });

  test('gaussian: mean 0, covariance I within sampling error', () => {
    const n = 20000;
    const m = moments(getDataset('gaussian', n, 8));
    const se = 5 / Math.sqrt(n);
    expect(Math.abs(m.mx)).toBeLessThan(se);
    expect(Math.abs(m.my)).toBeLessThan(se);
    expect(Math.abs(m.vx - 1)).toBeLessThan(se * Math.SQRT2);
    expect(Math.abs(m.vy - 1)).toBeLessThan(se * Math.SQRT2);
    expect(Math.abs(m.cxy)).toBeLessThan(se);
  });

  test('line: uniform on [-0.5, 0.5] x [-1, 1] (variances 1/12 and 1/3)', () => {
    const p = getDataset('line', N, 9);
    for (const [x, y] of rows(p)) {
      expect(x).toBeGreaterThanOrEqual(-0.5);
      expect(x).toBeLessThan(0.5);
      expect(y).toBeGreaterThanOrEqual(-1);
      expect(y).toBeLessThan(1);
    }
    const m = moments(p);
    expect(m.vx).toBeCloseTo(1 / 12, 2);
    expect(m.vy).toBeCloseTo(1 / 3, 1);
  });

  test('unknown name and bad n are UsageErrors naming the value', () => {
    expect(() => getDataset('foo', 10, 0)).toThrow(UsageError);
    expect(() => getDataset('foo', 10, 0)).toThrow(/^unknown data set "foo"; choose one of swissroll, moons, cross, /);
    expect(() => getDataset('toString', 10, 0)).toThrow(/unknown data set "toString"/);
    expect(() => getDataset('moons', 0, 0)).toThrow(/got 0/);
    expect(() => getDataset('moons', 2.5, 0)).toThrow(/got 2.5/);
  });
});

describe('loadDataset', () => {
  const files: Record<string, string> = { 'pts.csv': 'a,b\n1,2\n3,4\n', 'UP.CSV': 'a\n1\n' };
  const reader = (path: string) => {
    if (!(path in files)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return files[path];
  };

  test('a name generates, a .csv path is read through the injected reader', () => {
    expect(loadDataset('moons', 100, 3, reader)).toEqual(getDataset('moons', 100, 3));
    expect(loadDataset('pts.csv', 100, 3, reader)).toMatchObject({ n: 2, d: 2 });
    expect(loadDataset('UP.CSV', 100, 3, reader)).toMatchObject({ n: 1, d: 1 });
  });

  test('a missing file and an unknown name are one-line UsageErrors', () => {
    expect(() => loadDataset('missing.csv', 1, 0, reader)).toThrow(/^cannot read "missing\.csv": ENOENT/);
    expect(() => loadDataset('missing.csv', 1, 0, reader)).toThrow(UsageError);
    expect(() => loadDataset('mons', 1, 0, reader)).toThrow(/^unknown data set "mons"; choose one of .*, or give a path ending in \.csv$/);
  });
});
