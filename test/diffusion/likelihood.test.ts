// The probability-flow likelihood (src/diffusion/likelihood.ts) against densities known in closed form: the exact
// score of a Gaussian data set (a correlated 2-D normal N(0, C): every marginal q(x_t) = N(0, abar C + (1 - abar) I),
// so eps*(x, t) = sqrt(1 - abar) M_t^-1 x) must give back -log N(x_0; 0, C) point by point; Hutchinson's estimate is
// unbiased for it; and a trained model on the `gaussian` data set (a standard normal) lies within 0.05 nats per point
// of the true NLL on held-out points, with the VLB of the same model on the same points at least that NLL up to the
// sampling noise of its estimate. The ODE sampler decodes the likelihood's latents back to the data.
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { type Diffusion, createDiffusion } from '../../src/api/diffusion';
import { getDataset } from '../../src/data/datasets';
import { standardize } from '../../src/data/points';
import { type EpsVjpFn, logAbsDet, probabilityFlowNll } from '../../src/diffusion/likelihood';
import { reverseSample } from '../../src/diffusion/samplers';
import { type Schedule, makeSchedule } from '../../src/schedule/schedule';
import { Rng } from '../../src/util/rng';
import { meanSe } from '../reference';

/** The exact eps of data N(0, C) (2 x 2, [c00, c01, c11]) on schedule s, and its (symmetric) Jacobian's products. */
function gaussianOracle(s: Schedule, c: [number, number, number]): EpsVjpFn {
  return (x, i, cot) => {
    const ab = s.alphaBar[i], sig = Math.sqrt(1 - ab);
    const m00 = ab * c[0] + 1 - ab, m01 = ab * c[1], m11 = ab * c[2] + 1 - ab, det = m00 * m11 - m01 * m01;
    // J = sig M^-1
    const j00 = (sig * m11) / det, j01 = (-sig * m01) / det, j11 = (sig * m00) / det;
    const apply = (v: Float32Array) => {
      const out = new Float32Array(v.length);
      for (let r = 0; r < v.length / 2; r++) {
        out[2 * r] = j00 * v[2 * r] + j01 * v[2 * r + 1];
        out[2 * r + 1] = j01 * v[2 * r] + j11 * v[2 * r + 1];
      }
      return out;
    };
    return { eps: apply(x), vjp: cot.map(apply) };
  };
}

/** -log N(x; 0, C) per point. */
function gaussianNll(x: Float32Array, c: [number, number, number]): Float64Array {
  const det = c[0] * c[2] - c[1] * c[1], out = new Float64Array(x.length / 2);
  for (let r = 0; r < out.length; r++) {
    const a = x[2 * r], b = x[2 * r + 1];
    const q = (c[2] * a * a - 2 * c[1] * a * b + c[0] * b * b) / det;
    out[r] = Math.log(2 * Math.PI) + 0.5 * Math.log(det) + 0.5 * q;
  }
  return out;
}

function drawGaussian(n: number, c: [number, number, number], seed: number): Float32Array {
  const rng = new Rng(seed), l00 = Math.sqrt(c[0]), l10 = c[1] / l00, l11 = Math.sqrt(c[2] - l10 * l10);
  const x = new Float32Array(2 * n);
  for (let r = 0; r < n; r++) {
    const u = rng.normal(), v = rng.normal();
    x[2 * r] = l00 * u;
    x[2 * r + 1] = l10 * u + l11 * v;
  }
  return x;
}

/**
 * The law of the deterministic model with the exact score: x_1 ~ N(0, M_1) exactly (the flow from T), then the
 * sampler's step x_0 = (x_1 - sigma_1 eps*(x_1)) / alpha_1 = alpha_1 C M_1^-1 x_1, so x_0 ~ N(0, alpha_1^2 C M_1^-1 C):
 * C shrunk by about s_1^2 = (1 - abar_1) / abar_1 (the sampler ends on the posterior mean E[x_0 | x_1]).
 */
