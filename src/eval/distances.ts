/**
 * Distances between two point sets, in data units, and the sample-quality report built from them:
 * exact 2-Wasserstein (optimal assignment), sliced 2-Wasserstein, energy distance and RBF-mixture MMD.
 * All distance functions are pure (inputs untouched; randomness only through the Rng passed in).
 *
 * Not here: the variational bound / NLL (that needs the model), file reading (the CLI does it).
 *
 * Why a floor: every empirical distance is biased upwards at finite size (two draws of the SAME distribution
 * are not at distance 0), so "samples vs data" is only meaningful next to "data vs data" at the same size.
 * The report gives both and their ratio; ratio ~ 1 means the samples are indistinguishable from fresh data
 * at this sample size. For the ratio to be meaningful every report metric is >= 0 with a positive floor, so
 * energy and MMD use their V-statistics there (the unbiased U-statistics hover around 0 for equal laws).
 */
import { splitDraws, type Points } from '../data/points';
import { UsageError } from '../util/errors';
import { Rng } from '../util/rng';
import { slicedDistances } from './sliced';

function checkSameDim(a: Points, b: Points): void {
  if (a.d !== b.d) throw new UsageError(`cannot compare points of dimension ${a.d} with points of dimension ${b.d}`);
  if (a.n < 1 || b.n < 1) throw new UsageError('cannot compare an empty point set');
}

// ---------------------------------------------------------------------------------------------------
// Exact W2 via the linear assignment problem

/**
 * Minimum-cost perfect matching of an n x n cost matrix (row-major f64): returns col[i], the column given to
 * row i. Jonker & Volgenant (1987) LAPJV, following the structure of gatagat/lap's dense solver: column
 * reduction with reduction transfer, two (capped) rounds of augmenting row reduction, then a Dijkstra shortest
 * augmenting path per remaining free row over reduced costs c[i][j] - v[j], with the column potentials v
 * updated lazily, only for the columns the search settled. Unlike gatagat/lap's separate find-minimum and scan
 * passes, each settled column costs one pass over the unsettled ones (relax and argmin together, as in
 * e-maxx's Hungarian): ~1.5x faster here. O(n^3) worst case; in Node ~0.3 s at n = 1000 and 1-3 s at
 * n = 2000 for 2-D point sets (the slow end when the two sets differ a lot).
 */
