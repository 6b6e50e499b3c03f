/**
 * `train`: Algorithm 1 on a data set, then samples, the model, its checkpoint, the loss and the HTML report.
 * Ctrl-C, SIGTERM or SIGHUP write a checkpoint and exit 128 + the signal's number (signals.ts); `--resume DIR`
 * continues bit for bit.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Diffusion } from '../api/diffusion';
import { type Points } from '../data/points';
import { toCsv } from '../data/csv';
import { initialLearnedSchedule } from '../diffusion/learned-schedule';
import { parameterCount } from '../engine/model';
import type { Report } from '../eval/draws';
import { renderReport } from '../report/render';
import { trainReport } from '../report/train-report';
import { scheduleChecks } from '../schedule/schedule';
import { UsageError } from '../util/errors';
import { VERSION } from '../util/version';
import { DEFAULT_EVAL_N, type Evaluation, evaluateModel, formatEvaluation } from './eval';
import { readFileChecked, writeFileAtomic } from './fsutil';
import { type Command, type Opt, RUN_OPTS, int, loadPoints, runConfigFrom, str } from './options';
import { progress } from './progress';
import { loadReportAssets } from './report-assets';
import { catchStopSignals, exitStatus } from './signals';

const TRAIN_OPTS: Opt[] = [
  ...RUN_OPTS,
  { name: 'out', type: 'string', arg: 'DIR', help: 'output directory (default runs/<dataset>-<date>-<time>)' },
  { name: 'samples', type: 'string', arg: 'N', help: 'points sampled at the end into samples.csv and the report (default 2000)' },
  { name: 'checkpoint-every', type: 'string', arg: 'N', help: 'steps between checkpoints (default 1000)' },
  { name: 'eval', type: 'boolean',
    help: `also judge the model as \`eval\` does at the end: ${DEFAULT_EVAL_N} samples against fresh data (the two-sample test, ` +
      'sliced W2, energy, with their floors) and the 5 x 1000 distances (sampling 20,000 points costs about as much as the training)' },
  { name: 'resume', type: 'string', arg: 'DIR',
    help: 'continue the run in DIR from its checkpoint, written every --checkpoint-every steps and on Ctrl-C, SIGTERM or SIGHUP ' +
      '(bit-identical to an uninterrupted run); --steps may extend it' },
];

/** With --resume the configuration comes from the checkpoint; only these may still be given. */
const RESUME_OK = new Set(['resume', 'steps', 'samples', 'checkpoint-every', 'eval', 'json', 'quiet', 'help']);

function stamp(): string {
  const d = new Date(), p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function datasetLabel(spec: string): string {
  return spec.toLowerCase().endsWith('.csv') ? spec.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '') : spec;
}

function lossCsv(losses: Float32Array): string {
  const lines = ['step,loss'];
  for (let i = 0; i < losses.length; i++) lines.push(`${i + 1},${losses[i]}`);
  return lines.join('\n') + '\n';
}


function meanTail(l: Float32Array): number {
  const k = Math.min(l.length, 100);
  let s = 0;
  for (let i = l.length - k; i < l.length; i++) s += l[i];
  return k ? s / k : NaN;
}

