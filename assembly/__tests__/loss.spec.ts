// loss.ts: MSE forward (f64 accumulation) and backward (accumulating) vs scalar twins, f64 and hand values.
import {
  mseForward, mseForwardScalar, mseBackwardScaled, mseBackwardScaledScalar, mseBackwardWeighted, mseBackwardWeightedScalar,
} from "../loss";
import { mseBackward, mseBackwardScalar } from "../oracles";
import { buf, get, set } from "./mem";

let seed: u32 = 4242;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>(<f64>seed / 4294967296.0 - 0.5); }
function fill(p: usize, n: i32): void { for (let i = 0; i < n; i++) set(p, i, rnd() * 4); }

describe("mse", () => {
  it("hand-computed: y = [1, 2, 3], target = 0", () => {
    const y = buf(3), t = buf(3), dy = buf(3), dy2 = buf(3);
    for (let i = 0; i < 3; i++) { set(y, i, <f32>(i + 1)); set(t, i, 0); set(dy, i, 1); set(dy2, i, 1); }
    expect(mseForward(y, t, 3)).toBe(14.0 / 3.0);
    expect(mseForwardScalar(y, t, 3)).toBe(14.0 / 3.0);
    mseBackward(dy, y, t, 3); mseBackwardScalar(dy2, y, t, 3);
    for (let i = 0; i < 3; i++) {
      expect(get(dy, i)).toBe(<f32>1 + <f32>(2.0 / 3.0) * <f32>(i + 1));   // accumulated onto 1
      expect(get(dy2, i)).toBe(get(dy, i));
    }
  });
  it("SIMD vs scalar vs f64 on n = 1, 11, 35, 4099 (4k + 3)", () => {
    const sizes: i32[] = [1, 11, 35, 4099];
    for (let s = 0; s < sizes.length; s++) {
      const n = sizes[s];
      const y = buf(n), t = buf(n), d1 = buf(n), d2 = buf(n);
      fill(y, n); fill(t, n); fill(d1, n);
      memory.copy(d2, d1, <usize>(n + 4) << 2);
      let ref: f64 = 0;
      for (let i = 0; i < n; i++) { const d = <f64>(get(y, i) - get(t, i)); ref += d * d; }
      ref /= <f64>n;
      const a = mseForward(y, t, n), b = mseForwardScalar(y, t, n);
      expect(Math.abs(a - ref) / ref).toBeLessThan(1e-13);
      expect(Math.abs(b - ref) / ref).toBeLessThan(1e-13);
      const d0 = buf(n);
      memory.copy(d0, d1, <usize>n << 2);
      mseBackward(d1, y, t, n); mseBackwardScalar(d2, y, t, n);
      expect(memory.compare(d1, d2, <usize>(n + 4) << 2)).toBe(0);   // same ops per element: bitwise equal
      let m: f64 = 0;
      for (let i = 0; i < n; i++) {
        const r = <f64>get(d0, i) + 2.0 / <f64>n * (<f64>get(y, i) - <f64>get(t, i));
        m = Math.max(m, Math.abs(<f64>get(d1, i) - r) / Math.max(1, Math.abs(r)));
      }
      expect(m).toBeLessThan(3e-7);
    }
  });
  it("scaled: two slices with scale 2/total add up bit for bit to the whole batch's gradient", () => {
    const n = 19, h = 8;
    const y = buf(n), t = buf(n), a = buf(n), b = buf(n), c = buf(n);
    fill(y, n); fill(t, n);
    for (let i = 0; i < n; i++) { set(a, i, 0); set(b, i, 0); set(c, i, 0); }
    mseBackward(a, y, t, n);
    const s = <f32>(2.0 / <f64>n);
    mseBackwardScaled(b, y, t, h, s);
    mseBackwardScaled(b + (<usize>h << 2), y + (<usize>h << 2), t + (<usize>h << 2), n - h, s);
    mseBackwardScaledScalar(c, y, t, n, s);
    expect(memory.compare(a, b, <usize>n << 2)).toBe(0);
    expect(memory.compare(a, c, <usize>n << 2)).toBe(0);
  });
  it("gradient is the derivative of the loss (central difference in f64)", () => {
    const n = 7;
    const y = buf(n), t = buf(n), dy = buf(n);
    fill(y, n); fill(t, n);
    for (let i = 0; i < n; i++) set(dy, i, 0);
    mseBackward(dy, y, t, n);
    const h: f64 = 1e-3;
    let m: f64 = 0;
    for (let i = 0; i < n; i++) {
      let lp: f64 = 0, lm: f64 = 0;
      for (let j = 0; j < n; j++) {
        const d = <f64>get(y, j) - <f64>get(t, j);
        const dp = j == i ? d + h : d, dm = j == i ? d - h : d;
        lp += dp * dp; lm += dm * dm;
      }
      const fd = (lp - lm) / (2 * h * <f64>n);
      m = Math.max(m, Math.abs(<f64>get(dy, i) - fd));
    }
    expect(m).toBeLessThan(1e-6);
  });
});

