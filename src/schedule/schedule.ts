/**
 * Noise schedules beta_t, t = 1..T, and every per-timestep table the forward and reverse processes use,
 * computed once in float64 (Ho et al. 2020, eqs. 4, 6, 7; Nichol & Dhariwal 2021 for the cosine schedule).
 * Arrays are indexed by i = t - 1. Kernels receive float32 copies of the tables they need.
 */
import { UsageError } from '../util/errors';

/** The fixed beta_t schedules makeSchedule knows ('learned' is trained with the network: --schedule learned). */
export const SCHEDULES = ['linear', 'quadratic', 'cosine', 'sigmoid'] as const;
export type FixedScheduleName = (typeof SCHEDULES)[number];
/** 'learned': trained with the network (src/diffusion/learned-schedule.ts); its tables come from its parameters or a checkpoint's betas. */
export type ScheduleName = FixedScheduleName | 'learned';
/** Every name `--schedule` takes. */
export const ALL_SCHEDULES: readonly ScheduleName[] = [...SCHEDULES, 'learned'];

/** beta is capped below 1 so that 1/sqrt(alpha_t) and log(beta_t) stay finite (Nichol & Dhariwal use 0.999). */
const MAX_BETA = 0.999;

export interface ScheduleOptions {
  /** beta_1 and beta_T for linear, quadratic and sigmoid. Default: Ho et al.'s 1e-4 and 0.02 rescaled by 1000/T. */
  betaStart?: number;
  betaEnd?: number;
}

/** A beta_t schedule and every per-timestep table the kernels and samplers read, index i = t - 1. */
export interface Schedule {
  name: ScheduleName;
  T: number;
  beta: Float64Array; // (T) beta_t
  alpha: Float64Array; // (T) alpha_t = 1 - beta_t
  alphaBar: Float64Array; // (T) abar_t = prod_{s<=t} alpha_s
  alphaBarPrev: Float64Array; // (T) abar_{t-1}, with abar_0 = 1
  sqrtAlphaBar: Float64Array; // (T) q(x_t|x_0) mean coefficient
  sqrtOneMinusAlphaBar: Float64Array; // (T) q(x_t|x_0) standard deviation
  /** (T) beta-tilde_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t, the variance of q(x_{t-1}|x_t, x_0) (eq. 7). */
  posteriorVariance: Float64Array;
  /** (T) log beta-tilde_t with the t = 1 entry (exactly 0) replaced by beta-tilde_2, as in the reference code. */
  posteriorLogVarianceClipped: Float64Array;
  /** (T) coefficients of x_0 and x_t in the posterior mean mu-tilde_t (eq. 7). */
  posteriorMeanCoefX0: Float64Array;
  posteriorMeanCoefXt: Float64Array;
  /** (T) signal-to-noise ratio abar_t / (1 - abar_t). */
  snr: Float64Array;
  betaStart: number;
  betaEnd: number;
}

export function defaultBetaRange(T: number): { betaStart: number; betaEnd: number } {
  // Ho et al.'s 1e-4..0.02 were tuned for T = 1000; rescaling by 1000/T keeps abar_T near zero at any T
  // (the unscaled range leaves abar_T ~ 0.60 at T = 50, so x_T would be far from N(0, I)).
  const scale = 1000 / T;
  return { betaStart: Math.min(1e-4 * scale, 0.5), betaEnd: Math.min(0.02 * scale, MAX_BETA) };
}

function checkBeta(name: string, v: number): void {
  if (!(v > 0 && v < 1)) throw new UsageError(`${name} must be in (0, 1), got ${v}`);
}

/** The named schedule over T steps with every table computed once (beta range from `opts` where it applies). */
export function makeSchedule(name: string, T: number, opts: ScheduleOptions = {}): Schedule {
  if (!(SCHEDULES as readonly string[]).includes(name)) {
    throw new UsageError(`unknown schedule "${name}"; choose one of ${SCHEDULES.join(', ')}`);
  }
  if (!Number.isInteger(T) || T < 1 || T > 100000) throw new UsageError(`T must be an integer in [1, 100000], got ${T}`);
  const def = defaultBetaRange(T);
  const betaStart = opts.betaStart ?? def.betaStart;
  const betaEnd = opts.betaEnd ?? def.betaEnd;
  checkBeta('beta start', betaStart);
  checkBeta('beta end', betaEnd);
  if (betaStart > betaEnd) throw new UsageError(`beta start (${betaStart}) must not exceed beta end (${betaEnd})`);

  const beta = new Float64Array(T);
  const frac = (i: number) => (T === 1 ? 1 : i / (T - 1));
  switch (name as ScheduleName) {
    case 'linear':
      for (let i = 0; i < T; i++) beta[i] = betaStart + (betaEnd - betaStart) * frac(i);
      break;
    case 'quadratic': {
      const a = Math.sqrt(betaStart), b = Math.sqrt(betaEnd);
      for (let i = 0; i < T; i++) beta[i] = (a + (b - a) * frac(i)) ** 2;
      break;
    }
    case 'sigmoid':
      // sigmoid over [-6, 6], mapped onto [betaStart, betaEnd]: slow start, fast middle, slow end.
      for (let i = 0; i < T; i++) {
        const s = 1 / (1 + Math.exp(-(-6 + 12 * frac(i))));
        beta[i] = betaStart + (betaEnd - betaStart) * s;
      }
      break;
    case 'cosine': {
      // abar(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2), s = 0.008; beta_t = 1 - abar_t/abar_{t-1}.
      const s = 0.008;
      const f = (t: number) => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
      for (let i = 0; i < T; i++) beta[i] = Math.min(1 - f(i + 1) / f(i), MAX_BETA);
      break;
    }
  }
  return scheduleFromBetas(name as ScheduleName, beta, betaStart, betaEnd);
}

