/**
 * Reverse samplers over an Engine: DDPM ancestral sampling (Ho et al. Algorithm 2) and DDIM (Song et al. 2021,
 * eq. 12) on a subsequence tau_1 < ... < tau_K = T of the timesteps, with eta interpolating between the
 * deterministic DDIM (eta = 0) and DDPM-like noise (eta = 1, which for K = T is DDPM with sigma^2 = beta-tilde_t).
 * Unlike Engine.sample, the start x_T can be given (the same x_T run several times, for the trajectory study).
 * DDPM with K < T steps samples the respaced chain (Nichol & Dhariwal 2021, sec. 4: betas recomputed from abar on
 * the subsequence); a model with a learned variance (src/diffusion/learned-variance.ts) adds its own per-element noise.
 *
 * DDIM step from t = tau_i to s = tau_{i-1} (abar_0 = 1 for the last step to x_0):
 *   x0_hat  = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)                                  (clamped if clip > 0)
 *   sigma   = eta sqrt((1 - abar_s) / (1 - abar_t)) sqrt(1 - abar_t / abar_s)
 *   x_s     = sqrt(abar_s) x0_hat + sqrt(1 - abar_s - sigma^2) eps_hat + sigma z
 * with eps_hat = eps, or, when x0_hat was clamped, re-derived from it: eps_hat = (x_t - sqrt(abar_t) x0_hat)/sqrt(1 - abar_t).
 * Both forms are one existing kernel call (reverseStep, posteriorStep) with coefficients computed here once per step.
 *
 * Random numbers come from the engine's sample stream in the same order as Engine.sample (x_T, then z per noisy
 * step), so ddpm here with the same stream state reproduces Engine.sample bit for bit.
 */
import { type Points, standardize, unstandardize } from '../data/datasets';
import type { TrainedModel } from './config';
import type { Engine } from '../engine/engine';
import { UsageError } from '../util/errors';
import { type Schedule, type VarianceName, ddpmCoefficients } from '../schedule/schedule';

export type SamplerName = 'ddpm' | 'ddim';
export const SAMPLERS: readonly SamplerName[] = ['ddpm', 'ddim'];

export interface ReverseCall {
  sampler: SamplerName;
  /** K steps (default T). DDIM: the subsequence; DDPM with K < T (or a learned variance): the respaced chain. */
  steps?: number;
  /** DDIM: eta in [0, 1] (default 0). */
  eta?: number;
  /** DDPM: sigma_t^2 = beta_t or beta-tilde_t. */
  variance?: VarianceName;
  /** Clamp of the predicted x_0 (standardised units); 0 = none. */
  clip?: number;
  weights?: 'params' | 'ema';
  /** Start points x_T (count, d), standardised units; drawn from the sample stream when omitted. */
  xT?: Float32Array;
  /** Sees a copy of each chunk after each step: t = timestep just reached (T for x_T, 0 for x_0). */
  onStep?: (t: number, x: Float32Array, offset: number) => void;
  onChunk?: (done: number) => void;
}

/** DDIM's timesteps: K values in 1..T, evenly spaced, always including 1 and T, ascending. */
export function timeSubsequence(T: number, K: number): number[] {
  if (!Number.isInteger(K) || K < 1 || K > T) throw new UsageError(`--steps must be an integer in [1, ${T}] (T = ${T}), got ${K}`);
  if (K === 1) return [T];
  const out: number[] = [];
  for (let j = 0; j < K; j++) out.push(Math.round(1 + ((T - 1) * j) / (K - 1)));
  return out;
}

/** Coefficients of one DDIM step from timestep t to s < t (s = 0: to x_0), in both kernel forms. */
export function ddimCoefficients(sch: Schedule, t: number, s: number, eta: number) {
  const abT = sch.alphaBar[t - 1], abS = s === 0 ? 1 : sch.alphaBar[s - 1];
  const sigma = s === 0 ? 0 : eta * Math.sqrt(((1 - abS) / (1 - abT)) * (1 - abT / abS));
  const c2 = Math.sqrt(Math.max(0, 1 - abS - sigma * sigma));
  const sAbT = Math.sqrt(abT), s1AbT = Math.sqrt(1 - abT), sAbS = Math.sqrt(abS);
  return {
    sigma,
    // x_s = cx x_t + ceps eps + sigma z
    cx: sAbS / sAbT, ceps: c2 - (sAbS * s1AbT) / sAbT,
    // x0 = clamp(ax0 x_t + aeps eps); x_s = cx0 x0 + cxt x_t + sigma z
    ax0: 1 / sAbT, aeps: -s1AbT / sAbT, cx0: sAbS - (c2 * sAbT) / s1AbT, cxt: c2 / s1AbT,
  };
}

