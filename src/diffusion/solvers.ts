/**
 * Few-step reverse solvers over any eps function on wasm memory: DPM-Solver++ multistep in data prediction (Lu et al.
 * 2022, 2M and 3M), its SDE variant (2M), a hybrid that hands the last steps to Algorithm 2, and Heun steps with EDM's
 * churn (Karras et al. 2022, Algorithm 2, in the variance-preserving form). What it is not: DDPM, DDIM and the plain
 * probability-flow ODE (src/diffusion/samplers.ts), nor the kernels (assembly/solver.ts: every update below is one
 * solverStep call with coefficients computed here once per step).
 *
 * Notation: alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t), lambda_t = log(alpha_t / sigma_t) (half the log-SNR),
 * D = x0_hat(x, t) = (x - sigma_t eps(x, t)) / alpha_t. A step goes from s (where eps was evaluated) to t < s with
 * h = lambda_t - lambda_s > 0. The probability-flow ODE in this form is exact for the linear part:
 *   x_t = (sigma_t / sigma_s) x_s + sigma_t int_{lambda_s}^{lambda_t} e^lambda D(lambda) d lambda
 * and with D Taylor-expanded in tau = lambda - lambda_s the integral is alpha_t (phi1 D + phi2 D' + phi3 D''), where
 *   phi1 = 1 - e^-h,  phi2 = h - phi1,  phi3 = h^2 / 2 - h + phi1.
 * 2M (the paper's multistep, Algorithm 2): D' estimated as (D_s - D_prev) / h_prev, used as phi1 h / 2 D' (the
 * midpoint form). 3M: D' and D'' from the quadratic through the last three predictions (divided differences at
 * unequal lambda spacing), each with its exact phi. The first steps use the orders their history allows; the step
 * onto the data (sigma = 0, h infinite) is first order, x_0 = D, and 3M takes the step before it at second order.
 * SDE-DPM-Solver++(2M) integrates the reverse SDE the same way: the linear part decays as (sigma_t / sigma_s) e^-h, the
 * data part weighs D by 2 e^{-2(h - tau)}, so D gets psi1 = 1 - e^{-2h}, plus sigma_t sqrt(psi1) z; its first-order
 * step is Algorithm 2's step with sigma^2 = beta-tilde on the pair (s, t). D' gets the paper's midpoint weight
 * psi1 h / 2 rather than the weight exact for linear D (h - psi1 / 2): D' is estimated from two points of a noisy path,
 * and on the exact-eps Gaussian of test/diffusion/solvers.test.ts (T = 200, 15 steps) the exact weight inflates the
 * wide direction's variance to 1.78 (target 1.38), the midpoint weight to 1.47, and no D' term (first order) gives 0.76.
 *
 * The hybrid runs its coarse solver from T down to the split (default T / 20 up to 10) and hands the rest to Algorithm 2: its
 * own steps when the tail has one step per timestep, the respaced chain's on a coarser integer grid otherwise, both
 * through Algorithm 2's kernels (reverseStep, posteriorStep) rather than solverStep.
 *
 * Time grids (solverGrid): uniform in t or uniform in lambda, each rounded to integer timesteps. The network was
 * trained on the T integer timesteps only (its time embedding is a table of T rows), and every coefficient above is
 * computed from the rounded t's own alpha and sigma, so rounding keeps each step exact for the grid it takes; it only
 * makes the grid's spacing in lambda uneven by up to half a timestep. A fractional t would also have worked as far as the
 * network goes: measured on a default swissroll model (3000 steps), its eps error at t + 1/2 (embedding at t + 1/2, x_t
 * from abar interpolated in log) is the mean of its two integer neighbours' within 0.1% for t >= 5 and 1-3% below it for
 * t <= 3 (docs/samplers.md); it would need abar between the timesteps, which the discrete chain does not define.
 *
 * With clip > 0 every D is clamped to [-clip, clip] (the kernel's bound; Diffusion.sample passes the model's clipX0, as
 * Algorithm 2's posteriorStep uses it): DPM-Solver++'s thresholding, which keeps the first steps' 1/alpha from throwing
 * points far outside the data when eps is poor there.
 *
 * Random numbers come from the sample stream (its state pointer in the context): x_T first, then each step's draw,
 * so the same seed gives the same bits. The network's evaluations run on every lane of the engine, each on its slice
 * of the rows (engineSolverContext, Engine.epsAtStep); the steps' kernels and the draws on this thread, so the thread
 * count does not change the bits.
 */
