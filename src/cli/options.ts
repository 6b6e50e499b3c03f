/**
 * The CLI's one options table and its plumbing, shared by every command module (src/cli/<command>.ts):
 * the option type (which also generates --help), the options every command has, the run's options
 * (data set, model, schedule, optimiser: `train` takes them all, `study` a subset), the RunConfig they build,
 * and strict number parsing with one-line errors that name the flag and the value.
 * Not here: what a command does with them (its own module), dispatch and --help layout (main.ts).
 */
import { DATASETS, loadDataset } from '../data/datasets';
import { type Points } from '../data/points';
import { DEFAULT_IMPORTANCE_MIX, DEFAULT_RUN, type RunConfig, checkInt } from '../diffusion/config';
import { type TSampling, T_SAMPLINGS, checkTSampling } from '../engine/t-sampling';
import { ACTIVATIONS } from '../engine/model';
import { ALL_SCHEDULES, VARIANCES } from '../schedule/schedule';
import { UsageError } from '../util/errors';
import { readTextChecked } from './fsutil';

export type OptType = 'string' | 'boolean';
export interface Opt {
  name: string;
  type: OptType;
  arg?: string; // placeholder in help
  help: string;
  short?: string;
}
export interface Command {
  summary: string;
  usage: string;
  opts: Opt[];
  /** Lines --help shows between the usage and the options (e.g. what each of `study`'s experiments runs). */
  details?: string[];
  /** The command takes positional arguments (e.g. `study schedules`); they reach run() as `positionals`. */
  positionals?: boolean;
  run(v: Record<string, string | boolean | undefined>, cmd: string, positionals?: string[]): Promise<number>;
}

export type Values = Record<string, string | boolean | undefined>;

export function num(v: Record<string, unknown>, name: string): number | undefined {
  const raw = v[name];
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new UsageError(`--${name} expects a number, got "${raw}"`);
  return Number(s);
}
export function int(v: Record<string, unknown>, name: string, lo: number, hi: number): number | undefined {
  const x = num(v, name);
  return x === undefined ? undefined : checkInt(`--${name}`, x, lo, hi);
}
export function str(v: Record<string, unknown>, name: string): string | undefined {
  const x = v[name];
  return x === undefined ? undefined : String(x);
}


const D = DEFAULT_RUN;

/** Every command has these. */
export const COMMON: Opt[] = [
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
  { name: 'json', type: 'boolean', help: 'print a machine-readable JSON result on stdout' },
  { name: 'quiet', short: 'q', type: 'boolean', help: 'no progress output' },
];


/** The run's configuration as flags: `train` takes them all; other commands pick theirs with runOpts(). */
export const RUN_OPTS: Opt[] = [
  { name: 'dataset', type: 'string', arg: 'NAME|FILE.csv',
    help: `data set: ${Object.keys(DATASETS).join(', ')}, or a CSV with a header row (default ${D.dataset})` },
  { name: 'n-data', type: 'string', arg: 'N|stream',
    help: 'training points generated for a named data set, or stream: every batch drawn fresh from the generator ' +
      `(seeded, resumable; the standardisation is fitted on ${D.nData} points) (default ${D.stream ? 'stream' : D.nData})` },
  { name: 'steps', type: 'string', arg: 'N', help: `optimiser steps (default ${D.steps})` },
  { name: 'batch', type: 'string', arg: 'B', help: `batch size (default ${D.batch})` },
  { name: 'lr', type: 'string', arg: 'X', help: `peak learning rate (default ${D.lr})` },
  { name: 'warmup', type: 'string', arg: 'N', help: `linear warm-up steps (default ${D.warmup})` },
  { name: 'lr-decay', type: 'string', arg: 'cosine|constant', help: `learning-rate decay after warm-up (default ${D.lrDecay})` },
  { name: 'T', type: 'string', arg: 'N', help: `diffusion steps (default ${D.T})` },
  { name: 'schedule', type: 'string', arg: ALL_SCHEDULES.join('|'),
    help: `beta_t schedule; learned: a monotone log-SNR curve trained with the network through the bound (default ${D.schedule})` },
  { name: 'beta-start', type: 'string', arg: 'X', help: 'beta_1 for linear/quadratic/sigmoid (default 1e-4 * 1000/T)' },
  { name: 'beta-end', type: 'string', arg: 'X', help: 'beta_T for linear/quadratic/sigmoid (default 0.02 * 1000/T)' },
  { name: 'variance', type: 'string', arg: [...VARIANCES, 'learned'].join('|'),
    help: 'sigma_t^2 of the reverse step: beta_t, the posterior beta-tilde_t, or learned by the network (one thread) ' +
      `(default ${D.variance})` },
  { name: 'loss', type: 'string', arg: 'hybrid|vlb',
    help: 'objective of --variance learned: L_simple + lambda L_vlb, or L_vlb alone (default hybrid)' },
  { name: 'lambda', type: 'string', arg: 'X', help: 'weight of L_vlb in the hybrid objective (default 0.001)' },
  { name: 'clip-x0', type: 'string', arg: 'X',
    help: 'sampling clamps the predicted x_0 to [-X, X] standardised units; 0 = plain Algorithm 2 (default 1.5 x the data\'s largest)' },
  { name: 'width', type: 'string', arg: 'N', help: `hidden width (default ${D.model.width})` },
  { name: 'depth', type: 'string', arg: 'N', help: `residual blocks (default ${D.model.depth})` },
  { name: 'embed', type: 'string', arg: 'N', help: `sinusoidal embedding size (default ${D.model.embedSize})` },
  { name: 'activation', type: 'string', arg: ACTIVATIONS.join('|'), help: `activation (default ${D.model.activation})` },
  { name: 'no-input-embedding', type: 'boolean', help: 'feed raw coordinates instead of their sinusoidal embedding' },
  { name: 'input-scale', type: 'string', arg: 'X',
    help: 'x (standardised) is multiplied by X before its sinusoidal embedding: larger X, finer detail and more ripple in eps ' +
      `(default ${D.model.inputScale})` },
  { name: 'weight-decay', type: 'string', arg: 'X', help: `AdamW weight decay (default ${D.adam.weightDecay})` },
  { name: 'clip', type: 'string', arg: 'X', help: `global gradient-norm clipping, 0 = off (default ${D.adam.clip})` },
  { name: 'ema', type: 'string', arg: 'X', help: `EMA decay of the weights used for sampling (default ${D.adam.emaDecay})` },
  { name: 't-sampling', type: 'string', arg: T_SAMPLINGS.join('|'),
    help: 'how each batch\'s t are drawn, all for the same objective: uniform (Algorithm 1), stratified (spread evenly over 1..T ' +
      'from one random offset), importance (by the loss\'s second moment, each row weighted by 1/(T p_t); uniform until every t ' +
      'has 10 losses) (default importance; uniform with --variance learned)' },
  { name: 'importance-mix', type: 'string', arg: 'X',
    help: `importance t: the share of uniform probability mixed into p_t, in (0, 1]; every t keeps at least that share of its ` +
      `rows (default ${DEFAULT_IMPORTANCE_MIX}; Nichol & Dhariwal's: 0.001)` },
  { name: 'min-snr', type: 'string', arg: 'G',
    help: 'opt-in, another objective than Algorithm 1\'s: each row\'s squared error weighted by min(SNR_t, G) / SNR_t, ' +
      'SNR_t = abar_t / (1 - abar_t) (min-SNR-gamma, Hang et al. 2023; G = 5 in their paper); 0 = off (default 0)' },
  { name: 'seed', type: 'string', arg: 'S', help: `random seed (default ${D.seed})` },
  { name: 'threads', type: 'string', arg: 'N',
    help: `threads sharing each step; the same seed and thread count give the same bits (default ${D.threads})` },
  { name: 'fma', type: 'boolean',
    help: 'the relaxed-SIMD build (fused multiply-add) where this Node has it: faster steps, but float results that differ from ' +
      'the default build\'s and may differ between machines; --resume keeps it (default off)' },
];

