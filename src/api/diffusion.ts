/**
 * The library's front door: a trained-or-training diffusion model on a point set, in data units.
 * The CLI, the browser worker and embedders all go through this class; it owns the standardisation
 * (data are trained on zero-mean, unit-variance coordinates and samples are mapped back) and the loss history.
 *
 *   const d = await createDiffusion({ dataset: 'moons', T: 100 });
 *   await d.train({ steps: 3000, onProgress: (p) => console.log(p.step, p.loss) });
 *   const pts = d.sample(1000);            // { data: Float32Array, n, d } in data units
 */
import { type LoadedCheckpoint, decodeCheckpoint, encodeCheckpoint, engineFromCheckpoint, lossHistory } from '../io/checkpoint';
import { DEFAULT_RUN, type RunConfig, checkRunConfig } from '../diffusion/config';
import { DATASETS, type Points, type Standardization, fitStandardization, getDataset, standardize, unstandardize } from '../data/datasets';
import { Rng } from '../util/rng';
import { Engine, STREAM_SAMPLE } from '../engine/engine';
import { UsageError } from '../util/errors';
import { reverseSample } from '../diffusion/samplers';
import { learnedTrainStep } from '../diffusion/learned-variance';
import { ScheduleLearner } from '../diffusion/learned-schedule';
import { type Schedule, type VarianceName, makeSchedule } from '../schedule/schedule';
import { type TrainOptions, train } from '../diffusion/train';
import type { WasmSource } from '../engine/wasm';

export interface DiffusionOptions extends Partial<Omit<RunConfig, 'model' | 'adam'>> {
  model?: Partial<RunConfig['model']>;
  adam?: Partial<RunConfig['adam']>;
  /** Training points in data units (overrides `dataset`, which then only names them). */
  data?: Points;
  /** Kernels: URL, bytes or module; default the embedded build. */
  wasm?: WasmSource;
  flavor?: 'simd' | 'scalar';
  /** Rows per sampling chunk (default 1024, at least the batch). */
  sampleRows?: number;
}

export interface LoadOptions {
  source?: string;
  data?: Points;
  dataFor?: (config: RunConfig) => Points;
  wasm?: WasmSource;
  flavor?: 'simd' | 'scalar';
  sampleRows?: number;
  /** Threads for this session (default: the checkpoint's); training on with another count is not bit-identical. */
  threads?: number;
  /** The relaxed-SIMD (FMA) build for this session (default: the checkpoint's; see RunConfig.fma). */
  fma?: boolean;
}

/** The run's hooks (see TrainOptions in train.ts); `steps` trains until that many total steps (default: the configured steps). */
export type TrainCallOptions = Partial<Pick<TrainOptions, 'steps' | 'onProgress' | 'progressEvery' | 'onCheckpoint' | 'checkpointEvery' | 'signal' | 'yieldEvery'>>;

export interface SampleOptions {
  variance?: VarianceName;
  /** Bound on the predicted x_0 (standardised units; 0 = plain Algorithm 2). Default: the model's. */
  clipX0?: number;
  /** Record positions after every reverse step (T+1 frames of n x d, data units), for trajectory plots. */
  record?: boolean;
  onChunk?: (done: number) => void;
}

export interface SampleResult {
  points: Points;
  /** frames[j] is x at table index T - j (frames[0] = x_T, frames[T] = x_0), when recorded. */
  frames?: Float32Array[];
}

function mergeConfig(o: DiffusionOptions): RunConfig {
  const { data: _d, wasm: _w, flavor: _f, sampleRows: _s, model, adam, ...rest } = o;
  const c: RunConfig = { ...DEFAULT_RUN, ...rest, model: { ...DEFAULT_RUN.model, ...model }, adam: { ...DEFAULT_RUN.adam, ...adam } };
  // A learned variance is a wider output layer (v per coordinate) and its own objective, single-threaded
  // (its loss is computed on the host from the whole batch's outputs).
  if (c.model.learnSigma && c.variance !== 'learned') c.variance = 'learned';
  if (c.variance === 'learned') {
    c.model = { ...c.model, learnSigma: true };
    c.loss ??= 'hybrid';
    c.lambda ??= 0.001;
    c.threads = 1;
  }
  return c;
}

export class Diffusion {
  losses: Float32Array;
  private constructor(
    readonly config: RunConfig,
    readonly engine: Engine,
    readonly standardization: Standardization,
    /** Training points in data units (empty for a model loaded for sampling only). */
    readonly trainData: Points,
    losses?: Float32Array,
    /** With `--schedule learned`: the schedule's parameters, trained alongside the network. */
    readonly scheduleLearner?: ScheduleLearner,
  ) {
    this.losses = losses ?? new Float32Array(0);
  }

