/**
 * One run's whole configuration, its defaults and its validation. Everything a checkpoint needs to
 * rebuild the engine lives here, so `__metadata__.config` is this object as JSON.
 */
import { DEFAULT_ADAM, type AdamConfig, type Engine } from '../engine/engine';
import { type TSampling, checkTSampling } from '../engine/t-sampling';
import type { Standardization } from '../data/points';
import { UsageError } from '../util/errors';
import { DEFAULT_MODEL, type ModelConfig, checkModelConfig } from '../engine/model';
import { ALL_SCHEDULES, type Schedule, VARIANCES, type ScheduleName, type VarianceName } from '../schedule/schedule';

/** One run's whole configuration: data, model, schedule, training, seed, threads (a checkpoint keeps it as JSON). */
export interface RunConfig {
  dataset: string; // a data set name or a CSV path
  nData: number; // points generated for a named data set (with `stream`: the set the standardisation is fitted on)
  /**
   * Streamed training data (a named data set only): every batch is drawn fresh from the generator, on a stream of
   * its own per step (seed, 1 + step), so no point is seen twice and a resumed run draws the same batches.
   * Unset in checkpoints written before it existed: a finite training set.
   */
  stream?: boolean;
  model: ModelConfig;
  schedule: ScheduleName;
  T: number;
  betaStart?: number;
  betaEnd?: number;
  /**
   * sigma_t^2 of the reverse process: beta_t, beta-tilde_t, or 'learned' (the network also outputs v and
   * Sigma = exp(v log beta_t + (1 - v) log beta-tilde_t); Nichol & Dhariwal 2021), trained on `loss`.
   */
  variance: VarianceName | 'learned';
  /** Objective of a learned variance: L_simple + lambda L_vlb ('hybrid', the default) or L_vlb alone. */
  loss?: 'hybrid' | 'vlb';
  /** Weight of L_vlb in the hybrid objective (default 0.001, Nichol & Dhariwal). */
  lambda?: number;
  /** Sampling clamps the predicted x_0 to [-clipX0, clipX0] (standardised units); 0 = plain Algorithm 2; unset = from the data. */
  clipX0?: number;
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  lrDecay: 'cosine' | 'constant';
  adam: AdamConfig;
  seed: number;
  /**
   * Threads sharing each step. Part of the configuration because float sums depend on how the batch is split:
   * the same seed and thread count give the same bits anywhere, and --resume keeps the count.
   */
  threads: number;
  /**
   * The relaxed-SIMD build (fused multiply-add in the matmuls) where the runtime has it, else the default build
   * (Engine.fma says which ran). Faster, but its float results differ from the default build's and may differ between
   * machines; part of the configuration so that --resume keeps it. Unset: the default build.
   */
  fma?: boolean;
  /**
   * How each batch's t are drawn: 'uniform' (Algorithm 1), 'stratified' (spread evenly over 1..T) or 'importance'
   * (by the loss's second moment, weighted back to the uniform objective); all three estimate the same objective
   * (src/engine/t-sampling.ts). Unset: a new run takes defaultTSampling (createDiffusion writes it into the
   * configuration it keeps); a model file without the field was trained with uniform t.
   */
  tSampling?: TSampling;
  /**
   * 'importance': the share of uniform probability mixed into p_t, in (0, 1]; every t keeps at least that share of its
   * uniform rows, and no weight exceeds 1 / mix. Unset: a new importance run takes DEFAULT_IMPORTANCE_MIX (createDiffusion
   * writes it into the configuration); a model file without the field was trained with Nichol & Dhariwal's 0.001.
   */
  importanceMix?: number;
  /**
   * Min-SNR-gamma loss weighting (Hang et al. 2023), opt-in: it changes the objective from Algorithm 1's (each row's
   * error weighted by min(SNR_t, gamma) / SNR_t). Unset or 0: off.
   */
  minSnr?: number;
}

