/**
 * The library's front door: a trained-or-training diffusion model on a point set, in data units.
 * The CLI, the browser worker, the reports and the lab all go through this class; it owns the standardisation
 * (data are trained on zero-mean, unit-variance coordinates and samples are mapped back), the loss history, and the
 * one way to sample (every sampler of SAMPLERS behind `sample`).
 *
 *   const d = await createDiffusion({ dataset: 'moons', T: 100 });
 *   await d.train({ steps: 3000, onProgress: (p) => console.log(p.step, p.loss) });
 *   const { points } = d.sample(1000);                          // Algorithm 2; { data: Float32Array, n, d }
 *   const fast = d.sample(1000, { sampler: 'ddim', steps: 20 });
 *   const { nats } = d.nll(points);                             // exact, through the probability-flow ODE
 */
import { type LoadedCheckpoint, decodeCheckpoint, encodeCheckpoint, engineFromCheckpoint, lossHistory } from '../io/checkpoint';
import { DEFAULT_IMPORTANCE_MIX, DEFAULT_RUN, type RunConfig, checkRunConfig, defaultTSampling } from '../diffusion/config';
import { DATASETS, getDataset } from '../data/datasets';
import { type Points, type Standardization, fitStandardization, logDetJacobian, standardize, unstandardize } from '../data/points';
import { Rng } from '../util/rng';
import { Engine, STREAM_SAMPLE } from '../engine/engine';
import { UsageError } from '../util/errors';
import { SAMPLERS, type SamplerName, reverseSample } from '../diffusion/samplers';
import { type CoarseName, type GridName, SOLVERS } from '../diffusion/solvers';
import { type NllOptions, type NllResult, engineEpsVjp, probabilityFlowNll } from '../diffusion/likelihood';
import { type VlbResult, engineEps, variationalBound } from '../diffusion/bound';
import { learnedTrainStep } from '../diffusion/learned-variance';
import { ScheduleLearner } from '../diffusion/learned-schedule';
import { type Schedule, type VarianceName, makeSchedule } from '../schedule/schedule';
import { type TrainOptions, train } from '../diffusion/train';
import { checkInt } from '../diffusion/config';
import type { WasmSource } from '../engine/wasm';

/** What createDiffusion takes: any RunConfig field (defaults: DEFAULT_RUN), training points, and where the kernels come from. */
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

/** What Diffusion.load takes besides the file: training data to go on training, kernels, threads. */
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
export type TrainCallOptions = Partial<
  Pick<TrainOptions, 'steps' | 'onProgress' | 'progressEvery' | 'onCheckpoint' | 'checkpointEvery' | 'signal' | 'yieldEvery'>
>;

/** The one way to sample: which sampler, how many steps, its noise, its start, and whether to record the paths. */
export interface SampleOptions {
  /**
   * 'ddpm' (default): ancestral sampling, Algorithm 2 (with `steps` < T the respaced chain); 'ddim': Song et al. 2021;
   * 'ode': the probability-flow ODE, deterministic given x_T; the few-step solvers 'dpm2m', 'dpm3m', 'dpm2m-sde', 'hybrid',
   * 'churn' (src/diffusion/solvers.ts). See SAMPLERS.
   */
  sampler?: SamplerName;
  /** K steps, evenly spaced over 1..T (default T; a solver: its own grid and its own few steps). */
  steps?: number;
  /** ddim only: 0 = deterministic given x_T (default), 1 = ancestral noise. */
  eta?: number;
  /** ddpm and hybrid (its Algorithm 2 steps) only: sigma_t^2 = beta_t or beta-tilde_t ('posterior'). Default: the model's. */
  variance?: VarianceName;
  /** The few-step solvers (dpm2m, dpm3m, dpm2m-sde, hybrid, churn; src/diffusion/solvers.ts): time grid (default logsnr). */
  grid?: GridName;
  /**
   * hybrid only: the timestep where Algorithm 2 takes over (default T / 20 up to 10), Algorithm 2's steps from there (default
   * min(split, 15); fewer than split: the respaced chain) and the solver before it (default dpm2m-sde).
   */
  split?: number;
  tail?: number;
  coarse?: CoarseName;
  /** churn only: EDM's S_churn (default 5). */
  churn?: number;
  /** Bound on the predicted x_0 (standardised units; 0 = plain Algorithm 2). Default: the model's. */
  clipX0?: number;
  /** The chain's start x_T, n x d in the model's standardised coordinates (where x_T ~ N(0, I)); default: drawn. */
  xT?: Float32Array;
  /** Record the positions after every step: frames[j] after the j-th step (frames[0] = x_T), data units. */
  record?: boolean;
  /** Called after each chunk of points with the number done. */
  onChunk?: (done: number) => void;
}