export const trainCommand: Command = {
  summary: 'train a model (Algorithm 1), sample from it, write model, loss, samples and an HTML report',
  usage: 'train [options]',
  opts: TRAIN_OPTS,
  async run(v) {
    const nSamples = int(v, 'samples', 1, 1e7) ?? 2000;
    const every = int(v, 'checkpoint-every', 1, 1e9) ?? 1000;
    const quiet = !!v.quiet;
    let model: Diffusion, data: Points, out: string;
    const resumeDir = str(v, 'resume');
    if (resumeDir) {
      for (const [k, x] of Object.entries(v)) {
        if (x !== undefined && !RESUME_OK.has(k))
          throw new UsageError(`--${k} cannot be combined with --resume: the configuration comes from the checkpoint`);
      }
      out = resolve(resumeDir);
      const ck = join(out, 'checkpoint.safetensors');
      let loaded: Points | undefined;
      model = await Diffusion.load(readFileChecked(ck, 'checkpoint'),
        { source: ck, dataFor: (c) => (loaded = loadPoints(c.dataset, c.nData, c.seed)) });
      data = loaded!;
      const steps = int(v, 'steps', 1, 1e9);
      if (steps !== undefined) model.config.steps = steps;
      // A run killed after its last checkpoint but before its outputs: nothing to train, write the outputs.
      if (model.step >= model.config.steps && !v.quiet) {
        process.stderr.write(`the checkpoint in ${out} is at step ${model.step} of ${model.config.steps}: ` +
          'writing the outputs (a larger --steps trains on)\n');
      }
    } else {
      const c = runConfigFrom(v);
      data = loadPoints(c.dataset, c.nData, c.seed);
      model = await Diffusion.create({ ...c, data });
      out = resolve(str(v, 'out') ?? join('runs', `${datasetLabel(c.dataset)}-${stamp()}`));
    }
    const config = model.config;
    mkdirSync(out, { recursive: true });
    const checks = scheduleChecks(model.schedule);
    const log = (s: string) => { if (!quiet) process.stderr.write(s + '\n'); };
    log(`ddpm-wasm ${VERSION}: ${config.dataset} ` +
      `(${config.stream ? `streamed, standardised on ${data.n} points` : `${data.n} points`}, d = ${data.d}), ` +
      `${parameterCount(config.model)} parameters, ` +
      `T = ${config.T} ${config.schedule}, abar_T = ${checks.alphaBarT.toExponential(2)}, ${config.steps} steps of batch ${config.batch}`);
    // Which build and how many threads ran: --fma falls back to the default build where relaxed SIMD is missing.
    log(`engine: ${model.engine.lanes} thread${model.engine.lanes > 1 ? 's' : ''}, ` +
      `${model.engine.fma ? 'relaxed-SIMD (FMA) build'
        : config.fma ? 'default SIMD build (--fma: relaxed SIMD is not available in this runtime)' : 'SIMD build'}`);
    if (!checks.isotropicAtT) {
      process.stderr.write(`warning: abar_T = ${checks.alphaBarT.toFixed(4)} > 0.01: ` +
        'x_T is not close to N(0, I); raise --T or --beta-end\n');
    }

    // The first stop signal ends training after the current step; the outputs below then hold a checkpoint to resume.
    const signal = catchStopSignals();
    const ckPath = join(out, 'checkpoint.safetensors');
    const saveCheckpoint = () => writeFileAtomic(ckPath, model.save(true));
    if (model.step > 0) log(`resuming from step ${model.step} in ${out}`);
    const bar = progress('train', config.steps, { quiet });
    const t0 = performance.now();
    try {
      await model.train({
        progressEvery: 50,
        onProgress: (p) => bar.update(p.step, { loss: p.loss.toFixed(4), 'steps/s': p.stepsPerSecond.toFixed(0) }),
        checkpointEvery: every,
        onCheckpoint: saveCheckpoint,
        signal,
        yieldEvery: 20, // lets the signal handler run
      });
    } finally {
      bar.stop();
      signal.release();
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    saveCheckpoint();
    writeFileAtomic(join(out, 'model.safetensors'), model.save(false));
    writeFileAtomic(join(out, 'loss.csv'), lossCsv(model.losses));
    if (signal.by) {
      // Said even with --quiet: the exit status alone does not tell where the run is or how to go on.
      process.stderr.write(`stopped by ${signal.by} at step ${model.step} of ${config.steps}: checkpoint ${ckPath}; ` +
        `resume with: node dist/cli.js train --resume ${out}\n`);
      return exitStatus(signal.by);
    }
    const t1 = performance.now();
    const T = model.schedule.T;
    // The report's reverse-process panels come from the same run as samples.csv while recording it is cheap
    // (T + 1 frames of n points); past 10,000 points they come from a separate run of 1000.
    const rec = model.sample(nSamples <= 10000 ? nSamples : 1000, { record: true });
    const samples = nSamples > 10000 ? model.sample(nSamples).points : rec.points;
    const sampleSeconds = (performance.now() - t1) / 1000;
    writeFileAtomic(join(out, 'samples.csv'), toCsv(samples));
    let report: Report | undefined;
    let evaluation: Evaluation | undefined;
    if (v.eval) {
      // the same code as `eval --model`: a CSV gives what it has (half its rows to the reference, half to the perfect model)
      const csv = config.dataset.toLowerCase().endsWith('.csv');
      const n = csv ? Math.min(DEFAULT_EVAL_N, Math.floor(data.n / 2)) : DEFAULT_EVAL_N;
      const size = csv ? Math.min(1000, Math.floor(data.n / 10)) : 1000;
      evaluation = await evaluateModel(model, config.dataset, { n, draws: 5, size, seed: config.seed, quiet });
      report = evaluation.report;
      process.stdout.write(formatEvaluation(evaluation));
    }
    const html = renderReport(trainReport(model, { data, samples, frames: rec.frames!, report, trainSeconds, sampleSeconds }),
      loadReportAssets());
    writeFileAtomic(join(out, 'report.html'), html);
    const files = {
      model: join(out, 'model.safetensors'), checkpoint: ckPath, loss: join(out, 'loss.csv'), samples: join(out, 'samples.csv'),
      report: join(out, 'report.html'),
    };
    if (v.json) {
      process.stdout.write(JSON.stringify({
        out, files, steps: model.step, finalLoss: meanTail(model.losses), trainSeconds, sampleSeconds, T,
        alphaBarT: model.schedule.alphaBar[T - 1], config: model.config,
        eval: report?.metrics.map((m) => ({ name: m.name, value: m.value, floor: m.floor, ratio: m.ratio })), quality: evaluation?.quality,
      }) + '\n');
    } else {
      process.stdout.write(`trained ${model.step} steps in ${trainSeconds.toFixed(1)} s ` +
        `(final loss ${meanTail(model.losses).toFixed(4)}); ` +
        `sampled ${nSamples} points in ${sampleSeconds.toFixed(1)} s\n`);
      if (config.schedule === 'learned') {
        const sch = model.schedule;
        process.stdout.write(`learned schedule: beta_1 = ${sch.beta[0].toExponential(2)}, ` +
          `abar_T = ${sch.alphaBar[T - 1].toExponential(2)} ` +
          `(linear started at ${initialLearnedSchedule(T, config).alphaBar[T - 1].toExponential(2)})\n`);
      }
      for (const [k, f] of Object.entries(files)) process.stdout.write(`  ${k.padEnd(10)} ${f}\n`);
    }
    return 0;
  },
};
