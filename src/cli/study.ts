/**
 * `study schedules | T | variance | trajectories | tour`: the lab's experiments as one command. The first two train one
 * model per variant of the schedule (src/lab/schedule-study.ts) and write one report plus a terminal summary;
 * `variance` compares sigma_t^2 choices (src/lab/variance-study.ts); `trajectories` answers "does the starting position
 * influence the ending position?" for one model (src/lab/trajectories.ts); `tour` is src/cli/study-tour.ts.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_RUN } from '../diffusion/config';
import { COARSE } from '../diffusion/solvers';
import { type Points, subsample } from '../data/points';
import { DATASETS, loadDataset } from '../data/datasets';
import { Diffusion, type DiffusionOptions, createDiffusion } from '../api/diffusion';
import { UsageError } from '../util/errors';
import { FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET } from '../eval/draws';
import { formatDifferences } from '../eval/two-sample';
import { Rng } from '../util/rng';
import { DEFAULT_EVAL_N } from './eval';
import { ACTIVATIONS } from '../engine/model';
import { type Command, int, num, runOpts, str, tSamplingOption } from './options';
import { readFileChecked, readTextChecked, writeFileAtomic } from './fsutil';
import { progress } from './progress';
import { loadReportAssets } from './report-assets';
import { renderReport } from '../report/render';
import { ALL_SCHEDULES, VARIANCES } from '../schedule/schedule';
import { VERSION } from '../util/version';
import {
  type Variant, type VariantResult, formatSummary, runStudy, studyDifferences, studyReport, SUMMARY_COLUMNS, summaryRows,
} from '../lab/schedule-study';
import { type TrajectoryStudy, trajectorySections, trajectoryStudy } from '../lab/trajectories';
import { TOUR_STEPS, runTourCli } from './study-tour';
import { runSamplerStudyCli } from './study-samplers';
import { LEARNED_LOSSES, type LearnedLoss } from '../diffusion/learned-variance';
import { runVarianceStudy, varianceDifferences, varianceReport } from '../lab/variance-study';

/**
 * Default budget: `study schedules` on moons trains 4 models; at ~110-130 steps/s (2 shared cores, default
 * model, batch 256) 2500 steps each is ~80 s of training, and the bound, sampling and distances add ~10 s
 * per model, so the whole study stays well inside 5 minutes.
 */
const STUDY_STEPS = 2500;
const DEFAULT_TS = [20, 50, 100, 200];

const readText = (p: string) => readTextChecked(p, 'data file');

function stamp(): string {
  const d = new Date(), p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function baseOptions(v: Record<string, unknown>, steps: number): DiffusionOptions & { dataset: string } {
  const D = DEFAULT_RUN;
  const act = str(v, 'activation') ?? D.model.activation;
  if (!(ACTIVATIONS as readonly string[]).includes(act))
    throw new UsageError(`unknown activation "${act}"; choose one of ${ACTIVATIONS.join(', ')}`);
  const variance = str(v, 'variance') ?? D.variance;
  if (!(VARIANCES as readonly string[]).includes(variance))
    throw new UsageError(`unknown variance "${variance}"; choose one of ${VARIANCES.join(', ')}`);
  return {
    dataset: str(v, 'dataset') ?? 'moons',
    nData: int(v, 'n-data', 2, 1e7) ?? D.nData,
    steps: int(v, 'steps', 1, 1e9) ?? steps,
    batch: int(v, 'batch', 1, 65536) ?? D.batch,
    lr: num(v, 'lr') ?? D.lr,
    T: int(v, 'T', 2, 100000) ?? D.T,
    schedule: (str(v, 'schedule') ?? D.schedule) as DiffusionOptions['schedule'],
    variance: variance as DiffusionOptions['variance'],
    seed: int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? D.seed,
    ...tSamplingOption(v),
    model: {
      width: int(v, 'width', 1, 4096) ?? D.model.width,
      depth: int(v, 'depth', 0, 64) ?? D.model.depth,
      embedSize: int(v, 'embed', 2, 4096) ?? D.model.embedSize,
      activation: act as (typeof ACTIVATIONS)[number],
      inputScale: num(v, 'input-scale') ?? D.model.inputScale,
    },
  };
}

function list(v: Record<string, unknown>, name: string): string[] | undefined {
  const s = str(v, name);
  return s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean);
}

