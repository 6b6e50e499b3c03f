// The probability-flow ODE sampler (src/diffusion/samplers.ts, 'ode'): its endings are a deterministic function of
// x_T, bit for bit for a given thread count (and across them: it runs on one lane); it integrates the flow it claims
// (against a float64 re-derivation of its scheme over the same network); and it is second order where DDIM with
// eta = 0, the Euler method of the same ODE, is first.
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { type Diffusion, createDiffusion } from '../../src/api/diffusion';
import { engineEps } from '../../src/diffusion/bound';
import { probabilityFlowSample, reverseSample, timeSubsequence } from '../../src/diffusion/samplers';
import { Engine, STREAM_SAMPLE } from '../../src/engine/engine';
import { Rng } from '../../src/util/rng';

let model: Diffusion;
let xT: Float32Array;
const n = 1027, d = 2; // 1027 = 4 * 256 + 3 rows: SIMD tails in every elementwise kernel

beforeAll(async () => {
  // pinned, not the defaults: the convergence ratios below were read off this model
  model = await createDiffusion({
    dataset: 'moons', T: 100, steps: 800, nData: 4000, seed: 3, model: { width: 48, depth: 2, embedSize: 16 }, tSampling: 'uniform',
  });
  await model.train();
  const rng = new Rng(8);
  xT = Float32Array.from({ length: n * d }, () => rng.normal());
});

const same = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** An engine with the model's EMA weights on `threads` threads and `rows` rows per chunk. */
async function copyEngine(threads: number, rows: number): Promise<Engine> {
  const e = await Engine.create({ model: model.engine.model, schedule: model.schedule, rows, seed: 11, threads });
  e.loadNamed('ema', model.engine.namedTensors('ema'));
  return e;
}