export function solveAssignment(cost: Float64Array, n: number): Int32Array {
  if (cost.length < n * n) throw new UsageError(`cost matrix has ${cost.length} entries, need ${n * n}`);
  const x = new Int32Array(n).fill(-1); // column of row i
  const y = new Int32Array(n).fill(-1); // row of column j
  const v = new Float64Array(n); // column potentials
  for (let k = 0; k < n * n; k++) {
    if (!Number.isFinite(cost[k])) throw new UsageError(`assignment costs must be finite, found ${cost[k]} at row ${Math.floor(k / n)}`);
  }
  if (n === 0) return x;
  if (n === 1) {
    x[0] = 0;
    return x;
  }
  const free = new Int32Array(n);

  // Column reduction: v[j] = min_i c[i][j]; give column j to its argmin row if that row is still free
  // (scanning columns from the last, as JV do).
  v.fill(Infinity);
  const argminRow = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) {
      const c = cost[r + j];
      if (c < v[j]) {
        v[j] = c;
        argminRow[j] = i;
      }
    }
  }
  const unique = new Uint8Array(n).fill(1);
  for (let j = n - 1; j >= 0; j--) {
    const i = argminRow[j];
    if (x[i] < 0) {
      x[i] = j;
      y[j] = i;
    } else {
      unique[i] = 0;
    }
  }
  // Reduction transfer: a row that got exactly one column passes its slack to that column's potential.
  let nFree = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] < 0) {
      free[nFree++] = i;
    } else if (unique[i]) {
      const j = x[i];
      const r = i * n;
      let min = Infinity;
      for (let j2 = 0; j2 < n; j2++) {
        if (j2 !== j) {
          const c = cost[r + j2] - v[j2];
          if (c < min) min = c;
        }
      }
      v[j] -= min;
    }
  }

  // Augmenting row reduction, twice: a free row takes its best column, lowering that column's potential by the
  // gap to its second best; the displaced row becomes free. JV bound a round by rrCount < current * n, but on
  // continuous costs the gaps are tiny and rows ping-pong: at n = 2000 that round alone took ~9 s. Capping a
  // round at 4n reductions keeps it ~0.2 s and leaves the rest to the augmenting paths (measured, moons n=2000).
  for (let round = 0; round < 2 && nFree > 0; round++) {
    let current = 0;
    let newFree = 0;
    let rrCount = 0;
    const nFreeRound = nFree;
    while (current < nFreeRound) {
      rrCount++;
      const fi = free[current++];
      const r = fi * n;
      let j1 = 0;
      let v1 = cost[r] - v[0];
      let j2 = -1;
      let v2 = Infinity;
      for (let j = 1; j < n; j++) {
        const c = cost[r + j] - v[j];
        if (c < v2) {
          if (c >= v1) {
            v2 = c;
            j2 = j;
          } else {
            v2 = v1;
            v1 = c;
            j2 = j1;
            j1 = j;
          }
        }
      }
      let i0 = y[j1];
      const v1New = v[j1] - (v2 - v1);
      const v1Lowers = v1New < v[j1];
      if (rrCount < current * n && rrCount < 4 * n) {
        if (v1Lowers) {
          v[j1] = v1New;
        } else if (i0 >= 0 && j2 >= 0) {
          j1 = j2;
          i0 = y[j2];
        }
        if (i0 >= 0) {
          if (v1Lowers) free[--current] = i0;
          else free[newFree++] = i0;
        }
      } else if (i0 >= 0) {
        free[newFree++] = i0;
      }
      if (i0 >= 0) x[i0] = -1;
      x[fi] = j1;
      y[j1] = fi;
    }
    nFree = newFree;
  }

  // Shortest augmenting paths (Dijkstra over reduced costs, one pass per settled column: relax + argmin merged).
  const todo = new Int32Array(n); // todo[k0..n) are unsettled columns
  const dist = new Float64Array(n);
  const pred = new Int32Array(n);
  for (let f = 0; f < nFree; f++) {
    const start = free[f];
    const rs = start * n;
    let best = Infinity;
    let bk = 0;
    for (let j = 0; j < n; j++) {
      todo[j] = j;
      pred[j] = start;
      const dj = cost[rs + j] - v[j];
      dist[j] = dj;
      if (dj < best) {
        best = dj;
        bk = j;
      }
    }
    let k0 = 0;
    let finalJ = -1;
    for (;;) {
      const j1 = todo[bk];
      todo[bk] = todo[k0];
      todo[k0++] = j1;
      if (y[j1] < 0) {
        finalJ = j1;
        break;
      }
      const i = y[j1];
      const ri = i * n;
      const mind = dist[j1];
      const h = cost[ri + j1] - v[j1] - mind;
      best = Infinity;
      for (let k = k0; k < n; k++) {
        const j = todo[k];
        const red = cost[ri + j] - v[j] - h;
        let dj = dist[j];
        if (red < dj) {
          dist[j] = dj = red;
          pred[j] = i;
        }
        if (dj < best) {
          best = dj;
          bk = k;
        }
      }
      if (bk < k0) throw new Error('solveAssignment: no reachable column (bug: costs were checked finite)');
    }
    const mind = dist[finalJ];
    for (let k = 0; k < k0 - 1; k++) {
      const j = todo[k];
      v[j] += dist[j] - mind;
    }
    let j = finalJ;
    for (let steps = 0; ; steps++) {
      if (steps > n) throw new Error('solveAssignment: augmenting path did not terminate (bug)');
      const i = pred[j];
      y[j] = i;
      const prev = x[i];
      x[i] = j;
      if (i === start) break;
      j = prev;
    }
  }
  return x;
}

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

export { project, randomDirection, w2Squared1dSorted } from './sliced';

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
export const DEFAULT_RELATIVE_BANDWIDTHS = [0.05, 0.1, 0.25, 0.5, 1];

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

// ---------------------------------------------------------------------------------------------------
// Report

export interface MetricResult {
  /** Short key: w2, sw2, energy, mmd2. */
  name: string;
  /** What is measured, for the table. */
  label: string;
  /** Mean over draws of dist(samples_i, dataA_i). */
  value: number;
  valueStd: number;
  /** Mean over draws of dist(dataA_i, dataB_i): what fresh data scores at this size. */
  floor: number;
  floorStd: number;
  /** value / floor; ~1 is as good as data, NaN if the floor is not positive. */
  ratio: number;
  perDraw: number[];
  floorPerDraw: number[];
}

