/**
 * `eval`: how close generated points are to the data. Two parts: the large-sample judgement (by default 20,000
 * points: the classifier two-sample test, sliced W2 and energy, each beside a perfect model and the training set;
 * eval/sample-quality.ts) and the small-draw distances (5 x 1000 points, exact W2 / sliced W2 / energy / MMD
 * against their data-vs-data floor). `--repeats` runs the small-draw protocol over seeds beside a perfect model,
 * `--vlb` the bound, `--nll` the exact likelihood of the ODE beside it. `train --eval` calls evaluateModel() from here.
 */
import { existsSync } from 'node:fs';
import { Diffusion } from '../api/diffusion';
import { type Points, slicePoints, splitDraws, subsample } from '../data/points';
import { getDataset } from '../data/datasets';
import { parseCsv } from '../data/csv';
import { type SampleQuality, formatSampleQuality, sampleQuality } from '../eval/sample-quality';
import { Rng } from '../util/rng';
import {
  FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET, type Report, compareToData, formatRepeats, formatReport, makeDraws, planDraws, summarizeRepeats,
} from '../eval/draws';
import { UsageError } from '../util/errors';
import { NLL_OPTS, runEvalNll } from './eval-nll';
import { VLB_OPTS, runEvalVlb } from './eval-vlb';
import { readFileChecked } from './fsutil';
import { type Command, int, loadPoints, readText, str } from './options';
import { progress } from './progress';

/** Generated points against two disjoint draws of `data` (the floor), `o.draws` draws of `o.size` points. */
function judge(samples: Points, data: Points, o: { draws: number; size: number; seed: number }): Report {
  const { samplesDraws, dataDrawsA, dataDrawsB } = makeDraws(samples, data, { draws: o.draws, size: o.size }, o.seed);
  return compareToData(samplesDraws, dataDrawsA, dataDrawsB, { seed: o.seed });
}

async function evaluate(
  model: Diffusion, data: Points, o: { draws: number; size: number; seed: number; quiet?: boolean },
): Promise<Report> {
  const bar = progress('sampling', o.draws * o.size, { quiet: o.quiet, unit: 'points' });
  const samples = model.sample(o.draws * o.size, { onChunk: (done) => bar.update(done) }).points;
  bar.stop();
  return judge(samples, data, o);
}

/** Points of the large-sample judgement by default: enough that a 1% error shows (docs/sample-quality.md). */
export const DEFAULT_EVAL_N = 20000;
/** Fresh draws averaged into the sliced floors (one draw's sliced W2 moves by 10-30% with the seed). */
export const FLOOR_DRAWS = 4;

/** What the large-sample judgement compares with: fresh data, perfect-model draws and (when finite and known) the training set. */
export interface References {
  fresh: Points;
  perfect: Points[];
  train?: Points;
}

/**
 * References for n points judged against `spec`. A named data set: fresh data from seed + FRESH_SEED_OFFSET and
 * FLOOR_DRAWS perfect-model draws from seed + PERFECT_SEED_OFFSET + j, all of n points. A CSV: two disjoint random
 * halves of the file (reference and perfect model), so it needs 2n rows. `train`: the model's own training set
 * (a named data set, not streamed), regenerated from its configuration.
 */
export function references(
  spec: string, n: number, seed: number, d: number, train?: { nData: number; seed: number; stream?: boolean },
): References {
  if (spec.toLowerCase().endsWith('.csv')) {
    const all = loadPoints(spec, 0, 0);
    if (all.d !== d) throw new UsageError(`samples have ${d} columns but the data in ${spec} have ${all.d}`);
    if (2 * n > all.n) {
      throw new UsageError(
        `--n ${n} needs ${2 * n} rows of ${spec} (a reference half and a perfect-model half), it has ${all.n}; lower --n`,
      );
    }
    const [fresh, perfect] = splitDraws(all, 2, n, new Rng(seed, 4));
    return { fresh, perfect: [perfect] };
  }
  const fresh = loadPoints(spec, n, seed + FRESH_SEED_OFFSET);
  if (fresh.d !== d) throw new UsageError(`samples have ${d} columns but the data set ${spec} has ${fresh.d}`);
  const perfect = Array.from({ length: FLOOR_DRAWS }, (_, j) => getDataset(spec, n, seed + PERFECT_SEED_OFFSET + j));
  return { fresh, perfect, train: train && !train.stream ? getDataset(spec, train.nData, train.seed) : undefined };
}

