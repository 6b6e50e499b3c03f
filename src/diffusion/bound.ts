/**
 * The variational bound of Ho et al. 2020, eq. 5, on held-out points:
 *
 *   L_vlb = L_T + sum_{t=2..T} L_{t-1} + L_0
 *   L_T     = KL(q(x_T | x_0) || N(0, I))                                  closed form, no sampling
 *   L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t))          closed form given x_t ~ q(x_t | x_0)
 *   L_0     = -log N(x_0; mu_theta(x_1, 1), sigma_1^2 I)                   continuous Gaussian decoder
 *
 * p_theta(x_{t-1} | x_t) = N(mu_theta, sigma_t^2 I) with mu_theta = 1/sqrt(alpha_t) (x_t - beta_t/sqrt(1 - abar_t) eps_theta)
 * (eq. 11) and sigma_t^2 = beta_t or beta-tilde_t (the run's `variance`). The decoder variance sigma_1^2 is beta_1 for
 * 'beta' and the clipped beta-tilde (= beta-tilde_2, the reference code's choice; beta-tilde_1 = 0) for 'posterior'.
 * The only Monte-Carlo part is the one x_t per (x_0, t) each KL is evaluated at, as in Ho et al.'s code.
 *
 * Units: everything is computed on standardised z = (x - mean)/std, in nats per point; the data-unit NLL adds
 * sum_j log std_j (log p_x = log p_z - sum log std), and bits/dim divides by d ln 2.
 * Not here: the network. `EpsFn` is any eps predictor; `engineEps` adapts an Engine (the tests also pass
 * closed-form oracles).
 */
import type { Engine } from '../engine/engine';
import type { Schedule, VarianceName } from '../schedule/schedule';
import { Rng } from '../util/rng';
import { learnedLogVar } from './learned-variance';

/**
 * eps_theta(x, t) for n rows of x (n, d), all at table index i = t - 1: a fresh (n, d) array, or with a learned
 * variance also log Sigma_theta per element (then sigma_t^2 = exp(logVar) replaces the fixed choice).
 */
export type EpsFn = (x: Float32Array, i: number, n: number) => Float32Array | { eps: Float32Array; logVar: Float32Array };

/** KL(N(m1, v1) || N(m2, v2)) for one coordinate, in nats. */
export function gaussianKL(m1: number, v1: number, m2: number, v2: number): number {
  return 0.5 * (Math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1);
}

/** -log N(x; m, v) for one coordinate, in nats. */
export function gaussianNll(x: number, m: number, v: number): number {
  return 0.5 * (Math.log(2 * Math.PI * v) + (x - m) ** 2 / v);
}

/** sigma_t^2 of p_theta at table index i (i = 0: the decoder's variance). */
export function reverseVariance(s: Schedule, i: number, variance: VarianceName): number {
  if (variance === 'beta') return s.beta[i];
  return i === 0 ? Math.exp(s.posteriorLogVarianceClipped[0]) : s.posteriorVariance[i];
}

/** The variational bound's result: nats per point, its terms L_0, L_{t-1} and L_T, per-point values. */
export interface VlbResult {
  n: number;
  d: number;
  T: number;
  variance: VarianceName | 'learned';
  /** (T) mean nats per point: terms[0] = L_0, terms[i] = L_i = KL at t = i + 1 (so terms[T-1] = L_{T-1}). */
  terms: Float64Array;
  /** L_T, the prior term. */
  prior: number;
  /** (T) mean sigma_t^2 of p_theta per t (constant per t unless the variance is learned). */
  sigma2: Float64Array;
  /** (T) mean squared error of eps_theta per t on the same draws (the simple loss per t). */
  epsMse: Float64Array;
  /** Total bound, standardised units, nats per point. */
  totalNats: number;
  /** (n) the total per point, standardised units (for paired comparisons). */
  perPoint: Float64Array;
  /** Standard error of the total over points. */
  stderrNats: number;
  /** sum_j log std_j added to go to data units. */
  logDet: number;
  /** Total bound in data units: nats per point, and bits per dimension. */
  nats: number;
  bitsPerDim: number;
}

/**
 * The bound for standardised points x0 (n, d). `logDet` = sum_j log std_j of the standardisation (0 when x0 are the
 * data themselves). `rows` caps how many rows go to `eps` at once.
 */