  get schedule(): Schedule {
    return this.engine.schedule;
  }
  get step(): number {
    return this.engine.step;
  }

  /** Release the worker threads, if any (the model stays usable on one thread). */
  close(): void {
    this.engine.close();
  }

  static async create(o: DiffusionOptions = {}): Promise<Diffusion> {
    const config = mergeConfig(o);
    let data = o.data;
    // Points handed in are the training set: they stream only when asked to (the CLI does for named data sets).
    if (data && o.stream === undefined) config.stream = false;
    if (data) {
      config.model = { ...config.model, dim: data.d };
      config.nData = data.n;
    }
    checkRunConfig(config);
    if (!data) data = getDataset(config.dataset, config.nData, config.seed);
    config.model = { ...config.model, dim: data.d };
    const standardization = fitStandardization(data);
    const z = standardize(data, standardization);
    if (config.clipX0 === undefined) config.clipX0 = autoClipX0(z);
    const learner = config.schedule === 'learned' ? new ScheduleLearner(config.T, fixedVariance(config), config.steps, { betaStart: config.betaStart, betaEnd: config.betaEnd }) : undefined;
    const schedule = learner?.schedule ?? makeSchedule(config.schedule, config.T, { betaStart: config.betaStart, betaEnd: config.betaEnd });
    const rows = Math.max(config.batch, o.sampleRows ?? 1024);
    const engine = await Engine.create({
      model: config.model, schedule, rows, seed: config.seed, adam: config.adam,
      data: z.data, wasm: o.wasm, flavor: o.flavor, threads: config.threads, fma: config.fma, tSampling: config.tSampling,
    });
    if (config.stream) engine.streamBatch = streamFrom(config, standardization);
    return new Diffusion(config, engine, standardization, data, undefined, learner);
  }

  /**
   * A model file or a training checkpoint. With training data (data units; `data`, or `dataFor` given the
   * checkpoint's configuration), training can go on from where it stopped (`train --resume`).
   */
  static async load(bytes: Uint8Array, o: LoadOptions = {}): Promise<Diffusion> {
    const c: LoadedCheckpoint = decodeCheckpoint(bytes, o.source ?? 'checkpoint');
    const rows = Math.max(c.config.batch, o.sampleRows ?? 1024);
    const data = o.data ?? o.dataFor?.(c.config);
    if (data && data.d !== c.config.model.dim) throw new UsageError(`data have ${data.d} columns but the model was trained on ${c.config.model.dim}`);
    const threads = o.threads ?? c.config.threads ?? 1;
    const engine = await engineFromCheckpoint(c, { rows, data: data ? standardize(data, c.standardization).data : undefined, wasm: o.wasm, flavor: o.flavor, threads, fma: o.fma ?? c.config.fma });
    // The checkpoint's betas are the schedule as it was; its learner state lets training move it on.
    const learner = c.learnedSchedule && new ScheduleLearner(c.config.T, fixedVariance(c.config), c.config.steps, { state: c.learnedSchedule });
    if (c.config.stream) engine.streamBatch = streamFrom(c.config, c.standardization);
    return new Diffusion(c.config, engine, c.standardization, data ?? { data: new Float32Array(0), n: 0, d: c.config.model.dim }, lossHistory(c).slice(), learner);
  }

  /** Train (Algorithm 1) until `steps` total steps; appends to `losses`. */
  async train(o: TrainCallOptions = {}): Promise<Float32Array> {
    const c = this.config;
    const steps = o.steps ?? c.steps;
    const before = this.losses;
    const withHistory = (fresh: Float32Array) => {
      const all = new Float32Array(before.length + fresh.length);
      all.set(before);
      all.set(fresh, before.length);
      return all;
    };
    // A periodic checkpoint must hold the loss history up to its step, or a run killed after it and resumed
    // would lose the history before the kill.
    const onCheckpoint = o.onCheckpoint && (async (step: number, sofar: Float32Array) => {
      this.losses = withHistory(sofar);
      await o.onCheckpoint!(step, sofar);
    });
    const e = this.engine, learner = this.scheduleLearner, objective = { loss: c.loss ?? 'hybrid', lambda: c.lambda ?? 0.001 };
    const fresh = await train(e, {
      steps, batch: c.batch, lr: c.lr, warmup: c.warmup, lrDecay: c.lrDecay,
      step: c.variance === 'learned' ? (lr, n) => learnedTrainStep(e, lr, n, objective) : undefined,
      afterStep: learner ? () => learner.afterStep(e, c.batch) : undefined,
      onProgress: o.onProgress, progressEvery: o.progressEvery, onCheckpoint,
      checkpointEvery: o.checkpointEvery, signal: o.signal, yieldEvery: o.yieldEvery,
    });
    this.losses = withHistory(fresh);
    return fresh;
  }

