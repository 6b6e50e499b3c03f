// The few-step solvers (src/diffusion/solvers.ts) on the exact eps of Gaussian data N(mu, Sigma), where everything is
// known in closed form: x_t ~ N(alpha mu, alpha^2 Sigma + sigma^2 I) =: N(alpha mu, C_t), eps(x, t) = sigma C_t^-1 (x -
// alpha mu), and the probability-flow ODE maps x_T to x_t = alpha_t mu + C_t^1/2 C_T^-1/2 (x_T - alpha_T mu) (all
// matrices are functions of Sigma, so they commute). The ODE solvers' endings converge to the flow's at their order;
// every solver's endings are N(mu, Sigma) within the sampling tolerance of n points.
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Engine } from '../../src/engine/engine';
import { DEFAULT_MODEL } from '../../src/engine/model';
import { type Schedule, makeSchedule } from '../../src/schedule/schedule';
import {
  type SolverCall, type SolverContext, engineSolverContext, hybridSplit, hybridTail, solve, solverEvaluations, solverGrid,
  solverStepsForBudget, tailGrid,
} from '../../src/diffusion/solvers';
import { Rng } from '../../src/util/rng';

const d = 2, n = 1027; // 4 * 256 + 3 rows: SIMD tails in the kernel
const mu = [1, -0.5];
// Sigma = Q diag(ev) Q^T, Q the rotation by theta: one wide and one narrow direction.
const theta = 0.6, ev = [2, 0.2];
const Q = [[Math.cos(theta), -Math.sin(theta)], [Math.sin(theta), Math.cos(theta)]];
const Sigma = [0, 1].map((i) => [0, 1].map((j) => Q[i][0] * ev[0] * Q[j][0] + Q[i][1] * ev[1] * Q[j][1]));

/** M = Q diag(f(ev)) Q^T applied to v. */
function apply(f: (s: number) => number, v: number[]): number[] {
  const w = [Q[0][0] * v[0] + Q[1][0] * v[1], Q[0][1] * v[0] + Q[1][1] * v[1]].map((c, i) => c * f(ev[i]));
  return [Q[0][0] * w[0] + Q[0][1] * w[1], Q[1][0] * w[0] + Q[1][1] * w[1]];
}
const ab = (sch: Schedule, t: number) => (t === 0 ? 1 : sch.alphaBar[t - 1]);

/** The exact eps of N(mu, Sigma) as an EpsFn over the context's memory. */
function exactContext(engine: Engine, sch: Schedule): SolverContext {
  const ctx = engineSolverContext(engine);
  ctx.schedule = sch;
  ctx.eps = (out, x, m, t) => {
    const xs = new Float32Array(ctx.memory.buffer, x, m * d), os = new Float32Array(ctx.memory.buffer, out, m * d);
    const a = Math.sqrt(ab(sch, t)), s = Math.sqrt(1 - ab(sch, t));
    for (let r = 0; r < m; r++) {
      const e = apply((v) => s / (a * a * v + s * s), [xs[r * d] - a * mu[0], xs[r * d + 1] - a * mu[1]]);
      os[r * d] = e[0];
      os[r * d + 1] = e[1];
    }
  };
  return ctx;
}

/** The exact flow from T to t = 1, then D(x_1, 1) (the solvers' last step onto the data, exact at its input). */
function flowEnding(sch: Schedule, xT: Float32Array): Float64Array {
  const out = new Float64Array(xT.length), T = sch.T;
  const aT = Math.sqrt(ab(sch, T)), sT = Math.sqrt(1 - ab(sch, T)), a1 = Math.sqrt(ab(sch, 1)), s1 = Math.sqrt(1 - ab(sch, 1));
  for (let r = 0; r < xT.length / d; r++) {
    const y = apply((v) => Math.sqrt((a1 * a1 * v + s1 * s1) / (aT * aT * v + sT * sT)),
      [xT[r * d] - aT * mu[0], xT[r * d + 1] - aT * mu[1]]);
    const x1 = [a1 * mu[0] + y[0], a1 * mu[1] + y[1]];
    // D = (x - s eps) / a with eps = s C^-1 (x - a mu)
    const e = apply((v) => s1 / (a1 * a1 * v + s1 * s1), [x1[0] - a1 * mu[0], x1[1] - a1 * mu[1]]);
    out[r * d] = (x1[0] - s1 * e[0]) / a1;
    out[r * d + 1] = (x1[1] - s1 * e[1]) / a1;
  }
  return out;
}

