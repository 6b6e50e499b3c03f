/**
 * `study samplers`: every sampler at every budget of network evaluations on swissroll, moons and cross (src/lab/
 * sampler-study.ts), one self-contained report, a terminal table and summary.json. One progress bar over the rows.
 * Cost at the defaults: one default model per data set (about a minute of training each on 2 cores), then sampling
 * 20,000 points per row (the reference, Algorithm 2 at T = 200, about 20 s; a row costs its share of that), and
 * about 2 s of judging per row.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DATASETS } from '../data/datasets';
import { Diffusion } from '../api/diffusion';
import { DEFAULT_RUN } from '../diffusion/config';
import { type CoarseName, checkHybridCall } from '../diffusion/solvers';
import { UsageError } from '../util/errors';
import {
  DEFAULT_BUDGETS, type HybridOptions, STUDY_SAMPLERS, type StudySampler, formatSamplerStudy, runSamplerStudy, samplerStudyReport,
  samplerStudySummary,
} from '../lab/sampler-study';
import { type Values, inputScaleOption, int, str, tSamplingOption } from './options';
import { readFileChecked, writeFileAtomic } from './fsutil';
import { progress } from './progress';
import { loadReportAssets } from './report-assets';
import { renderReport } from '../report/render';
import { VERSION } from '../util/version';

const DEFAULT_DATASETS = ['swissroll', 'moons', 'cross'];
const list = (v: Values, name: string) => str(v, name)?.split(',').map((x) => x.trim()).filter(Boolean);

function stamp(): string {
  const d = new Date(), p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export async function runSamplerStudyCli(v: Values): Promise<number> {
  const quiet = !!v.quiet, quick = !!v.quick;
  const samplers = (list(v, 'samplers') ?? [...STUDY_SAMPLERS]) as StudySampler[];
  for (const s of samplers) {
    if (!STUDY_SAMPLERS.includes(s)) throw new UsageError(`unknown sampler "${s}" in --samplers; choose from ${STUDY_SAMPLERS.join(', ')}`);
  }
  if (samplers.length === 0) throw new UsageError('--samplers needs at least one sampler');
  const budgets = (list(v, 'budgets') ?? (quick ? ['5', '10', '15'] : DEFAULT_BUDGETS.map(String))).map((x) => {
    const b = Number(x);
    if (!Number.isInteger(b) || b < 1 || b > 100000) throw new UsageError(`--budgets takes integers in [1, 100000], got "${x}"`);
    return b;
  }).sort((a, b) => a - b);
  const testN = int(v, 'test-n', 100, 1e7) ?? (quick ? 300 : 20000);
  const hybrid = hybridOptions(v, samplers);
  const seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_RUN.seed;
  const modelPaths = list(v, 'model');
  let datasets = list(v, 'datasets') ?? DEFAULT_DATASETS;
  let models: Diffusion[] | undefined;
  if (modelPaths) {
    if (v.datasets !== undefined) throw new UsageError('--model brings its own data set: drop --datasets');
    models = [];
    for (const p of modelPaths) models.push(await Diffusion.load(readFileChecked(p, 'model'), { source: p }));
    datasets = models.map((m) => m.config.dataset);
    for (const m of models) checkHybridCall(m.schedule.T, hybrid);
    for (const m of models) if (!Object.prototype.hasOwnProperty.call(DATASETS, m.config.dataset)) {
      throw new UsageError(`the model's data set "${m.config.dataset}" is not a named data set: the study needs fresh draws of it`);
    }
  }
  for (const n of datasets) {
    if (!Object.prototype.hasOwnProperty.call(DATASETS, n)) {
      throw new UsageError(`unknown data set "${n}" in --datasets; choose from ${Object.keys(DATASETS).join(', ')}`);
    }
  }
  if (datasets.length === 0) throw new UsageError('--datasets needs at least one data set');
  const steps = int(v, 'steps', 1, 1e9) ?? (quick ? 30 : undefined), T = int(v, 'T', 2, 100000) ?? (quick ? 20 : undefined);
  const base = {
    seed, ...(steps !== undefined ? { steps } : {}), ...(T !== undefined ? { T } : {}), ...tSamplingOption(v),
    ...(quick ? { batch: 32, nData: 600 } : {}),
    model: { ...(quick ? { width: 16, depth: 1, embedSize: 8 } : {}), ...inputScaleOption(v) },
  };
  if (!models) checkHybridCall(base.T ?? DEFAULT_RUN.T, hybrid);
  const out = resolve(str(v, 'out') ?? join('runs', `study-samplers-${stamp()}`));
  mkdirSync(out, { recursive: true });
  const say = (s: string) => {
    if (!quiet) process.stderr.write(s + '\n');
  };
  say(`ddpm-wasm ${VERSION}: study samplers on ${datasets.join(', ')}: ${samplers.join(', ')} at ${budgets.join(', ')} evaluations, ` +
    `${testN} points each`);
  const t0 = performance.now();
  let bar = progress('', 1, { quiet: true });
  const perSet = 1 + samplers.length * budgets.length; // rows per data set: the reference, then every sampler x budget
  const res = await runSamplerStudy({
    datasets, models, base, samplers, budgets, testN, seed, hybrid,
    onPhase: (what) => {
      bar.stop();
      say(what);
      bar = what.endsWith('train') ? progress('  train', base.steps ?? DEFAULT_RUN.steps, { quiet })
        : progress('  rows', perSet, { quiet, unit: 'rows' });
    },
    onTrain: (step, _s, loss) => bar.update(step, { loss: loss.toFixed(4) }),
    onRow: (done, _total, row) => bar.update(((done - 1) % perSet) + 1, { row: `${row.label}: z ${row.judged.test.z.toFixed(1)}` }),
  });
  bar.stop();
  models?.forEach((m) => m.close());
  const seconds = (performance.now() - t0) / 1000;
  const reportPath = join(out, 'report.html');
  const config: Record<string, string | number> = {
    seed, ...(modelPaths ? { models: modelPaths.join(', ') } : { 'training steps': base.steps ?? DEFAULT_RUN.steps }),
    ...Object.fromEntries(Object.entries(hybrid).map(([k, x]) => [`hybrid ${k}`, x])),
  };
  writeFileAtomic(reportPath, renderReport(samplerStudyReport(res, { samplers, budgets, testN, seconds, config }), loadReportAssets()));
  const summary = samplerStudySummary(res, { seed, testN, budgets, samplers, hybrid, seconds, report: reportPath });
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stdout.write(formatSamplerStudy(res) + `${seconds.toFixed(0)} s; report: ${reportPath}\n`);
  return 0;
}

/**
 * --split, --tail and --coarse: the hybrid rows' own options, refused without the hybrid among the samplers; checked
 * against each model's T (checkHybridCall) before anything trains.
 */
function hybridOptions(v: Values, samplers: readonly StudySampler[]): HybridOptions {
  const split = int(v, 'split', 1, 100000), tail = int(v, 'tail', 1, 100000), coarse = str(v, 'coarse');
  const given = (['split', 'tail', 'coarse'] as const).filter((k) => v[k] !== undefined);
  if (given.length && !samplers.includes('hybrid')) {
    throw new UsageError(`--${given[0]} applies to the hybrid, which --samplers leaves out`);
  }
  return {
    ...(split !== undefined ? { split } : {}), ...(tail !== undefined ? { tail } : {}),
    ...(coarse !== undefined ? { coarse: coarse as CoarseName } : {}),
  };
}
