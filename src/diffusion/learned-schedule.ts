/**
 * A learned noise schedule (in the spirit of Kingma et al. 2021, "Variational Diffusion Models"): a monotone
 * log-SNR curve with learnable endpoints and shape, trained alongside the network through the bound.
 *
 *   gamma_t = -log SNR_t = gamma_min + (gamma_max - gamma_min) H((t - 1) / (T - 1)),   t = 1..T
 *   abar_t  = sigmoid(-gamma_t),   beta_t = 1 - abar_t / abar_{t-1}   (abar_0 = 1)
 *   gamma_max = gamma_min + exp(rho),   H piecewise linear through H(k/K) = sum_{j<=k} softmax(l)_j, H(0) = 0
 * gamma rises strictly with t whatever the parameters theta = [gamma_min, rho, l_1..l_K], so abar falls strictly
 * and every beta_t lies in (0, 1): the schedule cannot stop being monotone or finite.
 *
 * The objective is the bound per dimension, in closed form given the network's eps error (the terms of bound.ts):
 *   L_T     = 0.5 (abar_T m2 - abar_T - log(1 - abar_T))           m2 = E x0^2 per coordinate (1 when standardised)
 *   L_{t-1} = 0.5 (log(s2_t / bt_t) + bt_t / s2_t - 1) + c_t e_t / (2 s2_t),   t >= 2
 *   L_0     = 0.5 log(2 pi s2_1) + c_1 e_1 / (2 s2_1)
 *   c_t = beta_t^2 / (alpha_t (1 - abar_t)),  s2_t = sigma_t^2 (beta_t, or beta-tilde_t with bound.ts's decoder choice),
 *   bt_t = beta-tilde_t,  e_t = E (eps - eps_theta)^2 per element at t.
 * It depends on theta through the weights and through e_t, the network's error at t's noise level. e is measured
 * on training batches as a curve over gamma (binned over t, averaged over recent measurements), so a candidate
 * schedule is charged the error the network makes at the noise levels it would visit. The network's weights are
 * held fixed inside this gradient (they keep learning from L_simple); theta takes one Adam step every
 * `every` training steps, with the gradient by central differences (K + 2 parameters, each evaluation O(T)).
 * Two guards: theta is projected so that abar_T <= 1/101 (x_T must be noise: sampling starts from N(0, I)), and
 * steps with beta_t > 0.95 are penalised (there the bound is ill-conditioned in the measured error).
 */
import type { Engine } from '../engine/engine';
import { UsageError } from '../util/errors';
import { type Schedule, type VarianceName, defaultBetaRange, makeSchedule, scheduleFromBetas } from '../schedule/schedule';

/** Knots of the shape H. */
export const KNOTS = 16;
/** |gamma| <= 12: abar_T can reach 6e-6 (x_T is noise) and beta_1 6e-6 (a step tiny against the data). */
const GAMMA_LIMIT = 12;
/**
 * Steps with beta_t near 1 make the bound ill-conditioned (its weight beta_t^2 / (alpha_t (1 - abar_t)) grows like
 * 1/alpha_t, so the last digits of a measured error decide the objective): a quadratic penalty above this.
 */
const BETA_SOFT_MAX = 0.95;
const RHO_MIN = Math.log(0.5), RHO_MAX = Math.log(2 * GAMMA_LIMIT);

export interface LearnerSettings {
  /** Steps between measurements and updates of theta. */
  every: number;
  /** Updates start after this fraction of the run (an untrained network's error says nothing about t). */
  startFraction: number;
  lr: number;
  /** Weight of each new measurement in the per-bin averages. */
  rate: number;
  bins: number;
}
const DEFAULT_LEARNER: LearnerSettings = { every: 5, startFraction: 0.1, lr: 0.01, rate: 0.1, bins: 40 };

/** log(1 - sigmoid(-g)) = log sigmoid(g), stable for large |g|. */
const logSigmoid = (g: number) => (g >= 0 ? -Math.log1p(Math.exp(-g)) : g - Math.log1p(Math.exp(g)));