/**
 * How a new run draws t unless told: importance sampling for Algorithm 1's objective, measured better over 15 models
 * with the same training time (docs/quality.md); uniform with a learned variance, whose hybrid objective is not the
 * one the importance weights keep unbiased.
 */
export function defaultTSampling(variance: RunConfig['variance']): TSampling {
  return variance === 'learned' ? 'uniform' : 'importance';
}

/**
 * The share of uniform probability a new importance run mixes into p_t unless told (RunConfig.importanceMix): 0.3
 * against Nichol & Dhariwal's 0.001 brings the exact Gaussian NLL within 0.03 nats of the truth on 3 of 3 seeds (0.04-0.07
 * with 0.001) and lowers the probability-flow ODE's z by 1.5 ± 0.5, with the ancestral z unchanged within its noise
 * (+0.17 ± 0.35 over 9 models; docs/quality.md).
 */
export const DEFAULT_IMPORTANCE_MIX = 0.3;

/** Defaults chosen so `train` with no flags finishes in about a minute on 2 cores and passes the quality bar (docs/sample-quality.md). */
export const DEFAULT_RUN: RunConfig = {
  dataset: 'swissroll',
  nData: 10000,
  // Streamed data, batch 384 and EMA 0.999: measured over 3 seeds x swissroll, moons, cross with the two-sample
  // test at 20,000 points (docs/sample-quality.md); a step costs 1.5x one of batch 256.
  stream: true,
  // The input embedding's scale 10 with importance-sampled t (defaultTSampling), measured together: z lower by
  // 0.80 ± 0.30 over 9 models and the exact Gaussian NLL closer to the truth on 3 of 3 (docs/quality.md).
  model: { ...DEFAULT_MODEL, inputScale: 10 },
  schedule: 'linear',
  // T = 500: z lower by 1.61 ± 0.26 over 9 models than T = 200, every one at z <= 3, at the same training time;
  // Algorithm 2's sampling costs 2.5x T = 200's (docs/quality.md), the few-step samplers do not (docs/samplers.md).
  T: 500,
  variance: 'beta',
  // 9,500 steps: T = 500 has more distinct t per batch than T = 200 (about 270 against 170 of 384 rows), and the
  // first layer's t-columns cost a product per distinct t; 9,500 steps keep the training time of 10,000 at T = 200
  // (z +0.26 ± 0.21 against 10,000, within the noise: docs/quality.md).
  steps: 9500,
  batch: 384,
  lr: 2e-3,
  warmup: 200,
  lrDecay: 'cosine',
  adam: { ...DEFAULT_ADAM, emaDecay: 0.999 },
  seed: 0,
  threads: 2,
};