/** All tables from a beta sequence (also used for checkpoints, which store beta itself). */
export function scheduleFromBetas(name: ScheduleName, beta: Float64Array, betaStart = beta[0], betaEnd = beta[beta.length - 1]): Schedule {
  const T = beta.length;
  for (let i = 0; i < T; i++) {
    if (!(beta[i] > 0 && beta[i] < 1)) throw new UsageError(`beta_${i + 1} = ${beta[i]} is outside (0, 1)`);
  }
  const alpha = new Float64Array(T), alphaBar = new Float64Array(T), alphaBarPrev = new Float64Array(T);
  const sqrtAlphaBar = new Float64Array(T), sqrtOneMinusAlphaBar = new Float64Array(T);
  const posteriorVariance = new Float64Array(T), posteriorLogVarianceClipped = new Float64Array(T);
  const posteriorMeanCoefX0 = new Float64Array(T), posteriorMeanCoefXt = new Float64Array(T), snr = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    alpha[i] = 1 - beta[i];
    alphaBarPrev[i] = prod;
    prod *= alpha[i];
    alphaBar[i] = prod;
    sqrtAlphaBar[i] = Math.sqrt(prod);
    sqrtOneMinusAlphaBar[i] = Math.sqrt(1 - prod);
    posteriorVariance[i] = ((1 - alphaBarPrev[i]) / (1 - prod)) * beta[i];
    posteriorMeanCoefX0[i] = (beta[i] * Math.sqrt(alphaBarPrev[i])) / (1 - prod);
    posteriorMeanCoefXt[i] = ((1 - alphaBarPrev[i]) * Math.sqrt(alpha[i])) / (1 - prod);
    snr[i] = prod / (1 - prod);
  }
  for (let i = 0; i < T; i++) {
    const v = i === 0 ? (T > 1 ? posteriorVariance[1] : beta[0]) : posteriorVariance[i];
    posteriorLogVarianceClipped[i] = Math.log(v);
  }
  return {
    name, T, beta, alpha, alphaBar, alphaBarPrev, sqrtAlphaBar, sqrtOneMinusAlphaBar, posteriorVariance,
    posteriorLogVarianceClipped, posteriorMeanCoefX0, posteriorMeanCoefXt, snr, betaStart, betaEnd,
  };
}

/** sigma_t^2 of the reverse process: 'beta' = beta_t, 'posterior' = beta-tilde_t (Ho et al. sec. 3.2). */
export type VarianceName = 'beta' | 'posterior';
export const VARIANCES: readonly VarianceName[] = ['beta', 'posterior'];

/**
 * Coefficients of the reverse step x_{t-1} = cx x_t + ceps eps_theta + sigma z for table index i (Algorithm 2):
 * cx = 1/sqrt(alpha_t), ceps = -beta_t / (sqrt(alpha_t) sqrt(1 - abar_t)), sigma^2 = beta_t or beta-tilde_t; no noise at t = 1.
 */
export function ddpmCoefficients(s: Schedule, i: number, variance: VarianceName): { cx: number; ceps: number; sigma: number } {
  const cx = 1 / Math.sqrt(s.alpha[i]);
  const ceps = -s.beta[i] / (Math.sqrt(s.alpha[i]) * s.sqrtOneMinusAlphaBar[i]);
  const sigma = i === 0 ? 0 : Math.sqrt(variance === 'beta' ? s.beta[i] : s.posteriorVariance[i]);
  return { cx, ceps, sigma };
}

/** The three properties the seed asks of a schedule, checked. */
export function scheduleChecks(s: Schedule): { increasing: boolean; maxBeta: number; alphaBarT: number; isotropicAtT: boolean } {
  let increasing = true;
  for (let i = 1; i < s.T; i++) if (s.beta[i] < s.beta[i - 1] - 1e-15) increasing = false;
  let maxBeta = 0;
  for (let i = 0; i < s.T; i++) maxBeta = Math.max(maxBeta, s.beta[i]);
  const alphaBarT = s.alphaBar[s.T - 1];
  return { increasing, maxBeta, alphaBarT, isotropicAtT: alphaBarT <= 0.01 };
}