const rms = (a: Float32Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);

let engine: Engine;
let xT: Float32Array;
beforeAll(async () => {
  const rows = 4099; // one chunk of 4 * 1024 + 3 rows
  engine = await Engine.create({ model: DEFAULT_MODEL, schedule: makeSchedule('linear', 200), rows, seed: 5 });
  const rng = new Rng(21);
  xT = Float32Array.from({ length: n * d }, () => rng.normal());
});

describe('solvers on the exact eps of Gaussian data', () => {
  // T = 2561 (long enough that the log-SNR grid at these K stays clear of consecutive integer timesteps, where rounding
  // would stop the refinement near t = 1).
  const sch = makeSchedule('linear', 2561);
  const errors = (sampler: 'dpm2m' | 'dpm3m', Ks: number[]) => {
    const ctx = exactContext(engine, sch), ref = flowEnding(sch, xT);
    return Ks.map((K) => rms(solve(ctx, n, { sampler, steps: K, grid: 'logsnr', xT }), ref));
  };

  it('dpm2m converges to the exact flow at second order: the error ratio when the steps double is near 4', () => {
    const e = errors('dpm2m', [21, 41, 81, 161]);
    const ratios = e.slice(1).map((v, i) => e[i] / v);
    expect(e[e.length - 1], `errors ${e}`).toBeGreaterThan(1e-4); // far above float32 rounding: the ratios measure the method
    for (const r of ratios.slice(1)) expect(r, `ratios ${ratios}`).toBeGreaterThan(3.5), expect(r, `ratios ${ratios}`).toBeLessThan(4.5);
  });

  it('dpm3m converges at third order at least: the ratio is 8 or more (about 13-16 at these K), far above 2M', () => {
    const e = errors('dpm3m', [11, 21, 41, 81]);
    const ratios = e.slice(1).map((v, i) => e[i] / v);
    expect(e[e.length - 1], `errors ${e}`).toBeGreaterThan(2e-6);
    for (const r of ratios) expect(r, `ratios ${ratios}`).toBeGreaterThan(7), expect(r, `ratios ${ratios}`).toBeLessThan(20);
    expect(e[3], 'dpm3m at K = 81 against dpm2m').toBeLessThan(errors('dpm2m', [81])[0] / 20);
  });

  // Endings of every solver: N(mu, Sigma) within 4.5 standard errors of the n-point sample mean and covariance.
  const N = 12000;
  const moments = (x: Float32Array) => {
    const m = [0, 0], c = [[0, 0], [0, 0]], k = x.length / d;
    for (let r = 0; r < k; r++) for (let i = 0; i < d; i++) m[i] += x[r * d + i] / k;
    for (let r = 0; r < k; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++)
      c[i][j] += ((x[r * d + i] - m[i]) * (x[r * d + j] - m[j])) / (k - 1);
    return { m, c };
  };
  const calls: [string, SolverCall][] = [
    ['dpm2m', { sampler: 'dpm2m', steps: 25 }],
    ['dpm3m', { sampler: 'dpm3m', steps: 20 }],
    ['dpm2m-sde', { sampler: 'dpm2m-sde', steps: 60 }],
    ['hybrid (dpm2m-sde to t = 10, Algorithm 2 after)', { sampler: 'hybrid', steps: 30 }],
    ['hybrid (dpm3m to t = 20, Algorithm 2 with beta-tilde)',
      { sampler: 'hybrid', steps: 15, split: 20, tail: 20, coarse: 'dpm3m', variance: 'posterior' }],
    ['hybrid (dpm2m-sde to t = 30, the respaced chain in 12 steps)', { sampler: 'hybrid', steps: 20, split: 30, tail: 12 }],
    ['hybrid (one coarse step, then the respaced chain in 40 steps)', { sampler: 'hybrid', steps: 1, split: 199, tail: 40 }],

    ['churn', { sampler: 'churn', steps: 100 }],
  ];
  for (const [name, call] of calls) {
    it(`${name}: endings are N(mu, Sigma) within sampling tolerance`, () => {
      const sch200 = makeSchedule('linear', 200);
      const { m, c } = moments(solve(exactContext(engine, sch200), N, call));
      for (let i = 0; i < d; i++) {
        expect(Math.abs(m[i] - mu[i]), `mean ${i}: ${m}`).toBeLessThan(4.5 * Math.sqrt(Sigma[i][i] / N));
        for (let j = 0; j < d; j++) {
          const se = Math.sqrt((Sigma[i][i] * Sigma[j][j] + Sigma[i][j] ** 2) / N);
          expect(Math.abs(c[i][j] - Sigma[i][j]), `cov ${i}${j}: ${c[i][j]} vs ${Sigma[i][j]}`).toBeLessThan(4.5 * se);
        }
      }
    });
  }

  // With the exact eps every step of Algorithm 2, respaced or not, is linear-Gaussian: per eigendirection of Sigma (variance v,
  // mean m) x0_hat = m + g a (x - a m), g = v / (a^2 v + s^2), and x_s = cX0 x0_hat + cXt x + sigma z with the posterior's
  // coefficients of the pair (t, s). So the chain's own endings have moments known in closed form, and any wrong
  // coefficient of the kernel call (eps form, or x0 form with a clip) moves them; beta-tilde's known bias at long strides
  // (the variance of x_s given x_t is more than beta-tilde') is part of the prediction, not an error.
  it('the respaced tail\'s endings have the moments of its own linear-Gaussian chain (both variances, with a clip)', () => {
    const sch200 = makeSchedule('linear', 200), steps = [200, ...tailGrid(199, 40)];
    const muQ = [0, 1].map((k) => Q[0][k] * mu[0] + Q[1][k] * mu[1]);
    for (const variance of ['beta', 'posterior'] as const) for (const clip of [0, 50]) {
      const x = solve(exactContext(engine, sch200), N, { sampler: 'hybrid', steps: 1, split: 199, tail: 40, variance, clip });
      for (let k = 0; k < d; k++) {
        let m = 0, v = 1; // x_T ~ N(0, I)
        for (let j = 0; j + 1 < steps.length; j++) {
          const t = steps[j], s = steps[j + 1], abT = ab(sch200, t), abS = ab(sch200, s), b = 1 - abT / abS;
          const a = Math.sqrt(abT), g = ev[k] / (abT * ev[k] + 1 - abT);
          const cX0 = (Math.sqrt(abS) * b) / (1 - abT), cXt = (Math.sqrt(1 - b) * (1 - abS)) / (1 - abT);
          // the first step is dpm2m-sde's first-order one: Algorithm 2 with beta-tilde on the pair (200, 199)
          const tilde = j === 0 || variance === 'posterior', sigma2 = s === 0 ? 0 : tilde ? (b * (1 - abS)) / (1 - abT) : b;
          const slope = cX0 * g * a + cXt;
          m = cX0 * (muQ[k] + g * a * (m - a * muQ[k])) + cXt * m;
          v = slope * slope * v + sigma2;
        }
        const proj = Array.from({ length: N }, (_, r) => Q[0][k] * x[r * d] + Q[1][k] * x[r * d + 1]);
        const mean = proj.reduce((p, q) => p + q, 0) / N, varr = proj.reduce((p, q) => p + (q - mean) ** 2, 0) / (N - 1);
        const what = `${variance}, clip ${clip}, direction ${k}`;
        expect(Math.abs(mean - m), `${what}: mean ${mean} vs ${m}`).toBeLessThan(4.5 * Math.sqrt(v / N));
        expect(Math.abs(varr - v), `${what}: variance ${varr} vs ${v}`).toBeLessThan(4.5 * v * Math.sqrt(2 / N));
      }
    }
  });

  it('the same seed gives the same bits; another seed other points', () => {
    const sch200 = makeSchedule('linear', 200), run = (seed: number) => {
      engine.k.rngSeed(engine.arena.ptr('rng', 'sample'), BigInt(seed), 3);
      return solve(exactContext(engine, sch200), 300, { sampler: 'dpm2m-sde', steps: 12 });
    };
    const a = run(1), b = run(1), c = run(2);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });
});