export interface Report {
  draws: number;
  /** Points per draw (of samples, and of each data draw). */
  size: number;
  d: number;
  metrics: MetricResult[];
}

export interface CompareOptions {
  /** Directions for the sliced W2 (default 128). */
  projections?: number;
  /** Seed for the sliced W2 directions; draw i uses stream i, the same for value and floor. */
  seed?: number;
  /** Skip the O(n^3) exact W2 (default true = include it). */
  exactW2?: boolean;
}

/**
 * Fresh data for judging a model come from the run's seed + FRESH_SEED_OFFSET: a stream its training set never
 * used. `eval --repeats`' perfect model (fresh data judged as samples) takes seed + PERFECT_SEED_OFFSET, a third one.
 */
export const FRESH_SEED_OFFSET = 7919;
export const PERFECT_SEED_OFFSET = 15838;

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * For each metric: value = mean_i dist(samples_i, dataA_i), floor = mean_i dist(dataA_i, dataB_i), ratio =
 * value / floor, with per-draw values and the sample std over draws. Draws should be disjoint (see makeDraws).
 * MMD bandwidths come from the pooled data-A draws, so the same kernel is used for value and floor.
 */
export function compareToData(
  samplesDraws: Points[],
  dataDrawsA: Points[],
  dataDrawsB: Points[],
  opts: CompareOptions = {},
): Report {
  const k = samplesDraws.length;
  if (k < 1 || dataDrawsA.length !== k || dataDrawsB.length !== k) {
    throw new UsageError(
      `need the same positive number of sample and data draws, got ${k}, ${dataDrawsA.length} and ${dataDrawsB.length}`,
    );
  }
  const d = dataDrawsA[0].d;
  const size = samplesDraws[0].n;
  for (const p of [...samplesDraws, ...dataDrawsA, ...dataDrawsB]) {
    if (p.d !== d) throw new UsageError(`samples have dimension ${p.d} but the data has ${d}`);
    if (p.n !== size) throw new UsageError(`all draws must have the same size, got ${p.n} and ${size}`);
  }
  const projections = opts.projections ?? 128;
  const seed = opts.seed ?? 0;
  let pooled = 0;
  for (const p of dataDrawsA) pooled += p.n;
  const pool = { data: new Float32Array(pooled * d), n: pooled, d };
  let off = 0;
  for (const p of dataDrawsA) {
    pool.data.set(p.data.subarray(0, p.n * d), off);
    off += p.n * d;
  }
  const bw = rbfBandwidths(pool);

  const metrics: { name: string; label: string; dist: (a: Points, b: Points, i: number) => number }[] = [];
  if (opts.exactW2 ?? true) metrics.push({ name: 'w2', label: 'W2 exact', dist: (a, b) => w2Exact(a, b) });
  metrics.push(
    {
      name: 'sw2',
      label: `sliced W2 (${projections} dirs)`,
      dist: (a, b, i) => slicedWasserstein(a, b, projections, new Rng(seed, i)),
    },
    { name: 'energy', label: 'energy distance (V)', dist: (a, b) => energyDistance(a, b) },
    { name: 'mmd2', label: 'MMD^2 RBF mix (V)', dist: (a, b) => mmdRbf(a, b, bw, { unbiased: false }) },
  );
  const results: MetricResult[] = metrics.map(({ name, label, dist }) => {
    const perDraw = samplesDraws.map((s, i) => dist(s, dataDrawsA[i], i));
    const floorPerDraw = dataDrawsA.map((a, i) => dist(a, dataDrawsB[i], i));
    const value = mean(perDraw);
    const floor = mean(floorPerDraw);
    return {
      name,
      label,
      value,
      valueStd: std(perDraw),
      floor,
      floorStd: std(floorPerDraw),
      ratio: floor > 0 ? value / floor : NaN,
      perDraw,
      floorPerDraw,
    };
  });
  return { draws: k, size, d, metrics: results };
}

export interface DrawPlan {
  draws: number;
  size: number;
}

/** Smallest draw that still says something: below this the floor's noise swamps any difference. */
export const MIN_DRAW_SIZE = 50;

/**
 * Draw size for comparing a samples file of nSamples rows with a data file of nData rows: `draws` disjoint
 * sample draws and 2 x `draws` disjoint data draws (A for the value, B for the floor), so
 * size = min(size, floor(nSamples / draws), floor(nData / (2 draws))). Refuses sizes below 50.
 */
