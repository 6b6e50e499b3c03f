/**
 * Exact k nearest neighbours in any dimension: a static k-d tree over f64 points (Friedman, Bentley &
 * Finkel 1977), built once, queried many times, and the brute-force search it is tested against.
 *
 * Not here: approximate search, insertion or deletion, metrics other than Euclidean.
 *
 * Why our own: kdbush (the well-kept npm index) is 2-D only, and the any-d packages on npm
 * (kd-tree-javascript, static-kdtree) are unmaintained, object-per-point, and break distance ties in
 * whatever order their traversal happens to meet points. Here the answer is defined: the k points smallest in
 * (squared distance, index), lexicographically, so the tree and the brute force agree bit for bit even
 * with duplicate points and ties, and a classifier built on it is reproducible.
 */

/** k nearest neighbours of one query, nearest first: indices into the indexed set and squared distances. */
export interface Neighbours {
  index: Int32Array;
  dist2: Float64Array;
}

/** Squared Euclidean distance between row i of `a` and row j of `b` (f64, coordinates summed in order 0..d-1). */
function dist2(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) {
    const t = a[i * d + c] - b[j * d + c];
    s += t * t;
  }
  return s;
}

/**
 * A bounded max-heap of (dist2, index) pairs ordered lexicographically: holds the k best seen so far, its top
 * is the worst of them. Preallocated once per tree, reset per query.
 */
class BestK {
  readonly d2: Float64Array;
  readonly idx: Int32Array;
  size = 0;
  constructor(readonly k: number) {
    this.d2 = new Float64Array(k);
    this.idx = new Int32Array(k);
  }
  /** True if (a, ia) comes after (b, ib). */
  private static after(a: number, ia: number, b: number, ib: number): boolean {
    return a > b || (a === b && ia > ib);
  }
  /** Worst kept distance, or Infinity while fewer than k are kept. */
  bound(): number {
    return this.size < this.k ? Infinity : this.d2[0];
  }
  offer(d2: number, i: number): void {
    const h = this.d2;
    const x = this.idx;
    if (this.size < this.k) {
      // sift up
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!BestK.after(d2, i, h[p], x[p])) break;
        h[c] = h[p];
        x[c] = x[p];
        c = p;
      }
      h[c] = d2;
      x[c] = i;
      return;
    }
    if (!BestK.after(h[0], x[0], d2, i)) return; // not better than the worst kept
    // replace the top, sift down
    const n = this.size;
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= n) break;
      let m = l;
      if (l + 1 < n && BestK.after(h[l + 1], x[l + 1], h[l], x[l])) m = l + 1;
      if (!BestK.after(h[m], x[m], d2, i)) break;
      h[c] = h[m];
      x[c] = x[m];
      c = m;
    }
    h[c] = d2;
    x[c] = i;
  }
  /** Drain into out (nearest first); returns the count. */
  drain(out: Neighbours): number {
    const n = this.size;
    for (let r = n - 1; r >= 0; r--) {
      out.dist2[r] = this.d2[0];
      out.index[r] = this.idx[0];
      // pop the top: move the last to the root and sift down
      const last = --this.size;
      const d2 = this.d2[last];
      const i = this.idx[last];
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= last) break;
        let m = l;
        if (l + 1 < last && BestK.after(this.d2[l + 1], this.idx[l + 1], this.d2[l], this.idx[l])) m = l + 1;
        if (!BestK.after(this.d2[m], this.idx[m], d2, i)) break;
        this.d2[c] = this.d2[m];
        this.idx[c] = this.idx[m];
        c = m;
      }
      this.d2[c] = d2;
      this.idx[c] = i;
    }
    return n;
  }
}

/** Points per leaf: below this a linear scan beats descending further (measured: 8-32 are within 10% in 2-D). */
const LEAF_SIZE = 16;

export class KdTree {
  /** Row-major coordinates in the caller's order (not copied: do not change them while the tree is used). */
  readonly points: Float64Array;
  readonly n: number;
  readonly d: number;
  /** Point indices, permuted so that each node owns a contiguous range. */
  private readonly perm: Int32Array;
  // Nodes in build order; node 0 is the root. Leaves have splitDim -1.
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly splitDim: Int32Array;
  private readonly splitVal: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private nodes = 0;
  private readonly stack: Int32Array;
  private readonly stackLb: Float64Array;