describe('grids and budgets', () => {
  const sch = makeSchedule('linear', 200);
  it('solverGrid: K + 1 strictly decreasing integers from T to the end, for both grids and any K', () => {
    for (const grid of ['time', 'logsnr'] as const) for (const tEnd of [0, 10]) for (const K of [1, 2, 5, 20, 100, 190]) {
      const g = solverGrid(sch, K, grid, tEnd);
      expect(g.length).toBe(K + 1);
      expect(g[0]).toBe(200);
      expect(g[K]).toBe(tEnd);
      for (let j = 1; j <= K; j++) expect(Number.isInteger(g[j]) && g[j] < g[j - 1]).toBe(true);
    }
    // logsnr spends more of its points at small t than the time grid
    expect(solverGrid(sch, 10, 'logsnr')[8]).toBeLessThan(solverGrid(sch, 10, 'time')[8]);
    expect(() => solverGrid(sch, 201)).toThrow(/--steps must be an integer in \[1, 200\]/);
  });

  it('the hybrid\'s defaults: Algorithm 2 from t = min(T / 20, 10) in min(split, 15) steps, 25 evaluations in all', () => {
    expect([20, 100, 200, 500, 1000].map((T) => hybridSplit(T))).toEqual([1, 5, 10, 10, 10]);
    expect([5, 10, 25, 50].map((s) => hybridTail(s))).toEqual([5, 10, 15, 15]);
    expect([200, 500].map((T) => solverEvaluations({ sampler: 'hybrid' }, T))).toEqual([25, 25]);
    expect(solverEvaluations({ sampler: 'hybrid', steps: 10, split: 40, tail: 8 }, 500)).toBe(18);
    expect(tailGrid(10, 10)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    for (const [from, steps] of [[25, 15], [30, 12], [7, 1], [50, 49]]) {
      const g = tailGrid(from, steps);
      expect(g.length).toBe(steps + 1);
      expect(g[0]).toBe(from), expect(g[steps]).toBe(0);
      for (let j = 1; j <= steps; j++) expect(Number.isInteger(g[j]) && g[j] < g[j - 1]).toBe(true);
    }
  });

  it('a tail of one timestep per step is Algorithm 2\'s own chain: the same bits with the tail given or not', () => {
    const sch = makeSchedule('linear', 200);
    const run = (call: SolverCall) => {
      engine.k.rngSeed(engine.arena.ptr('rng', 'sample'), 9n, 3);
      return solve(exactContext(engine, sch), 300, call);
    };
    const a = run({ sampler: 'hybrid', steps: 8 }), b = run({ sampler: 'hybrid', steps: 8, split: 10, tail: 10 });
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(run({ sampler: 'hybrid', steps: 8, tail: 9 }).buffer))).toBe(false);
  });

  it('solverStepsForBudget inverts solverEvaluations within the budget', () => {
    for (const sampler of ['dpm2m', 'dpm3m', 'dpm2m-sde', 'hybrid', 'churn'] as const) for (const budget of [11, 20, 25, 50]) {
      const steps = solverStepsForBudget(sampler, budget, 200);
      const ev = solverEvaluations({ sampler, steps }, 200);
      expect(ev).toBeLessThanOrEqual(budget);
      expect(ev).toBeGreaterThanOrEqual(budget - 1);
    }
  });

  it('bad options: one-line UsageErrors naming the value', () => {
    const ctx = engineSolverContext(engine);
    expect(() => solve(ctx, 10, { sampler: 'dpm2m', split: 5 })).toThrow('--split applies to hybrid, not dpm2m');
    expect(() => solve(ctx, 10, { sampler: 'hybrid', split: 0 })).toThrow('--split must be an integer in [1, 199], got 0');
    expect(() => solve(ctx, 10, { sampler: 'hybrid', tail: 11 })).toThrow('--tail must be an integer in [1, 10] (the split), got 11');
    expect(() => solve(ctx, 10, { sampler: 'dpm2m', tail: 5 })).toThrow('--tail applies to hybrid, not dpm2m');
    expect(() => solve(ctx, 10, { sampler: 'churn', churn: 2000 })).toThrow('--churn must be in [0, 1000], got 2000');
    expect(() => solve(ctx, 10, { sampler: 'dpm2m', grid: 'cosine' as never })).toThrow('--grid must be one of logsnr, time, got "cosine"');
  });
});
