// adam.ts: sumSquares (f64) vs f64 reference; adamwStep and emaUpdate bit-identical to their scalar
// twins, vs a hand-computed step and an f64 re-implementation of torch.optim.AdamW's update.
import { sumSquares, sumSquaresScalar, adamwEmaStep, adamwEmaStepScalar, accumulateSumSquares, accumulateSumSquaresScalar,
         accumulateSumSquaresTo, accumulateSumSquaresToScalar } from "../adam";
import { adamwStep, adamwStepScalar, emaUpdate, emaUpdateScalar } from "../oracles";
import { buf, get, set } from "./mem";

let seed: u32 = 99;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>(<f64>seed / 4294967296.0 - 0.5); }
function fill(p: usize, n: i32, s: f32): void { for (let i = 0; i < n + 4; i++) set(p, i, rnd() * s); }
function copy(dst: usize, src: usize, n: i32): void { memory.copy(dst, src, <usize>(n + 4) << 2); }
function same(a: usize, b: usize, n: i32): bool { return memory.compare(a, b, <usize>(n + 4) << 2) == 0; }

describe("sumSquares", () => {
  it("hand value, and SIMD vs scalar vs f64 on n = 1, 19, 4099", () => {
    const x = buf(5);
    for (let i = 0; i < 5; i++) set(x, i, <f32>(i + 1));
    expect(sumSquares(x, 5)).toBe(55);
    expect(sumSquaresScalar(x, 5)).toBe(55);
    const sizes: i32[] = [1, 19, 4099];
    for (let s = 0; s < sizes.length; s++) {
      const n = sizes[s];
      const a = buf(n);
      fill(a, n, 3);
      let ref: f64 = 0;
      for (let i = 0; i < n; i++) ref += <f64>get(a, i) * <f64>get(a, i);
      expect(Math.abs(sumSquares(a, n) - ref) / ref).toBeLessThan(1e-13);
      expect(Math.abs(sumSquaresScalar(a, n) - ref) / ref).toBeLessThan(1e-13);
    }
  });
});

describe("adamwStep", () => {
  it("hand-computed first step", () => {
    // p = 1, g = 0.5, step 1: m = 0.05, v = 0.00025, mhat = 0.5, vhat = 0.25
    // p = 1 - 0.1*0.01*1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.899 (to f32 rounding)
    const p = buf(1), g = buf(1), m = buf(1), v = buf(1);
    set(p, 0, 1); set(g, 0, 0.5); set(m, 0, 0); set(v, 0, 0);
    adamwStep(p, g, m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0.01, 1, <f32>0.1, <f32>0.001);
    expect<f64>(Math.abs(<f64>get(m, 0) - 0.05)).toBeLessThan(3e-8);   // 1 - 0.9f = 0.100000024
    expect<f64>(Math.abs(<f64>get(v, 0) - 0.00025)).toBeLessThan(2e-8);   // 1 - 0.999f = 0.0010000467
    expect<f64>(Math.abs(<f64>get(p, 0) - 0.899)).toBeLessThan(1e-6);   // f32 rounding of 0.9, 0.999, 0.1, 0.001
  });
  it("SIMD == scalar bitwise over 3 steps, n = 1027, and matches f64 AdamW", () => {
    const n = 1027;
    const p = buf(n), g = buf(n), m = buf(n), v = buf(n);
    fill(p, n, 2); fill(m, n, 0.1); fill(v, n, 0.01);
    for (let i = 0; i < n + 4; i++) set(v, i, abs<f32>(get(v, i)));
    const p2 = buf(n), m2 = buf(n), v2 = buf(n);
    copy(p2, p, n); copy(m2, m, n); copy(v2, v, n);
    const P = new StaticArray<f64>(n), M = new StaticArray<f64>(n), V = new StaticArray<f64>(n);
    for (let i = 0; i < n; i++) { P[i] = get(p, i); M[i] = get(m, i); V[i] = get(v, i); }
    const lr: f32 = 1e-3, b1: f32 = 0.9, b2: f32 = 0.999, eps: f32 = 1e-8, wd: f32 = 0.1, gsc: f32 = 0.5;
    let maxErr: f64 = 0;
    for (let step = 1; step <= 3; step++) {
      fill(g, n, 1);
      const bc1 = <f32>(1 - Math.pow(<f64>b1, step)), bc2 = <f32>(1 - Math.pow(<f64>b2, step));
      adamwStep(p, g, m, v, n, lr, b1, b2, eps, wd, gsc, bc1, bc2);
      adamwStepScalar(p2, g, m2, v2, n, lr, b1, b2, eps, wd, gsc, bc1, bc2);
      expect(same(p, p2, n) && same(m, m2, n) && same(v, v2, n)).toBe(true);
      for (let i = 0; i < n; i++) {
        const gs = <f64>get(g, i) * <f64>gsc;
        M[i] = <f64>b1 * M[i] + (1 - <f64>b1) * gs;
        V[i] = <f64>b2 * V[i] + (1 - <f64>b2) * gs * gs;
        P[i] = P[i] - <f64>lr * <f64>wd * P[i] - <f64>lr * (M[i] / <f64>bc1) / (Math.sqrt(V[i] / <f64>bc2) + <f64>eps);
        maxErr = Math.max(maxErr, Math.abs(<f64>get(p, i) - P[i]));
      }
    }
    expect(maxErr).toBeLessThan(1e-6);   // p ~ 1: a few f32 ulp after 3 steps
  });
});