  constructor(points: Float64Array, n: number, d: number) {
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(d) || d < 1 || points.length < n * d) {
      throw new RangeError(`KdTree needs n * d = ${n} * ${d} coordinates, got ${points.length}`);
    }
    this.points = points;
    this.n = n;
    this.d = d;
    this.perm = new Int32Array(n);
    for (let i = 0; i < n; i++) this.perm[i] = i;
    const maxNodes = Math.max(1, 2 * Math.ceil(n / (LEAF_SIZE / 2)) + 1);
    this.lo = new Int32Array(maxNodes);
    this.hi = new Int32Array(maxNodes);
    this.splitDim = new Int32Array(maxNodes);
    this.splitVal = new Float64Array(maxNodes);
    this.left = new Int32Array(maxNodes);
    this.right = new Int32Array(maxNodes);
    this.build(0, n);
    // depth <= log2(n / LEAF_SIZE) + 2 since every split is at the median; the stack holds one far child per level plus one
    this.stack = new Int32Array(2 * (Math.ceil(Math.log2(n + 2)) + 4));
    this.stackLb = new Float64Array(this.stack.length);
  }

  /** Node over perm[lo, hi): split at the median of the widest coordinate (spread, not variance: cheaper, as good here). */
  private build(lo: number, hi: number): number {
    const id = this.nodes++;
    this.lo[id] = lo;
    this.hi[id] = hi;
    this.splitDim[id] = -1;
    if (hi - lo <= LEAF_SIZE) return id;
    const { points, d, perm } = this;
    let best = -1;
    let bestSpread = 0;
    for (let c = 0; c < d; c++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let r = lo; r < hi; r++) {
        const v = points[perm[r] * d + c];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx - mn > bestSpread) {
        bestSpread = mx - mn;
        best = c;
      }
    }
    if (best < 0) return id; // all points equal: one (large) leaf
    const mid = (lo + hi) >> 1;
    this.select(lo, hi - 1, mid, best);
    this.splitDim[id] = best;
    this.splitVal[id] = points[perm[mid] * d + best];
    // perm[lo, mid) <= splitVal <= perm[mid, hi) along `best`
    this.left[id] = this.build(lo, mid);
    this.right[id] = this.build(mid, hi);
    return id;
  }

  /** Quickselect (Hoare partition, middle pivot): perm[k] gets the point of rank k along coordinate c in perm[l..r]. */
  private select(l: number, r: number, k: number, c: number): void {
    const { points, d, perm } = this;
    while (l < r) {
      const pivot = points[perm[(l + r) >> 1] * d + c];
      let i = l;
      let j = r;
      while (i <= j) {
        while (points[perm[i] * d + c] < pivot) i++;
        while (points[perm[j] * d + c] > pivot) j--;
        if (i <= j) {
          const t = perm[i];
          perm[i] = perm[j];
          perm[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) r = j;
      else if (k >= i) l = i;
      else return;
    }
  }

  /** A reusable result buffer for k neighbours. */
  static buffer(k: number): Neighbours {
    return { index: new Int32Array(k), dist2: new Float64Array(k) };
  }

  private heap: BestK | undefined;

  /**
   * The min(k, n) points smallest in (squared distance to row qi of `queries`, index), nearest first, written
   * to out; returns their count. A subtree is skipped only when its lower bound is strictly above the worst
   * kept distance, so an equal-distance point with a smaller index is never missed.
   */
  knn(queries: Float64Array, qi: number, k: number, out: Neighbours): number {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    if (this.n === 0) return 0;
    if (!this.heap || this.heap.k !== k) this.heap = new BestK(k);
    const heap = this.heap;
    heap.size = 0;
    const { points, d, perm, stack, stackLb } = this;
    const q0 = qi * d;
    let sp = 0;
    stack[sp] = 0;
    stackLb[sp++] = 0;
    while (sp > 0) {
      let node = stack[--sp];
      if (stackLb[sp] > heap.bound()) continue;
      // descend to a leaf, pushing the far child of each split with its one-coordinate lower bound
      for (;;) {
        const c = this.splitDim[node];
        if (c < 0) break;
        const diff = queries[q0 + c] - this.splitVal[node];
        const near = diff < 0 ? this.left[node] : this.right[node];
        const far = diff < 0 ? this.right[node] : this.left[node];
        stack[sp] = far;
        stackLb[sp++] = diff * diff;
        node = near;
      }
      for (let r = this.lo[node]; r < this.hi[node]; r++) {
        const j = perm[r];
        heap.offer(dist2(queries, qi, points, j, d), j);
      }
    }
    return heap.drain(out);
  }
}

/** The reference: all n distances, sorted by (dist2, index); the first min(k, n). */
export function bruteForceKnn(
  points: Float64Array, n: number, d: number, queries: Float64Array, qi: number, k: number, out: Neighbours,
): number {
  const all = new Float64Array(n);
  const order = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    all[j] = dist2(queries, qi, points, j, d);
    order[j] = j;
  }
  order.sort((a, b) => all[a] - all[b] || a - b);
  const m = Math.min(k, n);
  for (let r = 0; r < m; r++) {
    out.index[r] = order[r];
    out.dist2[r] = all[order[r]];
  }
  return m;
}