/** Integer in [lo, hi] or a one-line UsageError naming the flag and the value. */
export function checkInt(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new UsageError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

/** Finite number in (lo, hi] (or [lo, hi] when `closedLow`). */
export function checkNumber(name: string, v: number, lo: number, hi: number, closedLow = false): number {
  const okLow = closedLow ? v >= lo : v > lo;
  if (!Number.isFinite(v) || !okLow || v > hi) {
    throw new UsageError(`${name} must be a number in ${closedLow ? '[' : '('}${lo}, ${hi}], got ${v}`);
  }
  return v;
}

export function checkRunConfig(c: RunConfig): void {
  checkModelConfig(c.model);
  if (!ALL_SCHEDULES.includes(c.schedule)) {
    throw new UsageError(`unknown schedule "${c.schedule}"; choose one of ${ALL_SCHEDULES.join(', ')}`);
  }
  const variances = [...VARIANCES, 'learned'];
  if (!variances.includes(c.variance)) throw new UsageError(`unknown variance "${c.variance}"; choose one of ${variances.join(', ')}`);
  if (c.loss !== undefined && c.loss !== 'hybrid' && c.loss !== 'vlb') {
    throw new UsageError(`unknown loss "${c.loss}"; choose hybrid or vlb`);
  }
  if (c.loss !== undefined && c.variance !== 'learned') {
    throw new UsageError(`--loss ${c.loss} trains a learned variance: add --variance learned`);
  }
  if (c.lambda !== undefined) checkNumber('--lambda', c.lambda, 0, 1e6, true);
  if (c.variance === 'learned' && c.schedule === 'learned') {
    throw new UsageError('--variance learned and --schedule learned cannot be combined: pick one to learn');
  }
  if (c.variance === 'learned' !== !!c.model.learnSigma) {
    throw new UsageError(
      `--variance learned and the model's learnSigma go together (variance ${c.variance}, learnSigma ${!!c.model.learnSigma})`,
    );
  }
  checkInt('--T', c.T, 1, 100000);
  if (c.schedule === 'learned' && c.T < 2) throw new UsageError(`--schedule learned needs --T of at least 2, got ${c.T}`);
  checkInt('--steps', c.steps, 1, 1e9);
  checkInt('--batch', c.batch, 1, 65536);
  checkInt('--n-data', c.nData, 2, 1e7);
  if (c.stream && c.dataset.toLowerCase().endsWith('.csv')) {
    throw new UsageError(
      `--n-data stream draws batches from a named data set's generator; ${c.dataset} is a finite training set ` +
        '(give --n-data N or leave it out)',
    );
  }
  checkNumber('--lr', c.lr, 0, 10);
  checkInt('--warmup', c.warmup, 0, 1e9);
  if (c.lrDecay !== 'cosine' && c.lrDecay !== 'constant') {
    throw new UsageError(`unknown lr decay "${c.lrDecay}"; choose cosine or constant`);
  }
  checkNumber('--weight-decay', c.adam.weightDecay, 0, 1, true);
  checkNumber('--clip', c.adam.clip, 0, 1e6, true);
  checkNumber('--ema', c.adam.emaDecay, 0, 1, true);
  if (c.adam.emaDecay >= 1) throw new UsageError(`--ema must be below 1, got ${c.adam.emaDecay}`);
  checkInt('--seed', c.seed, 0, Number.MAX_SAFE_INTEGER);
  checkInt('--threads', c.threads, 1, 64);
  if (c.clipX0 !== undefined) checkNumber('--clip-x0', c.clipX0, 0, 1e6, true);
  if (c.tSampling !== undefined) checkTSampling(c.tSampling);
  if (c.tSampling === 'importance' && c.variance === 'learned') {
    throw new UsageError(
      '--t-sampling importance weights the L_simple step; --variance learned trains its own objective: use uniform or stratified',
    );
  }
  if (c.importanceMix !== undefined) {
    if (!(c.importanceMix > 0 && c.importanceMix <= 1)) throw new UsageError(`--importance-mix must be in (0, 1], got ${c.importanceMix}`);
    if (c.tSampling !== undefined && c.tSampling !== 'importance') {
      throw new UsageError(`--importance-mix applies to --t-sampling importance, not ${c.tSampling}`);
    }
  }
  if (c.minSnr !== undefined) {
    checkNumber('--min-snr', c.minSnr, 0, 1e6, true);
    if (c.minSnr > 0 && c.variance === 'learned') {
      throw new UsageError('--min-snr weights the L_simple step; --variance learned trains its own objective');
    }
  }
  if (c.betaStart !== undefined && !(c.betaStart > 0 && c.betaStart < 1)) {
    throw new UsageError(`--beta-start must be in (0, 1), got ${c.betaStart}`);
  }
  if (c.betaEnd !== undefined && !(c.betaEnd > 0 && c.betaEnd < 1)) throw new UsageError(`--beta-end must be in (0, 1), got ${c.betaEnd}`);
}

/**
 * What the samplers and the bound read of a trained model. The library's Diffusion class (src/api/) is one;
 * a structural type keeps diffusion/ from importing the layer above it.
 */
export interface TrainedModel {
  readonly config: RunConfig;
  readonly engine: Engine;
  readonly standardization: Standardization;
  readonly schedule: Schedule;
}
