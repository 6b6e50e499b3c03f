/**
 * The small-draw protocol of `eval` (5 draws x 1000 points by default): disjoint draws of the samples and of fresh
 * data, every distance of distances.ts beside its data-vs-data floor, the plain-text table, and the protocol
 * repeated over seeds beside a perfect model.
 *
 * Why a floor: every empirical distance is biased upwards at finite size (two draws of the SAME distribution
 * are not at distance 0), so "samples vs data" is only meaningful next to "data vs data" at the same size.
 * The report gives both and their ratio; ratio ~ 1 means the samples are indistinguishable from fresh data
 * at this sample size. For the ratio to be meaningful every report metric is >= 0 with a positive floor, so
 * energy and MMD use their V-statistics there (the unbiased U-statistics hover around 0 for equal laws).
 */
import { type Points, splitDraws } from '../data/points';
import { UsageError } from '../util/errors';
import { Rng } from '../util/rng';
import { energyDistance, mmdRbf, rbfBandwidths, slicedWasserstein, w2Exact } from './distances';

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
const MIN_DRAW_SIZE = 50;

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
      name: m.name, label: m.label, model: spread(model.map((r) => r.metrics[j].ratio)),
      perfect: spread(perfect.map((r) => r.metrics[j].ratio)),
    })),
  };
}

export function formatRepeats(s: RepeatSummary, o: { draws: number; size: number; seed: number }): string {
  const f = (x: Spread) => `${x.mean.toFixed(2)} ± ${x.sd.toFixed(2)}  [${x.min.toFixed(2)}, ${x.max.toFixed(2)}]`;
  const rows = [
    ['metric', 'model ratio: mean ± sd [min, max]', 'perfect model (fresh data)'],
    ...s.metrics.map((m) => [m.label, f(m.model), f(m.perfect)]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [
    `${s.repeats} repeats (seeds ${o.seed}..${o.seed + s.repeats - 1}) of ${o.draws} draws x ${o.size} points; ` +
      "the perfect model's samples are fresh data",
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n') + '\n';
}