export function planDraws(nSamples: number, nData: number, draws = 5, size = 1000): DrawPlan {
  if (!Number.isInteger(draws) || draws < 1) throw new UsageError(`draws must be a positive integer, got ${draws}`);
  if (!Number.isInteger(size) || size < 1) throw new UsageError(`draw size must be a positive integer, got ${size}`);
  const s = Math.min(size, Math.floor(nSamples / draws), Math.floor(nData / (2 * draws)));
  if (s < MIN_DRAW_SIZE) {
    throw new UsageError(
      `too few points to compare: ${nSamples} samples and ${nData} data points give ${draws} draws of only ${Math.max(s, 0)} points ` +
        `(need >= ${MIN_DRAW_SIZE}: ${draws * MIN_DRAW_SIZE} samples and ${2 * draws * MIN_DRAW_SIZE} data points, or fewer draws)`,
    );
  }
  return { draws, size: s };
}

/** Disjoint random draws for compareToData: plan.draws of the samples, 2 x plan.draws of the data split into A and B. */
export function makeDraws(
  samples: Points,
  data: Points,
  plan: DrawPlan,
  seed = 0,
): { samplesDraws: Points[]; dataDrawsA: Points[]; dataDrawsB: Points[] } {
  const samplesDraws = splitDraws(samples, plan.draws, plan.size, new Rng(seed, 1));
  const dataDraws = splitDraws(data, 2 * plan.draws, plan.size, new Rng(seed, 2));
  return { samplesDraws, dataDrawsA: dataDraws.slice(0, plan.draws), dataDrawsB: dataDraws.slice(plan.draws) };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? x.toPrecision(4) : x.toExponential(2);
}

/** Aligned plain-text table: metric, samples vs data, data vs data (floor), ratio; each "mean ± std over draws". */
export function formatReport(report: Report): string {
  const rows: string[][] = [['metric', 'samples vs data', 'data vs data (floor)', 'ratio']];
  for (const m of report.metrics) {
    rows.push([
      m.label,
      `${fmt(m.value)} ± ${fmt(m.valueStd)}`,
      `${fmt(m.floor)} ± ${fmt(m.floorStd)}`,
      Number.isFinite(m.ratio) ? m.ratio.toFixed(2) : 'n/a',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const out = [
    `${report.draws} draws x ${report.size} points (d = ${report.d}); ratio = samples vs data / floor, ~1 = as close as fresh data`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ];
  return out.join('\n') + '\n';
}

export interface Spread {
  mean: number;
  /** Sample standard deviation (0 for one value). */
  sd: number;
  min: number;
  max: number;
}

/** Mean, sample sd and range of repeated measurements (a ratio over seeds). */
export function spread(xs: number[]): Spread {
  return { mean: mean(xs), sd: std(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

export interface RepeatSummary {
  repeats: number;
  /** Per metric: the ratio's mean, standard deviation and range over the repeats, for the model and for a perfect model. */
  metrics: { name: string; label: string; model: Spread; perfect: Spread }[];
}

/**
 * The whole protocol repeated with fresh seeds, next to the same protocol applied to a perfect model (its "samples"
 * are fresh data): how much of a ratio is the model and how much is the luck of the draws. On thin or clustered data
 * (the cross: W2 between two 1000-point draws is dominated by how the points split between the bars) one run's
 * ratio moves by +-0.1 or more with the seed alone.
 */
export function summarizeRepeats(model: Report[], perfect: Report[]): RepeatSummary {
  return {
    repeats: model.length,
    metrics: model[0].metrics.map((m, j) => ({
      name: m.name, label: m.label, model: spread(model.map((r) => r.metrics[j].ratio)), perfect: spread(perfect.map((r) => r.metrics[j].ratio)),
    })),
  };
}

export function formatRepeats(s: RepeatSummary, o: { draws: number; size: number; seed: number }): string {
  const f = (x: Spread) => `${x.mean.toFixed(2)} ± ${x.sd.toFixed(2)}  [${x.min.toFixed(2)}, ${x.max.toFixed(2)}]`;
  const rows = [['metric', 'model ratio: mean ± sd [min, max]', 'perfect model (fresh data)'], ...s.metrics.map((m) => [m.label, f(m.model), f(m.perfect)])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [
    `${s.repeats} repeats (seeds ${o.seed}..${o.seed + s.repeats - 1}) of ${o.draws} draws x ${o.size} points; the perfect model's samples are fresh data`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n') + '\n';
}