function modelCovariance(s: Schedule, c: [number, number, number]): [number, number, number] {
  const ab = s.alphaBar[0], m00 = ab * c[0] + 1 - ab, m01 = ab * c[1], m11 = ab * c[2] + 1 - ab, det = m00 * m11 - m01 * m01;
  const i00 = m11 / det, i01 = -m01 / det, i11 = m00 / det;
  // C M^-1 C (symmetric)
  const a00 = c[0] * i00 + c[1] * i01, a01 = c[0] * i01 + c[1] * i11, a10 = c[1] * i00 + c[2] * i01, a11 = c[1] * i01 + c[2] * i11;
  return [ab * (a00 * c[0] + a01 * c[1]), ab * (a00 * c[1] + a01 * c[2]), ab * (a10 * c[1] + a11 * c[2])];
}

describe('logAbsDet', () => {
  it('hand cases: a zero leading pivot (needs the row swap), a negative determinant, a singular matrix', () => {
    // det [[0, 2, 1], [1, 1, 0], [3, 0, 4]] = 0 (4 - 0) - 2 (4 - 0) + 1 (0 - 3) = -11
    expect(logAbsDet(new Float64Array([0, 2, 1, 1, 1, 0, 3, 0, 4]), 3)).toBeCloseTo(Math.log(11), 12);
    expect(logAbsDet(new Float64Array([2, 0, 0, 0.5]), 2)).toBeCloseTo(0, 12);
    expect(logAbsDet(new Float64Array([1, 2, 2, 4]), 2)).toBe(-Infinity);
  });
});

describe('probabilityFlowNll with the exact score of a Gaussian', () => {
  const C: [number, number, number] = [2.0, 0.9, 0.6];
  const x0 = drawGaussian(500, C, 1);

  const worstError = (T: number, K: number) => {
    const s = makeSchedule('linear', T), truth = gaussianNll(x0, modelCovariance(s, C));
    const r = probabilityFlowNll(gaussianOracle(s, C), x0, 2, s, { steps: K });
    let worst = 0;
    for (let p = 0; p < r.n; p++) worst = Math.max(worst, Math.abs(r.perPoint[p] - truth[p]));
    expect(r.evaluations).toBe(2 * K - 2);
    expect(r.totalNats).toBeCloseTo(r.prior - r.logVolume, 9);
    return worst;
  };

  it('every point within 2e-3 nats of the model law at T = K = 1000, and within 0.03 at T = K = 200', () => {
    // (C's small eigenvalue, 0.16, makes this harder than the standard normal: 1.0e-3 and 0.017 measured)
    expect(worstError(1000, 1000)).toBeLessThan(2e-3);
    expect(worstError(200, 200)).toBeLessThan(0.03);
  });

  it('the error is second order in the step: halving K quarters it (T = 200: K = 50, 100, 200)', () => {
    const e50 = worstError(200, 50), e100 = worstError(200, 100), e200 = worstError(200, 200);
    for (const ratio of [e50 / e100, e100 / e200]) {
      expect(ratio).toBeGreaterThan(3);
      expect(ratio).toBeLessThan(5);
    }
  });

  it('the latents whiten the data: |x_T|^2 = x_0^T C\'^-1 x_0 (x_T = C\'^-1/2 x_0 up to a rotation)', () => {
    const s = makeSchedule('linear', 1000), Cm = modelCovariance(s, C);
    const r = probabilityFlowNll(gaussianOracle(s, C), x0.subarray(0, 200), 2, s, { steps: 1000 });
    const det = Cm[0] * Cm[2] - Cm[1] * Cm[1];
    for (let p = 0; p < 100; p++) {
      const a = x0[2 * p], b = x0[2 * p + 1], q = (Cm[2] * a * a - 2 * Cm[1] * a * b + Cm[0] * b * b) / det;
      expect(Math.abs(r.latents[2 * p] ** 2 + r.latents[2 * p + 1] ** 2 - q)).toBeLessThan(1e-3 * (1 + q));
    }
  });

  it('Hutchinson (1 and 4 Rademacher probes) is unbiased: its mean is within 4 standard errors of the exact one', () => {
    const s = makeSchedule('linear', 100), f = gaussianOracle(s, C);
    const exact = probabilityFlowNll(f, x0, 2, s);
    for (const probes of [1, 4]) {
      const h = probabilityFlowNll(f, x0, 2, s, { probes, seed: 5 });
      const diff = meanSe(h.perPoint.map((v, p) => v - exact.perPoint[p]));
      expect(h.divergence).toBe('hutchinson');
      expect(diff.se, 'the probes add variance (off-diagonal J)').toBeGreaterThan(0);
      expect(Math.abs(diff.mean), `Hutchinson - exact = ${diff.mean} +- ${diff.se}`).toBeLessThan(4 * diff.se);
    }
  });

  it('adds the standardisation log-det and converts to bits/dim', () => {
    const s = makeSchedule('linear', 20);
    const r = probabilityFlowNll(gaussianOracle(s, C), x0.subarray(0, 20), 2, s, { logDet: 0.75 });
    expect(r.nats).toBeCloseTo(r.totalNats + 0.75, 12);
    expect(r.bitsPerDim).toBeCloseTo(r.nats / (2 * Math.LN2), 12);
  });
});

