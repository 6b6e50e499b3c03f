#!/usr/bin/env node
/**
 * `ddpm-wasm <command>`: train, sample, data, eval. Each command is a table of options (which also
 * generates its --help) and a run function. Errors a user can act on print one line and exit 2;
 * anything else is a bug: one line too, and the stack only with DDPM_DEBUG=1.
 */
import '../engine/wasm-embedded';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RUN, type RunConfig, checkInt, checkNumber } from '../diffusion/config';
import { type Points, DATASETS, getDataset, loadDataset, parseCsv, toCsv } from '../data/datasets';
import { Diffusion } from '../api/diffusion';
import { UsageError } from '../util/errors';
import { compareToData, FRESH_SEED_OFFSET, formatRepeats, formatReport, makeDraws, PERFECT_SEED_OFFSET, planDraws, type Report, summarizeRepeats } from '../eval/distances';
import { ACTIVATIONS, parameterCount } from '../engine/model';
import { readFileChecked, readTextChecked, writeFileAtomic } from './fsutil';
import { progress } from './progress';
import { trainReport } from '../report/train-report';
import { renderReport } from '../report/render';
import { loadReportAssets } from './report-assets';
import { initialLearnedSchedule } from '../diffusion/learned-schedule';
import { ALL_SCHEDULES, VARIANCES, type VarianceName, scheduleChecks } from '../schedule/schedule';
import { VERSION } from '../util/version';
import { type Command, type Opt, type OptType, int, num, str } from './args';
import { VLB_OPTS, runEvalVlb } from './eval-vlb';
import { SAMPLER_OPTS, sampleWithFlags } from './sampler-flags';
import { studyCommand } from './study';
import { serveCommand } from './serve';
import { exportCommand } from './export';

const D = DEFAULT_RUN;
const COMMON: Opt[] = [
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
  { name: 'json', type: 'boolean', help: 'print a machine-readable JSON result on stdout' },
  { name: 'quiet', short: 'q', type: 'boolean', help: 'no progress output' },
];

const TRAIN_OPTS: Opt[] = [
  { name: 'dataset', type: 'string', arg: 'NAME|FILE.csv', help: `data set: ${Object.keys(DATASETS).join(', ')}, or a CSV with a header row (default ${D.dataset})` },
  { name: 'n-data', type: 'string', arg: 'N', help: `points generated for a named data set (default ${D.nData})` },
  { name: 'steps', type: 'string', arg: 'N', help: `optimiser steps (default ${D.steps})` },
  { name: 'batch', type: 'string', arg: 'B', help: `batch size (default ${D.batch})` },
  { name: 'lr', type: 'string', arg: 'X', help: `peak learning rate (default ${D.lr})` },
  { name: 'warmup', type: 'string', arg: 'N', help: `linear warm-up steps (default ${D.warmup})` },
  { name: 'lr-decay', type: 'string', arg: 'cosine|constant', help: `learning-rate decay after warm-up (default ${D.lrDecay})` },
  { name: 'T', type: 'string', arg: 'N', help: `diffusion steps (default ${D.T})` },
  { name: 'schedule', type: 'string', arg: ALL_SCHEDULES.join('|'), help: `beta_t schedule; learned: a monotone log-SNR curve trained with the network through the bound (default ${D.schedule})` },
  { name: 'beta-start', type: 'string', arg: 'X', help: 'beta_1 for linear/quadratic/sigmoid (default 1e-4 * 1000/T)' },
  { name: 'beta-end', type: 'string', arg: 'X', help: 'beta_T for linear/quadratic/sigmoid (default 0.02 * 1000/T)' },
  { name: 'variance', type: 'string', arg: [...VARIANCES, 'learned'].join('|'), help: `sigma_t^2 of the reverse step: beta_t, the posterior beta-tilde_t, or learned by the network (one thread) (default ${D.variance})` },
  { name: 'loss', type: 'string', arg: 'hybrid|vlb', help: 'objective of --variance learned: L_simple + lambda L_vlb, or L_vlb alone (default hybrid)' },
  { name: 'lambda', type: 'string', arg: 'X', help: 'weight of L_vlb in the hybrid objective (default 0.001)' },
  { name: 'clip-x0', type: 'string', arg: 'X', help: 'sampling clamps the predicted x_0 to [-X, X] standardised units; 0 = plain Algorithm 2 (default 1.5 x the data\'s largest)' },
  { name: 'width', type: 'string', arg: 'N', help: `hidden width (default ${D.model.width})` },
  { name: 'depth', type: 'string', arg: 'N', help: `residual blocks (default ${D.model.depth})` },
  { name: 'embed', type: 'string', arg: 'N', help: `sinusoidal embedding size (default ${D.model.embedSize})` },
  { name: 'activation', type: 'string', arg: ACTIVATIONS.join('|'), help: `activation (default ${D.model.activation})` },
  { name: 'no-input-embedding', type: 'boolean', help: 'feed raw coordinates instead of their sinusoidal embedding' },
  { name: 'weight-decay', type: 'string', arg: 'X', help: `AdamW weight decay (default ${D.adam.weightDecay})` },
  { name: 'clip', type: 'string', arg: 'X', help: `global gradient-norm clipping, 0 = off (default ${D.adam.clip})` },
  { name: 'ema', type: 'string', arg: 'X', help: `EMA decay of the weights used for sampling (default ${D.adam.emaDecay})` },
  { name: 'seed', type: 'string', arg: 'S', help: `random seed (default ${D.seed})` },
  { name: 'threads', type: 'string', arg: 'N', help: `threads sharing each step; the same seed and thread count give the same bits (default ${D.threads})` },
  { name: 'out', type: 'string', arg: 'DIR', help: 'output directory (default runs/<dataset>-<date>-<time>)' },
  { name: 'samples', type: 'string', arg: 'N', help: 'points sampled at the end into samples.csv and the report (default 2000)' },
  { name: 'checkpoint-every', type: 'string', arg: 'N', help: 'steps between checkpoints (default 1000)' },
  { name: 'eval', type: 'boolean', help: 'also compute the sample distances of `eval` at the end (adds ~10 s)' },
  { name: 'resume', type: 'string', arg: 'DIR', help: 'continue the run in DIR from its checkpoint (bit-identical to an uninterrupted run); --steps may extend it' },
];

