/**
 * Learned variance (Nichol & Dhariwal 2021, "Improved DDPM", sec. 3.1): the network outputs eps and, per
 * coordinate, v; the reverse variance is Sigma_theta = exp(v log beta_t + (1 - v) log beta-tilde_t) (beta-tilde
 * clipped at t = 1 as in their code). Objectives, per batch of n rows (t uniform, x_t ~ q(x_t | x_0)):
 *   L_simple = mean |eps - eps_theta|^2
 *   L_vlb    = T/(n d) sum_rows sum_coords term_t     (unbiased for the bound per dimension, L_T left out: no parameters)
 *              term_t = KL(q(x_{t-1}|x_t,x_0) || N(mu_theta, Sigma_theta))  for t > 1,  -log N(x_0; mu_theta, Sigma_theta)  for t = 1
 *   hybrid   = L_simple + lambda L_vlb with the stop-gradient on mu_theta inside L_vlb (only v learns from it)
 *   vlb      = L_vlb alone, gradients through mu_theta and Sigma_theta.
 * The loss and its gradient with respect to the network's outputs are computed on the host (n x 2d numbers per
 * step); Engine.backwardFromDout takes it from there. Single-lane training (the thread pool replays the MSE step only).
 */
import type { Engine, StepStats } from '../engine/engine';
import type { Schedule } from '../schedule/schedule';

export type LearnedLoss = 'hybrid' | 'vlb';
export const LEARNED_LOSSES: readonly LearnedLoss[] = ['hybrid', 'vlb'];

/** log Sigma_theta at table index i for the network's v (per coordinate). */
export function learnedLogVar(s: Schedule, i: number, v: number): number {
  const lb = Math.log(s.beta[i]), lbt = s.posteriorLogVarianceClipped[i];
  return v * lb + (1 - v) * lbt;
}

export interface BatchView {
  n: number;
  d: number;
  /** (n, 2d) network outputs: eps_theta then v per row. */
  out: ArrayLike<number>;
  x0: ArrayLike<number>;
  xt: ArrayLike<number>;
  eps: ArrayLike<number>;
  /** (n) table indices. */
  t: ArrayLike<number>;
}

/**
 * Loss of a batch and, when `dout` is given, its gradient with respect to `out` (written, not accumulated).
 * Returns the parts: simple, vlb (the per-dimension estimate above) and the total that was differentiated.
 * `frozenEps` (n, d): the eps_theta that mu_theta uses inside L_vlb, i.e. the stop-gradient made explicit (for
 * finite-difference checks of the hybrid objective); default the outputs themselves.
 */
export function learnedLoss(
  s: Schedule, b: BatchView, o: { loss: LearnedLoss; lambda: number; frozenEps?: ArrayLike<number> }, dout?: Float32Array | Float64Array,
): { simple: number; vlb: number; total: number } {
  const { n, d } = b, T = s.T, w = 2 * d;
  const kv = T / (n * d), ks = 1 / (n * d);
  let simple = 0, vlb = 0;
  for (let r = 0; r < n; r++) {
    const i = b.t[r];
    const lb = Math.log(s.beta[i]), lbt = s.posteriorLogVarianceClipped[i];
    const cx = 1 / Math.sqrt(s.alpha[i]), ceps = -s.beta[i] / (Math.sqrt(s.alpha[i]) * s.sqrtOneMinusAlphaBar[i]);
    const c0 = s.posteriorMeanCoefX0[i], ct = s.posteriorMeanCoefXt[i], vq = s.posteriorVariance[i];
    for (let j = 0; j < d; j++) {
      const q = r * d + j, eh = b.out[r * w + j], v = b.out[r * w + d + j];
      const diff = eh - b.eps[q];
      simple += diff * diff * ks;
      const logS = v * lb + (1 - v) * lbt, S = Math.exp(logS);
      const mu = cx * b.xt[q] + ceps * (o.frozenEps ? o.frozenEps[q] : eh);
      let term: number, dLogS: number, dMu: number;
      if (i > 0) {
        const mq = c0 * b.x0[q] + ct * b.xt[q], e2 = (mq - mu) ** 2;
        term = 0.5 * (logS - Math.log(vq) + (vq + e2) / S - 1);
        dLogS = 0.5 * (1 - (vq + e2) / S);
        dMu = (mu - mq) / S;
      } else {
        const e2 = (b.x0[q] - mu) ** 2;
        term = 0.5 * (Math.log(2 * Math.PI) + logS + e2 / S);
        dLogS = 0.5 * (1 - e2 / S);
        dMu = (mu - b.x0[q]) / S;
      }
      vlb += term * kv;
      if (dout) {
        if (o.loss === 'hybrid') {
          dout[r * w + j] = 2 * diff * ks; // the mean learns from L_simple only (stop-gradient in L_vlb)
          dout[r * w + d + j] = o.lambda * kv * dLogS * (lb - lbt);
        } else {
          dout[r * w + j] = kv * dMu * ceps;
          dout[r * w + d + j] = kv * dLogS * (lb - lbt);
        }
      }
    }
  }
  return { simple, vlb, total: o.loss === 'hybrid' ? simple + o.lambda * vlb : vlb };
}

/** The batch currently in the engine (after drawBatch and forward on lane 0), as views. */
export function engineBatch(e: Engine, n: number): BatchView {
  const a = e.arena, d = e.model.dim;
  return {
    n, d, out: a.f32('acts', 'out').subarray(0, n * 2 * d), x0: a.f32('batch', 'x0'), xt: a.f32('batch', 'xt'), eps: a.f32('batch', 'eps'),
    t: a.t('batch', 't').view as Int32Array,
  };
}

/** Loss and gradients of a learned-variance objective on a fresh batch (no update). */
export function learnedLossAndGrad(
  e: Engine, n: number, o: { loss: LearnedLoss; lambda: number },
): { simple: number; vlb: number; total: number } {
  if (!e.model.learnSigma) throw new Error('learned-variance training needs a model with learnSigma');
  const a = e.arena;
  e.forward(n, a.ptr('batch', 'xt'), 'params');
  a.zero('grads');
  a.zero('actGrads');
  const dout = a.f32('actGrads', 'dout');
  const r = learnedLoss(e.schedule, engineBatch(e, n), o, dout);
  e.backwardFromDout(n);
  return r;
}

/** One AdamW + EMA step on a learned-variance objective (the tail of Engine.trainStep, single lane). */
export function learnedTrainStep(e: Engine, lr: number, n: number, o: { loss: LearnedLoss; lambda: number }): StepStats {
  e.drawBatch(n);
  const loss = learnedLossAndGrad(e, n, o).total;
  return { loss, gradNorm: e.optimizerStep(lr) };
}