export interface Evaluation {
  report: Report;
  /** The large-sample judgement (absent with n = 0). */
  quality?: SampleQuality;
}

/**
 * A model judged both ways on one set of samples: max(n, draws x size) points sampled once (seeded by `seed`);
 * the large-sample judgement on the first n, the small draws on the first draws x size.
 * Cost, default model in 2-D: sampling dominates (20,000 points x T reverse steps: about as long as training);
 * the test and the sliced figures add ~2 s per judged set (model, perfect model, training set).
 */
export async function evaluateModel(
  model: Diffusion, spec: string, o: { n: number; draws: number; size: number; seed: number; quiet?: boolean },
): Promise<Evaluation> {
  const d = model.config.model.dim;
  const c = model.config;
  const refs = o.n > 0
    ? references(spec, o.n, o.seed, d, c.dataset === spec ? { nData: c.nData, seed: c.seed, stream: c.stream } : undefined)
    : undefined;
  const small = loadPoints(spec, 2 * o.draws * o.size, o.seed + FRESH_SEED_OFFSET);
  const plan = planDraws(o.draws * o.size, small.n, o.draws, o.size);
  const total = Math.max(o.n, plan.draws * plan.size);
  model.reseedSampling(o.seed);
  const bar = progress('sampling', total, { quiet: o.quiet, unit: 'points' });
  const samples = model.sample(total, { onChunk: (done) => bar.update(done) }).points;
  bar.stop();
  const report = judge(slicePoints(samples, 0, plan.draws * plan.size), small, { ...plan, seed: o.seed });
  if (!refs) return { report };
  const quality = sampleQuality(slicePoints(samples, 0, o.n), refs.fresh, refs.perfect, refs.train, { seed: o.seed });
  return { report, quality };
}

/** The text `eval` and `train --eval` print: the large-sample table first (it is the verdict), then the small draws. */
export function formatEvaluation(e: Evaluation): string {
  return (e.quality ? formatSampleQuality(e.quality) + '\n' : '') + formatReport(e.report);
}

