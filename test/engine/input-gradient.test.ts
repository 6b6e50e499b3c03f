// Engine.inputVjp, the network's gradient with respect to its input x_t: against central finite differences of the
// float64 reference network (test/reference.ts) for every activation, with and without the input embedding, on both
// builds (float32 against float64: within 1e-4 of the largest entry); sizes with SIMD tails (embedding half 11 = 8 + 3,
// width 19 = 16 + 3); the default-size model; chunking.
import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Engine } from '../../src/engine/engine';
import { ACTIVATIONS, type ModelConfig, paramSpecs } from '../../src/engine/model';
import { makeSchedule } from '../../src/schedule/schedule';
import { Rng } from '../../src/util/rng';
import { type Named, referenceForward } from '../reference';

const T = 40;

function named(e: Engine): Named {
  const out: Named = {};
  for (const s of paramSpecs(e.model)) out[s.name] = { shape: s.shape, data: Float64Array.from(e.arena.f32('params', s.name)) };
  return out;
}

/** Jacobians (n, d, d) of the f64 reference by central differences in x; J[r][j][l] = d eps_j / d x_l. */
function fdJacobian(c: ModelConfig, p: Named, x: number[][], t: number[], h: number): number[][][] {
  const d = c.dim;
  return x.map((row, r) => {
    const J = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let l = 0; l < d; l++) {
      const plus = [...row], minus = [...row];
      plus[l] += h;
      minus[l] -= h;
      const fp = referenceForward(c, p, [plus], [t[r]], false)[0], fm = referenceForward(c, p, [minus], [t[r]], false)[0];
      for (let j = 0; j < d; j++) J[j][l] = (fp[j] - fm[j]) / (2 * h);
    }
    return J;
  });
}

/** Worst |engine - FD| over the rows, relative to the largest |FD| entry; also checks eps against the reference. */
async function check(model: ModelConfig, n: number, flavor: 'simd' | 'scalar', rows = n, h = 1e-5): Promise<number> {
  const d = model.dim, rng = new Rng(7);
  const e = await Engine.create({ model, schedule: makeSchedule('linear', T), rows, seed: 3, flavor });
  const x = Float32Array.from({ length: n * d }, () => 1.5 * rng.normal());
  const i = 17;
  // one-hot cotangents (rows of J) and a random one (a general v^T J)
  const cot = Array.from({ length: d }, (_, j) => Float32Array.from({ length: n * d }, (_, q) => (q % d === j ? 1 : 0)));
  const v = Float32Array.from({ length: n * d }, () => rng.normal());
  const { eps, vjp } = e.inputVjp(x, i, [...cot, v], 'params');
  const p = named(e);
  const xs = Array.from({ length: n }, (_, r) => Array.from(x.subarray(r * d, r * d + d), Number));
  const ts = new Array<number>(n).fill(i);
  const ref = referenceForward(model, p, xs, ts);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) expect(eps[r * d + j]).toBeCloseTo(ref[r][j], 4);
  const J = fdJacobian(model, p, xs, ts, h);
  let scale = 0, err = 0;
  for (let r = 0; r < n; r++) {
    for (let l = 0; l < d; l++) {
      let vj = 0;
      for (let j = 0; j < d; j++) {
        scale = Math.max(scale, Math.abs(J[r][j][l]));
        err = Math.max(err, Math.abs(vjp[j][r * d + l] - J[r][j][l]));
        vj += v[r * d + j] * J[r][j][l];
      }
      err = Math.max(err, Math.abs(vjp[d][r * d + l] - vj) / 3);
    }
  }
  expect(scale).toBeGreaterThan(0);
  e.close();
  return err / scale;
}

describe.each(['simd', 'scalar'] as const)('inputVjp: d eps_theta / d x vs central differences (%s build)', (flavor) => {
  for (const activation of ACTIVATIONS) {
    for (const inputEmbedding of [true, false]) {
      it(`${activation}, ${inputEmbedding ? 'with' : 'without'} the input embedding (half 11, width 19, depth 2, 7 rows)`, async () => {
        const model: ModelConfig = { dim: 2, embedSize: 22, width: 19, depth: 2, activation, inputEmbedding, inputScale: 3 };
        expect(await check(model, 7, flavor)).toBeLessThan(1e-4);
      });
    }
  }

  it('d = 3, depth 0 (first layer straight to the output), 5 rows in chunks of 2', async () => {
    const model: ModelConfig = { dim: 3, embedSize: 14, width: 11, depth: 0, activation: 'silu', inputEmbedding: true, inputScale: 2 };
    expect(await check(model, 5, flavor, 2)).toBeLessThan(1e-4);
  });
});

describe('inputVjp on the default-size model', () => {
  it('gelu, embedding 128 at scale 25, width 128, depth 3: Jacobians of 5 rows match finite differences', async () => {
    const model: ModelConfig = { dim: 2, embedSize: 128, width: 128, depth: 3, activation: 'gelu', inputEmbedding: true, inputScale: 25 };
    // frequencies up to 25 per unit of x: a smaller step keeps the FD truncation error (h^2 f''') small
    expect(await check(model, 5, 'simd', 5, 1e-6)).toBeLessThan(1e-4);
  });

  it('a learned-variance model: the products are of the eps outputs alone', async () => {
    const model: ModelConfig = {
      dim: 2, embedSize: 22, width: 19, depth: 1, activation: 'gelu', inputEmbedding: true, inputScale: 3, learnSigma: true,
    };
    const e = await Engine.create({ model, schedule: makeSchedule('linear', T), rows: 4, seed: 3 });
    const x = new Float32Array([0.3, -0.2, 1.1, 0.4, -0.7, 0.9, 0.0, 0.5]);
    const { eps, vjp } = e.inputVjp(x, 5, [new Float32Array(8).fill(1)], 'params');
    const p = named(e);
    const xs = [0, 1, 2, 3].map((r) => [x[2 * r], x[2 * r + 1]]);
    const ref = referenceForward(model, p, xs, [5, 5, 5, 5]);
    const J = fdJacobian(model, p, xs, [5, 5, 5, 5], 1e-5);
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < 2; j++) expect(eps[2 * r + j]).toBeCloseTo(ref[r][j], 4);
      for (let l = 0; l < 2; l++) expect(vjp[0][2 * r + l]).toBeCloseTo(J[r][0][l] + J[r][1][l], 3);
    }
  });
});
