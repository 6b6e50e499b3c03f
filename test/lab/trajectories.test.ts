// The trajectory measures (src/lab/trajectories.ts): neighbourhood overlap against hand cases and its random-matching
// value, the RMS radius by hand, the forward chain's end against N(0, I), and the spread of endings from one x_T:
// exactly 0 for deterministic DDIM, clearly positive for DDPM; and the neighbourhood overlap of the drawn start colours
// on the endings: far above chance after DDIM eta = 0, near it after DDPM (and at chance for DDIM too once the colours
// are shuffled among the starts, so it is the mapping that carries it). The colour wheel itself: test/report/colour.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { getDataset } from '../../src/data/datasets';
import { standardize } from '../../src/data/points';
import { type Diffusion, createDiffusion } from '../../src/api/diffusion';
import { colorLab, forwardPaths, knn, knnOverlap, rmsRadius, trajectoryStudy } from '../../src/lab/trajectories';
import { Rng } from '../../src/util/rng';

let model: Diffusion;
beforeAll(async () => {
  model = await createDiffusion({ dataset: 'moons', T: 20, steps: 400, nData: 4000, seed: 2,
    model: { width: 48, depth: 2, embedSize: 16 } });
  await model.train();
});

describe('measures', () => {
  it('knn by hand on a line; overlap 1 for the same set, k/(N-1) for a random matching', () => {
    const line = new Float32Array([0, 0, 1, 0, 3, 0, 7, 0]);
    expect(Array.from(knn(line, 2, 2))).toEqual([1, 2, 0, 2, 1, 0, 2, 1]);
    const rng = new Rng(1), N = 400, k = 10;
    const a = Float32Array.from({ length: N * 2 }, () => rng.normal());
    expect(knnOverlap(a, a, 2, k)).toBe(1);
    let acc = 0;
    for (let rep = 0; rep < 5; rep++) {
      const b = Float32Array.from({ length: N * 2 }, () => rng.normal());
      acc += knnOverlap(a, b, 2, k) / 5;
    }
    expect(Math.abs(acc - k / (N - 1))).toBeLessThan(0.006);
  });

  it('rmsRadius by hand', () => {
    expect(rmsRadius(new Float32Array([1, 1, -1, -1, 1, -1, -1, 1]), 2)).toBeCloseTo(Math.SQRT2, 12);
  });

  it('the forward chain ends near N(0, I) in standardised units and starts at the data', () => {
    const x0 = getDataset('moons', 3000, 9);
    const frames = forwardPaths(model, x0, 1);
    expect(frames).toHaveLength(model.schedule.T + 1);
    expect(Array.from(frames[0].subarray(0, 10))).toEqual(Array.from(x0.data.subarray(0, 10)).map((v) => expect.closeTo(v, 5)));
    const z = standardize({ data: frames[model.schedule.T], n: 3000, d: 2 }, model.standardization).data;
    for (let j = 0; j < 2; j++) {
      let m = 0, v = 0;
      for (let i = 0; i < 3000; i++) m += z[2 * i + j] / 3000;
      for (let i = 0; i < 3000; i++) v += (z[2 * i + j] - m) ** 2 / 3000;
      expect(Math.abs(m)).toBeLessThan(0.08);
      expect(Math.abs(v - 1)).toBeLessThan(0.1);
    }
  });
});

describe('trajectoryStudy', () => {
  it('DDIM eta = 0 endings from one x_T do not spread; DDPM endings do; DDIM keeps more of the arrangement', () => {
    const s = trajectoryStudy(model, getDataset('moons', 1000, 5), { starts: 40, runs: 4, nOverlap: 200, k: 5, paths: 20 });
    const [ddpm, ddim0] = s.figures;
    expect(ddim0.spread).toBe(0);
    expect(ddpm.spread).toBeGreaterThan(0.3);
    expect(ddim0.overlap).toBeGreaterThan(3 * s.randomExpected);
    expect(ddim0.overlap).toBeGreaterThan(ddpm.overlap);
    expect(s.reversePaths[0].paths).toHaveLength(20);
    expect(s.reversePaths[0].paths[0].x).toHaveLength(model.schedule.T + 1);
    expect(s.reversePaths[1].paths[0].x).toHaveLength(model.schedule.T + 1); // DDIM with K = T
    expect(s.forward[0].x).toHaveLength(model.schedule.T + 1);
  });
});

describe('colour by position', () => {
  it('the drawn start colours: overlap on the DDIM eta = 0 endings far above chance, on DDPM near it, shuffled at chance', () => {
    const s = trajectoryStudy(model, getDataset('moons', 1000, 5), { nOverlap: 400, k: 10, starts: 20, runs: 2, paths: 10, fanRuns: 4 });
    const [ddpm, ddim0, , ode] = s.figures, chance = s.randomExpected;
    // sd of a random matching's overlap is ~ sqrt(k/(N-1) / (N k)) per point-neighbour ~ 0.002 here: 5x chance is > 40 sd away
    expect(ddim0.colorOverlap).toBeGreaterThan(5 * chance);
    expect(ode.label).toBe('probability-flow ODE'); // the other deterministic sampler: the same answer
    expect(ode.colorOverlap).toBeGreaterThan(5 * chance);
    expect(ode.spread).toBe(0);
    expect(ddpm.colorOverlap).toBeLessThan(2 * chance);
    expect(s.forwardColorOverlap).toBeLessThan(2 * chance);
    // the same endings with the colours shuffled among the starts: the order was in the mapping, not in the measure
    const ends = standardize({ data: Float32Array.from(s.endings[1].x.flatMap((x, i) => [x, s.endings[1].y[i]])), n: 400, d: 2 },
      model.standardization).data;
    const shuffled = s.startColors.slice();
    new Rng(9).shuffle(shuffled);
    expect(knnOverlap(colorLab(shuffled), ends, 3, 10, 2)).toBeLessThan(2 * chance);
    expect(knnOverlap(colorLab(s.startColors), ends, 3, 10, 2)).toBeCloseTo(ddim0.colorOverlap, 10);
    // what the charts draw: every ending in its start's colour, fans of every start, x and y against t per point
    expect(s.endings[0].x).toHaveLength(400);
    expect(s.startColors).toHaveLength(400);
    expect(s.fans[1].groups[0].x).toHaveLength(4);
    // DDIM eta = 0 is deterministic: every run of a start ends at the same point
    for (const g of s.fans[1].groups) expect(new Set(g.x).size).toBe(1);
    expect(s.positions[0].lines[0].x).toHaveLength(model.schedule.T + 1);
    expect(s.positions[0].t[0]).toBe(model.schedule.T);
  });
});
