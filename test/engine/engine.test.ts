import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Engine, STREAM_SAMPLE } from '../../src/engine/engine';
import { type ModelConfig, paramSpecs } from '../../src/engine/model';
import { Rng } from '../../src/util/rng';
import { relaxedSimdSupported } from '../../src/engine/wasm';
import { ddpmCoefficients, makeSchedule } from '../../src/schedule/schedule';
import { type Named, centralDiff, referenceForward, referenceLoss } from '../reference';

const tiny: ModelConfig = { dim: 2, embedSize: 6, width: 10, depth: 2, activation: 'gelu', inputEmbedding: true, inputScale: 3 };

async function engineWithBatch(model: ModelConfig, n: number, flavor?: 'simd' | 'scalar', seed = 5, tValues = 40) {
  const rng = new Rng(99);
  const data = Float32Array.from({ length: 64 * model.dim }, () => rng.normal());
  const e = await Engine.create({ model, schedule: makeSchedule('linear', 40), rows: n, seed, data, flavor });
  // A hand-set batch: x_t, eps and t, so the reference sees exactly the same inputs.
  const xt = e.arena.f32('batch', 'xt'), eps = e.arena.f32('batch', 'eps');
  const t = e.arena.t('batch', 't').view as Int32Array;
  for (let i = 0; i < n * model.dim; i++) {
    xt[i] = rng.normal();
    eps[i] = rng.normal();
  }
  for (let i = 0; i < n; i++) t[i] = rng.intBelow(tValues);
  return e;
}

function batchOf(e: Engine, n: number) {
  const d = e.model.dim;
  const xt = e.arena.f32('batch', 'xt'), eps = e.arena.f32('batch', 'eps');
  const tv = e.arena.t('batch', 't').view as Int32Array;
  const rows = (v: Float32Array) => Array.from({ length: n }, (_, i) => Array.from(v.subarray(i * d, i * d + d)));
  return { x: rows(xt), eps: rows(eps), t: Array.from(tv.subarray(0, n)) };
}

function named(e: Engine): Named {
  const out: Named = {};
  for (const s of paramSpecs(e.model)) out[s.name] = { shape: s.shape, data: Float64Array.from(e.arena.f32('params', s.name)) };
  return out;
}

describe.each(['simd', 'scalar'] as const)('engine (%s build)', (flavor) => {
  for (const activation of ['gelu', 'silu', 'relu'] as const) {
    it(`forward pass matches the float64 reference (${activation})`, async () => {
      const model = { ...tiny, activation };
      const n = 7;
      const e = await engineWithBatch(model, n, flavor);
      e.forward(n, e.arena.ptr('batch', 'xt'));
      const { x, t } = batchOf(e, n);
      const ref = referenceForward(model, named(e), x, t);
      const out = e.arena.f32('acts', 'out');
      for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) expect(out[i * 2 + j]).toBeCloseTo(ref[i][j], 4);
    });
  }

  it('every parameter gradient matches central finite differences of the float64 reference', async () => {
    const n = 7;
    const e = await engineWithBatch(tiny, n, flavor);
    const loss = e.lossAndGrad(n);
    const { x, eps, t } = batchOf(e, n);
    const p = named(e);
    expect(loss).toBeCloseTo(referenceLoss(tiny, p, x, t, eps), 5);
    const h = 1e-5;
    for (const s of paramSpecs(tiny)) {
      const g = e.arena.f32('grads', s.name);
      const w = p[s.name].data as Float64Array;
      let maxErr = 0, scale = 0;
      for (let i = 0; i < w.length; i++) {
        const fd = centralDiff(w, i, h, () => referenceLoss(tiny, p, x, t, eps));
        maxErr = Math.max(maxErr, Math.abs(fd - g[i]));
        scale = Math.max(scale, Math.abs(fd));
      }
      expect(scale, s.name).toBeGreaterThan(0);
      expect(maxErr / scale, s.name).toBeLessThan(2e-3);
    }
  });

  // The first layer's t-columns go through W_t e(t) + b once per distinct t (assembly/timebias.ts): a batch with only
  // 3 distinct t among 13 rows must still give the per-row layer's output and every gradient of it.
  for (const inputEmbedding of [true, false]) {
    it(`t-shared first layer, repeated t (input embedding ${inputEmbedding}): ` +
      'forward and every gradient match the float64 reference', async () => {
      const model = { ...tiny, inputEmbedding };
      const n = 13;
      const e = await engineWithBatch(model, n, flavor, 5, 3);
      const loss = e.lossAndGrad(n);
      const { x, eps, t } = batchOf(e, n);
      expect(new Set(t).size).toBeLessThan(n);
      const p = named(e);
      const ref = referenceForward(model, p, x, t), out = e.arena.f32('acts', 'out');
      for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) expect(out[i * 2 + j]).toBeCloseTo(ref[i][j], 4);
      expect(loss).toBeCloseTo(referenceLoss(model, p, x, t, eps), 5);
      for (const s of paramSpecs(model)) {
        const g = e.arena.f32('grads', s.name), w = p[s.name].data as Float64Array;
        let maxErr = 0, scale = 0;
        for (let i = 0; i < w.length; i++) {
          const fd = centralDiff(w, i, 1e-5, () => referenceLoss(model, p, x, t, eps));
          maxErr = Math.max(maxErr, Math.abs(fd - g[i]));
          scale = Math.max(scale, Math.abs(fd));
        }
        expect(maxErr / scale, s.name).toBeLessThan(2e-3);
      }
    });
  }

  it('default-size model: sampled gradient entries match finite differences', async () => {
    const model: ModelConfig = { dim: 2, embedSize: 128, width: 128, depth: 3, activation: 'gelu', inputEmbedding: true, inputScale: 25 };
    const n = 11;
    const e = await engineWithBatch(model, n, flavor);
    e.lossAndGrad(n);
    const { x, eps, t } = batchOf(e, n);
    const p = named(e);
    const rng = new Rng(3);
    const h = 1e-4;
    for (const s of paramSpecs(model)) {
      const g = e.arena.f32('grads', s.name);
      const w = p[s.name].data as Float64Array;
      let gmax = 0;
      for (let i = 0; i < g.length; i++) gmax = Math.max(gmax, Math.abs(g[i]));
      for (let k = 0; k < 6; k++) {
        const i = rng.intBelow(w.length);
        const fd = centralDiff(w, i, h, () => referenceLoss(model, p, x, t, eps));
        expect(Math.abs(fd - g[i]), `${s.name}[${i}]`).toBeLessThan(5e-3 * gmax + 1e-6);
      }
    }
  });
});

