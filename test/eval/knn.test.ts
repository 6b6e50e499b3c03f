/**
 * The k-d tree against brute force: the same k points (smallest in (squared distance, index)), nearest first,
 * bit for bit, in 1-D to 8-D, on continuous sets and on coarse grids full of ties and duplicate points.
 */
import { describe, expect, test } from 'vitest';
import { bruteForceKnn, KdTree } from '../../src/eval/knn';
import { Rng } from '../../src/util/rng';

function randomSet(n: number, d: number, rng: Rng, grid: number): Float64Array {
  const x = new Float64Array(n * d);
  // grid > 0: integer coordinates in [0, grid), so many points tie and many coincide
  for (let i = 0; i < n * d; i++) x[i] = grid > 0 ? rng.intBelow(grid) : rng.normal();
  return x;
}

function agree(points: Float64Array, n: number, d: number, queries: Float64Array, nq: number, k: number): void {
  const tree = new KdTree(points, n, d);
  const a = KdTree.buffer(k);
  const b = KdTree.buffer(k);
  for (let q = 0; q < nq; q++) {
    const ga = tree.knn(queries, q, k, a);
    const gb = bruteForceKnn(points, n, d, queries, q, k, b);
    expect(ga).toBe(gb);
    expect(Array.from(a.index.subarray(0, ga))).toEqual(Array.from(b.index.subarray(0, gb)));
    expect(Array.from(a.dist2.subarray(0, ga))).toEqual(Array.from(b.dist2.subarray(0, gb)));
  }
}

describe('KdTree', () => {
  for (const d of [1, 2, 3, 5, 8]) {
    for (const grid of [0, 3, 6]) {
      test(`d = ${d}, ${grid ? `integer grid of ${grid} (ties, duplicates)` : 'continuous'}`, () => {
        const rng = new Rng(100 * d + grid, 0);
        const n = 603; // several levels of 16-point leaves, not a power of two
        const pts = randomSet(n, d, rng, grid);
        // queries: the indexed points themselves (distance-0 ties with duplicates) and fresh points
        agree(pts, n, d, pts, 80, 7);
        const fresh = randomSet(80, d, rng, grid);
        for (const k of [1, 25, 100]) agree(pts, n, d, fresh, 80, k);
      });
    }
  }

  test('k at and above n returns every point, sorted; an empty set returns none', () => {
    const rng = new Rng(5, 0);
    const pts = randomSet(37, 2, rng, 4);
    agree(pts, 37, 2, randomSet(10, 2, rng, 4), 10, 37);
    agree(pts, 37, 2, randomSet(10, 2, rng, 4), 10, 50);
    const tree = new KdTree(new Float64Array(0), 0, 3);
    expect(tree.knn(new Float64Array(3), 0, 5, KdTree.buffer(5))).toBe(0);
  });

  test('all points equal: one leaf, ties broken by index', () => {
    const pts = new Float64Array(2 * 200).fill(0.25);
    const tree = new KdTree(pts, 200, 2);
    const out = KdTree.buffer(9);
    expect(tree.knn(new Float64Array([1, 1]), 0, 9, out)).toBe(9);
    expect(Array.from(out.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('bad sizes are refused', () => {
    expect(() => new KdTree(new Float64Array(5), 3, 2)).toThrow(/coordinates/);
    const tree = new KdTree(new Float64Array(6), 3, 2);
    expect(() => tree.knn(new Float64Array(2), 0, 0, KdTree.buffer(1))).toThrow(/positive integer/);
  });
});