describe('a model trained on the gaussian data set (a standard normal, known density)', () => {
  // A raw-input MLP: eps* = sqrt(1 - abar_t) x is linear in x. (With the scale-25 input embedding the same training
  // leaves small high-frequency ripples in eps_theta whose divergence the ODE's likelihood pays for: docs/math.md.)
  let m: Diffusion;
  const held = getDataset('gaussian', 2000, 77);
  const truth = gaussianNll(held.data, [1, 0, 1]);
  beforeAll(async () => {
    m = await createDiffusion({ dataset: 'gaussian', nData: 6000, T: 50, steps: 1500, seed: 1,
      model: { width: 48, depth: 2, embedSize: 32, inputEmbedding: false } });
    await m.train();
  });

  it('ODE likelihood within 0.05 nats per point of the true NLL; the VLB at least the true NLL (3 standard errors)', () => {
    const r = m.nll(held, { steps: 50 });
    const ode = meanSe(r.perPoint.map((v, p) => v + r.logDet - truth[p]));
    expect(Math.abs(ode.mean), `ODE NLL - true NLL = ${ode.mean} +- ${ode.se} nats`).toBeLessThan(0.05);
    expect(r.nats).toBeCloseTo(meanSe(truth).mean + ode.mean, 9);
    // The bound's only randomness is its one x_t per (x_0, t): the sd of the per-point differences is its noise.
    const b = m.bound(held, { variance: 'beta', seed: 3 });
    const vlb = meanSe(b.perPoint.map((v, p) => v + b.logDet - truth[p]));
    expect(vlb.mean, `VLB - true NLL = ${vlb.mean} +- ${vlb.se} nats`).toBeGreaterThan(-3 * vlb.se);
    expect(vlb.se, 'the tolerance is not vacuous').toBeLessThan(0.05);
  });

  it('the ODE sampler decodes the likelihood latents back to the points (the two directions of one flow)', () => {
    const pts = { ...held, n: 200, data: held.data.subarray(0, 400) };
    const r = m.nll(pts, { steps: 50 });
    const back = reverseSample(m.engine, 200, { sampler: 'ode', steps: 50, xT: r.latents });
    const z = standardize(pts, m.standardization).data;
    let worst = 0;
    for (let q = 0; q < z.length; q++) worst = Math.max(worst, Math.abs(back[q] - z[q]));
    expect(worst).toBeLessThan(0.01);
  });
});