import { type Engine, algorithm2Step } from '../engine/engine';
import type { Kernels } from '../engine/wasm';
import { type Schedule, type VarianceName, ddpmCoefficients } from '../schedule/schedule';
import { UsageError } from '../util/errors';

/** eps(x, t) for n rows of x (n, dim) at integer timestep t in 1..T, written densely to out (n, dim). */
export type EpsFn = (out: number, x: number, n: number, t: number) => void;

export type SolverName = 'dpm2m' | 'dpm3m' | 'dpm2m-sde' | 'hybrid' | 'churn';
export const SOLVERS: readonly SolverName[] = ['dpm2m', 'dpm3m', 'dpm2m-sde', 'hybrid', 'churn'];
export type GridName = 'logsnr' | 'time';
export const GRIDS: readonly GridName[] = ['logsnr', 'time'];
/** The solvers a hybrid may use for its coarse part. */
export type CoarseName = 'dpm2m' | 'dpm3m' | 'dpm2m-sde';
export const COARSE: readonly CoarseName[] = ['dpm2m', 'dpm3m', 'dpm2m-sde'];

/** Where the solvers work: kernels, memory, schedule, the eps function and five (rows, dim) buffers. */
export interface SolverContext {
  k: Kernels;
  memory: WebAssembly.Memory;
  schedule: Schedule;
  dim: number;
  /** Rows per chunk (each buffer holds rows x dim floats). */
  rows: number;
  /** The sample stream's state (rngNormal's last argument). */
  rng: number;
  eps: EpsFn;
  /** x: the state; eps: the network's output; d: three buffers for kept predictions (the last also holds noise). */
  buffers: { x: number; eps: number; d: [number, number, number] };
}

export interface SolverCall {
  sampler: SolverName;
  /** Steps: dpm*: network evaluations; churn: Heun steps (2 steps - 1 evaluations); hybrid: the coarse solver's steps. */
  steps?: number;
  /** Time grid (default logsnr). */
  grid?: GridName;
  /**
   * hybrid: the timestep where Algorithm 2 takes over (default hybridSplit: T / 20 up to 10), its steps from there to the data
   * (default min(split, 15); fewer than split: the respaced chain) and the coarse solver (default dpm2m-sde).
   */
  split?: number;
  tail?: number;
  coarse?: CoarseName;
  /** hybrid: Algorithm 2's sigma_t^2 (default beta). */
  variance?: VarianceName;
  /** Clamp of every predicted x_0 (D) to [-clip, clip], standardised units (0 = none; the engine's sampling passes the model's). */
  clip?: number;
  /** churn: S_churn; each step first raises the noise level s = sigma / alpha by gamma = min(S_churn / steps, sqrt(2) - 1). */
  churn?: number;
  /** Start points x_T (count, dim), standardised; drawn from the sample stream when omitted. */
  xT?: Float32Array;
  /** Sees a copy of each chunk after each step: t = timestep just reached (T for x_T, 0 for x_0). */
  onStep?: (t: number, x: Float32Array, offset: number) => void;
  onChunk?: (done: number) => void;
}

/** The default steps of each solver when the call gives none. */
const DEFAULT_STEPS: Record<Exclude<SolverName, 'hybrid'>, number> = { dpm2m: 20, dpm3m: 20, 'dpm2m-sde': 20, churn: 10 };

/** EDM's S_churn when the call gives none: gamma = sqrt(2) - 1 (the most EDM allows) up to 12 steps, less above. */
const DEFAULT_CHURN = 5;

/**
 * The most Algorithm-2 steps the hybrid takes after its split when the call gives none: steps of more than about 1.7
 * timesteps in the tail cost quality (at T = 500, split 25: 10 respaced steps read z 6.4-7.8 on a swissroll model
 * where 15 read 3.5; docs/samplers.md).
 */
const DEFAULT_TAIL = 15;
/** The hybrid's network evaluations when the call gives no steps: the coarse solver gets what the tail leaves. */
const DEFAULT_HYBRID_EVALUATIONS = 25;