const log = (quiet: boolean) => (s: string) => {
  if (!quiet) process.stderr.write(s + '\n');
};

async function runVariants(kind: 'schedules' | 'T', v: Record<string, string | boolean | undefined>): Promise<number> {
  const quiet = !!v.quiet;
  const base = baseOptions(v, STUDY_STEPS);
  let variants: Variant[];
  if (kind === 'schedules') {
    const names = list(v, 'schedules') ?? [...ALL_SCHEDULES];
    for (const n of names) {
      if (!(ALL_SCHEDULES as readonly string[]).includes(n))
        throw new UsageError(`unknown schedule "${n}"; choose from ${ALL_SCHEDULES.join(', ')}`);
    }
    if (names.length === 0) throw new UsageError('--schedules needs at least one schedule');
    variants = names.map((n) => ({ label: n, config: { schedule: n as DiffusionOptions['schedule'] } }));
  } else {
    const raw = list(v, 'Ts') ?? DEFAULT_TS.map(String);
    const Ts = raw.map((x) => {
      const t = Number(x);
      if (!Number.isInteger(t) || t < 2 || t > 100000) throw new UsageError(`--Ts takes integers in [2, 100000], got "${x}"`);
      return t;
    });
    variants = Ts.map((T) => ({ label: `T = ${T}`, config: { T } }));
  }
  const vlbN = int(v, 'vlb-n', 50, 1e6) ?? 1000;
  const draws = int(v, 'draws', 1, 100) ?? 4;
  const size = int(v, 'size', 50, 5000) ?? 500;
  const evalSeed = 1;
  const data = loadDataset(base.dataset, base.nData!, base.seed!, readText);
  const fresh = base.dataset.toLowerCase().endsWith('.csv') ? data
    : loadDataset(base.dataset, vlbN + 2 * draws * size, base.seed! + FRESH_SEED_OFFSET, readText);
  if (fresh.n < vlbN + 2 * draws * size) {
    throw new UsageError(`${base.dataset} has ${fresh.n} rows; ` +
      `the study needs ${vlbN + 2 * draws * size} (--vlb-n + 2 x --draws x --size)`);
  }
  const testData = studyTestData(v, base);
  const out = resolve(str(v, 'out') ??
    join('runs', `study-${kind}-${base.dataset.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '')}-${stamp()}`));
  mkdirSync(out, { recursive: true });
  const say = log(quiet);
  say(`ddpm-wasm ${VERSION}: study ${kind} on ${base.dataset}: ${variants.map((x) => x.label).join(', ')}; ` +
    `${base.steps} steps of batch ${base.batch} each`);
  const t0 = performance.now();
  let bar = progress('train', base.steps!, { quiet });
  const results: VariantResult[] = await runStudy(variants, {
    base: { ...base, data }, heldOut: fresh, vlbN, draws, size, seed: evalSeed, testData,
    onVariant: (i, x) => {
      bar.stop();
      say(`[${i + 1}/${variants.length}] ${x.label}`);
      bar = progress(`  train ${x.label}`, base.steps!, { quiet });
    },
    onTrain: (step, _steps, loss, sps) => bar.update(step, { loss: loss.toFixed(4), 'steps/s': sps.toFixed(0) }),
    onPhase: (what) => {
      bar.stop();
      bar = progress('', 1, { quiet: true });
      say(`  ${what}`);
    },
  });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const report = studyReport(kind === 'schedules' ? 'schedule' : 'T', results, { data, dataset: base.dataset, seconds });
  const reportPath = join(out, 'report.html');
  writeFileAtomic(reportPath, renderReport(report, loadReportAssets()));
  const summary = {
    kind, dataset: base.dataset, steps: base.steps, seconds, report: reportPath,
    columns: SUMMARY_COLUMNS, rows: summaryRows(results),
    variants: results.map((r) => ({
      label: r.label, T: r.schedule.T, schedule: r.config.schedule, bitsPerDim: r.vlb.bitsPerDim, nats: r.vlb.nats,
      stderrNats: r.vlb.stderrNats,
      prior: r.vlb.prior, props: r.props, trainSeconds: r.trainSeconds, test: r.test,
      eval: r.report.metrics.map((m) => ({ name: m.name, value: m.value, floor: m.floor, ratio: m.ratio })),
    })),
    differences: studyDifferences(results),
  };
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    process.stdout.write(formatSummary(results));
    process.stdout.write(`${results.length} models in ${seconds.toFixed(0)} s; report: ${reportPath}\n`);
  }
  return 0;
}