export const evalCommand: Command = {
  summary: 'can generated points be told from fresh data? a two-sample test and sliced distances at 20,000 points, ' +
    'then W2 / energy / MMD on 5 x 1000, each beside its floor',
  usage: 'eval --model FILE [--data NAME|FILE.csv] [--n N] [--vlb | --nll]   |   eval --samples A.csv --data NAME|B.csv [--n N]',
  opts: [
    { name: 'model', type: 'string', arg: 'FILE', help: 'a model written by train: samples are drawn from it' },
    { name: 'samples', type: 'string', arg: 'A.csv', help: 'generated points to judge (instead of --model)' },
    { name: 'data', type: 'string', arg: 'NAME|B.csv', help: 'reference data (default with --model: fresh points of its data set)' },
    { name: 'n', type: 'string', arg: 'N',
      help: `points of the two-sample test and the sliced figures (default ${DEFAULT_EVAL_N}; with --samples at most its rows; ` +
        '0 = skip). Sampling N points from a model costs about as much as training it' },
    { name: 'draws', type: 'string', arg: 'K', help: 'disjoint draws averaged (default 5)' },
    { name: 'size', type: 'string', arg: 'N', help: 'points per draw (default 1000; W2 exact is O(N^3))' },
    { name: 'seed', type: 'string', arg: 'S', help: 'seed of the draws and of fresh data (default 1)' },
    { name: 'repeats', type: 'string', arg: 'K',
      help: 'with --model: run the whole protocol K times (seeds S..S+K-1) beside a perfect model (fresh data as samples): ' +
        'how much of the ratio is luck' },
    ...VLB_OPTS,
    ...NLL_OPTS,
  ],
  async run(v) {
    if (v.nll) return runEvalNll(v);
    if (v.vlb) return runEvalVlb(v);
    const draws = int(v, 'draws', 1, 100) ?? 5;
    const size = int(v, 'size', 50, 5000) ?? 1000;
    const seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 1;
    const modelPath = str(v, 'model'), samplesPath = str(v, 'samples'), dataSpec = str(v, 'data');
    if (!!modelPath === !!samplesPath) throw new UsageError('eval needs exactly one of --model FILE or --samples A.csv');
    const repeats = int(v, 'repeats', 1, 1000);
    if (repeats !== undefined && !modelPath) throw new UsageError('--repeats needs --model FILE');
    // Fresh data: a seed the training set never used, so the comparison is with unseen points.
    const fresh = (spec: string, s: number, d: number) => {
      const data = loadPoints(spec, 2 * draws * size, s + FRESH_SEED_OFFSET);
      if (data.d !== d) throw new UsageError(`data have ${data.d} columns, the model ${d}`);
      return data;
    };
    const plan = (data: Points, s: number) => ({ ...planDraws(draws * size, data.n, draws, size), seed: s });
    const ofModel = (model: Diffusion, data: Points, s: number, quiet: boolean) => {
      model.reseedSampling(s);
      return evaluate(model, data, { ...plan(data, s), quiet });
    };
    const nGiven = int(v, 'n', 0, 10_000_000);
    let result: Evaluation;
    if (modelPath) {
      const model = await Diffusion.load(readFileChecked(modelPath, 'model'), { source: modelPath });
      const spec = dataSpec ?? model.config.dataset;
      if (!dataSpec && spec.toLowerCase().endsWith('.csv') && !existsSync(spec)) {
        throw new UsageError(`the model was trained on ${spec}, which is gone; pass --data`);
      }
      if (repeats !== undefined) {
        if (spec.toLowerCase().endsWith('.csv')) {
          throw new UsageError('--repeats draws fresh data for every repeat: it needs a named data set, not a CSV');
        }
        const reports: Report[] = [], perfect: Report[] = [];
        const bar = progress('repeats', repeats, { quiet: !!v.quiet, unit: 'repeats' });
        for (let r = 0; r < repeats; r++) {
          const s = seed + r, data = fresh(spec, s, model.config.model.dim);
          reports.push(await ofModel(model, data, s, true));
          // A perfect model: fresh data of a third seed judged as if they were samples.
          perfect.push(judge(loadPoints(spec, draws * size, s + PERFECT_SEED_OFFSET), data, plan(data, s)));
          bar.update(r + 1);
        }
        bar.stop();
        const summary = summarizeRepeats(reports, perfect);
        process.stdout.write(v.json ? JSON.stringify(summary) + '\n' : formatRepeats(summary, { draws, size, seed }));
        return 0;
      }
      result = await evaluateModel(model, spec, { n: nGiven ?? DEFAULT_EVAL_N, draws, size, seed, quiet: !!v.quiet });
    } else {
      if (!dataSpec) throw new UsageError('eval --samples needs --data B.csv (or a data set name)');
      const samples = parseCsv(readText(samplesPath!), samplesPath!);
      const data = loadPoints(dataSpec, 2 * draws * size, seed + FRESH_SEED_OFFSET);
      if (data.d !== samples.d) throw new UsageError(`samples have ${samples.d} columns but the data ${data.d}`);
      if (nGiven !== undefined && nGiven > samples.n) {
        throw new UsageError(`--n ${nGiven} is more than the ${samples.n} rows of ${samplesPath}`);
      }
      let n = nGiven ?? Math.min(DEFAULT_EVAL_N, samples.n);
      // by default a CSV reference gives what it has: half its rows each to the reference and the perfect model
      if (nGiven === undefined && dataSpec.toLowerCase().endsWith('.csv')) n = Math.min(n, Math.floor(data.n / 2));
      const report = judge(samples, data, { ...planDraws(samples.n, data.n, draws, size), seed });
      result = { report };
      if (n > 0) {
        const refs = references(dataSpec, n, seed, samples.d);
        result.quality = sampleQuality(n < samples.n ? subsample(samples, n, new Rng(seed, 5)) : samples, refs.fresh, refs.perfect,
          undefined, { seed });
      }
    }
    if (v.json) process.stdout.write(JSON.stringify({ ...result.report, quality: result.quality }) + '\n');
    else process.stdout.write(formatEvaluation(result));
    return 0;
  },
};