/**
 * The hybrid's split: where Algorithm 2 takes over. Default T / 20 up to 10: t = 5 at T = 100, 10 from T = 200 on, so
 * the tail is Algorithm 2's own last steps. At T = 500, 15 coarse steps to t = 10 and Algorithm 2's 10 read mean z 1.76
 * over the 9 default models (Algorithm 2's 500 steps: 1.41), where 10 coarse steps to t = 25 and a respaced tail of 15
 * read 2.65 (docs/samplers.md): the coarse solver's steps buy more than a longer tail does.
 */
export function hybridSplit(T: number, split?: number): number {
  return split ?? Math.max(1, Math.min(10, Math.round(T / 20)));
}

/** The hybrid's Algorithm-2 steps after the split: `split` of them is Algorithm 2's own chain, fewer the respaced one. */
export function hybridTail(split: number, tail?: number): number {
  return tail ?? Math.min(split, DEFAULT_TAIL);
}

/** A call's steps (K): the call's own, else the sampler's default (the hybrid's: 25 evaluations in all, at least 1). */
function defaultSteps(c: Pick<SolverCall, 'sampler' | 'steps' | 'split' | 'tail'>, T: number): number {
  if (c.steps !== undefined) return c.steps;
  if (c.sampler !== 'hybrid') return DEFAULT_STEPS[c.sampler];
  return Math.max(1, DEFAULT_HYBRID_EVALUATIONS - hybridTail(hybridSplit(T, c.split), c.tail));
}

/** Network evaluations of a call on a T-step model: what the solver costs. */
export function solverEvaluations(c: Pick<SolverCall, 'sampler' | 'steps' | 'split' | 'tail'>, T: number): number {
  const K = defaultSteps(c, T);
  if (c.sampler === 'churn') return 2 * K - 1;
  if (c.sampler === 'hybrid') return K + hybridTail(hybridSplit(T, c.split), c.tail);
  return K;
}

/** The steps that spend at most `budget` evaluations (at least one step), the inverse of solverEvaluations. */
export function solverStepsForBudget(sampler: SolverName, budget: number, T: number, c: Pick<SolverCall, 'split' | 'tail'> = {}): number {
  if (sampler === 'churn') return Math.max(1, Math.floor((budget + 1) / 2));
  if (sampler === 'hybrid') return Math.max(1, budget - hybridTail(hybridSplit(T, c.split), c.tail));
  return Math.max(1, budget);
}

/** alpha, sigma, lambda at timestep t (t = 0: the data, lambda = +infinity). */
function als(sch: Schedule, t: number): { alpha: number; sigma: number; lambda: number } {
  if (t === 0) return { alpha: 1, sigma: 0, lambda: Infinity };
  const ab = sch.alphaBar[t - 1];
  return { alpha: Math.sqrt(ab), sigma: Math.sqrt(1 - ab), lambda: 0.5 * Math.log(ab / (1 - ab)) };
}

/**
 * The K + 1 timesteps of a K-step solver run from T down to tEnd, descending: eps is evaluated at the first K.
 * tEnd = 0 (onto the data): K points from T to 1, then 0; tEnd > 0: K + 1 points from T to tEnd. 'time': uniform in t;
 * 'logsnr': uniform in lambda. Both rounded to integers and made strictly decreasing (where rounding merges two
 * points, one moves by a timestep).
 */
export function solverGrid(sch: Schedule, K: number, grid: GridName = 'logsnr', tEnd = 0): number[] {
  const T = sch.T, last = tEnd === 0 ? 1 : tEnd, m = tEnd === 0 ? K : K + 1;
  const max = T - last + (tEnd === 0 ? 1 : 0);
  if (!Number.isInteger(K) || K < 1 || K > max) throw new UsageError(`--steps must be an integer in [1, ${max}] for this grid, got ${K}`);
  const pts: number[] = [];
  if (m === 1) pts.push(T);
  else if (grid === 'time') for (let j = 0; j < m; j++) pts.push(Math.round(T - ((T - last) * j) / (m - 1)));
  else {
    const lam = (t: number) => als(sch, t).lambda, l0 = lam(T), l1 = lam(last);
    let t = T;
    for (let j = 0; j < m; j++) {
      const target = l0 + ((l1 - l0) * j) / (m - 1);
      while (t > last && lam(t - 1) <= target) t--; // lam decreases in t: lam(t) <= target < lam(t - 1) or t = last
      const frac = t > last ? (target - lam(t)) / (lam(t - 1) - lam(t)) : 0;
      pts.push(Math.round(t - frac));
    }
  }
  pts[m - 1] = last;
  for (let j = m - 2; j >= 0; j--) pts[j] = Math.max(pts[j], pts[j + 1] + 1);
  pts[0] = T;
  for (let j = 1; j < m; j++) pts[j] = Math.min(pts[j], pts[j - 1] - 1);
  if (tEnd === 0) pts.push(0);
  return pts;
}