  /** Algorithm 2: n new points in data units (EMA weights). */
  sample(n: number, o: SampleOptions = {}): SampleResult {
    if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new UsageError(`number of samples must be an integer in [1, 10000000], got ${n}`);
    const d = this.config.model.dim, T = this.schedule.T, clip = o.clipX0 ?? this.config.clipX0;
    let frames: Float32Array[] | undefined;
    if (o.record) frames = Array.from({ length: T + 1 }, () => new Float32Array(n * d));
    if (this.config.variance === 'learned' && o.variance) throw new UsageError(`this model learned its variance; --variance ${o.variance} does not apply`);
    const onStep = frames ? (i: number, x: Float32Array, off: number) => frames![T - i].set(x, off * d) : undefined;
    // A learned variance adds its own per-element noise: the lab's sampler (Algorithm 2 with Sigma_theta).
    const raw = this.config.variance === 'learned'
      ? reverseSample(this.engine, n, { sampler: 'ddpm', clip, onChunk: o.onChunk, onStep: onStep && ((t, x, off) => onStep(t, x, off)) })
      : this.engine.sample(n, { variance: o.variance ?? this.config.variance, clip, onChunk: o.onChunk, onStep });
    const toData = (x: Float32Array) => unstandardize({ data: x, n: x.length / d, d }, this.standardization);
    return { points: toData(raw), frames: frames?.map((f) => toData(f).data) };
  }

  /** The forward process q(x_t | x_0) applied to `x0` (data units) at each t in `ts` (1..T). */
  diffuse(x0: Points, ts: number[]): Points[] {
    const z = standardize(x0, this.standardization);
    return ts.map((t) => {
      if (!Number.isInteger(t) || t < 1 || t > this.schedule.T) throw new UsageError(`t must be in [1, ${this.schedule.T}], got ${t}`);
      return unstandardize({ data: this.engine.diffuse(z.data, t - 1), n: x0.n, d: x0.d }, this.standardization);
    });
  }

  /** Restart the sampling stream from `seed` (sampling is then reproducible whatever ran before). */
  reseedSampling(seed: number): void {
    this.engine.k.rngSeed(this.engine.arena.ptr('rng', 'sample'), BigInt(seed), STREAM_SAMPLE);
  }

  /** A safetensors model file (EMA weights), or with `withTraining` a checkpoint `train --resume` continues from. */
  save(withTraining = false): Uint8Array {
    const meta = { config: this.config, standardization: this.standardization, step: this.engine.step, learnedSchedule: this.scheduleLearner?.state() };
    return encodeCheckpoint(this.engine, meta, withTraining, withTraining ? this.losses : undefined);
  }
}

/**
 * Streamed batches: the named data set's generator on stream (seed, 1 + step), standardised like the training set.
 * Stream 0 of `seed` is the training set itself and fresh data for eval use other seeds, so no streamed batch
 * repeats either; a function of (n, step) only, so a resumed run draws the same batches as an uninterrupted one.
 */
function streamFrom(c: RunConfig, st: Standardization): (n: number, step: number) => Float32Array {
  const gen = Object.hasOwn(DATASETS, c.dataset) ? DATASETS[c.dataset].generate : undefined;
  if (!gen) throw new UsageError(`--n-data stream needs a named data set, got ${c.dataset}`);
  return (n, step) => standardize(gen(n, new Rng(c.seed, 1 + step)), st).data;
}

/**
 * Default bound on the predicted x_0: half again the largest standardised coordinate of the training data,
 * so the clamp never touches a point inside the data's range and only stops trajectories that run away.
 */
export function autoClipX0(z: Points): number {
  let m = 0;
  for (let i = 0; i < z.data.length; i++) m = Math.max(m, Math.abs(z.data[i]));
  return Math.max(1, Math.round(1.5 * m * 100) / 100);
}

/** The fixed variance a run's bound is computed with (a learned variance has none; the learned schedule refuses it). */
function fixedVariance(c: RunConfig): VarianceName {
  return c.variance === 'learned' ? 'posterior' : c.variance;
}

export function createDiffusion(o: DiffusionOptions = {}): Promise<Diffusion> {
  return Diffusion.create(o);
}
