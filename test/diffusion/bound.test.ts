// The variational bound (src/diffusion/bound.ts) against independent oracles: the closed-form Gaussian KL against a
// Monte-Carlo average of log q - log p; the whole closed-form bound against the naive estimate of
// E_q[-log p(x_{0:T}) / q(x_{1:T} | x_0)] over sampled forward trajectories (eq. 3 of Ho et al., no KLs);
// and on data whose density is known (a 2-D normal), the bound of the exact reverse process and of a trained
// model against the true negative log-likelihood, in data units (standardisation log-det included).
import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { type Points } from '../../src/data/points';
import { getDataset } from '../../src/data/datasets';
import { createDiffusion } from '../../src/api/diffusion';
import { type EpsFn, gaussianKL, gaussianNll, reverseVariance, variationalBound } from '../../src/diffusion/bound';
import { Rng } from '../../src/util/rng';
import { meanSe } from '../reference';
import { makeSchedule } from '../../src/schedule/schedule';

describe('closed-form KL', () => {
  it('matches a Monte-Carlo estimate of E_q[log q - log p] (5 random pairs, 200k draws each)', () => {
    const rng = new Rng(11);
    for (let c = 0; c < 5; c++) {
      const m1 = 2 * rng.normal(), v1 = 0.05 + 2 * rng.uniform(), m2 = 2 * rng.normal(), v2 = 0.05 + 2 * rng.uniform();
      const n = 200_000, draws = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = m1 + Math.sqrt(v1) * rng.normal();
        draws[i] = gaussianNll(x, m2, v2) - gaussianNll(x, m1, v1);
      }
      const { mean, se } = meanSe(draws);
      const kl = gaussianKL(m1, v1, m2, v2);
      expect(Math.abs(kl - mean), `case ${c}: KL ${kl}, MC ${mean} +- ${se}`).toBeLessThan(4 * se + 1e-9);
    }
  });

  it('is zero for equal Gaussians and positive otherwise', () => {
    expect(gaussianKL(0.3, 0.7, 0.3, 0.7)).toBeCloseTo(0, 14);
    expect(gaussianKL(0.3, 0.7, 0.31, 0.7)).toBeGreaterThan(0);
    expect(gaussianKL(0.3, 0.7, 0.3, 0.71)).toBeGreaterThan(0);
  });
});

describe('variationalBound', () => {
  // A deliberately imperfect, nonlinear predictor so that every KL term has a mean part.
  const s = makeSchedule('linear', 8);
  const eps: EpsFn = (x, i) => x.map((v) => 0.8 * Math.tanh(v) * s.sqrtOneMinusAlphaBar[i] + 0.05 * (i % 3));

  it.each(['beta', 'posterior'] as const)('equals the naive trajectory estimate of the ELBO (sigma^2 = %s, T = 8)', (variance) => {
    const d = 2, n = 60_000, rng = new Rng(5);
    const x0 = Float32Array.from({ length: n * d }, () => 0.6 * rng.normal() + 0.3);
    const closed = variationalBound(eps, x0, d, s, { variance, seed: 1 });
    // Naive: x_1..x_T by the forward Markov chain, then -log p(x_T) - sum_t log p(x_{t-1}|x_t) + sum_t log q(x_t|x_{t-1}).
    const naive = new Float64Array(n);
    let prev = x0;
    const chain: Float32Array[] = [x0];
    for (let i = 0; i < s.T; i++) {
      const next = new Float32Array(n * d);
      for (let q = 0; q < n * d; q++) {
        next[q] = Math.sqrt(s.alpha[i]) * prev[q] + Math.sqrt(s.beta[i]) * rng.normal();
        naive[Math.floor(q / d)] -= gaussianNll(next[q], Math.sqrt(s.alpha[i]) * prev[q], s.beta[i]);
      }
      chain.push(next);
      prev = next;
    }
    for (let q = 0; q < n * d; q++) naive[Math.floor(q / d)] += gaussianNll(chain[s.T][q], 0, 1);
    for (let i = 0; i < s.T; i++) {
      const xt = chain[i + 1], pred = eps(xt, i, n), v = reverseVariance(s, i, variance);
      const cx = 1 / Math.sqrt(s.alpha[i]), ceps = -s.beta[i] / (Math.sqrt(s.alpha[i]) * s.sqrtOneMinusAlphaBar[i]);
      for (let q = 0; q < n * d; q++) naive[Math.floor(q / d)] += gaussianNll(chain[i][q], cx * xt[q] + ceps * pred[q], v);
    }
    const nv = meanSe(naive);
    const tol = 4 * Math.hypot(nv.se, closed.stderrNats);
    expect(Math.abs(closed.totalNats - nv.mean), `closed ${closed.totalNats} +- ${closed.stderrNats}, naive ${nv.mean} +- ${nv.se}`)
      .toBeLessThan(tol);
    // Bookkeeping: the total is the prior plus the per-t terms.
    expect(closed.totalNats).toBeCloseTo(closed.prior + closed.terms.reduce((a, b) => a + b, 0), 9);
  });

  it('adds the standardisation log-det and converts to bits/dim', () => {
    const x0 = new Float32Array([0.1, -0.2, 0.3, 0.4]);
    const r = variationalBound(eps, x0, 2, s, { variance: 'beta', logDet: 1.5 });
    expect(r.nats).toBeCloseTo(r.totalNats + 1.5, 12);
    expect(r.bitsPerDim).toBeCloseTo(r.nats / (2 * Math.LN2), 12);
  });
});