/** Coefficients (cx, on [D0, D1, D2], cz) of a multistep step from s to t with history lambdas, in the header's form. */
export function multistepCoefficients(sch: Schedule, s: number, t: number, order: number, lambdas: number[], sde: boolean):
  { cx: number; c: [number, number, number]; cz: number } {
  const A = als(sch, s), B = als(sch, t);
  if (t === 0) return { cx: 0, c: [1, 0, 0], cz: 0 }; // x_0 = D
  const h = B.lambda - A.lambda;
  const h0 = order >= 2 ? A.lambda - lambdas[0] : 0, h1 = order >= 3 ? lambdas[0] - lambdas[1] : 0;
  let c: [number, number, number];
  let cx: number, cz = 0;
  if (sde) {
    const psi1 = -Math.expm1(-2 * h), q = (0.5 * psi1 * h) / h0; // the midpoint weight on (D0 - D1) (see the header)
    cx = (B.sigma / A.sigma) * Math.exp(-h);
    cz = B.sigma * Math.sqrt(psi1);
    c = order >= 2 ? [psi1 + q, -q, 0] : [psi1, 0, 0];
  } else {
    const phi1 = -Math.expm1(-h), phi2 = h - phi1, phi3 = (h * h) / 2 - h + phi1;
    cx = B.sigma / A.sigma;
    if (order === 1) c = [phi1, 0, 0];
    else if (order === 2) {
      const r = h0 / h; // D = D0 + (D0 - D1) / (2r)
      c = [phi1 * (1 + 1 / (2 * r)), -phi1 / (2 * r), 0];
    } else {
      // Divided differences at tau = 0, -h0, -(h0 + h1): D' = f01 + h0 f012, D'' = 2 f012.
      const f01 = [1 / h0, -1 / h0, 0], g = [0, 1 / h1, -1 / h1], f012 = f01.map((v, i) => (v - g[i]) / (h0 + h1));
      c = [0, 1, 2].map((i) => (i === 0 ? phi1 : 0) + phi2 * (f01[i] + h0 * f012[i]) + phi3 * 2 * f012[i]) as [number, number, number];
    }
  }
  return { cx, c: [B.alpha * c[0], B.alpha * c[1], B.alpha * c[2]], cz };
}

/**
 * A multistep run over `grid` (solverGrid) on n rows at buffers.x, in place: DPM-Solver++ 2M / 3M (order 2 / 3) or
 * its SDE 2M. The step onto the data is first order; 3M takes the step before it at second order.
 */
function multistep(ctx: SolverContext, n: number, grid: number[], order: number, sde: boolean, off: number, o: SolverCall): void {
  const clip = o.clip ?? 0, { k, schedule: sch } = ctx, { x, eps } = ctx.buffers, nd = n * ctx.dim;
  const pool = sde ? ctx.buffers.d.slice(0, 2) : ctx.buffers.d.slice(), z = ctx.buffers.d[2];
  let hist: number[] = [], lambdas: number[] = [];
  for (let j = 0; j + 1 < grid.length; j++) {
    const s = grid[j], t = grid[j + 1];
    let ord = Math.min(order, hist.length + 1);
    if (t === 0) ord = 1;
    else if (grid[j + 2] === 0) ord = Math.min(ord, 2);
    const { cx, c, cz } = multistepCoefficients(sch, s, t, ord, lambdas, sde);
    ctx.eps(eps, x, n, s);
    const noisy = sde && cz > 0;
    if (noisy) k.rngNormal(z, nd, ctx.rng);
    const target = pool.find((p) => !hist.includes(p)) ?? hist[hist.length - 1];
    const A = als(sch, s);
    k.solverStep(x, target, x, x, eps, ord >= 2 ? hist[0] : 0, ord >= 3 ? hist[1] : 0, noisy ? z : 0, nd,
      1 / A.alpha, -A.sigma / A.alpha, clip, cx, c[0], c[1], c[2], cz);
    hist = [target, ...hist.filter((p) => p !== target)].slice(0, 2);
    lambdas = [A.lambda, ...lambdas].slice(0, 2);
    o.onStep?.(t, new Float32Array(ctx.memory.buffer, x, nd).slice(), off);
  }
}