describe("emaUpdate", () => {
  it("hand value, SIMD == scalar bitwise, n = 1 and 1027", () => {
    const e = buf(1), p = buf(1);
    set(e, 0, 1); set(p, 0, 3);
    emaUpdate(e, p, 1, 0.75);
    expect(get(e, 0)).toBe(1.5);
    const n = 1027;
    const a = buf(n), b = buf(n), q = buf(n);
    fill(a, n, 1); fill(q, n, 1); copy(b, a, n);
    emaUpdate(a, q, n, 0.999); emaUpdateScalar(b, q, n, 0.999);
    expect(same(a, b, n)).toBe(true);
    emaUpdate(a, q, n, 0);                      // decay 0: p, up to the rounding of e + (p - e)
    let m: f64 = 0;
    for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(<f64>get(a, i) - <f64>get(q, i)));
    expect(m).toBeLessThan(1e-7);
  });
});

describe("adamwEmaStep (the fused pass)", () => {
  it("SIMD == scalar bitwise over 3 steps on n = 1027; matches adamwStep + emaUpdate to f32 rounding; zeroes g", () => {
    const n = 1027;
    const p = buf(n), g = buf(n), m = buf(n), v = buf(n), e = buf(n), hp = buf(9);
    fill(p, n, 2); fill(m, n, 0.1); fill(v, n, 0.01); fill(e, n, 2);
    for (let i = 0; i < n + 4; i++) set(v, i, abs<f32>(get(v, i)));
    const p2 = buf(n), g2 = buf(n), m2 = buf(n), v2 = buf(n), e2 = buf(n);
    const p3 = buf(n), g3 = buf(n), m3 = buf(n), v3 = buf(n), e3 = buf(n);
    copy(p2, p, n); copy(m2, m, n); copy(v2, v, n); copy(e2, e, n);
    copy(p3, p, n); copy(m3, m, n); copy(v3, v, n); copy(e3, e, n);
    const lr: f32 = 0.01, b1: f32 = 0.9, b2: f32 = 0.999, eps: f32 = 1e-8, wd: f32 = 0.05, gsc: f32 = 0.7, decay: f32 = 0.99;
    for (let t = 1; t <= 3; t++) {
      fill(g, n, 1); copy(g2, g, n); copy(g3, g, n);
      const bc1 = <f32>(1 - Math.pow(b1, t)), bc2 = <f32>(1 - Math.pow(b2, t));
      set(hp, 0, lr); set(hp, 1, b1); set(hp, 2, b2); set(hp, 3, eps); set(hp, 4, wd); set(hp, 5, gsc);
      set(hp, 6, <f32>(<f64>lr / <f64>bc1)); set(hp, 7, <f32>(1 / Math.sqrt(<f64>bc2))); set(hp, 8, decay);
      adamwEmaStep(p, g, m, v, e, n, hp);
      adamwEmaStepScalar(p2, g2, m2, v2, e2, n, hp);
      adamwStep(p3, g3, m3, v3, n, lr, b1, b2, eps, wd, gsc, bc1, bc2);
      emaUpdate(e3, p3, n, decay);
      expect(same(p, p2, n - 1)).toBe(true);   // the 4 floats past n are untouched sentinels of different fills
      expect(same(m, m2, n - 1)).toBe(true);
      expect(same(e, e2, n - 1)).toBe(true);
      let dp: f64 = 0, de: f64 = 0;
      for (let i = 0; i < n; i++) {
        dp = Math.max(dp, Math.abs(<f64>get(p, i) - <f64>get(p3, i)));
        de = Math.max(de, Math.abs(<f64>get(e, i) - <f64>get(e3, i)));
        expect(get(g, i)).toBe(0);
      }
      expect(dp).toBeLessThan(1e-6);
      expect(de).toBeLessThan(1e-6);
      expect(same(m, m3, n - 1)).toBe(true);   // m and v: the same operations as adamwStep
    }
  });
});