/** Exact mean NLL of points under N(mu, std^2 I). */
function gaussNll(p: Points, mu: number, std: number): Float64Array {
  const out = new Float64Array(p.n);
  for (let r = 0; r < p.n; r++) for (let j = 0; j < p.d; j++) out[r] += gaussianNll(p.data[r * p.d + j], mu, std * std);
  return out;
}

describe('bound on a known density (standard 2-D normal)', () => {
  it('the exact reverse process (eps* = sqrt(1 - abar_t) x_t, sigma^2 = beta_t) has bound = NLL; beta-tilde_t is strictly looser', () => {
    // For x_0 ~ N(0, I) every marginal is N(0, I) and q(x_{t-1} | x_t) = N(sqrt(alpha_t) x_t, beta_t I): with that
    // predictor and sigma^2 = beta_t the model is the true joint, so the bound's gap (a KL between posteriors) is 0.
    const s = makeSchedule('linear', 100), d = 2, n = 20_000, rng = new Rng(3);
    const x0 = Float32Array.from({ length: n * d }, () => rng.normal());
    const oracle: EpsFn = (x, i) => x.map((v) => v * s.sqrtOneMinusAlphaBar[i]);
    const nll = gaussNll({ data: x0, n, d }, 0, 1);
    const beta = variationalBound(oracle, x0, d, s, { variance: 'beta', seed: 2 });
    const diff = meanSe(beta.perPoint.map((b, r) => b - nll[r]));
    expect(Math.abs(diff.mean), `bound - NLL = ${diff.mean} +- ${diff.se}`).toBeLessThan(4 * diff.se);
    expect(diff.se).toBeLessThan(0.02);
    const post = variationalBound(oracle, x0, d, s, { variance: 'posterior', seed: 2 });
    expect(post.totalNats - meanSe(nll).mean).toBeGreaterThan(1); // about 2.6 nats: beta-tilde is too small for this data
  });

  it('a trained model: bound >= true NLL (within 3 SE) and within 0.1 nats of it, in data units', async () => {
    // N(1, 3^2 I): the model trains on standardised points, so the data-unit bound must carry + 2 log 3.
    const raw = getDataset('gaussian', 6000, 4);
    const data: Points = { ...raw, data: raw.data.map((v) => 1 + 3 * v) };
    const m = await createDiffusion({ data, T: 50, steps: 1500, seed: 1, model: { width: 48, depth: 2, embedSize: 32 } });
    await m.train();
    const heldRaw = getDataset('gaussian', 8000, 77);
    const held: Points = { ...heldRaw, data: heldRaw.data.map((v) => 1 + 3 * v) };
    const r = m.bound(held, { variance: 'beta', seed: 3 });
    const nll = gaussNll(held, 1, 3);
    const diff = meanSe(r.perPoint.map((b, i) => b + r.logDet - nll[i]));
    expect(r.logDet).toBeCloseTo(2 * Math.log(3), 1);
    expect(diff.mean, `bound - NLL = ${diff.mean} +- ${diff.se} nats`).toBeGreaterThan(-3 * diff.se);
    expect(diff.mean).toBeLessThan(0.1);
    expect(r.bitsPerDim).toBeCloseTo((meanSe(nll).mean + diff.mean) / (2 * Math.LN2), 6);
  });
});
