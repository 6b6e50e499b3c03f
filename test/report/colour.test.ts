/**
 * The colour wheel the charts draw with (src/report/colour.ts): OKLab -> sRGB at known points, a continuous wheel
 * that separates far positions and reaches every bin, and a set put on the wheel in its own frame.
 */
import { describe, expect, it } from 'vitest';
import {
  WHEEL_COLORS, WHEEL_HUES, WHEEL_RINGS, oklabToRgb, wheelCentre, wheelIndex, wheelIndices, wheelLab,
} from '../../src/report/colour';
import { Rng } from '../../src/util/rng';

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
    // about one just-noticeable difference in OKLab (~0.02), at the grey centre where chroma ~ sqrt(r) is steepest
    expect(worstNear).toBeLessThan(0.03);
    // opposite points of the rim, and the rim against the centre, look clearly different (JND in OKLab ~ 0.02)
    for (let k = 0; k < 12; k++) {
      const a = (2 * Math.PI * k) / 12;
      expect(labDist(wheelLab(Math.cos(a), Math.sin(a)), wheelLab(-Math.cos(a), -Math.sin(a)))).toBeGreaterThan(0.3);
      expect(labDist(wheelLab(Math.cos(a), Math.sin(a)), wheelLab(0, 0))).toBeGreaterThan(0.15);
    }
  });

  it('wheelIndices puts a set on the wheel in its own frame: the centroid grey, the outer 5% on the rim', () => {
    const rng = new Rng(6), n = 4000;
    const x = Float64Array.from({ length: n }, () => 3 + 2 * rng.normal());
    const y = Float64Array.from({ length: n }, () => -1 + 0.5 * rng.normal());
    const c = wheelIndices(x, y);
    const rims = Array.from(c).filter((i) => Math.floor(i / WHEEL_HUES) === WHEEL_RINGS - 1).length;
    expect(rims / n).toBeGreaterThan(0.05); // the outer ring holds r in [0.8, 1]: the 5% past the quantile and some inside
    expect(rims / n).toBeLessThan(0.25);
    // anisotropic scales are undone: the left and right halves of the cloud get opposite hues as often as top and bottom
    const hueOf = (i: number) => i % WHEEL_HUES;
    const right = Array.from(c).filter((_, i) => x[i] > 3 + 2).map(hueOf);
    const up = Array.from(c).filter((_, i) => y[i] > -1 + 0.5).map(hueOf);
    expect(right.filter((h) => h < WHEEL_HUES / 8 || h >= (7 * WHEEL_HUES) / 8).length / right.length).toBeGreaterThan(0.7);
    expect(up.filter((h) => h >= WHEEL_HUES / 8 && h < (3 * WHEEL_HUES) / 8).length / up.length).toBeGreaterThan(0.7);
  });
});