/** With --resume the configuration comes from the checkpoint; only these may still be given. */
const RESUME_OK = new Set(['resume', 'steps', 'samples', 'checkpoint-every', 'eval', 'json', 'quiet', 'help']);

function runConfigFrom(v: Record<string, unknown>): RunConfig {
  const c: RunConfig = structuredClone(DEFAULT_RUN);
  c.dataset = str(v, 'dataset') ?? c.dataset;
  c.nData = int(v, 'n-data', 2, 1e7) ?? c.nData;
  c.steps = int(v, 'steps', 1, 1e9) ?? c.steps;
  c.batch = int(v, 'batch', 1, 65536) ?? c.batch;
  c.lr = num(v, 'lr') ?? c.lr;
  c.warmup = int(v, 'warmup', 0, 1e9) ?? c.warmup;
  c.lrDecay = (str(v, 'lr-decay') ?? c.lrDecay) as RunConfig['lrDecay'];
  c.T = int(v, 'T', 1, 100000) ?? c.T;
  c.schedule = (str(v, 'schedule') ?? c.schedule) as RunConfig['schedule'];
  c.betaStart = num(v, 'beta-start');
  c.betaEnd = num(v, 'beta-end');
  c.variance = (str(v, 'variance') ?? c.variance) as RunConfig['variance'];
  c.loss = str(v, 'loss') as RunConfig['loss'];
  c.lambda = num(v, 'lambda');
  c.clipX0 = num(v, 'clip-x0');
  c.model.width = int(v, 'width', 1, 4096) ?? c.model.width;
  c.model.depth = int(v, 'depth', 0, 64) ?? c.model.depth;
  c.model.embedSize = int(v, 'embed', 2, 4096) ?? c.model.embedSize;
  c.model.activation = (str(v, 'activation') ?? c.model.activation) as RunConfig['model']['activation'];
  if (v['no-input-embedding']) c.model.inputEmbedding = false;
  c.adam.weightDecay = num(v, 'weight-decay') ?? c.adam.weightDecay;
  c.adam.clip = num(v, 'clip') ?? c.adam.clip;
  c.adam.emaDecay = num(v, 'ema') ?? c.adam.emaDecay;
  c.seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? c.seed;
  c.threads = int(v, 'threads', 1, 64) ?? c.threads;
  return c;
}

const readText = (p: string) => readTextChecked(p, 'data file');

/** A data set name or CSV path, in data units. */
function loadPoints(spec: string, n: number, seed: number): Points {
  return loadDataset(spec, n, seed, readText);
}

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