/** gamma_t for t = 1..T (index t - 1) from theta. */
export function gammaTable(theta: ArrayLike<number>, T: number): Float64Array {
  const K = theta.length - 2, gMin = theta[0], range = Math.exp(theta[1]);
  let mx = -Infinity;
  for (let k = 0; k < K; k++) mx = Math.max(mx, theta[2 + k]);
  const w = new Float64Array(K);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += w[k] = Math.exp(theta[2 + k] - mx);
  const H = new Float64Array(K + 1);
  for (let k = 0; k < K; k++) H[k + 1] = H[k] + w[k] / sum;
  H[K] = 1;
  const g = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    const u = T === 1 ? 1 : (i / (T - 1)) * K, k = Math.min(K - 1, Math.floor(u));
    g[i] = gMin + range * (H[k] + (H[k + 1] - H[k]) * (u - k));
  }
  return g;
}

/** The schedule of a strictly increasing gamma table. */
function scheduleFromGamma(g: Float64Array): Schedule {
  const T = g.length, beta = new Float64Array(T);
  let prevLog = 0; // log abar_0 = 0
  for (let i = 0; i < T; i++) {
    const logAb = logSigmoid(-g[i]);
    // beta = 1 - abar_t / abar_{t-1} = -expm1(log abar_t - log abar_{t-1}): no cancellation when the step is small.
    beta[i] = -Math.expm1(logAb - prevLog);
    prevLog = logAb;
  }
  return scheduleFromBetas('learned', beta);
}

export const learnedSchedule = (theta: ArrayLike<number>, T: number): Schedule => scheduleFromGamma(gammaTable(theta, T));

/** gamma_t of any schedule: log((1 - abar_t) / abar_t). */
export function gammaOf(s: Schedule): Float64Array {
  return Float64Array.from(s.alphaBar, (ab) => Math.log1p(-ab) - Math.log(ab));
}