/**
 * Fresh points for the studies' two-sample test: --test-n (default 20,000; 0 = off) from a seed that neither the
 * training set nor the held-out set uses. A CSV has no fresh data: its own rows stand in (the test then also sees
 * how much each model copies them).
 */
function studyTestData(v: Record<string, string | boolean | undefined>, base: { dataset: string; seed?: number }): Points | undefined {
  const n = int(v, 'test-n', 0, 1e7) ?? DEFAULT_EVAL_N;
  if (n === 0) return undefined;
  if (base.dataset.toLowerCase().endsWith('.csv')) {
    const all = loadDataset(base.dataset, 0, 0, readText);
    return all.n > n ? subsample(all, n, new Rng(base.seed!, 6)) : all;
  }
  return loadDataset(base.dataset, n, base.seed! + PERFECT_SEED_OFFSET, readText);
}

async function runVariance(v: Record<string, string | boolean | undefined>): Promise<number> {
  const quiet = !!v.quiet, say = log(quiet);
  const base = baseOptions(v, STUDY_STEPS);
  const loss = (str(v, 'loss') ?? 'hybrid') as LearnedLoss;
  if (!LEARNED_LOSSES.includes(loss)) throw new UsageError(`unknown loss "${loss}"; choose ${LEARNED_LOSSES.join(' or ')}`);
  const lambda = num(v, 'lambda') ?? 0.001;
  if (!(lambda >= 0 && lambda <= 1e6)) throw new UsageError(`--lambda must be in [0, 1e6], got ${lambda}`);
  const fewer = (list(v, 'fewer-steps') ?? ['10', '25']).map((x) => {
    const k = Number(x);
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`--fewer-steps takes positive integers, got "${x}"`);
    return k;
  });
  const vlbN = int(v, 'vlb-n', 50, 1e6) ?? 1000, draws = int(v, 'draws', 1, 100) ?? 4, size = int(v, 'size', 50, 5000) ?? 500;
  const data = loadDataset(base.dataset, base.nData!, base.seed!, readText);
  const fresh = base.dataset.toLowerCase().endsWith('.csv') ? data
    : loadDataset(base.dataset, vlbN + 2 * draws * size, base.seed! + FRESH_SEED_OFFSET, readText);
  if (fresh.n < vlbN + 2 * draws * size)
    throw new UsageError(`${base.dataset} has ${fresh.n} rows; the study needs ${vlbN + 2 * draws * size}`);
  const testData = studyTestData(v, base);
  const out = resolve(str(v, 'out') ??
    join('runs', `study-variance-${base.dataset.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '')}-${stamp()}`));
  mkdirSync(out, { recursive: true });
  say(`ddpm-wasm ${VERSION}: study variance on ${base.dataset}: beta_t, beta-tilde_t, learned (${loss}); ${base.steps} steps each`);
  const t0 = performance.now();
  let bar = progress('', 1, { quiet: true });
  const st = await runVarianceStudy({
    base: { ...base, data }, heldOut: fresh, vlbN, draws, size, seed: 1, loss, lambda, fewerSteps: fewer, testData,
    onPhase: (what) => {
      bar.stop();
      say(what);
      bar = what.startsWith('train') ? progress('  train', base.steps!, { quiet }) : progress('', 1, { quiet: true });
    },
    onTrain: (step, _s, l) => bar.update(step, { loss: l.toFixed(4) }),
  });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const reportPath = join(out, 'report.html');
  writeFileAtomic(reportPath, renderReport(varianceReport(st, {
    data, dataset: base.dataset, seconds,
    config: {
      dataset: base.dataset, T: st.T, schedule: base.schedule!, steps: base.steps!, batch: base.batch!, loss, lambda, seed: base.seed!,
      'held-out (bound)': vlbN,
    },
  }), loadReportAssets()));
  const rows = st.results.map((r) => ({
    label: r.label, bitsPerDim: r.vlb.bitsPerDim, stderrBits: r.vlb.stderrNats / (r.vlb.d * Math.LN2), w2AtSteps: r.w2AtSteps, test: r.test,
  }));
  const differences = varianceDifferences(st);
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify({
    kind: 'variance', dataset: base.dataset, steps: st.steps, seconds, report: reportPath, variants: rows, differences,
  }, null, 1) + '\n');
  if (v.json) {
    process.stdout.write(JSON.stringify({
      kind: 'variance', steps: st.steps, seconds, report: reportPath, variants: rows, differences,
    }) + '\n');
  }
  else {
    const na = (x: number | undefined, d: number) => (x === undefined ? 'n/a' : x.toFixed(d));
    const head = ['variant', 'bound bits/dim', '± s.e.', 'accuracy', '± null sd', 'z', ...st.steps.map((k) => `W2 ratio @${k}`)];
    const body = rows.map((r) => [
      r.label, r.bitsPerDim.toFixed(3), r.stderrBits.toFixed(3), na(r.test?.accuracy, 4), na(r.test?.nullSd, 4), na(r.test?.z, 1),
      ...r.w2AtSteps.map((x) => x.toFixed(3)),
    ]);
    const w = head.map((_, c) => Math.max(head[c].length, ...body.map((b) => b[c].length)));
    const line = (r: string[]) => r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  ');
    process.stdout.write([line(head), w.map((x) => '-'.repeat(x)).join('  '), ...body.map(line)].join('\n') + '\n' +
      formatDifferences(differences) + `${seconds.toFixed(0)} s; report: ${reportPath}\n`);
  }
  return 0;
}