/** Generated points against two disjoint draws of `data` (the floor), `o.draws` draws of `o.size` points. */
function judge(samples: Points, data: Points, o: { draws: number; size: number; seed: number }): Report {
  const { samplesDraws, dataDrawsA, dataDrawsB } = makeDraws(samples, data, { draws: o.draws, size: o.size }, o.seed);
  return compareToData(samplesDraws, dataDrawsA, dataDrawsB, { seed: o.seed });
}

async function evaluate(model: Diffusion, data: Points, o: { draws: number; size: number; seed: number; quiet?: boolean }): Promise<Report> {
  const bar = progress('sampling', o.draws * o.size, { quiet: o.quiet, unit: 'points' });
  const samples = model.sample(o.draws * o.size, { onChunk: (done) => bar.update(done) }).points;
  bar.stop();
  return judge(samples, data, o);
}

const commands: Record<string, Command> = {
  train: {
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
          if (x !== undefined && !RESUME_OK.has(k)) throw new UsageError(`--${k} cannot be combined with --resume: the configuration comes from the checkpoint`);
        }
        out = resolve(resumeDir);
        const ck = join(out, 'checkpoint.safetensors');
        let loaded: Points | undefined;
        model = await Diffusion.load(readFileChecked(ck, 'checkpoint'), { source: ck, dataFor: (c) => (loaded = loadPoints(c.dataset, c.nData, c.seed)) });
        data = loaded!;
        const steps = int(v, 'steps', 1, 1e9);
        if (steps !== undefined) model.config.steps = steps;
        // A run killed after its last checkpoint but before its outputs: nothing to train, write the outputs.
        if (model.step >= model.config.steps && !v.quiet) {
          process.stderr.write(`the checkpoint in ${out} is at step ${model.step} of ${model.config.steps}: writing the outputs (a larger --steps trains on)\n`);
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
      log(`ddpm-wasm ${VERSION}: ${config.dataset} (${data.n} points, d = ${data.d}), ${parameterCount(config.model)} parameters, ` +
        `T = ${config.T} ${config.schedule}, abar_T = ${checks.alphaBarT.toExponential(2)}, ${config.steps} steps of batch ${config.batch}`);
      if (!checks.isotropicAtT) process.stderr.write(`warning: abar_T = ${checks.alphaBarT.toFixed(4)} > 0.01: x_T is not close to N(0, I); raise --T or --beta-end\n`);

      const signal = { stop: false };
      const onSigint = () => {
        // First Ctrl-C: finish the step, write a checkpoint, exit 130. Second: leave now (files are written atomically).
        if (signal.stop) process.exit(130);
        signal.stop = true;
      };
      process.on('SIGINT', onSigint);
      const saveCheckpoint = () => writeFileAtomic(join(out, 'checkpoint.safetensors'), model.save(true));
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
          yieldEvery: 20, // lets the SIGINT handler run
        });
      } finally {
        bar.stop();
        process.off('SIGINT', onSigint);
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      saveCheckpoint();
      writeFileAtomic(join(out, 'model.safetensors'), model.save(false));
      writeFileAtomic(join(out, 'loss.csv'), lossCsv(model.losses));
      if (signal.stop) {
        log(`interrupted at step ${model.step}: checkpoint saved; continue with: node dist/cli.js train --resume ${out}`);
        return 130;
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
      if (v.eval) {
        const fresh = config.dataset.toLowerCase().endsWith('.csv') ? data : getDataset(config.dataset, 10000, config.seed + 1);
        report = await evaluate(model, fresh, { draws: 5, size: Math.min(1000, Math.floor(fresh.n / 10)), seed: config.seed, quiet });
        process.stdout.write(formatReport(report));
      }
      const html = renderReport(trainReport(model, { data, samples, frames: rec.frames!, report, trainSeconds, sampleSeconds }), loadReportAssets());
      writeFileAtomic(join(out, 'report.html'), html);
      const files = { model: join(out, 'model.safetensors'), checkpoint: join(out, 'checkpoint.safetensors'), loss: join(out, 'loss.csv'), samples: join(out, 'samples.csv'), report: join(out, 'report.html') };
      if (v.json) {
        process.stdout.write(JSON.stringify({ out, files, steps: model.step, finalLoss: meanTail(model.losses), trainSeconds, sampleSeconds, T, alphaBarT: model.schedule.alphaBar[T - 1], config: model.config, eval: report?.metrics.map((m) => ({ name: m.name, value: m.value, floor: m.floor, ratio: m.ratio })) }) + '\n');
      } else {
        process.stdout.write(`trained ${model.step} steps in ${trainSeconds.toFixed(1)} s (final loss ${meanTail(model.losses).toFixed(4)}); sampled ${nSamples} points in ${sampleSeconds.toFixed(1)} s\n`);
        if (config.schedule === 'learned') {
          const sch = model.schedule;
          process.stdout.write(`learned schedule: beta_1 = ${sch.beta[0].toExponential(2)}, abar_T = ${sch.alphaBar[T - 1].toExponential(2)} (linear started at ${initialLearnedSchedule(T, config).alphaBar[T - 1].toExponential(2)})\n`);
        }
        for (const [k, f] of Object.entries(files)) process.stdout.write(`  ${k.padEnd(10)} ${f}\n`);
      }
      return 0;
    },
  },
  sample: {
    summary: 'draw new points from a trained model (Algorithm 2)',
    usage: 'sample --model FILE [--n N] [--seed S] [--variance beta|posterior] [--sampler ddpm|ddim --steps K --eta E] [--out FILE.csv]',
    opts: [
      { name: 'model', type: 'string', arg: 'FILE', help: 'model.safetensors or checkpoint.safetensors written by train' },
      { name: 'n', type: 'string', arg: 'N', help: 'number of points (default 1000)' },
      { name: 'seed', type: 'string', arg: 'S', help: 'sampling seed (default: the model\'s)' },
      { name: 'variance', type: 'string', arg: VARIANCES.join('|'), help: 'sigma_t^2 (default: the model\'s)' },
      { name: 'clip-x0', type: 'string', arg: 'X', help: 'clamp of the predicted x_0 in standardised units, 0 = off (default: the model\'s)' },
      { name: 'out', type: 'string', arg: 'FILE.csv', help: 'write the points here (default: stdout)' },
      { name: 'threads', type: 'string', arg: 'N', help: 'threads sharing each reverse step (default: the model\'s)' },
      ...SAMPLER_OPTS,
    ],
    async run(v) {
      const path = str(v, 'model');
      if (!path) throw new UsageError('sample needs --model FILE');
      const n = int(v, 'n', 1, 1e7) ?? 1000;
      const variance = str(v, 'variance');
      if (variance !== undefined && !(VARIANCES as readonly string[]).includes(variance)) throw new UsageError(`unknown variance "${variance}"; choose one of ${VARIANCES.join(', ')}`);
      const model = await Diffusion.load(readFileChecked(path, 'model'), { source: path, threads: int(v, 'threads', 1, 64) });
      const seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER);
      if (seed !== undefined) model.reseedSampling(seed);
      const bar = progress('sample', n, { quiet: !!v.quiet || !str(v, 'out'), unit: 'points' });
      const clipX0 = num(v, 'clip-x0');
      if (clipX0 !== undefined) checkNumber('--clip-x0', clipX0, 0, 1e6, true);
      const pts = sampleWithFlags(model, n, v, { variance: variance as VarianceName | undefined, clipX0, onChunk: (d) => bar.update(d) });
      bar.stop();
      const out = str(v, 'out');
      if (out) {
        writeFileAtomic(out, toCsv(pts));
        if (v.json) process.stdout.write(JSON.stringify({ out, n }) + '\n');
        else process.stdout.write(`wrote ${n} points to ${out}\n`);
      } else process.stdout.write(toCsv(pts));
      return 0;
    },
  },
  data: {
    summary: 'write points of a toy data set as CSV',
    usage: 'data --dataset NAME [--n N] [--seed S] [--out FILE.csv]',
    opts: [
      { name: 'dataset', type: 'string', arg: 'NAME', help: `one of ${Object.keys(DATASETS).join(', ')}` },
      { name: 'n', type: 'string', arg: 'N', help: 'number of points (default 1000)' },
      { name: 'seed', type: 'string', arg: 'S', help: 'random seed (default 0)' },
      { name: 'out', type: 'string', arg: 'FILE.csv', help: 'write here (default: stdout)' },
      { name: 'list', type: 'boolean', help: 'list the data sets with their descriptions' },
    ],
    async run(v) {
      if (v.list) {
        for (const [name, info] of Object.entries(DATASETS)) process.stdout.write(`${name.padEnd(13)} ${info.description}\n`);
        return 0;
      }
      const name = str(v, 'dataset');
      if (!name) throw new UsageError('data needs --dataset NAME (see data --list)');
      const pts = getDataset(name, int(v, 'n', 1, 1e7) ?? 1000, int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 0);
      const out = str(v, 'out');
      if (out) {
        writeFileAtomic(out, toCsv(pts));
        process.stdout.write(v.json ? JSON.stringify({ out, n: pts.n }) + '\n' : `wrote ${pts.n} points to ${out}\n`);
      } else process.stdout.write(toCsv(pts));
      return 0;
    },
  },
  eval: {
    summary: 'distances between generated points and fresh data (W2 exact, sliced W2, energy, MMD) against the data-vs-data floor',
    usage: 'eval --model FILE [--data NAME|FILE.csv]   |   eval --samples A.csv --data B.csv',
    opts: [
      { name: 'model', type: 'string', arg: 'FILE', help: 'a model written by train: samples are drawn from it' },
      { name: 'samples', type: 'string', arg: 'A.csv', help: 'generated points to judge (instead of --model)' },
      { name: 'data', type: 'string', arg: 'NAME|B.csv', help: 'reference data (default with --model: fresh points of its data set)' },
      { name: 'draws', type: 'string', arg: 'K', help: 'disjoint draws averaged (default 5)' },
      { name: 'size', type: 'string', arg: 'N', help: 'points per draw (default 1000; W2 exact is O(N^3))' },
      { name: 'seed', type: 'string', arg: 'S', help: 'seed of the draws and of fresh data (default 1)' },
      { name: 'repeats', type: 'string', arg: 'K', help: 'with --model: run the whole protocol K times (seeds S..S+K-1) beside a perfect model (fresh data as samples): how much of the ratio is luck' },
      ...VLB_OPTS,
    ],
    async run(v) {
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
  },
};

