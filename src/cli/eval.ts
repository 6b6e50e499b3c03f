/**
 * `eval`: how close generated points are to the data, each distance beside the same distance between two
 * fresh data draws (the floor); `--repeats` runs the protocol over seeds beside a perfect model, `--vlb` the bound,
 * `--nll` the exact likelihood of the ODE beside it.
 * `train --eval` calls evaluate() from here.
 */
import { existsSync } from 'node:fs';
import { Diffusion } from '../api/diffusion';
import { type Points, parseCsv } from '../data/datasets';
import {
  FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET, type Report, compareToData, formatRepeats, formatReport, makeDraws, planDraws, summarizeRepeats,
} from '../eval/distances';
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

export async function evaluate(model: Diffusion, data: Points, o: { draws: number; size: number; seed: number; quiet?: boolean }): Promise<Report> {
  const bar = progress('sampling', o.draws * o.size, { quiet: o.quiet, unit: 'points' });
  const samples = model.sample(o.draws * o.size, { onChunk: (done) => bar.update(done) }).points;
  bar.stop();
  return judge(samples, data, o);
}


export const evalCommand: Command = {
  summary: 'distances between generated points and fresh data (W2 exact, sliced W2, energy, MMD) against the data-vs-data floor',
  usage: 'eval --model FILE [--data NAME|FILE.csv] [--vlb | --nll]   |   eval --samples A.csv --data B.csv',
  opts: [
    { name: 'model', type: 'string', arg: 'FILE', help: 'a model written by train: samples are drawn from it' },
    { name: 'samples', type: 'string', arg: 'A.csv', help: 'generated points to judge (instead of --model)' },
    { name: 'data', type: 'string', arg: 'NAME|B.csv', help: 'reference data (default with --model: fresh points of its data set)' },
    { name: 'draws', type: 'string', arg: 'K', help: 'disjoint draws averaged (default 5)' },
    { name: 'size', type: 'string', arg: 'N', help: 'points per draw (default 1000; W2 exact is O(N^3))' },
    { name: 'seed', type: 'string', arg: 'S', help: 'seed of the draws and of fresh data (default 1)' },
    { name: 'repeats', type: 'string', arg: 'K', help: 'with --model: run the whole protocol K times (seeds S..S+K-1) beside a perfect model (fresh data as samples): how much of the ratio is luck' },
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
    let report: Report;
    if (modelPath) {
      const model = await Diffusion.load(readFileChecked(modelPath, 'model'), { source: modelPath });
      const spec = dataSpec ?? model.config.dataset;
      if (!dataSpec && spec.toLowerCase().endsWith('.csv') && !existsSync(spec)) throw new UsageError(`the model was trained on ${spec}, which is gone; pass --data`);
      if (repeats !== undefined) {
        if (spec.toLowerCase().endsWith('.csv')) throw new UsageError('--repeats draws fresh data for every repeat: it needs a named data set, not a CSV');
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
      report = await ofModel(model, fresh(spec, seed, model.config.model.dim), seed, !!v.quiet);
    } else {
      if (!dataSpec) throw new UsageError('eval --samples needs --data B.csv (or a data set name)');
      const samples = parseCsv(readText(samplesPath!), samplesPath!);
      const data = loadPoints(dataSpec, 2 * draws * size, seed + FRESH_SEED_OFFSET);
      if (data.d !== samples.d) throw new UsageError(`samples have ${samples.d} columns but the data ${data.d}`);
      report = judge(samples, data, { ...planDraws(samples.n, data.n, draws, size), seed });
    }
    if (v.json) process.stdout.write(JSON.stringify(report) + '\n');
    else process.stdout.write(formatReport(report));
    return 0;
  },
};
