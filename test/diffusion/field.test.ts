// The learned field (src/diffusion/field.ts): the arrows are -eps_theta mapped to data units (the network's own
// output, checked against engineEps on the same grid), |score| = |eps| / sqrt(1 - abar_t); and for a trained model
// the arrows far outside the data point back towards it at every t, while at small t the arrows just off the data's
// thin shape point onto it (a grid point's arrow towards its nearest data point, far more often than not).
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { getDataset } from '../../src/data/datasets';
import { standardize } from '../../src/data/points';
import { type Diffusion, createDiffusion } from '../../src/api/diffusion';
import { engineEps } from '../../src/diffusion/bound';
import { epsField } from '../../src/diffusion/field';
import { gridPoints } from '../../src/report/charts';

let model: Diffusion;
beforeAll(async () => {
  model = await createDiffusion({
    dataset: 'moons', T: 40, steps: 1500, nData: 4000, seed: 3, threads: 1, model: { width: 64, depth: 2, embedSize: 32 },
  });
  await model.train();
}, 120_000);

describe('epsField', () => {
  it('is -eps_theta in data units with |score| = |eps| / sqrt(1 - abar_t), on a grid of 7 x 7 (a SIMD tail)', () => {
    const g = gridPoints([-1.5, 2.5], [-1, 1.5], 7), t = 9, s = model.standardization;
    const f = epsField(model, g.x, g.y, t);
    const z = standardize({ data: Float32Array.from(Array.from(g.x).flatMap((x, i) => [x, g.y[i]])), n: 49, d: 2 }, s).data;
    const eps = engineEps(model.engine)(z, t - 1, 49) as Float32Array;
    for (let i = 0; i < 49; i++) {
      expect(f.u[i]).toBeCloseTo(-eps[2 * i] * s.std[0], 5);
      expect(f.v[i]).toBeCloseTo(-eps[2 * i + 1] * s.std[1], 5);
      expect(f.score[i]).toBeCloseTo(Math.hypot(eps[2 * i], eps[2 * i + 1]) / model.schedule.sqrtOneMinusAlphaBar[t - 1], 4);
    }
    expect(() => epsField(model, g.x, g.y, 0)).toThrow(/t must be an integer in \[1, 40\]/);
  });

  it('far from the data the arrows point back to it; near the data at small t they point onto it', () => {
    const data = getDataset('moons', 2000, 11), n = data.n;
    const mx = data.data.reduce((a, v, i) => a + (i % 2 === 0 ? v : 0), 0) / n,
      my = data.data.reduce((a, v, i) => a + (i % 2 === 1 ? v : 0), 0) / n;
    // a ring of points at 3 data units from the centre of mass
    const ring = Array.from({ length: 24 },
      (_, k) => [mx + 3 * Math.cos((2 * Math.PI * k) / 24), my + 3 * Math.sin((2 * Math.PI * k) / 24)]);
    for (const t of [2, 10, 40]) {
      const f = epsField(model, ring.map((p) => p[0]), ring.map((p) => p[1]), t);
      ring.forEach(([x, y], i) => expect((mx - x) * f.u[i] + (my - y) * f.v[i], `t = ${t}, point ${i}`).toBeGreaterThan(0));
    }
    // grid points at 0.05-0.2 data units off the moons, at t = 2: the arrow points to the nearest data point
    const g = gridPoints([-1.3, 2.3], [-0.8, 1.3], 40);
    const near: { x: number; y: number; dx: number; dy: number }[] = [];
    for (let i = 0; i < g.x.length; i++) {
      let best = Infinity, bx = 0, by = 0;
      for (let j = 0; j < n; j++) {
        const d = Math.hypot(data.data[2 * j] - g.x[i], data.data[2 * j + 1] - g.y[i]);
        if (d < best) (best = d), (bx = data.data[2 * j] - g.x[i]), (by = data.data[2 * j + 1] - g.y[i]);
      }
      if (best > 0.05 && best < 0.2) near.push({ x: g.x[i], y: g.y[i], dx: bx, dy: by });
    }
    const f = epsField(model, near.map((p) => p.x), near.map((p) => p.y), 2);
    const towards = near.filter((p, i) => p.dx * f.u[i] + p.dy * f.v[i] > 0).length;
    expect(near.length).toBeGreaterThan(100);
    expect(towards / near.length).toBeGreaterThan(0.85);
  });
});