// Commands that live in their own modules register here (one import above, one line below).
commands.study = studyCommand;
commands.serve = serveCommand;
commands.export = exportCommand;

function helpText(name: string, c: Command): string {
  const opts = [...c.opts, ...COMMON];
  const left = opts.map((o) => `  ${o.short ? `-${o.short}, ` : ''}--${o.name}${o.arg ? ` ${o.arg}` : ''}`);
  const w = Math.min(40, Math.max(...left.map((l) => l.length)) + 2);
  return [
    `ddpm-wasm ${name}: ${c.summary}`,
    '',
    `usage: node dist/cli.js ${c.usage}`,
    '',
    'options:',
    ...opts.map((o, i) => (left[i].length >= w ? `${left[i]}\n${' '.repeat(w)}${o.help}` : `${left[i].padEnd(w)}${o.help}`)),
    '',
  ].join('\n');
}

function mainHelp(): string {
  return [
    `ddpm-wasm ${VERSION}: denoising diffusion probabilistic models (Ho et al. 2020) on low-dimensional data`,
    '',
    'usage: node dist/cli.js <command> [options]      (node dist/cli.js <command> --help for its options)',
    '',
    'commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`),
    '',
    'global options: --help, --version',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(', ')} (see --help)`);
  const options: Record<string, { type: OptType; short?: string }> = {};
  for (const o of [...cmd.opts, ...COMMON]) options[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[] = [];
  try {
    // `--lr -1` would be "ambiguous" to parseArgs: glue a negative number to its flag so range checks can name it.
    const args: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i].startsWith('--') ? rest[i].slice(2) : '';
      if (options[flag]?.type === 'string' && /^-(\d|\.\d)/.test(rest[i + 1] ?? '')) args.push(`${rest[i]}=${rest[++i]}`);
      else args.push(rest[i]);
    }
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: !!cmd.positionals });
    values = parsed.values as Record<string, string | boolean | undefined>;
    positionals = parsed.positionals;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${name}: ${msg} (see ${name} --help)`);
  }
  if (values.help) {
    process.stdout.write(helpText(name, cmd));
    return 0;
  }
  return cmd.run(values, name, positionals);
}

function meanTail(l: Float32Array): number {
  const k = Math.min(l.length, 100);
  let s = 0;
  for (let i = l.length - k; i < l.length; i++) s += l[i];
  return k ? s / k : NaN;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      const err = e as Error;
      process.stderr.write(`error: internal: ${err?.message ?? String(e)} (this is a bug; rerun with DDPM_DEBUG=1 for details)\n`);
      if (process.env.DDPM_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
      process.exitCode = 1;
    }
  },
);
