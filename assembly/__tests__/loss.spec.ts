// loss.ts: MSE forward (f64 accumulation) and backward (accumulating) vs scalar twins, f64 and hand values.
import { mseForward, mseForwardScalar, mseBackwardScaled, mseBackwardScaledScalar } from "../loss";
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