describe("accumulateSumSquares", () => {
  it("g += gl, gl = 0, returns sum g^2: SIMD and scalar vs f64 on n = 1, 19, 4099", () => {
    const sizes: i32[] = [1, 19, 4099];
    for (let s = 0; s < sizes.length; s++) {
      const n = sizes[s];
      const g = buf(n), gl = buf(n), g2 = buf(n), gl2 = buf(n);
      fill(g, n, 3); fill(gl, n, 3); copy(g2, g, n); copy(gl2, gl, n);
      let ref: f64 = 0;
      for (let i = 0; i < n; i++) { const v = <f64>(get(g, i) + get(gl, i)); ref += v * v; }
      expect(Math.abs(accumulateSumSquares(g, gl, n) - ref) / ref).toBeLessThan(1e-13);
      expect(Math.abs(accumulateSumSquaresScalar(g2, gl2, n) - ref) / ref).toBeLessThan(1e-13);
      expect(same(g, g2, n)).toBe(true);
      for (let i = 0; i < n; i++) { expect(get(gl, i)).toBe(0); expect(get(gl2, i)).toBe(0); }
    }
  });
});

describe("accumulateSumSquaresTo", () => {
  it("stores what accumulateSumSquares returns, and folds the same: SIMD and scalar on n = 3, 4099", () => {
    const sizes: i32[] = [3, 4099];
    for (let s = 0; s < sizes.length; s++) {
      const n = sizes[s];
      const g = buf(n), gl = buf(n), g2 = buf(n), gl2 = buf(n), g3 = buf(n), gl3 = buf(n);
      fill(g, n, 5); fill(gl, n, 6); copy(g2, g, n); copy(gl2, gl, n); copy(g3, g, n); copy(gl3, gl, n);
      const out = buf(4);
      const want = accumulateSumSquares(g, gl, n);
      accumulateSumSquaresTo(g2, gl2, n, out);
      expect(load<f64>(out)).toBe(want);
      accumulateSumSquaresToScalar(g3, gl3, n, out + 8);
      expect(Math.abs(load<f64>(out + 8) - want) / want).toBeLessThan(1e-13);
      expect(same(g, g2, n)).toBe(true);
      expect(same(g, g3, n)).toBe(true);
      for (let i = 0; i < n; i++) { expect(get(gl2, i)).toBe(0); expect(get(gl3, i)).toBe(0); }
    }
  });
});
