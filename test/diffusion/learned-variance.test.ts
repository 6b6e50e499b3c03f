// Learned variance (src/diffusion/learned-variance.ts): the hybrid and vlb objectives' gradients against central finite
// differences, first with respect to the network outputs (float64, tight), then through the network's parameters
// (float32 engine, a looser tolerance); the stop-gradient of the hybrid objective (no L_vlb gradient on eps_theta).
import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Engine } from '../../src/engine/engine';
import { reverseSample } from '../../src/diffusion/samplers';
import { type BatchView, engineBatch, learnedLoss, learnedLossAndGrad } from '../../src/diffusion/learned-variance';
import { engineEps, variationalBound } from '../../src/diffusion/bound';
import type { ModelConfig } from '../../src/engine/model';
import { Rng } from '../../src/util/rng';
import { makeSchedule } from '../../src/schedule/schedule';
import { centralDiff } from '../reference';

const s = makeSchedule('linear', 12);

function randomBatch(n: number, d: number, rng: Rng): BatchView & { out: Float64Array } {
  const t = Int32Array.from({ length: n }, (_, r) => (r < 2 ? 0 : rng.intBelow(s.T))); // rows with t = 1 (the decoder) included
  const x0 = Float64Array.from({ length: n * d }, () => rng.normal());
  const eps = Float64Array.from({ length: n * d }, () => rng.normal());
  const xt = Float64Array.from({ length: n * d },
    (_, q) => s.sqrtAlphaBar[t[Math.floor(q / d)]] * x0[q] + s.sqrtOneMinusAlphaBar[t[Math.floor(q / d)]] * eps[q]);
  const out = Float64Array.from({ length: n * 2 * d }, () => 0.5 * rng.normal());
  return { n, d, out, x0, xt, eps, t };
}

describe('learned-variance objectives', () => {
  it.each(['hybrid', 'vlb'] as const)('%s: gradient w.r.t. the outputs matches central differences', (loss) => {
    const rng = new Rng(8), b = randomBatch(7, 2, rng), o = { loss, lambda: 0.3 };
    const g = new Float64Array(b.out.length);
    learnedLoss(s, b, o, g);
    const h = 1e-6;
    for (let q = 0; q < b.out.length; q++) {
      if (loss === 'hybrid' && q % 4 < 2) continue; // eps outputs: hybrid differentiates L_simple only (checked below)
      expect(g[q]).toBeCloseTo(centralDiff(b.out, q, h, () => learnedLoss(s, b, o).total), 6);
    }
  });

  it('hybrid: eps_theta gets the gradient of L_simple alone (stop-gradient on the mean in L_vlb)', () => {
    const rng = new Rng(9), b = randomBatch(5, 2, rng);
    const g = new Float64Array(b.out.length), gs = new Float64Array(b.out.length);
    learnedLoss(s, b, { loss: 'hybrid', lambda: 0.3 }, g);
    learnedLoss(s, b, { loss: 'hybrid', lambda: 0 }, gs);
    for (let r = 0; r < 5; r++) for (let j = 0; j < 2; j++) {
      expect(g[r * 4 + j]).toBe(gs[r * 4 + j]);
      expect(g[r * 4 + j]).toBeCloseTo((2 * (b.out[r * 4 + j] - b.eps[r * 2 + j])) / 10, 12);
    }
  });

  it.each(['hybrid', 'vlb'] as const)('%s: parameter gradients through the network match central differences', async (loss) => {
    const model: ModelConfig = {
      dim: 2, embedSize: 6, width: 12, depth: 1, activation: 'gelu', inputEmbedding: true, inputScale: 2, learnSigma: true,
    };
    const rng = new Rng(3), n = 11;
    const data = Float32Array.from({ length: 64 }, () => rng.normal());
    const e = await Engine.create({ model, schedule: s, rows: n, seed: 4, data });
    e.drawBatch(n);
    const tv = e.arena.t('batch', 't').view as Int32Array;
    tv[0] = 0; // keep a decoder row
    const o = { loss, lambda: 0.5 };
    learnedLossAndGrad(e, n, o);
    // The hybrid objective's gradient is that of L_simple + lambda L_vlb with mu_theta's eps held at its current value.
    const out = e.arena.f32('acts', 'out');
    const frozenEps = loss === 'hybrid' ? Float64Array.from({ length: n * 2 }, (_, q) => out[Math.floor(q / 2) * 4 + (q % 2)]) : undefined;
    const grads = e.arena.slabView('grads').slice(), params = e.arena.slabView('params');
    const lossAt = () => {
      e.forward(n, e.arena.ptr('batch', 'xt'), 'params');
      return learnedLoss(s, engineBatch(e, n), { ...o, frozenEps }).total;
    };
    // The largest-gradient entries of each tensor: where float32 differences are meaningful.
    let checked = 0;
    for (const name of ['inp.weight', 'blocks.0.weight', 'out.weight', 'out.bias']) {
      const t = e.arena.t('params', name), base = (t.offset - e.arena.slabPtr('params')) / 4;
      const order = Array.from({ length: t.size }, (_, q) => q).sort((a, b) => Math.abs(grads[base + b]) - Math.abs(grads[base + a]));
      for (const q of order.slice(0, 4)) {
        const fd = centralDiff(params, base + q, 1e-2 * Math.max(1, Math.abs(params[base + q])), lossAt);
        expect(Math.abs(grads[base + q] - fd), `${name}[${q}]: analytic ${grads[base + q]}, fd ${fd}`)
          .toBeLessThan(0.03 * Math.abs(fd) + 2e-4);
        checked++;
      }
    }
    expect(checked).toBe(16);
  });
});

