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
 *
 * The probability-flow ODE ('ode'; Song et al. 2021b, eq. 13, of the variance-preserving process the discrete DDPM
 * discretises). In the data-prediction form of DPM-Solver++ (Lu et al. 2022), with z = x / sigma, u = alpha / sigma
 * (alpha = sqrt(abar), sigma = sqrt(1 - abar); lambda = log u is half the log-SNR), it is exactly
 *   dz/du = x0_hat(x, t) = (x - sigma eps_theta(x, t)) / alpha
 * and DDIM with eta = 0 is its Euler step (Song et al. 2021a, eq. 14). Here each step is Heun's predictor-corrector for
 * this exponential-integrator form: the predictor is the DDIM step, the corrector integrates x0_hat exactly as if it were
 * linear in lambda between the step's two ends (the endpoint variant of DPM-Solver-2; for small steps Heun's trapezoid).
 * Steps run on K timesteps of the model's own grid (timeSubsequence; eps_theta is only evaluated at the integer t it was
 * trained on), the last one, from t = 1 to the data (sigma = 0, where the network is not defined), by Euler onto x0_hat:
 * 2K - 1 network evaluations. Why this form and not Heun in s = sigma/alpha (Karras et al. 2022): the t-grid's steps are
 * long in lambda at both ends, and there the eps form multiplies the error of the second evaluation by alpha'/alpha
 * (up to ~10 at K = 5, T = 100, where it diverged while DDIM did not); x0_hat's coefficients stay below 1.
 * The endings are a deterministic function of x_T (no random numbers after it). A clamp of the predicted x_0 is no
 * part of the flow: with `clip` > 0 the sampler clamps x0_hat (Diffusion.sample passes the model's clipX0), and its
 * endings then leave the flow the likelihood is of wherever the clamp bites.
 * Its likelihood (the same scheme, data to noise) is src/diffusion/likelihood.ts.
 */
import type { Engine } from '../engine/engine';
import { UsageError } from '../util/errors';
import { type Schedule, type VarianceName, ddpmCoefficients } from '../schedule/schedule';
import { type CoarseName, type GridName, SOLVERS, type SolverName, heunCoefficients, solverSample } from './solvers';

/** A sampler's name: one of SAMPLERS (the few-step solvers are src/diffusion/solvers.ts). */
export type SamplerName = 'ddpm' | 'ddim' | 'ode' | SolverName;
/** The samplers behind Diffusion.sample, each with one line for --help and the page. */
export const SAMPLER_SUMMARY: Readonly<Record<SamplerName, string>> = {
  ddpm: 'Algorithm 2, ancestral (default); with K < T steps the respaced chain',
  ddim: 'Song et al. 2021 on K <= T steps; --eta 0 deterministic given x_T, 1 ancestral noise',
  ode: 'the probability-flow ODE, deterministic given x_T, second order (2K - 1 evaluations)',
  dpm2m: 'DPM-Solver++(2M), data prediction, multistep on a log-SNR grid (K evaluations, default 20)',
  dpm3m: 'DPM-Solver++(3M), third order multistep (K evaluations, default 20)',
  'dpm2m-sde': 'SDE-DPM-Solver++(2M), stochastic multistep (K evaluations, default 20)',
  hybrid: 'K steps of --coarse (default dpm2m-sde) down to t = --split (default T/20 up to 10), ' +
    'then --tail steps of Algorithm 2 (default min(split, 15); K + tail evaluations, default 25)',
  churn: 'Heun steps with EDM\'s churn: the noise raised before each step by --churn S_churn (default 5) ' +
    '(2K - 1 evaluations, default K 10)',
};
/** Every sampler Diffusion.sample takes (`sample(n, { sampler })`), in the order --help lists them. */
export const SAMPLERS = Object.keys(SAMPLER_SUMMARY) as readonly SamplerName[];

export interface ReverseCall {
  sampler: SamplerName;
  /** K steps (default T). DDIM, ODE: the subsequence; DDPM with K < T (or a learned variance): the respaced chain. */
  steps?: number;
  /** DDIM: eta in [0, 1] (default 0). */
  eta?: number;
  /** DDPM: sigma_t^2 = beta_t or beta-tilde_t. */
  variance?: VarianceName;
  /**
   * Clamp of the predicted x_0 (standardised units); 0 = none. The ODE clamps its x0_hat (then it is no longer the flow the
   * likelihood is of).
   */
  clip?: number;
  weights?: 'params' | 'ema';
  /** Start points x_T (count, d), standardised units; drawn from the sample stream when omitted. */
  xT?: Float32Array;
  /** Sees a copy of each chunk after each step: t = timestep just reached (T for x_T, 0 for x_0). */
  onStep?: (t: number, x: Float32Array, offset: number) => void;
  onChunk?: (done: number) => void;
  /** The solvers' options (src/diffusion/solvers.ts SolverCall): time grid; hybrid's split and coarse solver; churn's S_churn. */
  grid?: GridName;
  split?: number;
  tail?: number;
  coarse?: CoarseName;
  churn?: number;
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

/** sqrt(abar_t) and sqrt(1 - abar_t) at timestep t (t = 0: the data, 1 and 0). */
export function alphaSigma(sch: Schedule, t: number): { alpha: number; sigma: number } {
  const ab = t === 0 ? 1 : sch.alphaBar[t - 1];
  return { alpha: Math.sqrt(ab), sigma: Math.sqrt(1 - ab) };
}

/**
 * One step of the probability-flow ODE from timestep t to tn (either direction; see the header) on x0_hat, the
 * predicted x_0 at each end (x0_hat = (x - sigma eps_theta) / alpha, clamped when sampling with a clip):
 *   predictor  x~ = keep x + pred x0_hat(x, t)                                   (the DDIM step, eta = 0)
 *   corrector  x' = keep x + corr1 x0_hat(x, t) + corr2 x0_hat(x~, tn)
 * keep = sigma'/sigma, pred = sigma' (u' - u), and with x0_hat linear in lambda = log u over [lambda, lambda'] the
 * integral of x0_hat e^lambda d lambda is (u' - u) D1 + w (D2 - D1), w = ((h - 1) u' + u) / h, h = lambda' - lambda.
 * tn = 0 (the data): x' = x0_hat(x, t), the Euler step; keep = 0, pred = 1.
 */
export function flowStepCoefficients(sch: Schedule, t: number, tn: number): { keep: number; pred: number; corr1: number; corr2: number } {
  return tn === 0 ? { keep: 0, pred: 1, corr1: 1, corr2: 0 } : heunCoefficients(sch, t, tn);
}

/**
 * The chunk loop the reverse loops share: per chunk of engine.rows, x_T (given, or drawn from the sample stream) in
 * batch/xt and onStep(T, ...); `toData(n, x, xNext, off)` takes it to x_0 (ping-ponging between the two buffers) and
 * returns the pointer that holds it; then the copy out and onChunk.
 */
function inChunks(
  engine: Engine, count: number, o: ReverseCall, toData: (n: number, x: number, xNext: number, off: number) => number,
): Float32Array {
  const k = engine.k, a = engine.arena, d = engine.model.dim, T = engine.schedule.T;
  if (o.xT && o.xT.length !== count * d) throw new Error(`xT has ${o.xT.length} values, expected ${count * d}`);
  const out = new Float32Array(count * d);
  for (let off = 0; off < count; off += engine.rows) {
    const n = Math.min(engine.rows, count - off);
    const x = a.ptr('batch', 'xt');
    if (o.xT) new Float32Array(a.memory.buffer, x, n * d).set(o.xT.subarray(off * d, (off + n) * d));
    else k.rngNormal(x, n * d, a.ptr('rng', 'sample'));
    o.onStep?.(T, new Float32Array(a.memory.buffer, x, n * d).slice(), off);
    const x0 = toData(n, x, a.ptr('batch', 'xPrev'), off);
    out.set(new Float32Array(a.memory.buffer, x0, n * d), off * d);
    o.onChunk?.(off + n);
  }
  return out;
}

/**
 * The probability-flow ODE sampler (see the header): from x_T over the K timesteps of timeSubsequence(T, K), Heun's
 * predictor-corrector in the exponential-integrator form, the last step onto x0_hat. Same call as reverseSample (which
 * hands 'ode' here); random numbers only for x_T when it is not given. Both halves of a step are the DDIM kernel call
 * (reverseStep without noise, its third operand carrying the second x0_hat) with flowStepCoefficients.
 */
export function probabilityFlowSample(engine: Engine, count: number, o: ReverseCall): Float32Array {
  const k = engine.k, a = engine.arena, d = engine.model.dim, sch = engine.schedule, clip = o.clip ?? 0;
  const weights = o.weights ?? 'ema';
  if (o.eta !== undefined && o.eta !== 0) throw new UsageError(`the ODE sampler is deterministic: --eta applies to ddim, got ${o.eta}`);
  const ts = timeSubsequence(sch.T, o.steps ?? sch.T);
  // e1 = eps_theta(x, t), D1 = x0_hat(x, t), e2 = eps_theta(x~, tn); D2 = x0_hat(x~, tn) replaces e1, no longer needed.
  const e1 = a.ptr('batch', 'eps'), D1 = a.ptr('batch', 'x0'), e2 = a.ptr('batch', 'z'), D2 = e1;
  // eps on every lane's slice of the rows, at x_t or x~, which take turns in the chunk's two buffers (dense eps: a
  // learned variance's rows are [eps | v])
  const xs = [a.ptr('batch', 'xt'), a.ptr('batch', 'xPrev')];
  // x0_hat = (x - sigma eps) / alpha into `out`, clamped to [-clip, clip] when clip > 0.
  const x0hat = (out: number, x: number, eps: number, n: number, t: number) => {
    const { alpha, sigma } = alphaSigma(sch, t);
    if (clip > 0) k.posteriorStep(out, x, eps, 0, n * d, 1 / alpha, -sigma / alpha, clip, 1, 0, 0);
    else k.reverseStep(out, x, eps, 0, n * d, 1 / alpha, -sigma / alpha, 0);
  };
  engine.splitFirstLayer(weights);
  return inChunks(engine, count, o, (n, x, xNext, off) => {
    for (let j = ts.length - 1; j >= 0; j--) {
      const t = ts[j], tn = j > 0 ? ts[j - 1] : 0, c = flowStepCoefficients(sch, t, tn);
      engine.epsAtStep(e1, x, xs, n, t - 1, weights);
      if (tn === 0) x0hat(xNext, x, e1, n, t); // onto the data
      else {
        x0hat(D1, x, e1, n, t);
        k.reverseStep(xNext, x, D1, 0, n * d, c.keep, c.pred, 0); // the predictor x~
        engine.epsAtStep(e2, xNext, xs, n, tn - 1, weights);
        x0hat(D2, xNext, e2, n, tn);
        k.reverseStep(xNext, x, D1, D2, n * d, c.keep, c.corr1, c.corr2); // the corrector (D2 as the third operand)
      }
      [x, xNext] = [xNext, x];
      o.onStep?.(tn, new Float32Array(a.memory.buffer, x, n * d).slice(), off);
    }
    return x;
  });
}

/** `count` samples through the chosen reverse process, in chunks of engine.rows; standardised units. */
export function reverseSample(engine: Engine, count: number, o: ReverseCall): Float32Array {
  if (o.sampler === 'ode') return probabilityFlowSample(engine, count, o);
  if ((SOLVERS as readonly string[]).includes(o.sampler)) {
    const { eta: _eta, variance, ...rest } = o;
    return solverSample(engine, count, {
      ...rest, sampler: o.sampler as SolverName, variance: o.sampler === 'hybrid' ? variance : undefined,
    });
  }
  const k = engine.k, a = engine.arena, d = engine.model.dim, sch = engine.schedule, T = sch.T, rng = a.ptr('rng', 'sample');
  const weights = o.weights ?? 'ema', clip = o.clip ?? 0, eta = o.eta ?? 0;
  if (!(eta >= 0 && eta <= 1)) throw new UsageError(`--eta must be in [0, 1], got ${eta}`);
  // (t, s) pairs of the steps: DDPM all T, DDIM the subsequence.
  const ts = timeSubsequence(T, o.steps ?? T);
  const learned = !!engine.model.learnSigma, full = ts.length === T;
  const variance = o.variance ?? 'posterior';
  const xs = [a.ptr('batch', 'xt'), a.ptr('batch', 'xPrev')];
  engine.splitFirstLayer(weights);
  return inChunks(engine, count, o, (n, x, xNext, off) => {
    for (let j = ts.length - 1; j >= 0; j--) {
      const t = ts[j], s = j > 0 ? ts[j - 1] : 0, i = t - 1;
      const eps = a.ptr('batch', 'eps'), z = a.ptr('batch', 'z');
      if (learned) {
        // lane 0 alone: the learned variance's v is read from its acts/out below; rows of out are [eps (d) | v (d)]
        engine.forwardAtStep(n, x, i, weights);
        k.rowsStrided(eps, a.ptr('acts', 'out'), n, d, 2 * d);
      } else engine.epsAtStep(eps, x, xs, n, i, weights); // every lane on its slice of the rows
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
          const xn = new Float32Array(a.memory.buffer, xNext, n * d), zs = new Float32Array(a.memory.buffer, z, n * d);
          const lb = Math.log(betaP), lbt = Math.log(betaTildeP);
          for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) {
            const v = outv[r * 2 * d + d + j];
            xn[r * d + j] += Math.exp(0.5 * (v * lb + (1 - v) * lbt)) * zs[r * d + j];
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
    return x;
  });
}