/** The integer timestep whose s = sigma / alpha is nearest (1 + gamma) s_t, at or above t (EDM's raised noise level). */
export function churnTarget(sch: Schedule, t: number, gamma: number): number {
  const s = (u: number) => Math.sqrt((1 - sch.alphaBar[u - 1]) / sch.alphaBar[u - 1]);
  const want = (1 + gamma) * s(t);
  let best = t;
  for (let u = t + 1; u <= sch.T; u++) {
    if (Math.abs(s(u) - want) < Math.abs(s(best) - want)) best = u;
    if (s(u) > want) break;
  }
  return best;
}

/**
 * Heun steps with churn on n rows at buffers.x over `grid` (onto the data). Before each step but the last, the state
 * moves up from t to t^ = churnTarget(t) by the forward process itself, x <- sqrt(abar_t^ / abar_t) x + sqrt(1 - abar_t^ /
 * abar_t) z (the variance-preserving form of EDM's x + sqrt(s^2_hat - s^2) z), then Heun's predictor-corrector in the
 * exponential-integrator form (flowStepCoefficients: DDIM predictor, trapezoid on D in lambda) runs from t^ to the
 * next grid point; the last step is Euler onto D.
 */
function churned(ctx: SolverContext, n: number, grid: number[], gamma: number, off: number, o: SolverCall): void {
  const clip = o.clip ?? 0, { k, schedule: sch } = ctx, { x, eps } = ctx.buffers, [d0, d1, xp] = ctx.buffers.d, nd = n * ctx.dim;
  for (let j = 0; j + 1 < grid.length; j++) {
    let s = grid[j];
    const t = grid[j + 1];
    if (t > 0 && gamma > 0) {
      const up = churnTarget(sch, s, gamma);
      if (up > s) {
        const r = sch.alphaBar[up - 1] / sch.alphaBar[s - 1];
        k.rngNormal(xp, nd, ctx.rng);
        k.solverStep(x, 0, x, x, 0, 0, 0, xp, nd, 0, 0, 0, Math.sqrt(r), 0, 0, 0, Math.sqrt(1 - r));
        s = up;
      }
    }
    const A = als(sch, s);
    ctx.eps(eps, x, n, s);
    if (t === 0) k.solverStep(x, d0, x, x, eps, 0, 0, 0, nd, 1 / A.alpha, -A.sigma / A.alpha, clip, 0, 1, 0, 0, 0);
    else {
      const B = als(sch, t), c = heunCoefficients(sch, s, t);
      k.solverStep(xp, d0, x, x, eps, 0, 0, 0, nd, 1 / A.alpha, -A.sigma / A.alpha, clip, c.keep, c.pred, 0, 0, 0); // predictor
      ctx.eps(eps, xp, n, t);
      k.solverStep(x, d1, x, xp, eps, d0, 0, 0, nd, 1 / B.alpha, -B.sigma / B.alpha, clip, c.keep, c.corr2, c.corr1, 0, 0); // corrector
    }
    o.onStep?.(t, new Float32Array(ctx.memory.buffer, x, nd).slice(), off);
  }
}

/**
 * Heun's step from s to t in the exponential-integrator form (the probability-flow ODE's step in samplers.ts too):
 * predictor x~ = keep x + pred D(x, s); corrector x' = keep x + corr1 D(x, s) + corr2 D(x~, t).
 */
export function heunCoefficients(sch: Schedule, s: number, t: number): { keep: number; pred: number; corr1: number; corr2: number } {
  const a = als(sch, s), b = als(sch, t);
  const u = a.alpha / a.sigma, un = b.alpha / b.sigma, h = Math.log(un / u), w = ((h - 1) * un + u) / h;
  return { keep: b.sigma / a.sigma, pred: b.sigma * (un - u), corr1: b.sigma * (un - u - w), corr2: b.sigma * w };
}