function formatTrajectories(s: TrajectoryStudy): string {
  const z = (o: number) => ((o - s.randomExpected) / s.randomSd).toFixed(1);
  const rows = [['process', 'spread/data', 'spread', 'kNN overlap', 'x random', 'z', 'colour overlap', 'x random'],
    ...s.figures.map((f) => [
      f.label, f.spread.toFixed(3), f.spreadData.toFixed(4), f.overlap.toFixed(4), (f.overlap / s.randomExpected).toFixed(2), z(f.overlap),
      f.colorOverlap.toFixed(4), (f.colorOverlap / s.randomExpected).toFixed(2),
    ]),
    ['forward q', '', '', s.forwardOverlap.toFixed(4), (s.forwardOverlap / s.randomExpected).toFixed(2), z(s.forwardOverlap),
      s.forwardColorOverlap.toFixed(4), (s.forwardColorOverlap / s.randomExpected).toFixed(2)],
    [`random (20 shuffles, sd ${s.randomSd.toFixed(4)})`, '1', '', s.randomMeasured.toFixed(4),
      (s.randomMeasured / s.randomExpected).toFixed(2),
      '', '', '']];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [
    `same x_T run ${s.runs} times (${s.starts} starts); ${s.k}-NN overlap of x_T and x_0 over ${s.nOverlap} points ` +
      `(random: ${s.randomExpected.toFixed(4)})`,
    ...rows.map((r) => r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  ')),
  ].join('\n') + '\n';
}

async function runTrajectories(v: Record<string, string | boolean | undefined>): Promise<number> {
  const quiet = !!v.quiet, say = log(quiet);
  let model: Diffusion;
  const modelPath = str(v, 'model');
  if (modelPath) model = await Diffusion.load(readFileChecked(modelPath, 'model'), { source: modelPath });
  else {
    const base = baseOptions(v, 3000);
    model = await createDiffusion({ ...base, data: loadDataset(base.dataset, base.nData!, base.seed!, readText) });
    const bar = progress('train', base.steps!, { quiet });
    await model.train({ progressEvery: 50, onProgress: (p) => bar.update(p.step, { loss: p.loss.toFixed(4) }) });
    bar.stop();
  }
  const dataset = model.config.dataset;
  const data = loadDataset(str(v, 'data') ?? dataset, 2000, model.config.seed + FRESH_SEED_OFFSET, readText);
  say('trajectories: sampling');
  const s = trajectoryStudy(model, data, {
    starts: int(v, 'starts', 2, 100000) ?? 200, runs: int(v, 'runs', 2, 1000) ?? 8, nOverlap: int(v, 'n-overlap', 20, 5000) ?? 500,
    k: int(v, 'k', 1, 100) ?? 10, paths: int(v, 'paths', 1, 5000) ?? 300, seed: int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 0,
  });
  const out = resolve(str(v, 'out') ??
    join('runs', `study-trajectories-${dataset.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '')}-${stamp()}`));
  mkdirSync(out, { recursive: true });
  const reportPath = join(out, 'report.html');
  writeFileAtomic(reportPath, renderReport({
    title: `ddpm-wasm: trajectories on ${dataset}`, subtitle: `ddpm-wasm ${VERSION}`,
    config: {
      dataset, T: model.schedule.T, schedule: model.config.schedule, 'trained steps': model.step || model.config.steps,
      starts: s.starts, runs: s.runs, k: s.k, N: s.nOverlap,
    },
    sections: trajectorySections(s, data),
  }, loadReportAssets()));
  if (v.json) {
    process.stdout.write(JSON.stringify({
      report: reportPath, k: s.k, randomExpected: s.randomExpected, randomMeasured: s.randomMeasured, randomSd: s.randomSd,
      forwardOverlap: s.forwardOverlap, figures: s.figures,
    }) + '\n');
  }
  else process.stdout.write(formatTrajectories(s) + `report: ${reportPath}\n`);
  return 0;
}

export const studyCommand: Command = {
  summary: 'experiments, each one report: study schedules | T | variance | trajectories | tour (the forward and reverse processes, ' +
    'trajectories and schedules on three data sets) | samplers (quality per network evaluation)',
  usage: 'study schedules|T|variance|trajectories|tour|samplers [--dataset D] [--schedules linear,quadratic,cosine,sigmoid,learned] ' +
    '[--Ts 20,50,100,200] [--T N] [--steps N] [--out DIR]',
  details: [
    'experiments:',
    '  schedules     one model per beta_t schedule, same seed, data and budget: bound, sample quality, the schedules side by side',
    '  T             the same, one model per number of diffusion steps T',
    '  variance      sigma_t^2 = beta_t against beta-tilde_t and a learned variance',
    '  trajectories  paths through both processes: does the starting position decide the ending position?',
    '  tour          the forward process, the reverse process, trajectories and schedules on swissroll, moons and cross',
    '  samplers      every sampler at every budget of network evaluations against Algorithm 2 on swissroll, moons and cross',
  ],
  positionals: true,
  opts: [
    ...runOpts(['dataset', `data set (default moons): ${Object.keys(DATASETS).join(', ')}`]),
    { name: 'schedules', type: 'string', arg: 'A,B,..', help: `study schedules: which (default ${ALL_SCHEDULES.join(',')})` },
    { name: 'Ts', type: 'string', arg: 'A,B,..', help: `study T: which T (default ${DEFAULT_TS.join(',')})` },
    ...runOpts(
      ['T', `diffusion steps (study schedules, trajectories; default ${DEFAULT_RUN.T})`],
      ['schedule', `schedule (study T, trajectories; default ${DEFAULT_RUN.schedule})`],
      ['steps', `training steps per model (default ${STUDY_STEPS}; trajectories 3000; tour ${TOUR_STEPS})`],
      'batch', 'lr',
      ['n-data', 'training points, or stream: every batch fresh from the generator ' +
        `(default ${DEFAULT_RUN.stream ? 'stream' : DEFAULT_RUN.nData})`],
      'width', 'depth', 'embed', 'activation', ['seed', 'seed shared by every model (default 0)'], 't-sampling', 'input-scale',
    ),
    { name: 'variance', type: 'string', arg: VARIANCES.join('|'),
      help: `sigma_t^2 for sampling and the bound (default ${DEFAULT_RUN.variance})` },
    { name: 'vlb-n', type: 'string', arg: 'N', help: 'held-out points for the bound (default 1000)' },
    { name: 'test-n', type: 'string', arg: 'N',
      help: 'points of the two-sample test per model, against fresh data; the summary says which rows differ beyond its noise ' +
        `(default ${DEFAULT_EVAL_N}; 0 = off; sampling them costs about a model's training)` },
    { name: 'draws', type: 'string', arg: 'K', help: 'eval draws per model (default 4)' },
    { name: 'size', type: 'string', arg: 'N', help: 'points per eval draw (default 500)' },
    { name: 'loss', type: 'string', arg: LEARNED_LOSSES.join('|'),
      help: 'variance: objective of the learned variance: L_simple + lambda L_vlb, or L_vlb alone (default hybrid)' },
    { name: 'lambda', type: 'string', arg: 'X',
      help: 'variance: weight of L_vlb in the hybrid objective (default 0.001, Nichol & Dhariwal)' },
    { name: 'fewer-steps', type: 'string', arg: 'A,B,..',
      help: 'variance: respaced sampling step counts compared with all T (default 10,25)' },
    { name: 'model', type: 'string', arg: 'FILE',
      help: 'trajectories, samplers (A,B,..: one per data set): a trained model (default: train one with the flags above)' },
    { name: 'data', type: 'string', arg: 'NAME|FILE.csv',
      help: 'trajectories: data drawn under the paths (default: the model\'s data set)' },
    { name: 'starts', type: 'string', arg: 'N', help: 'trajectories: starting points x_T for the spread (default 200)' },
    { name: 'runs', type: 'string', arg: 'R', help: 'trajectories: runs per starting point (default 8)' },
    { name: 'n-overlap', type: 'string', arg: 'N', help: 'trajectories: points for the neighbourhood overlap (default 500)' },
    { name: 'k', type: 'string', arg: 'K', help: 'trajectories: neighbours (default 10)' },
    { name: 'paths', type: 'string', arg: 'N', help: 'trajectories: paths drawn (default 300)' },
    { name: 'datasets', type: 'string', arg: 'A,B,..', help: 'tour, samplers: data sets (default swissroll,moons,cross)' },
    { name: 'quick', type: 'boolean', help: 'tour, samplers: a tiny budget (seconds; for tests): the figures mean nothing' },
    { name: 'samplers', type: 'string', arg: 'A,B,..', help: 'samplers: which (default ddpm,ddim,ode,dpm2m,dpm3m,dpm2m-sde,hybrid,churn)' },
    { name: 'budgets', type: 'string', arg: 'A,B,..', help: 'samplers: network evaluations per sample (default 5,10,20,50,100,200)' },
    { name: 'split', type: 'string', arg: 'T0',
      help: 'samplers: the hybrid\'s split, where Algorithm 2 takes over (default T/20 up to 10)' },
    { name: 'tail', type: 'string', arg: 'S', help: 'samplers: the hybrid\'s Algorithm 2 steps after the split (default min(split, 15))' },
    { name: 'coarse', type: 'string', arg: COARSE.join('|'),
      help: 'samplers: the hybrid\'s solver down to the split (default dpm2m-sde)' },
    { name: 'out', type: 'string', arg: 'DIR', help: 'output directory (default runs/study-<kind>-<dataset>-<time>)' },
  ],
  async run(v, _cmd, positionals = []) {
    const [what, ...extra] = positionals;
    if (extra.length) throw new UsageError(`study takes one experiment, got "${positionals.join(' ')}"`);
    if (what === 'schedules') return runVariants('schedules', v);
    if (what === 'T') return runVariants('T', v);
    if (what === 'trajectories') return runTrajectories(v);
    if (what === 'variance') return runVariance(v);
    if (what === 'tour' || what === 'deck') return runTourCli(v); // `deck`: the slides' name for the tour
    if (what === 'samplers') return runSamplerStudyCli(v);
    throw new UsageError(what ? `unknown study "${what}"; choose schedules, T, variance, trajectories, samplers or tour`
      : 'study needs an experiment: schedules, T, variance, trajectories, samplers or tour');
  },
};
