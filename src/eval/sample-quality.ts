/**
 * Sample quality at large n: model samples judged against fresh data by the classifier two-sample test, the
 * sliced W2 and the (sliced) energy distance, each beside its floors. What `eval` and `train --eval` print.
 *
 * Not here: the 5 x 1000-point exact metrics (draws.ts, still reported beside this), drawing the samples
 * or the data (the caller passes points; see the CLI for which seeds it uses).
 *
 * The floors, each judged against the SAME fresh data as the model, on the same directions and the same
 * test seed, so what they share cancels:
 * - perfect: another fresh draw of the data judged as if it were samples. What a perfect model scores at this n;
 *   a model's sliced W2 or energy is only meaningful as a ratio to it, and its z should look like this z (N(0, 1)).
 * - train: the training set judged as samples. What a model that reproduced its finite training set exactly
 *   would score: the part of a gap that comes from the training set's own fluctuations (a 10,000-point set
 *   misplaces ~0.5% of its mass by chance) rather than from the model. Absent for streamed training data. Its
 *   size is the training set's (often smaller than n), so its z is at that size and its sliced figures carry a
 *   larger finite-size floor: compare accuracies and read the distances as "at least this much".
 */
import type { Points } from '../data/points';
import { UsageError } from '../util/errors';
import { Rng } from '../util/rng';
import { spread } from './draws';
import { slicedDistances } from './sliced';
import { classifierTwoSampleTest, type TwoSampleResult } from './two-sample';

export interface Judged {
  /** Points judged (the two-sample test uses min(this, fresh data's)). */
  n: number;
  test: TwoSampleResult;
  sw2: number;
  energy: number;
}

export interface Floor {
  /** Mean over the perfect model's draws. */
  mean: number;
  /** Sample sd over the draws (0 for one): the floor's own noise. */
  sd: number;
  perDraw: number[];
}

export interface SampleQuality {
  projections: number;
  seed: number;
  model: Judged;
  /** The first fresh draw judged as samples (its test is the perfect model's z). */
  perfect: Judged;
  /** The sliced figures of every perfect-model draw: a single draw's sliced W2 moves by 10-30% with the seed (moons' mass split). */
  sw2Floor: Floor;
  energyFloor: Floor;
  train?: Judged;
  /** model / the floor's mean. */
  sw2Ratio: number;
  energyRatio: number;
}

export interface SampleQualityOptions {
  /** Directions of the sliced figures (default 256). */
  projections?: number;
  /** Seeds the test's folds and the directions (default 0). */
  seed?: number;
  /** Neighbours of the two-sample test (default 25). */
  k?: number;
}

const DEFAULT_PROJECTIONS = 256;

/** One set judged against the fresh data: the test, then the sliced figures on directions from (seed, stream 3). */
export function judge(points: Points, fresh: Points, o: SampleQualityOptions = {}): Judged {
  const seed = o.seed ?? 0;
  const test = classifierTwoSampleTest(points, fresh, { k: o.k, seed });
  const s = slicedDistances(points, fresh, o.projections ?? DEFAULT_PROJECTIONS, new Rng(seed, 3));
  return { n: points.n, test, sw2: s.sw2, energy: s.energy };
}

function floorOf(xs: number[]): Floor {
  const { mean, sd } = spread(xs);
  return { mean, sd, perDraw: xs };
}

/**
 * The model's samples, a perfect model (`perfect`: one or more fresh draws independent of `fresh`; the first is also
 * put through the test) and optionally the training set, each against `fresh`.
 */
export function sampleQuality(
  samples: Points, fresh: Points, perfect: Points[], train?: Points, o: SampleQualityOptions = {},
): SampleQuality {
  if (perfect.length < 1) throw new UsageError('sampleQuality needs at least one fresh draw for the perfect model');
  const model = judge(samples, fresh, o);
  const first = judge(perfect[0], fresh, o);
  const projections = o.projections ?? DEFAULT_PROJECTIONS;
  const rest = perfect.slice(1).map((p) => slicedDistances(p, fresh, projections, new Rng(o.seed ?? 0, 3)));
  const sw2Floor = floorOf([first.sw2, ...rest.map((r) => r.sw2)]);
  const energyFloor = floorOf([first.energy, ...rest.map((r) => r.energy)]);
  return {
    projections,
    seed: o.seed ?? 0,
    model,
    perfect: first,
    sw2Floor,
    energyFloor,
    train: train ? judge(train, fresh, o) : undefined,
    sw2Ratio: model.sw2 / sw2Floor.mean,
    energyRatio: model.energy / energyFloor.mean,
  };
}

const g4 = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? x.toPrecision(4) : x.toExponential(2)) : 'n/a');

/** The verdict in words: z against the usual 3-sd bar. */
export function verdict(t: TwoSampleResult): string {
  if (t.z <= 3) return `indistinguishable from fresh data at n = ${t.n} (z = ${t.z.toFixed(1)} <= 3)`;
  return `distinguishable from fresh data at n = ${t.n} (z = ${t.z.toFixed(1)} > 3, p = ${t.p.toExponential(1)})`;
}

/** Aligned table: rows model / perfect model / training set; columns the test and the two sliced figures. */
export function formatSampleQuality(q: SampleQuality): string {
  const rows: string[][] = [['judged as samples', 'n', 'accuracy', 'null sd', 'z', 'p', 'sliced W2', 'energy']];
  const row = (name: string, j: Judged) => [
    name,
    String(j.test.n),
    j.test.accuracy.toFixed(4),
    j.test.nullSd.toFixed(4),
    j.test.z.toFixed(1),
    j.test.p === 0 ? '<1e-300' : j.test.p < 1e-3 ? j.test.p.toExponential(1) : j.test.p.toFixed(3),
    g4(j.sw2),
    g4(j.energy),
  ];
  rows.push(row('model samples', q.model), row('fresh data (perfect model)', q.perfect));
  if (q.train) rows.push(row('training set (memoriser)', q.train));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [
    `two-sample test: k-NN (k = ${q.model.test.k}, 2-fold cross-fitted) against fresh data; ` +
      `sliced figures over ${q.projections} directions`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    `floors over ${q.sw2Floor.perDraw.length} fresh draws: sliced W2 ${g4(q.sw2Floor.mean)} ± ${g4(q.sw2Floor.sd)}, ` +
      `energy ${g4(q.energyFloor.mean)} ± ${g4(q.energyFloor.sd)}`,
    `sliced W2 ratio ${q.sw2Ratio.toFixed(2)}, energy ratio ${q.energyRatio.toFixed(2)} (model / the floors' mean); ` +
      `${verdict(q.model.test)}`,
  ].join('\n') + '\n';
}