/** The tail's timesteps: `steps` + 1 integers from `from` down to 0, uniform in t (every timestep when steps = from). */
export function tailGrid(from: number, steps: number): number[] {
  return Array.from({ length: steps + 1 }, (_, j) => Math.round((from * (steps - j)) / steps));
}

/**
 * Algorithm 2 from `from` down to x_0 in `steps` steps, in place on buffers.x (noise from the stream, drawn in its
 * order). A step of one timestep is Algorithm 2's own (algorithm2Step); a longer one, t -> s, the respaced chain's
 * (Nichol & Dhariwal 2021, sec. 4): beta' = 1 - abar_t / abar_s in the same posterior, sigma^2 = beta' or beta-tilde'.
 */
function algorithm2Tail(ctx: SolverContext, n: number, from: number, steps: number, variance: VarianceName, clip: number,
  off: number, o: SolverCall): void {
  const { k, schedule: sch } = ctx, { x, eps } = ctx.buffers, z = ctx.buffers.d[2], nd = n * ctx.dim;
  const grid = tailGrid(from, steps);
  for (let j = 0; j < steps; j++) {
    const t = grid[j], s = grid[j + 1];
    ctx.eps(eps, x, n, t);
    if (t - s === 1) {
      if (ddpmCoefficients(sch, t - 1, variance).sigma > 0) k.rngNormal(z, nd, ctx.rng);
      algorithm2Step(k, sch, x, x, eps, z, nd, t - 1, variance, clip);
    } else {
      const abT = sch.alphaBar[t - 1], abS = s === 0 ? 1 : sch.alphaBar[s - 1], a = abT / abS, b = 1 - a;
      const sigma = s === 0 ? 0 : Math.sqrt(variance === 'beta' ? b : (b * (1 - abS)) / (1 - abT));
      if (sigma > 0) k.rngNormal(z, nd, ctx.rng);
      const zp = sigma > 0 ? z : 0;
      if (clip > 0) {
        k.posteriorStep(x, x, eps, zp, nd, 1 / Math.sqrt(abT), -Math.sqrt(1 / abT - 1), clip, (Math.sqrt(abS) * b) / (1 - abT),
          (Math.sqrt(a) * (1 - abS)) / (1 - abT), sigma);
      } else k.reverseStep(x, x, eps, zp, nd, 1 / Math.sqrt(a), -b / (Math.sqrt(a) * Math.sqrt(1 - abT)), sigma);
    }
    o.onStep?.(s, new Float32Array(ctx.memory.buffer, x, nd).slice(), off);
  }
}

/** The hybrid's own options against a T-step model: one-line UsageErrors naming the bad value. */
export function checkHybridCall(T: number, c: Pick<SolverCall, 'split' | 'tail' | 'coarse'>): void {
  if (c.split !== undefined && !(Number.isInteger(c.split) && c.split >= 1 && c.split < T)) {
    throw new UsageError(`--split must be an integer in [1, ${T - 1}], got ${c.split}`);
  }
  if (c.coarse !== undefined && !COARSE.includes(c.coarse)) {
    throw new UsageError(`--coarse must be one of ${COARSE.join(', ')}, got "${c.coarse}"`);
  }
  const split = hybridSplit(T, c.split);
  if (c.tail !== undefined && !(Number.isInteger(c.tail) && c.tail >= 1 && c.tail <= split)) {
    throw new UsageError(`--tail must be an integer in [1, ${split}] (the split), got ${c.tail}`);
  }
}