/** The entries of RUN_OPTS with these names, in that order, each optionally with its own help text. */
export function runOpts(...names: (string | [string, string])[]): Opt[] {
  return names.map((n) => {
    const [name, help] = typeof n === 'string' ? [n, undefined] : n;
    const o = RUN_OPTS.find((x) => x.name === name);
    if (!o) throw new Error(`no run option --${name}`);
    return help ? { ...o, help } : o;
  });
}

export function runConfigFrom(v: Record<string, unknown>): RunConfig {
  const c: RunConfig = structuredClone(DEFAULT_RUN);
  c.dataset = str(v, 'dataset') ?? c.dataset;
  if (v['n-data'] === 'stream') c.stream = true;
  else {
    c.nData = int(v, 'n-data', 2, 1e7) ?? c.nData;
    if (v['n-data'] !== undefined) c.stream = false;
  }
  // a CSV is a finite training set: a streamed default does not apply to it (an explicit --n-data stream is refused)
  if (c.dataset.toLowerCase().endsWith('.csv') && v['n-data'] !== 'stream') c.stream = false;
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
  Object.assign(c.model, inputScaleOption(v));
  c.adam.weightDecay = num(v, 'weight-decay') ?? c.adam.weightDecay;
  c.adam.clip = num(v, 'clip') ?? c.adam.clip;
  c.adam.emaDecay = num(v, 'ema') ?? c.adam.emaDecay;
  c.seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? c.seed;
  c.threads = int(v, 'threads', 1, 64) ?? c.threads;
  if (v.fma) c.fma = true;
  Object.assign(c, tSamplingOption(v));
  const mix = num(v, 'importance-mix');
  if (mix !== undefined) c.importanceMix = mix; // a bad value is named by checkRunConfig
  const g = num(v, 'min-snr');
  if (g !== undefined && g !== 0) c.minSnr = g; // a bad value is named by checkRunConfig
  return c;
}

/** --t-sampling when given (unset: the run's default, defaultTSampling). */
export function tSamplingOption(v: Record<string, unknown>): { tSampling?: TSampling } {
  const ts = str(v, 't-sampling');
  return ts === undefined ? {} : { tSampling: checkTSampling(ts) };
}

/** --input-scale when given (unset: the run's default). */
export function inputScaleOption(v: Record<string, unknown>): { inputScale?: number } {
  const x = num(v, 'input-scale');
  return x === undefined ? {} : { inputScale: x };
}

export const readText = (p: string) => readTextChecked(p, 'data file');

/** A data set name or CSV path, in data units. */
export function loadPoints(spec: string, n: number, seed: number): Points {
  return loadDataset(spec, n, seed, readText);
}