describe('sampling and the bound with a learned variance', () => {
  // A learnSigma network whose v head is constant (weights 0, bias v) against a fixed-variance network with the same
  // eps head: v = 1 must reproduce sigma^2 = beta_t and v = 0 beta-tilde_t, path by path with the same noise.
  it.each([[1, 'beta'], [0, 'posterior']] as const)('v = %s samples like sigma^2 = %s ' +
    '(same noise, K = T and respaced K = 5)', async (v, variance) => {
    const base: ModelConfig = { dim: 2, embedSize: 6, width: 12, depth: 1, activation: 'gelu', inputEmbedding: true, inputScale: 2 };
    const fixed = await Engine.create({ model: base, schedule: s, rows: 64, seed: 5 });
    const learnedE = await Engine.create({ model: { ...base, learnSigma: true }, schedule: s, rows: 64, seed: 5 });
    const named = fixed.namedTensors('ema');
    for (const [name, t] of named) {
      const dst = learnedE.arena.f32('ema', name);
      if (name === 'out.weight') { dst.fill(0); dst.set(t.data); } // rows 0..d-1 eps, rows d..2d-1 v (weights 0)
      else if (name === 'out.bias') { dst.set(t.data); dst[2] = v; dst[3] = v; }
      else dst.set(t.data);
    }
    for (const steps of [12, 5]) {
      fixed.k.rngSeed(fixed.arena.ptr('rng', 'sample'), 7n, 3);
      learnedE.k.rngSeed(learnedE.arena.ptr('rng', 'sample'), 7n, 3);
      const a = reverseSample(fixed, 100, { sampler: 'ddpm', variance, steps, clip: 3 });
      const b = reverseSample(learnedE, 100, { sampler: 'ddpm', steps, clip: 3 });
      let worst = 0;
      for (let q = 0; q < a.length; q++) worst = Math.max(worst, Math.abs(a[q] - b[q]));
      expect(worst, `steps ${steps}`).toBeLessThan(1e-4);
    }
    // and the bound sees the same variance
    const x0 = Float32Array.from({ length: 200 }, (_, q) => Math.sin(q));
    const rf = variationalBound(engineEps(fixed), x0, 2, s, { variance, seed: 1 });
    const rl = variationalBound(engineEps(learnedE), x0, 2, s, { variance: 'beta', seed: 1 });
    expect(rl.variance).toBe('learned');
    if (variance === 'beta') expect(rl.totalNats).toBeCloseTo(rf.totalNats, 3);
    // L_0: learned uses beta-tilde_2 clipped, as 'posterior' does
    else expect(rl.totalNats - rl.terms[0]).toBeCloseTo(rf.totalNats - rf.terms[0], 3);
  });
});