/** Validate a call's options against the schedule (one-line UsageErrors naming the bad value); returns the steps. */
function checkSolverCall(sch: Schedule, c: SolverCall): number {
  if (!SOLVERS.includes(c.sampler)) throw new UsageError(`unknown solver "${c.sampler}"; choose one of ${SOLVERS.join(', ')}`);
  if (c.grid !== undefined && !GRIDS.includes(c.grid)) throw new UsageError(`--grid must be one of ${GRIDS.join(', ')}, got "${c.grid}"`);
  const only = (name: string, v: unknown, who: SolverName) => {
    if (v !== undefined && c.sampler !== who) throw new UsageError(`--${name} applies to ${who}, not ${c.sampler}`);
  };
  only('split', c.split, 'hybrid');
  only('tail', c.tail, 'hybrid');
  only('coarse', c.coarse, 'hybrid');
  only('churn', c.churn, 'churn');
  if (c.sampler !== 'hybrid' && c.variance !== undefined) throw new UsageError(`--variance applies to ddpm and hybrid, not ${c.sampler}`);
  checkHybridCall(sch.T, c);
  if (c.churn !== undefined && !(c.churn >= 0 && c.churn <= 1000)) throw new UsageError(`--churn must be in [0, 1000], got ${c.churn}`);
  const split = hybridSplit(sch.T, c.split);
  const K = c.steps ?? Math.min(defaultSteps(c, sch.T), c.sampler === 'hybrid' ? sch.T - split : sch.T);
  solverGrid(sch, K, c.grid, c.sampler === 'hybrid' ? split : 0); // throws on a bad K
  return K;
}

/** `count` samples through a solver, in chunks of ctx.rows; standardised units. */
export function solve(ctx: SolverContext, count: number, c: SolverCall): Float32Array {
  const sch = ctx.schedule, d = ctx.dim, K = checkSolverCall(sch, c);
  if (c.xT && c.xT.length !== count * d) throw new Error(`xT has ${c.xT.length} values, expected ${count * d}`);
  const split = hybridSplit(sch.T, c.split), gridName = c.grid ?? 'logsnr';
  const grid = solverGrid(sch, K, gridName, c.sampler === 'hybrid' ? split : 0);
  const out = new Float32Array(count * d), x = ctx.buffers.x;
  for (let off = 0; off < count; off += ctx.rows) {
    const n = Math.min(ctx.rows, count - off), view = () => new Float32Array(ctx.memory.buffer, x, n * d);
    if (c.xT) view().set(c.xT.subarray(off * d, (off + n) * d));
    else ctx.k.rngNormal(x, n * d, ctx.rng);
    c.onStep?.(sch.T, view().slice(), off);
    if (c.sampler === 'churn') churned(ctx, n, grid, Math.min((c.churn ?? DEFAULT_CHURN) / K, Math.SQRT2 - 1), off, c);
    else if (c.sampler === 'hybrid') {
      const coarse = c.coarse ?? 'dpm2m-sde';
      multistep(ctx, n, grid, coarse === 'dpm3m' ? 3 : 2, coarse === 'dpm2m-sde', off, c);
      algorithm2Tail(ctx, n, split, hybridTail(split, c.tail), c.variance ?? 'beta', c.clip ?? 0, off, c);
    } else multistep(ctx, n, grid, c.sampler === 'dpm3m' ? 3 : 2, c.sampler === 'dpm2m-sde', off, c);
    out.set(view(), off * d);
    c.onChunk?.(off + n);
  }
  return out;
}

/**
 * The engine as a solver context: eps is epsAtStep (every lane on its slice of the rows, the split first layer of
 * `weights`), dense; the buffers are the batch slab's (x_t, eps, x0, xPrev, z), the rng the sample stream.
 */
export function engineSolverContext(engine: Engine, weights: 'params' | 'ema' = 'ema'): SolverContext {
  const a = engine.arena, k = engine.k;
  engine.splitFirstLayer(weights);
  const buffers: SolverContext['buffers'] = {
    x: a.ptr('batch', 'xt'), eps: a.ptr('batch', 'eps'), d: [a.ptr('batch', 'x0'), a.ptr('batch', 'xPrev'), a.ptr('batch', 'z')],
  };
  // The solvers evaluate eps at x and at the churn's and Heun's predictor (d[2]); every lane takes a slice of the rows.
  const xs = [buffers.x, buffers.d[2]];
  return {
    k, memory: a.memory, schedule: engine.schedule, dim: engine.model.dim, rows: engine.rows, rng: a.ptr('rng', 'sample'),
    eps: (out, x, n, t) => engine.epsAtStep(out, x, xs, n, t - 1, weights),
    buffers,
  };
}

/** `count` samples of the engine's model through a solver (standardised units). */
export function solverSample(engine: Engine, count: number, c: SolverCall & { weights?: 'params' | 'ema' }): Float32Array {
  return solve(engineSolverContext(engine, c.weights), count, c);
}
