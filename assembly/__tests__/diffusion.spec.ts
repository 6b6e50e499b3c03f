// diffusion.ts: hand-computed cases, then SIMD kernel vs scalar twin (bit for bit: same operations in
// the same order) on sizes with >= 2 vector iterations plus a tail, and the d = 1 / 2 / 3 / >= 4 paths.
import {
  qSample, qSampleScalar, reverseStep, reverseStepScalar, posteriorStep, posteriorStepScalar,
  gatherRows, gatherRowsScalar, rowsStrided, rowsStridedScalar,
} from "../diffusion";

let seed: u32 = 4242;
function rnd(): f64 {
  seed = seed * 1664525 + 1013904223;
  return <f64>(seed >>> 8) / 16777216.0;
}
function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }
function f32s(v: f64[]): StaticArray<f32> {
  const a = new StaticArray<f32>(v.length);
  for (let i = 0; i < v.length; i++) a[i] = <f32>v[i];
  return a;
}
function i32s(v: i32[]): StaticArray<i32> {
  const a = new StaticArray<i32>(v.length);
  for (let i = 0; i < v.length; i++) a[i] = v[i];
  return a;
}
function randn(n: i32): StaticArray<f32> {
  const a = new StaticArray<f32>(n);
  for (let i = 0; i < n; i++) a[i] = <f32>(rnd() * 4 - 2);
  return a;
}
function mismatches(a: StaticArray<f32>, b: StaticArray<f32>): i32 {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (reinterpret<u32>(a[i]) != reinterpret<u32>(b[i])) m++;
  return m;
}
function expectClose(got: StaticArray<f32>, want: f64[]): void {
  expect<i32>(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect<f64>(Math.abs(<f64>got[i] - want[i])).toBeLessThan(1e-6 * (1 + Math.abs(want[i])));
}

describe("qSample", () => {
  it("hand-computed, T = 3, n = 3, d = 2 (t = 0 keeps x0)", () => {
    const sab = f32s([1.0, 0.8, 0.6]);
    const s1m = f32s([0.0, 0.6, 0.8]);
    const x0 = f32s([1, 2, 3, 4, 5, 6]);
    const eps = f32s([0.5, -1, 2, 0, 7, 7]);
    const t = i32s([1, 2, 0]);
    const xt = new StaticArray<f32>(6);
    qSample(ptr(xt), ptr(x0), ptr(eps), ptr(t), ptr(sab), ptr(s1m), 3, 2);
    // row 0: 0.8 x0 + 0.6 eps; row 1: 0.6 x0 + 0.8 eps; row 2: x0
    expectClose(xt, [1.1, 1.0, 3.4, 2.4, 5, 6]);
    qSampleScalar(ptr(xt), ptr(x0), ptr(eps), ptr(t), ptr(sab), ptr(s1m), 3, 2);
    expectClose(xt, [1.1, 1.0, 3.4, 2.4, 5, 6]);
  });

  it("SIMD vs scalar for d = 1, 2, 3, 4, 7, 131 and n = 1, 11, 19, 35", () => {
    const T = 50;
    const sab = new StaticArray<f32>(T);
    const s1m = new StaticArray<f32>(T);
    for (let k = 0; k < T; k++) {
      const abar = Math.exp(-0.1 * k);
      sab[k] = <f32>Math.sqrt(abar);
      s1m[k] = <f32>Math.sqrt(1 - abar);
    }
    const ds: i32[] = [1, 2, 3, 4, 7, 131];
    const ns: i32[] = [1, 11, 19, 35];
    for (let a = 0; a < ds.length; a++) {
      for (let b = 0; b < ns.length; b++) {
        const d = ds[a], n = ns[b];
        const x0 = randn(n * d), eps = randn(n * d);
        const t = new StaticArray<i32>(n);
        for (let i = 0; i < n; i++) t[i] = <i32>(rnd() * T);
        const y1 = new StaticArray<f32>(n * d), y2 = new StaticArray<f32>(n * d);
        qSample(ptr(y1), ptr(x0), ptr(eps), ptr(t), ptr(sab), ptr(s1m), n, d);
        qSampleScalar(ptr(y2), ptr(x0), ptr(eps), ptr(t), ptr(sab), ptr(s1m), n, d);
        expect<i32>(mismatches(y1, y2)).toBe(0, "d = " + d.toString() + ", n = " + n.toString());
        // and the oracle for the last element (a tail element for n = 35)
        const i = n - 1, j = d - 1;
        const want = <f64>sab[t[i]] * <f64>x0[i * d + j] + <f64>s1m[t[i]] * <f64>eps[i * d + j];
        expect<f64>(Math.abs(<f64>y1[i * d + j] - want)).toBeLessThan(1e-6 * (1 + Math.abs(want)));
      }
    }
  });
});

describe("reverseStep", () => {
  it("hand-computed with and without noise", () => {
    const xt = f32s([1, 2, 3]);
    const eps = f32s([2, 2, 2]);
    const z = f32s([10, -10, 0]);
    const y = new StaticArray<f32>(3);
    reverseStep(ptr(y), ptr(xt), ptr(eps), ptr(z), 3, 2.0, -0.5, 0.1);
    expectClose(y, [2, 2, 5]);
    reverseStep(ptr(y), ptr(xt), ptr(eps), 0, 3, 2.0, -0.5, 0.1);
    expectClose(y, [1, 3, 5]);
  });

  it("DDPM coefficients on a 1-step sanity case: x_{t-1} of the true noise recovers x0 at t = 1", () => {
    // t = 1 (first step): abar_1 = alpha_1, so (x_1 - sqrt(1 - alpha_1) eps) / sqrt(alpha_1) = x0 exactly.
    const alpha: f64 = 0.9;
    const x0 = f32s([0.3, -1.2, 2.5, 0.0, 1.0, -0.7, 0.25]);
    const eps = f32s([1.0, 0.5, -0.3, 2.0, -1.5, 0.1, 0.9]);
    const n = 7;
    const xt = new StaticArray<f32>(n);
    for (let i = 0; i < n; i++) xt[i] = <f32>(Math.sqrt(alpha) * <f64>x0[i] + Math.sqrt(1 - alpha) * <f64>eps[i]);
    const cx = <f32>(1 / Math.sqrt(alpha));
    const ceps = <f32>(-(1 - alpha) / (Math.sqrt(alpha) * Math.sqrt(1 - alpha)));
    const y = new StaticArray<f32>(n);
    reverseStep(ptr(y), ptr(xt), ptr(eps), 0, n, cx, ceps, 0);
    for (let i = 0; i < n; i++) expect<f64>(Math.abs(<f64>y[i] - <f64>x0[i])).toBeLessThan(1e-6);
  });

  it("SIMD vs scalar (n = 1, 3, 11, 19, 35), with z, without z, and in place", () => {
    const ns: i32[] = [1, 3, 11, 19, 35];
    for (let b = 0; b < ns.length; b++) {
      const n = ns[b];
      const xt = randn(n), eps = randn(n), z = randn(n);
      const y1 = new StaticArray<f32>(n), y2 = new StaticArray<f32>(n);
      reverseStep(ptr(y1), ptr(xt), ptr(eps), ptr(z), n, 1.01, -0.07, 0.13);
      reverseStepScalar(ptr(y2), ptr(xt), ptr(eps), ptr(z), n, 1.01, -0.07, 0.13);
      expect<i32>(mismatches(y1, y2)).toBe(0);
      const want = 1.01 * <f64>xt[n - 1] - 0.07 * <f64>eps[n - 1] + 0.13 * <f64>z[n - 1];
      expect<f64>(Math.abs(<f64>y1[n - 1] - want)).toBeLessThan(1e-6 * (1 + Math.abs(want)));
      reverseStep(ptr(y1), ptr(xt), ptr(eps), 0, n, 1.01, -0.07, 0.13);
      reverseStepScalar(ptr(y2), ptr(xt), ptr(eps), 0, n, 1.01, -0.07, 0.13);
      expect<i32>(mismatches(y1, y2)).toBe(0);
      // in place: xPrev == xt
      const xin = new StaticArray<f32>(n);
      for (let i = 0; i < n; i++) xin[i] = xt[i];
      reverseStep(ptr(xin), ptr(xin), ptr(eps), ptr(z), n, 1.01, -0.07, 0.13);
      reverseStepScalar(ptr(y2), ptr(xt), ptr(eps), ptr(z), n, 1.01, -0.07, 0.13);
      expect<i32>(mismatches(xin, y2)).toBe(0);
    }
  });
});

describe("gatherRows / rowsStrided", () => {
  it("gatherRows hand-computed: table 3 x 5, idx [2, 0, 2], outStride 7 keeps the padding", () => {
    const table = new StaticArray<f32>(15);
    for (let i = 0; i < 15; i++) table[i] = <f32>i;
    const idx = i32s([2, 0, 2]);
    const out = new StaticArray<f32>(21);
    for (let i = 0; i < 21; i++) out[i] = -1;
    gatherRows(ptr(out), ptr(table), ptr(idx), 3, 5, 7);
    expectClose(out, [10, 11, 12, 13, 14, -1, -1, 0, 1, 2, 3, 4, -1, -1, 10, 11, 12, 13, 14, -1, -1]);
  });

  it("gatherRows SIMD vs scalar: width 1, 3, 11, 131; n 1, 19; outStride > width", () => {
    const widths: i32[] = [1, 3, 11, 131];
    const ns: i32[] = [1, 19];
    for (let a = 0; a < widths.length; a++) {
      for (let b = 0; b < ns.length; b++) {
        const w = widths[a], n = ns[b], rows = 9, os = w + 5;
        const table = randn(rows * w);
        const idx = new StaticArray<i32>(n);
        for (let i = 0; i < n; i++) idx[i] = <i32>(rnd() * rows);
        const y1 = new StaticArray<f32>(n * os), y2 = new StaticArray<f32>(n * os);
        gatherRows(ptr(y1), ptr(table), ptr(idx), n, w, os);
        gatherRowsScalar(ptr(y2), ptr(table), ptr(idx), n, w, os);
        expect<i32>(mismatches(y1, y2)).toBe(0);
        expect<f32>(y1[(n - 1) * os + w - 1]).toBe(table[idx[n - 1] * w + w - 1]);
        expect<f32>(y1[(n - 1) * os + w]).toBe(0); // padding untouched (fresh arrays are zero)
      }
    }
  });

  it("rowsStrided hand-computed: 3 x 2 out of a 3 x 5 matrix", () => {
    const inp = new StaticArray<f32>(15);
    for (let i = 0; i < 15; i++) inp[i] = <f32>i;
    const out = new StaticArray<f32>(6);
    rowsStrided(ptr(out), ptr(inp), 3, 2, 5);
    expectClose(out, [0, 1, 5, 6, 10, 11]);
    rowsStridedScalar(ptr(out), ptr(inp), 3, 2, 5);
    expectClose(out, [0, 1, 5, 6, 10, 11]);
  });

  it("rowsStrided SIMD vs scalar: width 2, 7, 11, 128; n 1, 19; inStride = width + 3", () => {
    const widths: i32[] = [2, 7, 11, 128];
    const ns: i32[] = [1, 19];
    for (let a = 0; a < widths.length; a++) {
      for (let b = 0; b < ns.length; b++) {
        const w = widths[a], n = ns[b], is = w + 3;
        const inp = randn(n * is);
        const y1 = new StaticArray<f32>(n * w), y2 = new StaticArray<f32>(n * w);
        rowsStrided(ptr(y1), ptr(inp), n, w, is);
        rowsStridedScalar(ptr(y2), ptr(inp), n, w, is);
        expect<i32>(mismatches(y1, y2)).toBe(0);
        expect<f32>(y1[n * w - 1]).toBe(inp[(n - 1) * is + w - 1]);
      }
    }
  });
});

describe("posteriorStep", () => {
  it("hand-computed: unclamped it equals reverseStep's Algorithm 2 form; clamped it bounds x0", () => {
    // abar = 0.64, alpha = 0.8, abar_prev = 0.8: ax0 = 1.25, aeps = -0.75; posterior mean coefficients
    // cx0 = beta sqrt(abar_prev)/(1-abar) = 0.2*sqrt(0.8)/0.36, cxt = (1-abar_prev) sqrt(alpha)/(1-abar) = 0.2*sqrt(0.8)/0.36.
    const ax0: f32 = 1.25, aeps: f32 = -0.75;
    const c: f64 = 0.2 * Math.sqrt(0.8) / 0.36;
    const xt = f32s([1.0, -2.0, 0.5]);
    const eps = f32s([0.4, 1.0, -8.0]);
    const out = new StaticArray<f32>(3);
    posteriorStep(ptr(out), ptr(xt), ptr(eps), 0, 3, ax0, aeps, 2.0, <f32>c, <f32>c, 0);
    // x0 = 1.25 xt - 0.75 eps = [0.95, -3.25 -> -2 (clamped), 6.625 -> 2 (clamped)]
    expectClose(out, [c * 0.95 + c * 1.0, c * -2.0 + c * -2.0, c * 2.0 + c * 0.5]);
    // Unclamped, the same step through Algorithm 2: cx = 1/sqrt(alpha), ceps = -beta/(sqrt(alpha) sqrt(1-abar)).
    const alg2 = new StaticArray<f32>(3);
    const big = new StaticArray<f32>(3);
    posteriorStep(ptr(big), ptr(xt), ptr(eps), 0, 3, ax0, aeps, 1e6, <f32>c, <f32>c, 0);
    reverseStep(ptr(alg2), ptr(xt), ptr(eps), 0, 3, <f32>(1 / Math.sqrt(0.8)), <f32>(-0.2 / (Math.sqrt(0.8) * 0.6)), 0);
    for (let i = 0; i < 3; i++) expect<f64>(Math.abs(<f64>big[i] - <f64>alg2[i])).toBeLessThan(1e-5);
  });

  it("SIMD vs scalar bit for bit, with and without noise, n = 1, 11, 19, 35", () => {
    const ns: i32[] = [1, 11, 19, 35];
    for (let k = 0; k < ns.length; k++) {
      const n = ns[k];
      const xt = randn(n), eps = randn(n), z = randn(n);
      const a = new StaticArray<f32>(n), b = new StaticArray<f32>(n);
      posteriorStep(ptr(a), ptr(xt), ptr(eps), ptr(z), n, 1.7, -1.3, 1.5, 0.4, 0.55, 0.3);
      posteriorStepScalar(ptr(b), ptr(xt), ptr(eps), ptr(z), n, 1.7, -1.3, 1.5, 0.4, 0.55, 0.3);
      expect<i32>(mismatches(a, b)).toBe(0);
      posteriorStep(ptr(a), ptr(xt), ptr(eps), 0, n, 1.7, -1.3, 1.5, 0.4, 0.55, 0.3);
      posteriorStepScalar(ptr(b), ptr(xt), ptr(eps), 0, n, 1.7, -1.3, 1.5, 0.4, 0.55, 0.3);
      expect<i32>(mismatches(a, b)).toBe(0);
    }
  });
});