/** sum_j w_{j / d} (y_j - t_j + [j == k] delta)^2 / m in f64. */
function weightedLoss(y: usize, t: usize, w: usize, m: i32, d: i32, k: i32, delta: f64): f64 {
  let l: f64 = 0;
  for (let j = 0; j < m; j++) {
    const e = <f64>get(y, j) - <f64>get(t, j) + (j == k ? delta : 0);
    l += <f64>get(w, j / d) * e * e;
  }
  return l / <f64>m;
}

describe("mseBackwardWeighted", () => {
  it("SIMD vs scalar vs f64 on rows of d = 2, 3, 7, 11 (4k + 3) and n = 1, 7, 35", () => {
    const ds: i32[] = [2, 3, 7, 11], ns: i32[] = [1, 7, 35];
    for (let a = 0; a < ds.length; a++) {
      for (let b = 0; b < ns.length; b++) {
        const d = ds[a], n = ns[b], m = n * d;
        const y = buf(m), t = buf(m), w = buf(n), d1 = buf(m), d2 = buf(m), d0 = buf(m);
        fill(y, m); fill(t, m); fill(d1, m);
        for (let i = 0; i < n; i++) set(w, i, rnd() + <f32>1);
        memory.copy(d2, d1, <usize>(m + 4) << 2);
        memory.copy(d0, d1, <usize>m << 2);
        const s = <f32>(2.0 / <f64>(7 * m));
        mseBackwardWeighted(d1, y, t, w, n, d, s);
        mseBackwardWeightedScalar(d2, y, t, w, n, d, s);
        expect(memory.compare(d1, d2, <usize>(m + 4) << 2)).toBe(0);   // same ops per element: bitwise equal
        let err: f64 = 0;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < d; j++) {
            const k = i * d + j;
            const r = <f64>get(d0, k) + <f64>s * <f64>get(w, i) * (<f64>get(y, k) - <f64>get(t, k));
            err = Math.max(err, Math.abs(<f64>get(d1, k) - r) / Math.max(1, Math.abs(r)));
          }
        }
        expect(err).toBeLessThan(3e-7);
      }
    }
  });
  it("weights of 1 give mseBackwardScaled's bits", () => {
    const n = 19, d = 3, m = n * d;
    const y = buf(m), t = buf(m), w = buf(n), a = buf(m), b = buf(m);
    fill(y, m); fill(t, m);
    for (let i = 0; i < m; i++) { set(a, i, 0); set(b, i, 0); }
    for (let i = 0; i < n; i++) set(w, i, 1);
    const s = <f32>(2.0 / <f64>m);
    mseBackwardScaled(a, y, t, m, s);
    mseBackwardWeighted(b, y, t, w, n, d, s);
    expect(memory.compare(a, b, <usize>m << 2)).toBe(0);
  });
  it("is the derivative of sum_i w_i |y_i - t_i|^2 / (n d) (central difference in f64)", () => {
    const n = 5, d = 3, m = n * d;
    const y = buf(m), t = buf(m), w = buf(n), dy = buf(m);
    fill(y, m); fill(t, m);
    for (let i = 0; i < n; i++) set(w, i, <f32>(i + 1) * <f32>0.5);
    for (let i = 0; i < m; i++) set(dy, i, 0);
    mseBackwardWeighted(dy, y, t, w, n, d, <f32>(2.0 / <f64>m));
    const h: f64 = 1e-3;
    let err: f64 = 0;
    for (let k = 0; k < m; k++) {
      const fd = (weightedLoss(y, t, w, m, d, k, h) - weightedLoss(y, t, w, m, d, k, -h)) / (2 * h);
      err = Math.max(err, Math.abs(<f64>get(dy, k) - fd));
    }
    expect(err).toBeLessThan(1e-6);
  });
});
