// The trajectory measures (src/lab/trajectories.ts): neighbourhood overlap against hand cases and its random-matching
// value, the RMS radius by hand, the forward chain's end against N(0, I), and the spread of endings from one x_T:
// exactly 0 for deterministic DDIM, clearly positive for DDPM; the colour wheel the charts draw with, and the
// neighbourhood overlap of the drawn start colours on the endings: far above chance after DDIM eta = 0, near it after
// DDPM (and at chance for DDIM too once the colours are shuffled among the starts, so it is the mapping that carries it).
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { getDataset } from '../../src/data/datasets';
import { standardize } from '../../src/data/points';
import { type Diffusion, createDiffusion } from '../../src/api/diffusion';
import { WHEEL_COLORS, WHEEL_HUES, WHEEL_RINGS, oklabToRgb, wheelCentre, wheelIndex, wheelIndices, wheelLab } from '../../src/report/charts';
import { colorLab, forwardPaths, knn, knnOverlap, rmsRadius, trajectoryStudy } from '../../src/lab/trajectories';
import { Rng } from '../../src/util/rng';

let model: Diffusion;
beforeAll(async () => {
  model = await createDiffusion({ dataset: 'moons', T: 20, steps: 400, nData: 4000, seed: 2, model: { width: 48, depth: 2, embedSize: 16 } });
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
  const labDist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

  it('OKLab -> sRGB: white, black and a mid grey; every wheel colour is a valid CSS rgb()', () => {
    expect(oklabToRgb(1, 0, 0)).toEqual([255, 255, 255]);
    expect(oklabToRgb(0, 0, 0)).toEqual([0, 0, 0]);
    const [r, g, b] = oklabToRgb(0.6, 0, 0);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(WHEEL_COLORS).toHaveLength(WHEEL_HUES * WHEEL_RINGS);
    for (const c of WHEEL_COLORS) expect(c).toMatch(/^rgb\(\d{1,3},\d{1,3},\d{1,3}\)$/);
  });

  it('the wheel is continuous (near positions get near colours) and separates far ones; every bin is reachable', () => {
    const rng = new Rng(4), seen = new Set<number>();
    let worstNear = 0;
    for (let i = 0; i < 20000; i++) {
      const r = Math.sqrt(rng.uniform()), h = 2 * Math.PI * rng.uniform();
      const u = r * Math.cos(h), v = r * Math.sin(h);
      seen.add(wheelIndex(u, v));
      // continuous mapping: a step of 0.01 on the disc moves the colour by little (chroma ~ sqrt(r) is steepest at 0)
      worstNear = Math.max(worstNear, labDist(wheelLab(u, v), wheelLab(u + 0.01, v)));
      // the drawn colour is the bin's centre, within one bin of the true one
      const [cu, cv] = wheelCentre(wheelIndex(u, v));
      expect(Math.hypot(cu - u, cv - v)).toBeLessThan(1 / WHEEL_RINGS + (2 * Math.PI) / WHEEL_HUES);
    }
    expect(seen.size).toBe(WHEEL_HUES * WHEEL_RINGS);
    expect(worstNear).toBeLessThan(0.03); // about one just-noticeable difference in OKLab (~0.02), at the grey centre where chroma ~ sqrt(r) is steepest
    // opposite points of the rim, and the rim against the centre, look clearly different (JND in OKLab ~ 0.02)
    for (let k = 0; k < 12; k++) {
      const a = (2 * Math.PI * k) / 12;
      expect(labDist(wheelLab(Math.cos(a), Math.sin(a)), wheelLab(-Math.cos(a), -Math.sin(a)))).toBeGreaterThan(0.3);
      expect(labDist(wheelLab(Math.cos(a), Math.sin(a)), wheelLab(0, 0))).toBeGreaterThan(0.15);
    }
  });

  it('wheelIndices puts a set on the wheel in its own frame: the centroid grey, the outer 5% on the rim', () => {
    const rng = new Rng(6), n = 4000;
    const x = Float64Array.from({ length: n }, () => 3 + 2 * rng.normal()), y = Float64Array.from({ length: n }, () => -1 + 0.5 * rng.normal());
    const c = wheelIndices(x, y);
    const rims = Array.from(c).filter((i) => Math.floor(i / WHEEL_HUES) === WHEEL_RINGS - 1).length;
    expect(rims / n).toBeGreaterThan(0.05); // the outer ring holds r in [0.8, 1]: the 5% past the quantile and some inside
    expect(rims / n).toBeLessThan(0.25);
    // anisotropic scales are undone: the left and right halves of the cloud get opposite hues as often as top and bottom
    const hueOf = (i: number) => i % WHEEL_HUES;
    const right = Array.from(c).filter((_, i) => x[i] > 3 + 2).map(hueOf), up = Array.from(c).filter((_, i) => y[i] > -1 + 0.5).map(hueOf);
    expect(right.filter((h) => h < WHEEL_HUES / 8 || h >= (7 * WHEEL_HUES) / 8).length / right.length).toBeGreaterThan(0.7);
    expect(up.filter((h) => h >= WHEEL_HUES / 8 && h < (3 * WHEEL_HUES) / 8).length / up.length).toBeGreaterThan(0.7);
  });

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
    const ends = standardize({ data: Float32Array.from(s.endings[1].x.flatMap((x, i) => [x, s.endings[1].y[i]])), n: 400, d: 2 }, model.standardization).data;
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