export function variationalBound(
  eps: EpsFn,
  x0: Float32Array,
  d: number,
  s: Schedule,
  o: { variance: VarianceName; seed?: number; logDet?: number; rows?: number; onT?: (done: number) => void },
): VlbResult {
  const n = x0.length / d, T = s.T, rows = o.rows ?? 4096;
  let learned = false;
  const rng = new Rng(o.seed ?? 0, 17);
  const perPoint = new Float64Array(n);
  const terms = new Float64Array(T), epsMse = new Float64Array(T), sigma2 = new Float64Array(T);

  // L_T: q(x_T | x_0) = N(sqrt(abar_T) x_0, (1 - abar_T) I) against N(0, I).
  const abT = s.alphaBar[T - 1];
  let prior = 0;
  for (let r = 0; r < n; r++) {
    let k = 0;
    for (let j = 0; j < d; j++) k += gaussianKL(Math.sqrt(abT) * x0[r * d + j], 1 - abT, 0, 1);
    perPoint[r] += k;
    prior += k;
  }
  prior /= n;

  const xt = new Float32Array(Math.min(rows, n) * d), noise = new Float64Array(Math.min(rows, n) * d);
  for (let i = 0; i < T; i++) {
    const sab = s.sqrtAlphaBar[i], s1ab = s.sqrtOneMinusAlphaBar[i];
    const v = reverseVariance(s, i, o.variance);
    // mu_theta = cx x_t + ceps eps_theta (eq. 11); at i = 0 this is the predicted x_0 itself.
    const cx = 1 / Math.sqrt(s.alpha[i]), ceps = -s.beta[i] / (Math.sqrt(s.alpha[i]) * s1ab);
    const c0 = s.posteriorMeanCoefX0[i], ct = s.posteriorMeanCoefXt[i], vq = s.posteriorVariance[i];
    let sum = 0, mse = 0, vsum = 0;
    for (let off = 0; off < n; off += rows) {
      const m = Math.min(rows, n - off);
      for (let q = 0; q < m * d; q++) {
        const e = rng.normal();
        noise[q] = e;
        xt[q] = sab * x0[off * d + q] + s1ab * e;
      }
      const res = eps(xt.subarray(0, m * d), i, m);
      if (!(res instanceof Float32Array)) learned = true;
      const pred = res instanceof Float32Array ? res : res.eps, logVar = res instanceof Float32Array ? undefined : res.logVar;
      for (let r = 0; r < m; r++) {
        let k = 0;
        for (let j = 0; j < d; j++) {
          const q = r * d + j, x = xt[q], mu = cx * x + ceps * pred[q], vv = logVar ? Math.exp(logVar[q]) : v;
          mse += (pred[q] - noise[q]) ** 2;
          vsum += vv;
          if (i === 0) k += gaussianNll(x0[off * d + q], mu, vv);
          else k += gaussianKL(c0 * x0[off * d + q] + ct * x, vq, mu, vv);
        }
        perPoint[off + r] += k;
        sum += k;
      }
    }
    terms[i] = sum / n;
    epsMse[i] = mse / (n * d);
    sigma2[i] = vsum / (n * d);
    o.onT?.(i + 1);
  }
  let total = 0;
  for (let r = 0; r < n; r++) total += perPoint[r];
  total /= n;
  let sq = 0;
  for (let r = 0; r < n; r++) sq += (perPoint[r] - total) ** 2;
  const stderrNats = n > 1 ? Math.sqrt(sq / (n - 1) / n) : NaN;
  const logDet = o.logDet ?? 0;
  const nats = total + logDet;
  return {
    n, d, T, variance: learned ? 'learned' : o.variance, terms, perPoint, prior, epsMse, sigma2, totalNats: total, stderrNats, logDet, nats,
    bitsPerDim: nats / (d * Math.LN2),
  };
}

/** eps_theta of an engine's network ('ema' weights by default), chunked to its rows. Uses the batch/xt and batch/t buffers. */
export function engineEps(engine: Engine, weights: 'params' | 'ema' = 'ema'): EpsFn {
  return (x, i, n) => {
    const a = engine.arena, d = engine.model.dim, out = new Float32Array(n * d), learned = !!engine.model.learnSigma;
    const logVar = learned ? new Float32Array(n * d) : undefined;
    const xt = a.f32('batch', 'xt'), tv = a.t('batch', 't').view as Int32Array;
    for (let off = 0; off < n; off += engine.rows) {
      const m = Math.min(engine.rows, n - off);
      xt.set(x.subarray(off * d, (off + m) * d));
      tv.fill(i, 0, m);
      engine.forward(m, a.ptr('batch', 'xt'), weights);
      const o = a.f32('acts', 'out');
      if (!learned) out.set(o.subarray(0, m * d), off * d);
      else {
        // rows are [eps (d) | v (d)]
        for (let r = 0; r < m; r++) for (let j = 0; j < d; j++) {
          out[(off + r) * d + j] = o[r * 2 * d + j];
          logVar![(off + r) * d + j] = learnedLogVar(engine.schedule, i, o[r * 2 * d + d + j]);
        }
      }
    }
    return logVar ? { eps: out, logVar } : out;
  };
}
