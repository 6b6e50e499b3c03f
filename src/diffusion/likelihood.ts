/**
 * The exact log-likelihood of the deterministic model: the probability-flow ODE of src/diffusion/samplers.ts ('ode'),
 * by the instantaneous change of variables (Chen et al. 2018; Grathwohl et al. 2019, FFJORD; Song et al. 2021b, app. D.2).
 * In the sampler's variables z = x / sigma, u = alpha / sigma (lambda = log u) the flow is dz/du = x0_hat(x, t),
 * x = sigma z, x0_hat = (x - sigma eps_theta) / alpha, whose divergence in z is (d - sigma tr J) / u with
 * J = d eps_theta / d x; so d log p_z = -(d - sigma tr J) d lambda along the path, and p_z = sigma^d p_x.
 *
 * The model is the sampler's map, so the path is the sampler's, taken backwards with the same scheme. From t = 1 to
 * the data the sampler steps by Euler onto x0_hat: x_0 = F(x_1) = (x_1 - sigma_1 eps_theta(x_1, 1)) / alpha_1 (the
 * network has no t = 0). That step's change of variables is exact, with the d x d Jacobian (dF/dx_1 = (I - sigma_1 J_1)
 * / alpha_1), and x_1 = alpha_1 x_0 + sigma_1 eps_theta(x_1, 1) is solved by fixed-point iteration. From t = 1 to T the
 * path goes by the sampler's predictor-corrector (flowStepCoefficients) on its grid, the integral by the trapezoid in
 * lambda (the same two evaluations). Altogether
 *   log p_theta(x_0) = log N(x_T; 0, I) + d log(sigma_T / sigma_1) - int_{lambda_T}^{lambda_1} (d - sigma tr J) d lambda
 *                      - log|det(I - sigma_1 J_1)| + d log alpha_1
 * 2K - 2 evaluations of eps_theta with d vector-Jacobian products v = e_j (Engine.inputVjp; tr J exactly, for d
 * dimensions), plus the fixed-point iterations (eps_theta alone). Hutchinson's estimator (Rademacher probes v, fixed per
 * point along its path; E[v^T J v] = tr J) is the option for large d: unbiased along the path, with variance; it takes
 * the last step's log-det to first order in sigma_1 (-sigma_1 v^T J_1 v).
 *
 * Units: on standardised z, nats per point; data units add sum_j log std_j (as src/diffusion/bound.ts), bits/dim
 * divide by d ln 2. Not here: the stochastic model's bound (bound.ts), which `eval --nll` prints beside this.
 */
import type { Engine } from '../engine/engine';
import type { Schedule } from '../schedule/schedule';
import { UsageError } from '../util/errors';
import { Rng } from '../util/rng';
import type { VlbResult } from './bound';
import { alphaSigma, flowStepCoefficients, timeSubsequence } from './samplers';

/**
 * eps_theta at table index i for the n rows of x (n, d), and for each cotangent v (n, d) the vector-Jacobian products
 * v^T (d eps_theta / d x), one row per point. `engineEpsVjp` adapts an Engine; tests pass closed forms.
 */
export type EpsVjpFn = (x: Float32Array, i: number, cotangents: readonly Float32Array[]) => { eps: Float32Array; vjp: Float32Array[] };

/** The fixed-point solve for x_1: at most this many eps_theta evaluations, until no coordinate moves by more than TOL. */
const FIXED_POINT_MAX = 50;
const FIXED_POINT_TOL = 1e-6;

/** log |det A| of a d x d row-major matrix (Gaussian elimination with partial pivoting, in place). */
export function logAbsDet(A: Float64Array, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(A[r * d + c]) > Math.abs(A[piv * d + c])) piv = r;
    if (piv !== c) for (let k = 0; k < d; k++) [A[c * d + k], A[piv * d + k]] = [A[piv * d + k], A[c * d + k]];
    const pv = A[c * d + c];
    if (pv === 0) return -Infinity;
    s += Math.log(Math.abs(pv));
    for (let r = c + 1; r < d; r++) {
      const f = A[r * d + c] / pv;
      if (f !== 0) for (let k = c; k < d; k++) A[r * d + k] -= f * A[c * d + k];
    }
  }
  return s;
}

export interface NllOptions {
  /**
   * K timesteps of the grid (default T, every step the network was trained at: the t-grid is coarse in log-SNR near
   * the data, where a thin data set's field changes fastest, so fewer steps cost accuracy there first).
   */
  steps?: number;
  /** 0 (default): the exact divergence, d products per evaluation; P > 0: Hutchinson with P Rademacher probes. */
  probes?: number;
  /** Seed of the Hutchinson probes. */
  seed?: number;
  /** sum_j log std_j of the standardisation (0 when x0 are the data themselves). */
  logDet?: number;
  /** After each of the 2K - 2 evaluations with products (the fixed-point iterations before them are not counted). */
  onEval?: (done: number, total: number) => void;
}

