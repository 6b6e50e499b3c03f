// The few-step solvers behind Diffusion.sample on a trained model: finite points in every solver, the same seed gives
// the same bits (and the thread count does not matter: each lane evaluates eps on its slice of the rows, and a row's
// eps does not depend on which rows share its tile), the start x_T decides a deterministic
// solver's endings, and their options are checked with one-line errors.
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { type Diffusion, createDiffusion } from '../../src/api/diffusion';
import { SOLVERS } from '../../src/diffusion/solvers';

let model: Diffusion, model2: Diffusion;
const same = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

beforeAll(async () => {
  const o = { dataset: 'moons', T: 60, steps: 400, nData: 3000, seed: 2, model: { width: 32, depth: 2, embedSize: 16 } };
  model = await createDiffusion({ ...o, threads: 1 });
  await model.train();
  model2 = await createDiffusion({ ...o, threads: 2 });
  model2.engine.loadNamed('ema', model.engine.namedTensors('ema'));
});

describe('solvers through Diffusion.sample', () => {
  it('every solver: finite points; same seed same bits, on 1 and 2 threads; another seed other points', () => {
    for (const sampler of SOLVERS) {
      const draw = (m: Diffusion, seed: number) => {
        m.reseedSampling(seed);
        return m.sample(1027, { sampler, steps: 8 }).points.data;
      };
      const a = draw(model, 4), b = draw(model, 4), c = draw(model2, 4), e = draw(model, 5);
      expect(a.every(Number.isFinite), sampler).toBe(true);
      expect(same(a, b), `${sampler}: same seed`).toBe(true);
      expect(same(a, c), `${sampler}: 2 threads`).toBe(true);
      expect(same(a, e), `${sampler}: another seed`).toBe(false);
    }
  });

  it('ode, ddim and respaced ddpm: the same bits on 1 and 2 threads', () => {
    for (const [sampler, steps] of [['ode', 6], ['ddim', 9], ['ddpm', 11]] as const) {
      const draw = (m: Diffusion) => {
        m.reseedSampling(7);
        return m.sample(1027, { sampler, steps }).points.data;
      };
      const a = draw(model), c = draw(model2);
      expect(a.every(Number.isFinite), sampler).toBe(true);
      expect(same(a, c), `${sampler}: 2 threads`).toBe(true);
    }
  });

  it('dpm2m and dpm3m: the endings are a function of x_T (no noise after it)', () => {
    const xT = new Float32Array(2 * 300).map((_, i) => Math.sin(i * 1.7) * 1.5);
    for (const sampler of ['dpm2m', 'dpm3m'] as const) {
      model.reseedSampling(1);
      const a = model.sample(300, { sampler, steps: 10, xT }).points.data;
      model.reseedSampling(2);
      const b = model.sample(300, { sampler, steps: 10, xT }).points.data;
      expect(same(a, b), sampler).toBe(true);
    }
  });

  it('recording: frames after every step, times from T down to 0', () => {
    const r = model.sample(50, { sampler: 'hybrid', steps: 4, split: 5, record: true });
    expect(r.times).toEqual([60, ...r.times!.slice(1, 4), 5, 4, 3, 2, 1, 0]); // 4 coarse steps down to the split, then 5 of Algorithm 2
    expect(r.times![1]).toBeLessThan(60);
    expect(r.times![3]).toBeGreaterThan(5);
    expect(r.frames).toHaveLength(r.times!.length);
    expect(same(r.frames![r.frames!.length - 1], r.points.data)).toBe(true);
  });

  it('options are checked: one-line UsageErrors naming the value', () => {
    expect(() => model.sample(10, { sampler: 'dpm2m', split: 3 })).toThrow('--split applies to hybrid, not dpm2m');
    expect(() => model.sample(10, { sampler: 'ddim', grid: 'time' })).toThrow(/--grid is an option of the solvers/);
    expect(() => model.sample(10, { sampler: 'churn', eta: 0.5 })).toThrow(/--eta is a ddim option/);
    expect(() => model.sample(10, { sampler: 'dpm3m', variance: 'beta' })).toThrow(/--variance applies to ddpm and hybrid/);
    expect(() => model.sample(10, { sampler: 'hybrid', steps: 58 })).toThrow('--steps must be an integer in [1, 57] for this grid, got 58');
  });
});