/** Samples in data units, and with `record` every step's positions and timesteps. */
export interface SampleResult {
  /** n new points, data units. */
  points: Points;
  /** With `record`: frames[j] = positions after the j-th step (frames[0] = x_T, the last = points), n x d each. */
  frames?: Float32Array[];
  /** With `record`: times[j] = the timestep frames[j] sits at (T for x_T, 0 for the data). */
  times?: number[];
}

/** Options of Diffusion.nll: the ODE's grid, exact or Hutchinson divergence, progress. */
export type NllCallOptions = Omit<NllOptions, 'logDet'>;

/** Options of Diffusion.bound: sigma_t^2 of the reverse process (default the model's), the seed of the x_t draws, progress. */
export interface BoundOptions {
  variance?: VarianceName;
  seed?: number;
  onT?: (done: number) => void;
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
  c.tSampling ??= defaultTSampling(c.variance);
  if (c.tSampling === 'importance') c.importanceMix ??= DEFAULT_IMPORTANCE_MIX;
  return c;
}

/**
 * A diffusion model on a point set, in data units: train it (Algorithm 1), sample it (`sample`, every sampler),
 * score points (`nll`, `bound`), move the forward process (`diffuse`), save and load it.
 */
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
    const learner = config.schedule === 'learned'
      ? new ScheduleLearner(config.T, fixedVariance(config), config.steps, { betaStart: config.betaStart, betaEnd: config.betaEnd })
      : undefined;
    const schedule = learner?.schedule ?? makeSchedule(config.schedule, config.T, { betaStart: config.betaStart, betaEnd: config.betaEnd });
    const rows = Math.max(config.batch, o.sampleRows ?? 1024);
    const engine = await Engine.create({
      model: config.model, schedule, rows, seed: config.seed, adam: config.adam,
      data: z.data, wasm: o.wasm, flavor: o.flavor, threads: config.threads, fma: config.fma, tSampling: config.tSampling,
      importanceMix: config.importanceMix, minSnr: config.minSnr,
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
    if (data && data.d !== c.config.model.dim) {
      throw new UsageError(`data have ${data.d} columns but the model was trained on ${c.config.model.dim}`);
    }
    const threads = o.threads ?? c.config.threads ?? 1;
    const engine = await engineFromCheckpoint(c, {
      rows, data: data ? standardize(data, c.standardization).data : undefined, wasm: o.wasm, flavor: o.flavor, threads,
      fma: o.fma ?? c.config.fma,
    });
    // The checkpoint's betas are the schedule as it was; its learner state lets training move it on.
    const learner = c.learnedSchedule &&
      new ScheduleLearner(c.config.T, fixedVariance(c.config), c.config.steps, { state: c.learnedSchedule });
    if (c.config.stream) engine.streamBatch = streamFrom(c.config, c.standardization);
    return new Diffusion(c.config, engine, c.standardization, data ?? { data: new Float32Array(0), n: 0, d: c.config.model.dim },
      lossHistory(c).slice(), learner);
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

  /**
   * n new points in data units (EMA weights) from the chosen sampler. Algorithm 2 at all T steps runs on every thread
   * of the model; the others on one. Random numbers come from the sampling stream (reseedSampling restarts it), so
   * the same seed, sampler and thread count give the same bits.
   */
  sample(n: number, o: SampleOptions = {}): SampleResult {
    if (!Number.isInteger(n) || n < 1 || n > 10_000_000) {
      throw new UsageError(`number of samples must be an integer in [1, 10000000], got ${n}`);
    }
    const d = this.config.model.dim, T = this.schedule.T, learned = this.config.variance === 'learned';
    const sampler = o.sampler ?? 'ddpm';
    if (!(SAMPLERS as readonly string[]).includes(sampler)) {
      throw new UsageError(`unknown sampler "${sampler}"; choose one of ${SAMPLERS.join(', ')}`);
    }
    const solver = (SOLVERS as readonly string[]).includes(sampler);
    // A solver's default steps are its own (a few), not T.
    const steps = o.steps === undefined ? (solver ? undefined : T) : checkInt('--steps', o.steps, 1, T);
    if (o.eta !== undefined && sampler !== 'ddim') throw new UsageError(`--eta is a ddim option (sampler ${sampler}): add --sampler ddim`);
    if (o.eta !== undefined && !(o.eta >= 0 && o.eta <= 1)) throw new UsageError(`--eta must be in [0, 1], got ${o.eta}`);
    if (o.variance !== undefined && sampler !== 'ddpm' && sampler !== 'hybrid') {
      throw new UsageError(`--variance applies to ddpm and hybrid: ${sampler} sets its own noise`);
    }
    if (!solver) for (const k of ['grid', 'split', 'tail', 'coarse', 'churn'] as const) {
      if (o[k] !== undefined) throw new UsageError(`--${k} is an option of the solvers (${SOLVERS.join(', ')}), not ${sampler}`);
    }
    if (learned && o.variance) throw new UsageError(`this model learned its variance; --variance ${o.variance} does not apply`);
    if (o.xT && o.xT.length !== n * d) throw new UsageError(`xT has ${o.xT.length} values, expected ${n} x ${d} = ${n * d}`);
    const clip = o.clipX0 ?? this.config.clipX0 ?? 0;
    const variance = learned ? undefined : o.variance ?? fixedVariance(this.config);
    // Every chunk starts again at x_T: frame j of a chunk lands at rows [off, off + chunk) of frames[j].
    let frames: Float32Array[] | undefined, times: number[] | undefined, j = 0;
    if (o.record) (frames = []), (times = []);
    const onStep = frames && ((t: number, x: Float32Array, off: number) => {
      if (t === T) j = 0;
      if (!frames![j]) (frames![j] = new Float32Array(n * d)), times!.push(t);
      frames![j++].set(x, off * d);
    });
    // Algorithm 2 at full T from drawn starts is the engine's threaded loop; every other call the samplers' (one thread).
    const raw = sampler === 'ddpm' && steps === T && !learned && !o.xT
      ? this.engine.sample(n, { variance: variance!, clip, onChunk: o.onChunk, onStep })
      : reverseSample(this.engine, n, {
        sampler, steps, eta: o.eta, variance, clip, xT: o.xT, onStep, onChunk: o.onChunk, grid: o.grid, split: o.split, tail: o.tail,
        coarse: o.coarse, churn: o.churn,
      });
    const toData = (x: Float32Array) => unstandardize({ data: x, n: x.length / d, d }, this.standardization);
    return { points: toData(raw), frames: frames?.map((f) => toData(f).data), times };
  }

  /**
   * The exact negative log-likelihood of `points` (data units) under the probability-flow ODE (Song et al. 2021b):
   * nats per point, with its standard error and per-point values (docs/math.md).
   */
  nll(points: Points, o: NllCallOptions = {}): NllResult {
    this.checkColumns(points);
    const z = standardize(points, this.standardization);
    return probabilityFlowNll(engineEpsVjp(this.engine), z.data, points.d, this.schedule,
      { ...o, logDet: logDetJacobian(this.standardization) });
  }

  /** The variational bound L_vlb = L_0 + sum L_{t-1} + L_T of `points` (data units), nats per point, with its terms. */
  bound(points: Points, o: BoundOptions = {}): VlbResult {
    this.checkColumns(points);
    const z = standardize(points, this.standardization);
    return variationalBound(engineEps(this.engine), z.data, points.d, this.schedule, {
      variance: o.variance ?? fixedVariance(this.config), seed: o.seed, logDet: logDetJacobian(this.standardization), onT: o.onT,
    });
  }

  private checkColumns(points: Points): void {
    if (points.d !== this.config.model.dim) {
      throw new UsageError(`points have ${points.d} columns but the model was trained on ${this.config.model.dim}`);
    }
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
    const meta = {
      config: this.config, standardization: this.standardization, step: this.engine.step, learnedSchedule: this.scheduleLearner?.state(),
    };
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
function autoClipX0(z: Points): number {
  let m = 0;
  for (let i = 0; i < z.data.length; i++) m = Math.max(m, Math.abs(z.data[i]));
  return Math.max(1, Math.round(1.5 * m * 100) / 100);
}

/** The fixed variance a run's bound is computed with (a learned variance has none; the learned schedule refuses it). */
function fixedVariance(c: RunConfig): VarianceName {
  return c.variance === 'learned' ? 'posterior' : c.variance;
}

/** A new, untrained model (Diffusion.create): `await createDiffusion({ dataset: 'moons' })`, then `train()`. */
export function createDiffusion(o: DiffusionOptions = {}): Promise<Diffusion> {
  return Diffusion.create(o);
}