/** `count` samples through the chosen reverse process, in chunks of engine.rows; standardised units. */
export function reverseSample(engine: Engine, count: number, o: ReverseCall): Float32Array {
  const k = engine.k, a = engine.arena, d = engine.model.dim, sch = engine.schedule, T = sch.T, rng = a.ptr('rng', 'sample');
  const weights = o.weights ?? 'ema', clip = o.clip ?? 0, eta = o.eta ?? 0;
  if (!(eta >= 0 && eta <= 1)) throw new UsageError(`--eta must be in [0, 1], got ${eta}`);
  if (o.xT && o.xT.length !== count * d) throw new Error(`xT has ${o.xT.length} values, expected ${count * d}`);
  // (t, s) pairs of the steps: DDPM all T, DDIM the subsequence.
  const ts = timeSubsequence(T, o.steps ?? T);
  const learned = !!engine.model.learnSigma, full = ts.length === T;
  const variance = o.variance ?? 'posterior';
  const out = new Float32Array(count * d);
  engine.splitFirstLayer(weights);
  for (let off = 0; off < count; off += engine.rows) {
    const n = Math.min(engine.rows, count - off);
    let x = a.ptr('batch', 'xt'), xNext = a.ptr('batch', 'xPrev');
    if (o.xT) new Float32Array(a.memory.buffer, x, n * d).set(o.xT.subarray(off * d, (off + n) * d));
    else k.rngNormal(x, n * d, rng);
    o.onStep?.(T, new Float32Array(a.memory.buffer, x, n * d).slice(), off);
    for (let j = ts.length - 1; j >= 0; j--) {
      const t = ts[j], s = j > 0 ? ts[j - 1] : 0, i = t - 1;
      engine.forwardAtStep(n, x, i, weights);
      let eps = a.ptr('acts', 'out');
      const z = a.ptr('batch', 'z');
      if (learned) {
        // rows of out are [eps (d) | v (d)]: the kernels take eps dense.
        k.rowsStrided(a.ptr('batch', 'eps'), eps, n, d, 2 * d);
        eps = a.ptr('batch', 'eps');
      }
      if (o.sampler === 'ddpm' && (learned || !full)) {
        // Respaced ancestral step t -> s (Nichol & Dhariwal sec. 4; all T steps when s = t - 1): the posterior of the
        // chain on the subsequence, beta' = 1 - abar_t/abar_s, with sigma^2 = beta', beta-tilde' or learned between them.
        const c = ddimCoefficients(sch, t, s, 1), abT = sch.alphaBar[i], abS = s === 0 ? 1 : sch.alphaBar[s - 1];
        const betaP = 1 - abT / abS, betaTildeP = c.sigma * c.sigma;
        const noisy = s > 0;
        if (noisy) k.rngNormal(z, n * d, rng);
        const fixedSigma = learned || !noisy ? 0 : Math.sqrt(variance === 'beta' ? betaP : betaTildeP);
        const zp = fixedSigma > 0 ? z : 0;
        if (clip > 0) k.posteriorStep(xNext, x, eps, zp, n * d, c.ax0, c.aeps, clip, c.cx0, c.cxt, fixedSigma);
        else k.reverseStep(xNext, x, eps, zp, n * d, c.cx, c.ceps, fixedSigma);
        if (learned && noisy) {
          const outv = new Float32Array(a.memory.buffer, a.ptr('acts', 'out'), n * 2 * d);
          const xs = new Float32Array(a.memory.buffer, xNext, n * d), zs = new Float32Array(a.memory.buffer, z, n * d);
          const lb = Math.log(betaP), lbt = Math.log(betaTildeP);
          for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) {
            const v = outv[r * 2 * d + d + j];
            xs[r * d + j] += Math.exp(0.5 * (v * lb + (1 - v) * lbt)) * zs[r * d + j];
          }
        }
      } else if (o.sampler === 'ddpm') {
        // Algorithm 2 as Engine.sample takes it (same noise draw, same kernel call).
        if (ddpmCoefficients(sch, i, variance).sigma > 0) k.rngNormal(z, n * d, rng);
        engine.reverseStepRows(xNext, x, eps, n, i, variance, clip, z);
      } else {
        const c = ddimCoefficients(sch, t, s, eta);
        if (c.sigma > 0) k.rngNormal(z, n * d, rng);
        if (clip > 0) k.posteriorStep(xNext, x, eps, c.sigma > 0 ? z : 0, n * d, c.ax0, c.aeps, clip, c.cx0, c.cxt, c.sigma);
        else k.reverseStep(xNext, x, eps, c.sigma > 0 ? z : 0, n * d, c.cx, c.ceps, c.sigma);
      }
      [x, xNext] = [xNext, x];
      o.onStep?.(s, new Float32Array(a.memory.buffer, x, n * d).slice(), off);
    }
    out.set(new Float32Array(a.memory.buffer, x, n * d), off * d);
    o.onChunk?.(off + n);
  }
  return out;
}

export interface LabSampleOptions extends Omit<ReverseCall, 'xT' | 'onStep' | 'clip'> {
  /** Default: the model's clipX0. */
  clipX0?: number;
  /** Start points in data units. */
  xT?: Points;
  /** Start points already standardised (N(0, I) draws). */
  zT?: Float32Array;
  /** Record every step: frames[j] = positions after the j-th step (frames[0] = x_T), data units; and their timesteps. */
  record?: boolean;
}

/** A model's samples in data units through reverseSample; `frames`/`times` when recorded. */
export function labSample(model: TrainedModel, n: number, o: LabSampleOptions): { points: Points; frames?: Float32Array[]; times?: number[] } {
  const d = model.config.model.dim, T = model.schedule.T;
  const zT = o.zT ?? (o.xT ? standardize(o.xT, model.standardization).data : undefined);
  let frames: Float32Array[] | undefined, times: number[] | undefined;
  if (o.record) (frames = []), (times = []);
  let step = 0;
  const raw = reverseSample(model.engine, n, {
    ...o, xT: zT, clip: o.clipX0 ?? model.config.clipX0 ?? 0, variance: o.variance ?? (model.config.variance === 'learned' ? undefined : model.config.variance),
    onStep: frames ? (t, x, off) => {
      if (t === T) step = 0; // each chunk starts again at x_T
      if (!frames![step]) (frames![step] = new Float32Array(n * d)), times!.push(t);
      frames![step++].set(x, off * d);
    } : undefined,
  });
  const toData = (x: Float32Array) => unstandardize({ data: x, n: x.length / d, d }, model.standardization);
  return { points: toData(raw), frames: frames?.map((f) => toData(f).data), times };
}