describe('engine: the opt-in FMA build (relaxed SIMD)', () => {
  it('loads where relaxed SIMD runs, trains like the plain build to float tolerance, and repeats bit for bit', async () => {
    const rng = new Rng(7);
    const data = Float32Array.from({ length: 512 }, () => rng.normal());
    const model: ModelConfig = { dim: 2, embedSize: 16, width: 19, depth: 2, activation: 'gelu', inputEmbedding: true, inputScale: 5 };
    const run = async (fma: boolean) => {
      const e = await Engine.create({ model, schedule: makeSchedule('linear', 30), rows: 23, seed: 3, data, fma });
      const losses = Array.from({ length: 5 }, () => e.trainStep(1e-3).loss);
      return { fma: e.fma, losses, params: e.arena.slabView('params').slice() };
    };
    const plain = await run(false), a = await run(true), b = await run(true);
    expect(plain.fma).toBe(false);
    expect(a.fma).toBe(relaxedSimdSupported()); // Node 20: V8's flag is set at run time; Node 22+ and browsers: on
    expect(b.params).toEqual(a.params);
    let d = 0;
    for (let i = 0; i < a.params.length; i++) d = Math.max(d, Math.abs(a.params[i] - plain.params[i]));
    expect(d).toBeLessThan(1e-4); // 5 AdamW steps of lr 1e-3 from the same start: rounding differences only
    for (let i = 0; i < 5; i++) expect(a.losses[i]).toBeCloseTo(plain.losses[i], 4);
  });
});