/** theta whose curve passes through `s`'s gamma at the knots (the learned schedule starts as that schedule). */
export function thetaFromSchedule(s: Schedule, K = KNOTS): number[] {
  const g = gammaOf(s), T = s.T;
  const at = (u: number) => {
    const x = u * (T - 1), j = Math.min(T - 2, Math.floor(x));
    return T === 1 ? g[0] : g[j] + (g[j + 1] - g[j]) * (x - j);
  };
  const gMin = g[0], gMax = Math.max(g[T - 1], gMin + 0.5), range = gMax - gMin;
  const theta = [clamp(gMin, -GAMMA_LIMIT, GAMMA_LIMIT - 1), clamp(Math.log(range), RHO_MIN, RHO_MAX)];
  let prev = 0;
  for (let k = 1; k <= K; k++) {
    const h = k === K ? 1 : Math.min(1, Math.max(prev + 1e-6, (at(k / K) - gMin) / range));
    theta.push(Math.log(Math.max(h - prev, 1e-6)));
    prev = h;
  }
  return theta;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * gamma_T >= log 100, i.e. abar_T <= 1/101 (inside the seed's 0.01, rounding included): sampling starts from
 * N(0, I), so the seed's second property ("large enough that x_T is isotropic noise") is a constraint here, not
 * something the bound may trade away. (Unconstrained, the
 * bound prefers abar_T ~ 0.1-0.7 on the toy sets: L_T = -1/2 log(1 - abar_T) per dimension is cheap on standardised
 * data, and the samples then start from the wrong distribution: W2 ratio 1.36 on swissroll against 0.82 for linear.)
 */
const GAMMA_T_MIN = Math.log(100);

/**
 * Keep theta where the tables stay finite and x_T is noise: gamma_min in [-GAMMA_LIMIT, GAMMA_T_MIN - 0.5],
 * gamma_max in [GAMMA_T_MIN, GAMMA_LIMIT], logits centred.
 */
export function projectTheta(theta: number[]): void {
  theta[0] = clamp(theta[0], -GAMMA_LIMIT, GAMMA_T_MIN - 0.5);
  theta[1] = clamp(theta[1], Math.max(RHO_MIN, Math.log(GAMMA_T_MIN - theta[0])), Math.min(RHO_MAX, Math.log(GAMMA_LIMIT - theta[0])));
  const K = theta.length - 2;
  let m = 0;
  for (let k = 0; k < K; k++) m += theta[2 + k] / K;
  for (let k = 0; k < K; k++) theta[2 + k] = clamp(theta[2 + k] - m, -10, 10);
}

/** Where `--schedule learned` starts: on the linear schedule's curve (`--beta-start/--beta-end`, or Ho et al.'s range rescaled for T). */
function initialTheta(T: number, o: { betaStart?: number; betaEnd?: number } = {}): number[] {
  if (T < 2) throw new UsageError(`the learned schedule needs T >= 2, got ${T}`);
  const def = defaultBetaRange(T);
  return thetaFromSchedule(makeSchedule('linear', T, { betaStart: o.betaStart ?? def.betaStart, betaEnd: o.betaEnd ?? def.betaEnd }));
}

export const initialLearnedSchedule = (T: number, o: { betaStart?: number; betaEnd?: number } = {}): Schedule =>
  learnedSchedule(initialTheta(T, o), T);

export interface BoundTerms {
  /** Per dimension, nats: terms[0] = L_0, terms[i] = L_i (the KL at t = i + 1). */
  terms: Float64Array;
  prior: number;
  total: number;
}

/**
 * The bound per dimension (nats) of a model whose mean squared eps error at table index i is e[i], on data with
 * E x0^2 = m2 per coordinate. Agrees with bound.ts's terms when e is the error measured on the same draws.
 */
export function boundFromErrors(s: Schedule, variance: VarianceName, e: ArrayLike<number>, m2 = 1): BoundTerms {
  const T = s.T, terms = new Float64Array(T);
  let total = 0;
  for (let i = 0; i < T; i++) {
    const b = s.beta[i], c = (b * b) / (s.alpha[i] * (1 - s.alphaBar[i]));
    let v: number;
    if (i === 0) {
      const s2 = variance === 'beta' ? b : Math.exp(s.posteriorLogVarianceClipped[0]);
      v = 0.5 * Math.log(2 * Math.PI * s2) + (c * e[0]) / (2 * s2);
    } else {
      const bt = s.posteriorVariance[i], s2 = variance === 'beta' ? b : bt;
      v = 0.5 * (Math.log(s2 / bt) + bt / s2 - 1) + (c * e[i]) / (2 * s2);
    }
    terms[i] = v;
    total += v;
  }
  const abT = s.alphaBar[T - 1];
  const prior = 0.5 * (abT * m2 - abT - Math.log1p(-abT));
  return { terms, prior, total: total + prior };
}

export interface ScheduleLearnerState {
  theta: number[];
  /** Adam's moments and step count for theta. */
  m: number[];
  v: number[];
  updates: number;
  /** Per bin of t: the averaged eps error, the gamma it was measured at, and whether it has been measured. */
  binErr: number[];
  binGamma: number[];
  binSeen: number[];
}

export function checkLearnerState(x: unknown, T: number): ScheduleLearnerState {
  const o = x as ScheduleLearnerState;
  const finite = (a: unknown, n?: number) =>
    Array.isArray(a) && (n === undefined || a.length === n) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  const K = Array.isArray(o?.theta) ? o.theta.length - 2 : -1;
  if (!(K >= 1 && finite(o.theta) && finite(o.m, K + 2) && finite(o.v, K + 2) && Number.isInteger(o.updates) && o.updates >= 0)) {
    throw new UsageError('the learned schedule state is not a theta vector with Adam moments');
  }
  const B = Array.isArray(o.binErr) ? o.binErr.length : -1;
  if (!(B >= 1 && B <= T && finite(o.binErr, B) && finite(o.binGamma, B) && finite(o.binSeen, B))) {
    throw new UsageError('the learned schedule state has no valid error curve');
  }
  return o;
}

/**
 * Trains theta during a run. `afterStep(engine)` after every training step: every `every` steps (once the run is
 * `startFraction` through) it measures the network's eps error on a fresh batch, takes an Adam step on theta and
 * installs the new schedule in the engine.
 */
export class ScheduleLearner {
  readonly T: number;
  private s: ScheduleLearnerState;
  private current: Schedule;

  readonly o: LearnerSettings;
  /** E x0^2 per coordinate (1 for the standardised data every run trains on). */
  readonly m2: number;

  /**
   * A learner for a run of `steps` steps: from `state` (a checkpoint's), or fresh on the linear schedule with
   * `betaStart`/`betaEnd`.
   */
  constructor(T: number, readonly variance: VarianceName, readonly steps: number,
    init: { state?: ScheduleLearnerState; settings?: LearnerSettings; m2?: number; betaStart?: number; betaEnd?: number } = {}) {
    if (T < 2) throw new UsageError(`the learned schedule needs T >= 2, got ${T}`);
    this.T = T;
    this.o = init.settings ?? DEFAULT_LEARNER;
    this.m2 = init.m2 ?? 1;
    if (init.state) this.s = checkLearnerState(JSON.parse(JSON.stringify(init.state)), T);
    else {
      const theta = initialTheta(T, init);
      const B = Math.min(this.o.bins, T);
      this.s = {
        theta, m: theta.map(() => 0), v: theta.map(() => 0), updates: 0,
        binErr: new Array(B).fill(0), binGamma: new Array(B).fill(0), binSeen: new Array(B).fill(0),
      };
    }
    this.current = learnedSchedule(this.s.theta, T);
  }

  get schedule(): Schedule {
    return this.current;
  }
  get theta(): number[] {
    return this.s.theta.slice();
  }
  state(): ScheduleLearnerState {
    return JSON.parse(JSON.stringify(this.s)) as ScheduleLearnerState;
  }

  private bin(i: number): number {
    return Math.min(this.s.binErr.length - 1, Math.floor((i * this.s.binErr.length) / this.T));
  }

  /** Fold one batch's per-row squared eps errors (mean over coordinates) at table indices t into the error curve. */
  observe(t: ArrayLike<number>, err: ArrayLike<number>, n: number): void {
    const B = this.s.binErr.length, sum = new Float64Array(B), cnt = new Float64Array(B), g = gammaOf(this.current);
    for (let r = 0; r < n; r++) {
      const b = this.bin(t[r]);
      sum[b] += err[r];
      cnt[b]++;
    }
    for (let b = 0; b < B; b++) {
      if (!cnt[b]) continue;
      // gamma at the bin's centre under the schedule the error was measured with
      const i0 = Math.ceil((b * this.T) / B), i1 = Math.max(i0, Math.ceil(((b + 1) * this.T) / B) - 1);
      const gb = 0.5 * (g[i0] + g[Math.min(i1, this.T - 1)]);
      const mean = sum[b] / cnt[b];
      if (!this.s.binSeen[b]) {
        this.s.binErr[b] = mean;
        this.s.binGamma[b] = gb;
        this.s.binSeen[b] = 1;
      } else {
        const r = this.o.rate;
        this.s.binErr[b] += r * (mean - this.s.binErr[b]);
        this.s.binGamma[b] += r * (gb - this.s.binGamma[b]);
      }
    }
  }

  /**
   * The measured error at log-SNR gamma: a C1 monotone-piecewise cubic through the bins (Fritsch-Carlson), so the
   * central differences of the objective see a smooth curve rather than kinks at the measured points; beyond the
   * measured range it continues along its end slope (kept within [0, 2]: the error of predicting eps by 0 is 1).
   */
  errorAt(gamma: Float64Array): Float64Array {
    const px: number[] = [], py: number[] = [];
    const order = this.s.binGamma.map((g, b) => [g, b]).filter(([, b]) => this.s.binSeen[b]).sort((a, b) => a[0] - b[0]);
    for (const [g, b] of order) {
      if (px.length && g - px[px.length - 1] < 1e-9) continue;
      px.push(g);
      py.push(this.s.binErr[b]);
    }
    const out = new Float64Array(gamma.length), m = px.length;
    if (m === 0) return out.fill(1);
    if (m === 1) return out.fill(py[0]);
    const delta = new Float64Array(m - 1), slope = new Float64Array(m);
    for (let k = 0; k < m - 1; k++) delta[k] = (py[k + 1] - py[k]) / (px[k + 1] - px[k]);
    slope[0] = delta[0];
    slope[m - 1] = delta[m - 2];
    for (let k = 1; k < m - 1; k++) {
      if (delta[k - 1] * delta[k] <= 0) slope[k] = 0;
      else {
        const w1 = 2 * (px[k + 1] - px[k]) + (px[k] - px[k - 1]), w2 = (px[k + 1] - px[k]) + 2 * (px[k] - px[k - 1]);
        slope[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k]);
      }
    }
    let k = 0;
    for (let i = 0; i < gamma.length; i++) {
      const x = gamma[i];
      let y: number;
      if (x <= px[0]) y = py[0] + slope[0] * (x - px[0]);
      else if (x >= px[m - 1]) y = py[m - 1] + slope[m - 1] * (x - px[m - 1]);
      else {
        while (k > 0 && px[k] > x) k--;
        while (px[k + 1] < x) k++;
        const h = px[k + 1] - px[k], u = (x - px[k]) / h, u2 = u * u, u3 = u2 * u;
        y = (2 * u3 - 3 * u2 + 1) * py[k] + (u3 - 2 * u2 + u) * h * slope[k] +
          (-2 * u3 + 3 * u2) * py[k + 1] + (u3 - u2) * h * slope[k + 1];
      }
      out[i] = Math.min(2, Math.max(0, y));
    }
    return out;
  }

  /** The bound per dimension (nats) the schedule of `theta` would give, charged with the measured error curve (plus the beta penalty). */
  objective(theta: ArrayLike<number>): number {
    const g = gammaTable(theta, this.T), s = scheduleFromGamma(g);
    let penalty = 0;
    for (let i = 0; i < this.T; i++) penalty += Math.max(0, s.beta[i] - BETA_SOFT_MAX) ** 2;
    return boundFromErrors(s, this.variance, this.errorAt(g), this.m2).total + 1e4 * penalty;
  }

  /** d objective / d theta by central differences. */
  gradient(theta = this.s.theta): number[] {
    const h = 1e-5;
    return theta.map((_, j) => {
      const p = theta.slice(), q = theta.slice();
      p[j] += h;
      q[j] -= h;
      return (this.objective(p) - this.objective(q)) / (2 * h);
    });
  }

  /** One Adam step on theta (projected back into bounds); returns the new schedule. */
  update(): Schedule {
    const s = this.s, grad = this.gradient(), b1 = 0.9, b2 = 0.999;
    s.updates++;
    for (let j = 0; j < s.theta.length; j++) {
      s.m[j] = b1 * s.m[j] + (1 - b1) * grad[j];
      s.v[j] = b2 * s.v[j] + (1 - b2) * grad[j] * grad[j];
      const mh = s.m[j] / (1 - b1 ** s.updates), vh = s.v[j] / (1 - b2 ** s.updates);
      s.theta[j] -= (this.o.lr * mh) / (Math.sqrt(vh) + 1e-12);
    }
    projectTheta(s.theta);
    this.current = learnedSchedule(s.theta, this.T);
    return this.current;
  }

  /** The training loop's hook: measure, update and install the schedule when it is time. */
  afterStep(engine: Engine, batch: number): void {
    const step = engine.step;
    if (step % this.o.every !== 0 || step < this.o.startFraction * this.steps) return;
    const n = Math.min(batch, engine.rows), d = engine.model.dim, a = engine.arena;
    engine.drawBatch(n);
    engine.forward(n, a.ptr('batch', 'xt'), 'params');
    const out = a.f32('acts', 'out'), eps = a.f32('batch', 'eps'), t = a.t('batch', 't').view as Int32Array, w = out.length / engine.rows;
    const err = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let e = 0;
      for (let j = 0; j < d; j++) e += (out[r * w + j] - eps[r * d + j]) ** 2;
      err[r] = e / d;
    }
    this.observe(t, err, n);
    engine.setSchedule(this.update());
  }
}