/** The exact likelihood's result: nats per point (with its standard error), bits per dimension, per-point values. */
export interface NllResult {
  n: number;
  d: number;
  T: number;
  /** K grid timesteps, and the network evaluations with products they took (2K - 2). */
  steps: number;
  evaluations: number;
  /** The solve for x_1: eps_theta evaluations it took, and its last largest change of a coordinate. */
  fixedPoint: { iterations: number; residual: number };
  divergence: 'exact' | 'hutchinson';
  probes: number;
  /** (n) -log p_theta(x_0) per point, standardised units. */
  perPoint: Float64Array;
  /** Mean of perPoint, and its standard error over the points. */
  totalNats: number;
  stderrNats: number;
  /** Mean -log N(x_T; 0, I), the prior's part. */
  prior: number;
  /** Mean log p(x_0) - log N(x_T; 0, I): the flow's log-volume change (the divergence integral and the log-dets). */
  logVolume: number;
  /** sum_j log std_j added to go to data units. */
  logDet: number;
  /** Mean NLL in data units: nats per point, and bits per dimension. */
  nats: number;
  bitsPerDim: number;
  /** (n, d) the points' ends x_T (standardised): the ODE's encoding of the data. */
  latents: Float32Array;
}

/** -log p_theta of standardised points x0 (n, d) under the probability-flow ODE of field `eps` on schedule `sch`. */
export function probabilityFlowNll(eps: EpsVjpFn, x0: Float32Array, d: number, sch: Schedule, o: NllOptions = {}): NllResult {
  const n = x0.length / d, T = sch.T, probes = o.probes ?? 0;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`the likelihood needs at least one point of ${d} coordinates`);
  if (!(Number.isInteger(probes) && probes >= 0 && probes <= 1000)) {
    throw new UsageError(`--probes must be an integer in [0, 1000], got ${probes}`);
  }
  const ts = timeSubsequence(T, o.steps ?? T);
  const K = ts.length, total = K === 1 ? 1 : 2 * K - 2;
  // Cotangents: e_j in every row (rows of the Jacobian), or the fixed Rademacher probes.
  let cot: Float32Array[];
  if (probes === 0) cot = Array.from({ length: d }, (_, j) => Float32Array.from({ length: n * d }, (_, q) => (q % d === j ? 1 : 0)));
  else {
    const rng = new Rng(o.seed ?? 0, 23);
    cot = Array.from({ length: probes }, () => Float32Array.from({ length: n * d }, () => (rng.uniform() < 0.5 ? -1 : 1)));
  }
  let done = 0;
  const x = new Float32Array(n * d), M = new Float64Array(d * d);
  // eps_theta at x (n, d) and table index t - 1, tr J per point (exact or estimated), and with `last` the log-det
  // log|det(I - sigma_t J)| of the sampler's step onto the data from x.
  const field = (xs: Float32Array, t: number, last: boolean): { e: Float32Array; tr: Float64Array; logDetStep?: Float64Array } => {
    const { sigma } = alphaSigma(sch, t);
    const r = eps(xs, t - 1, cot);
    const tr = new Float64Array(n), logDetStep = last ? new Float64Array(n) : undefined;
    for (let p = 0; p < n; p++) {
      let v = 0;
      if (probes === 0) for (let j = 0; j < d; j++) v += r.vjp[j][p * d + j];
      else {
        for (let c = 0; c < probes; c++) for (let l = 0; l < d; l++) v += cot[c][p * d + l] * r.vjp[c][p * d + l];
        v /= probes;
      }
      tr[p] = v;
      if (logDetStep) {
        if (probes > 0) logDetStep[p] = -sigma * v;
        else {
          // I - sigma J, J[j][l] = d eps_j / d x_l: row j is the product with e_j
          for (let j = 0; j < d; j++) for (let l = 0; l < d; l++) M[j * d + l] = (j === l ? 1 : 0) - sigma * r.vjp[j][p * d + l];
          logDetStep[p] = logAbsDet(M, d);
        }
      }
    }
    o.onEval?.(++done, total);
    return { e: r.eps, tr, logDetStep };
  };

  // Data to t = 1: x_1 solves x_1 = alpha_1 x_0 + sigma_1 eps_theta(x_1, 1) (a contraction while sigma_1 |J| < 1).
  const t1 = ts[0], v1 = alphaSigma(sch, t1);
  for (let q = 0; q < n * d; q++) x[q] = v1.alpha * x0[q];
  let residual = Infinity, iterations = 0;
  for (; iterations < FIXED_POINT_MAX && residual > FIXED_POINT_TOL; iterations++) {
    const e = eps(x, t1 - 1, []).eps;
    residual = 0;
    for (let q = 0; q < n * d; q++) {
      const next = v1.alpha * x0[q] + v1.sigma * e[q];
      residual = Math.max(residual, Math.abs(next - x[q]));
      x[q] = next;
    }
  }
  // logP[p] accumulates log p(x_0) - log N(x_T; 0, I).
  const logP = new Float64Array(n), xp = Float64Array.from(x), pred = new Float32Array(n * d), xs = new Float32Array(n * d);
  let f1 = field(x, t1, true);
  for (let p = 0; p < n; p++) logP[p] = -f1.logDetStep![p] + d * Math.log(v1.alpha / v1.sigma);
  // Up the grid t_1 < ... < t_K = T by the sampler's predictor-corrector; the integral by the trapezoid in lambda.
  for (let j = 1; j < K; j++) {
    const ta = ts[j - 1], tb = ts[j], c = flowStepCoefficients(sch, ta, tb), a = alphaSigma(sch, ta), b = alphaSigma(sch, tb);
    const dLambda = Math.log((a.alpha / a.sigma) / (b.alpha / b.sigma)); // lambda_a - lambda_b > 0
    if (j > 1) {
      for (let q = 0; q < n * d; q++) xs[q] = xp[q];
      f1 = field(xs, ta, false);
    }
    const D1 = Float64Array.from(xp, (v, q) => (v - a.sigma * f1.e[q]) / a.alpha);
    for (let q = 0; q < n * d; q++) pred[q] = c.keep * xp[q] + c.pred * D1[q];
    const f2 = field(pred, tb, false);
    for (let q = 0; q < n * d; q++) xp[q] = c.keep * xp[q] + c.corr1 * D1[q] + (c.corr2 * (pred[q] - b.sigma * f2.e[q])) / b.alpha;
    for (let p = 0; p < n; p++) logP[p] -= 0.5 * dLambda * (2 * d - a.sigma * f1.tr[p] - b.sigma * f2.tr[p]);
  }

  const sigmaT = alphaSigma(sch, T).sigma, latents = Float32Array.from(xp);
  const perPoint = new Float64Array(n);
  let prior = 0, vol = 0;
  for (let p = 0; p < n; p++) {
    let sq = 0;
    for (let j = 0; j < d; j++) sq += xp[p * d + j] ** 2;
    const nllPrior = 0.5 * d * Math.log(2 * Math.PI) + 0.5 * sq, lv = logP[p] + d * Math.log(sigmaT);
    perPoint[p] = nllPrior - lv;
    prior += nllPrior;
    vol += lv;
  }
  let mean = 0;
  for (let p = 0; p < n; p++) mean += perPoint[p];
  mean /= n;
  let ss = 0;
  for (let p = 0; p < n; p++) ss += (perPoint[p] - mean) ** 2;
  const logDet = o.logDet ?? 0, nats = mean + logDet;
  return {
    n, d, T, steps: K, evaluations: total, fixedPoint: { iterations, residual }, divergence: probes ? 'hutchinson' : 'exact', probes,
    perPoint, totalNats: mean, stderrNats: n > 1 ? Math.sqrt(ss / (n - 1) / n) : NaN, prior: prior / n, logVolume: vol / n, logDet, nats,
    bitsPerDim: nats / (d * Math.LN2), latents,
  };
}

/** eps_theta and its input VJPs from an engine's network ('ema' weights by default, as the samplers use). */
export function engineEpsVjp(engine: Engine, weights: 'params' | 'ema' = 'ema'): EpsVjpFn {
  return (x, i, cotangents) => engine.inputVjp(x, i, cotangents, weights);
}

/** The paired gap L_vlb - NLL over the points, data units (both carry the same log-det), and its standard error. */
export function boundGap(nll: NllResult, vlb: Pick<VlbResult, 'perPoint'>): { nats: number; stderr: number } {
  const n = nll.n;
  let m = 0;
  for (let p = 0; p < n; p++) m += vlb.perPoint[p] - nll.perPoint[p];
  m /= n;
  let ss = 0;
  for (let p = 0; p < n; p++) ss += (vlb.perPoint[p] - nll.perPoint[p] - m) ** 2;
  return { nats: m, stderr: n > 1 ? Math.sqrt(ss / (n - 1) / n) : NaN };
}