describe('engine: training and sampling mechanics', () => {
  it('q_sample: mean and variance of x_t given x_0 match sqrt(abar) x_0 and 1 - abar (tolerance from the sample size)', async () => {
    const n = 4096, T = 40;
    const s = makeSchedule('linear', T);
    const data = new Float32Array(n * 2).fill(0.8);
    const e = await Engine.create({ model: tiny, schedule: s, rows: n, seed: 1, data });
    const sums = new Float64Array(T), sq = new Float64Array(T), counts = new Float64Array(T);
    for (let rep = 0; rep < 8; rep++) {
      e.drawBatch(n);
      const xt = e.arena.f32('batch', 'xt'), t = e.arena.t('batch', 't').view as Int32Array;
      for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) {
        sums[t[i]] += xt[i * 2 + j];
        sq[t[i]] += xt[i * 2 + j] ** 2;
        counts[t[i]]++;
      }
    }
    for (let i = 0; i < T; i++) {
      const m = sums[i] / counts[i], v = sq[i] / counts[i] - m * m;
      const mu = s.sqrtAlphaBar[i] * 0.8, varT = 1 - s.alphaBar[i];
      expect(Math.abs(m - mu), `mean at t=${i + 1}`).toBeLessThan(5 * Math.sqrt(varT / counts[i]));
      // var of the sample variance of a Gaussian: 2 sigma^4 / (n - 1)
      expect(Math.abs(v - varT), `var at t=${i + 1}`).toBeLessThan(5 * Math.sqrt((2 * varT * varT) / (counts[i] - 1)) + 1e-6);
    }
  });

  it('t draws are uniform over 1..T (chi-square)', async () => {
    const n = 4000, T = 20;
    const e = await Engine.create({ model: tiny, schedule: makeSchedule('linear', T), rows: n, seed: 2, data: new Float32Array(20) });
    e.drawBatch(n);
    const t = e.arena.t('batch', 't').view as Int32Array;
    const c = new Array(T).fill(0);
    for (let i = 0; i < n; i++) c[t[i]]++;
    const exp = n / T;
    const chi2 = c.reduce((s, o) => s + (o - exp) ** 2 / exp, 0);
    expect(chi2).toBeLessThan(43.8); // chi-square 19 dof, p = 0.001
    expect(Math.min(...t.subarray(0, n))).toBe(0);
    expect(Math.max(...t.subarray(0, n))).toBe(T - 1);
  });

  it('t applications of q(x_t | x_{t-1}) match q(x_t | x_0) in distribution', async () => {
    const T = 30, s = makeSchedule('cosine', T), n = 20000, x0 = 1.5;
    const rng = new Rng(11);
    for (const tEnd of [1, 5, 15, 30]) {
      let m = 0, m2 = 0;
      for (let k = 0; k < n; k++) {
        let x = x0;
        for (let i = 0; i < tEnd; i++) x = Math.sqrt(1 - s.beta[i]) * x + Math.sqrt(s.beta[i]) * rng.normal();
        m += x;
        m2 += x * x;
      }
      m /= n;
      const v = m2 / n - m * m, i = tEnd - 1, varT = 1 - s.alphaBar[i];
      expect(Math.abs(m - s.sqrtAlphaBar[i] * x0)).toBeLessThan(5 * Math.sqrt(varT / n));
      expect(Math.abs(v - varT)).toBeLessThan(5 * Math.sqrt((2 * varT * varT) / n) + 1e-9);
    }
  });

  it('two runs with one seed give bit-identical losses, weights and samples; another seed differs', async () => {
    const run = async (seed: number) => {
      const rng = new Rng(4);
      const data = Float32Array.from({ length: 500 * 2 }, () => rng.normal());
      const e = await Engine.create({ model: tiny, schedule: makeSchedule('linear', 20), rows: 32, seed, data });
      const losses: number[] = [];
      for (let i = 0; i < 30; i++) losses.push(e.trainStep(1e-2).loss);
      return { losses, w: e.arena.slabView('params').slice(), ema: e.arena.slabView('ema').slice(),
        samples: e.sample(50, { variance: 'beta', clip: 3 }) };
    };
    const a = await run(7), b = await run(7), c = await run(8);
    expect(b.losses).toEqual(a.losses);
    expect(Buffer.from(b.w.buffer).equals(Buffer.from(a.w.buffer))).toBe(true);
    expect(Buffer.from(b.ema.buffer).equals(Buffer.from(a.ema.buffer))).toBe(true);
    expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
    expect(c.losses).not.toEqual(a.losses);
  });

  it('the wasm memory does not grow after the first training step, nor while sampling', async () => {
    const rng = new Rng(4);
    const data = Float32Array.from({ length: 1000 * 2 }, () => rng.normal());
    const e = await Engine.create({ model: { ...tiny, width: 64, embedSize: 32 }, schedule: makeSchedule('linear', 50), rows: 128, seed: 1,
      data });
    e.trainStep(1e-3);
    const bytes = e.memoryBytes();
    for (let i = 0; i < 200; i++) e.trainStep(1e-3);
    e.sample(300, { variance: 'posterior' });
    expect(e.memoryBytes()).toBe(bytes);
  });

  it('training lowers the loss on a simple data set', async () => {
    const rng = new Rng(4);
    const data = Float32Array.from({ length: 2000 * 2 }, (_, i) => (i % 2 ? 0.3 : -0.5) + 0.1 * rng.normal());
    const e = await Engine.create({ model: { ...tiny, width: 32, embedSize: 16 }, schedule: makeSchedule('linear', 50), rows: 64, seed: 1,
      data });
    const first: number[] = [], last: number[] = [];
    for (let i = 0; i < 600; i++) {
      const l = e.trainStep(3e-3).loss;
      if (i < 20) first.push(l);
      if (i >= 580) last.push(l);
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(last)).toBeLessThan(0.7 * mean(first));
  });
});