describe('probability-flow ODE sampler', () => {
  it('endings are a deterministic function of x_T: bit for bit whatever the sample stream, on 1 and 2 threads', async () => {
    const outs: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const e = await copyEngine(threads, 256);
      const a = reverseSample(e, n, { sampler: 'ode', xT });
      e.k.rngSeed(e.arena.ptr('rng', 'sample'), 5n, STREAM_SAMPLE); // another stream state: x_T is given
      const b = reverseSample(e, n, { sampler: 'ode', xT });
      expect(same(a, b), `${threads} threads, same x_T twice`).toBe(true);
      outs.push(a);
      e.close();
    }
    expect(same(outs[0], outs[1]), 'one lane whatever the thread count').toBe(true);
    for (const steps of [100, 7]) {
      model.reseedSampling(2);
      const a = model.sample(n, { sampler: 'ode', steps, xT: xT }).points.data;
      model.reseedSampling(3);
      const b = model.sample(n, { sampler: 'ode', steps, xT: xT }).points.data;
      expect(same(a, b), `K = ${steps}`).toBe(true);
      const c = model.sample(n, { sampler: 'ode', steps, xT: xT.map((v) => -v) }).points.data;
      expect(same(a, c), 'not a constant map').toBe(false);
    }
  });

  it('x_T drawn from the sample stream: the same seed gives the same bits, another seed other points', () => {
    model.reseedSampling(4);
    const a = reverseSample(model.engine, 300, { sampler: 'ode', steps: 7 });
    model.reseedSampling(4);
    const b = reverseSample(model.engine, 300, { sampler: 'ode', steps: 7 });
    model.reseedSampling(5);
    const c = reverseSample(model.engine, 300, { sampler: 'ode', steps: 7 });
    expect(same(a, b)).toBe(true);
    expect(same(a, c)).toBe(false);
  });

  it('matches a float64 re-derivation over the same network (z = x / sigma, dz/du = x0_hat, x0_hat linear in log u), K = 20 and 6', () => {
    const eps = engineEps(model.engine), sch = model.schedule, m = 300, x = xT.subarray(0, m * d);
    const ab = (t: number) => (t === 0 ? 1 : sch.alphaBar[t - 1]);
    for (const K of [20, 6]) {
      const ts = timeSubsequence(sch.T, K);
      let xs = Float64Array.from(x);
      for (let j = ts.length - 1; j >= 0; j--) {
        const t = ts[j], tn = j > 0 ? ts[j - 1] : 0;
        const a = Math.sqrt(ab(t)), sg = Math.sqrt(1 - ab(t)), a2 = Math.sqrt(ab(tn)), sg2 = Math.sqrt(1 - ab(tn));
        const e1 = eps(Float32Array.from(xs), t - 1, m) as Float32Array;
        const d1 = xs.map((v, q) => (v - sg * e1[q]) / a);
        if (tn === 0) {
          xs = d1;
          continue;
        }
        const u = a / sg, u2 = a2 / sg2, L = Math.log(u2 / u);
        const pred = xs.map((v, q) => sg2 * (v / sg + (u2 - u) * d1[q]));
        const e2 = eps(Float32Array.from(pred), tn - 1, m) as Float32Array;
        const d2 = pred.map((v, q) => (v - sg2 * e2[q]) / a2);
        // int_L0^L1 (d1 + (d2 - d1) (mu - L0) / L) e^mu d mu, by parts
        const w = ((L - 1) * u2 + u) / L;
        xs = xs.map((v, q) => sg2 * (v / sg + (u2 - u) * d1[q] + w * (d2[q] - d1[q])));
      }
      const got = reverseSample(model.engine, m, { sampler: 'ode', steps: K, xT: x });
      let worst = 0;
      for (let q = 0; q < m * d; q++) worst = Math.max(worst, Math.abs(got[q] - xs[q]));
      expect(worst, `K = ${K}`).toBeLessThan(2e-4);
    }
  });

  it('second order where DDIM (its Euler step) is first: closer to the K = T solution at K = 10, 20, 50, and converging faster', () => {
    const m = 500, x = xT.subarray(0, m * d);
    const ref = reverseSample(model.engine, m, { sampler: 'ode', xT: x });
    const dist = (sampler: 'ode' | 'ddim', steps: number) => {
      const a = reverseSample(model.engine, m, { sampler, steps, eta: sampler === 'ddim' ? 0 : undefined, xT: x });
      let s = 0;
      for (let q = 0; q < m * d; q++) s += (a[q] - ref[q]) ** 2;
      return Math.sqrt(s / m);
    };
    const ode = [10, 20, 50].map((K) => dist('ode', K)), ddim = [10, 20, 50].map((K) => dist('ddim', K));
    for (let i = 0; i < 3; i++) expect(ode[i], `K = ${[10, 20, 50][i]}`).toBeLessThan(ddim[i]);
    // 20 -> 50 steps: second order shrinks the error ~6x, first order ~2.5x
    expect(ode[1] / ode[2]).toBeGreaterThan(4);
    expect(ddim[1] / ddim[2]).toBeLessThan(4);
  });

  it('with a clip every x0_hat is clamped: the endings lie in [-clip, clip]; without one they need not', () => {
    const far = xT.subarray(0, 400).map((v) => 3 * v); // starts far out in the tails
    const free = reverseSample(model.engine, 200, { sampler: 'ode', steps: 10, xT: far });
    const clipped = reverseSample(model.engine, 200, { sampler: 'ode', steps: 10, xT: far, clip: 1.2 });
    expect(Math.max(...clipped.map(Math.abs))).toBeLessThanOrEqual(Math.fround(1.2));
    expect(Math.max(...free.map(Math.abs))).toBeGreaterThan(1.2);
  });

  it('onStep sees x_T and then every grid time down to 0; eta other than 0 is refused', () => {
    const times: number[] = [];
    probabilityFlowSample(model.engine, 10, { sampler: 'ode', steps: 5, xT: xT.subarray(0, 20), onStep: (t) => times.push(t) });
    expect(times).toEqual([100, ...timeSubsequence(100, 5).slice(0, -1).reverse(), 0]);
    expect(() => reverseSample(model.engine, 10, { sampler: 'ode', eta: 0.5 })).toThrow(/--eta/);
  });

  it('a learned-variance model: the ODE reads the eps half of its outputs (deterministic, finite, and its likelihood too)', async () => {
    const lv = await createDiffusion({
      dataset: 'moons', T: 30, steps: 150, nData: 2000, seed: 4, variance: 'learned', model: { width: 32, depth: 1, embedSize: 16 },
    });
    await lv.train();
    const x = xT.subarray(0, 200);
    const a = reverseSample(lv.engine, 100, { sampler: 'ode', steps: 10, xT: x });
    const b = reverseSample(lv.engine, 100, { sampler: 'ode', steps: 10, xT: x });
    expect(same(a, b)).toBe(true);
    expect(a.every(Number.isFinite)).toBe(true);
    const r = lv.nll({ data: lv.trainData.data.subarray(0, 200), n: 100, d: 2 }, { steps: 10 });
    expect(Number.isFinite(r.nats)).toBe(true);
  });
});