// Engine.sample splits the first layer: every row of a step has the same t, so a0 = emb(x) W_x^T + (W_t tEmb_t + b)
// with the bracket computed once per step. It must be forward()'s network up to float32 summation order.
describe.each(['simd', 'scalar'] as const)('sampling through the split first layer (%s build)', (flavor) => {
  const cases: [string, ModelConfig][] = [
    ['tiny', tiny],
    ['default size', { dim: 2, embedSize: 128, width: 128, depth: 3, activation: 'gelu', inputEmbedding: true, inputScale: 25 }],
    ['no input embedding, dim 3', { ...tiny, dim: 3, inputEmbedding: false }],
  ];
  // 23 rows: 5 row tiles of 4 plus a tail of 3; a few training steps so that params and ema differ.
  const n = 23, T = 12;
  async function trained(model: ModelConfig) {
    const rng = new Rng(8);
    const data = Float32Array.from({ length: 200 * model.dim }, () => rng.normal());
    const e = await Engine.create({ model, schedule: makeSchedule('linear', T), rows: n, seed: 3, data, flavor });
    for (let s = 0; s < 5; s++) e.trainStep(1e-2);
    return e;
  }
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, j) => Math.max(m, Math.abs(v - b[j])), 0);
  const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

  for (const [label, model] of cases) {
    for (const weights of ['ema', 'params'] as const) {
      it(`eps of every step equals forward() on the same x and t (${label}, ${weights} weights)`, async () => {
        const e = await trained(model), a = e.arena, m = n * model.dim;
        const xs: Float32Array[] = [], eps: Float32Array[] = [];
        e.sample(n, {
          variance: 'posterior', weights, clip: 3,
          onStep: (i, x) => {
            xs[i] = x.slice(); // x_i, the input of step i - 1
            if (i < T) eps[i] = a.f32('acts', 'out').slice(0, m); // step i's eps_theta(x_{i+1}, i)
          },
        });
        const other = weights === 'ema' ? 'params' : 'ema';
        let worst = 0, scale = 0, apart = 0;
        for (let i = 0; i < T; i++) {
          a.f32('batch', 'xt').set(xs[i + 1]);
          (a.t('batch', 't').view as Int32Array).fill(i, 0, n);
          e.forward(n, a.ptr('batch', 'xt'), weights);
          const ref = a.f32('acts', 'out').subarray(0, m);
          worst = Math.max(worst, maxDiff(eps[i], ref));
          scale = Math.max(scale, maxAbs(ref));
          // The same comparison with the other slab's weights fails: the split copies the slab it was asked for.
          e.forward(n, a.ptr('batch', 'xt'), other);
          apart = Math.max(apart, maxDiff(eps[i], a.f32('acts', 'out').subarray(0, m)));
        }
        expect(scale).toBeGreaterThan(0.1);
        expect(worst / scale).toBeLessThan(2e-6);
        expect(apart / scale).toBeGreaterThan(1e-3);
      });
    }
  }

  it('samples follow Algorithm 2 run through forward() (same noise) to float32 tolerance, not bit for bit', async () => {
    const model = cases[1][1], d = model.dim, e = await trained(model), a = e.arena, k = e.k, rng = a.ptr('rng', 'sample');
    // With the clamp: an untrained network sampled without it runs off to |x| ~ 500, where the input embedding
    // (scale 25) magnifies any rounding difference step after step; that would measure chaos, not the split.
    const clip = 3;
    for (const variance of ['beta', 'posterior'] as const) {
      k.rngSeed(rng, 11n, STREAM_SAMPLE);
      const fast = e.sample(n, { variance, clip });
      // The reference: the loop Engine.sample ran before the split (and src/diffusion/samplers.ts's DDPM path runs).
      k.rngSeed(rng, 11n, STREAM_SAMPLE);
      let x = a.ptr('batch', 'xt'), xNext = a.ptr('batch', 'xPrev');
      k.rngNormal(x, n * d, rng);
      for (let i = T - 1; i >= 0; i--) {
        (a.t('batch', 't').view as Int32Array).fill(i, 0, n);
        if (ddpmCoefficients(e.schedule, i, variance).sigma > 0) k.rngNormal(a.ptr('batch', 'z'), n * d, rng);
        e.forward(n, x, 'ema');
        e.reverseStepRows(xNext, x, a.ptr('acts', 'out'), n, i, variance, clip, a.ptr('batch', 'z'));
        [x, xNext] = [xNext, x];
      }
      const ref = new Float32Array(a.memory.buffer, x, n * d).slice();
      expect(maxAbs(ref)).toBeGreaterThan(0.1);
      // Per step the two differ by rounding (the test above); over the steps the embedding magnifies it (seen: 2e-5
      // SIMD, 3e-4 scalar). 1e-3, as test/engine/threads.test.ts allows between thread counts.
      expect(maxDiff(fast, ref), variance).toBeLessThan(1e-3);
    }
  });
});
