// activation.ts: SIMD == scalar (bitwise: both use math.ts's identical exp forms), forward vs the f64
// formula, backward vs a central finite difference of the f64 formula, accumulation (dx +=), tails.
import { geluForward, geluForwardScalar, geluBackward, geluBackwardScalar, siluForward, siluForwardScalar,
         siluBackward, siluBackwardScalar, reluForward, reluForwardScalar, reluBackward, reluBackwardScalar,
         residualForward, residualForwardScalar } from "../oracles";
import { addInPlace, addInPlaceScalar } from "../activation";
import { buf, get, set } from "./mem";

let seed: u32 = 777;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>(<f64>seed / 4294967296.0 - 0.5); }
function fill(p: usize, n: i32, s: f32): void { for (let i = 0; i < n; i++) set(p, i, rnd() * s); }
function copy(dst: usize, src: usize, n: i32): void { memory.copy(dst, src, <usize>n << 2); }
function same(a: usize, b: usize, n: i32): bool { return memory.compare(a, b, <usize>(n + 4) << 2) == 0; }

const N = 1027;                        // 4k + 3
const X = buf(N), DY = buf(N), A = buf(N), B = buf(N), D0 = buf(N);

// Inputs: a spread over [-8, 8] plus exact points 0, +-1e-3 and the GELU/SiLU bends.
function inputs(): void {
  for (let i = 0; i < N; i++) set(X, i, <f32>(-8.0 + 16.0 * <f64>i / <f64>(N - 1)));
  set(X, 0, 0); set(X, 1, 1e-3); set(X, 2, -1e-3); set(X, 3, -0.75); set(X, 4, 1.5);
  fill(DY, N, 2); fill(D0, N, 1);
  for (let i = N; i < N + 4; i++) { set(A, i, 99); set(B, i, 99); }   // sentinels, compared by same()
}

function gelu64(x: f64): f64 { return 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }
function silu64(x: f64): f64 { return x / (1 + Math.exp(-x)); }
const H: f64 = 1e-4;

describe("gelu", () => {
  it("forward: SIMD == scalar, matches f64 tanh formula", () => {
    inputs();
    geluForward(A, X, N); geluForwardScalar(B, X, N);
    expect(same(A, B, N)).toBe(true);
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const r = gelu64(<f64>get(X, i));
      m = Math.max(m, Math.abs(<f64>get(A, i) - r) / Math.max(1, Math.abs(r)));
    }
    expect(m).toBeLessThan(3e-7);
    // hand values: gelu(0) = 0, gelu(1) = 0.8411919906082768 (PyTorch, approximate='tanh')
    set(X, 0, 0); set(X, 1, 1); geluForward(A, X, 2);
    expect(get(A, 0)).toBe(0);
    expect<f64>(Math.abs(<f64>get(A, 1) - 0.8411919906082768)).toBeLessThan(2e-7);
  });
  it("backward: SIMD == scalar, accumulates, matches central difference", () => {
    inputs();
    copy(A, D0, N); copy(B, D0, N);
    geluBackward(A, DY, X, N); geluBackwardScalar(B, DY, X, N);
    expect(same(A, B, N)).toBe(true);
    // f32 derivative: 1 - s loses absolute precision ~ulp(1) and is multiplied by x u' (~10 at |x| = 3)
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const x = <f64>get(X, i);
      const fd = (gelu64(x + H) - gelu64(x - H)) / (2 * H);
      const r = <f64>get(D0, i) + <f64>get(DY, i) * fd;
      m = Math.max(m, Math.abs(<f64>get(A, i) - r) / Math.max(1, Math.abs(r)));
    }
    expect(m).toBeLessThan(3e-6);
  });
});

describe("silu", () => {
  it("forward: SIMD == scalar, matches f64", () => {
    inputs();
    siluForward(A, X, N); siluForwardScalar(B, X, N);
    expect(same(A, B, N)).toBe(true);
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const r = silu64(<f64>get(X, i));
      m = Math.max(m, Math.abs(<f64>get(A, i) - r) / Math.max(1, Math.abs(r)));
    }
    expect(m).toBeLessThan(3e-7);
  });
  it("backward: SIMD == scalar, accumulates, matches central difference", () => {
    inputs();
    copy(A, D0, N); copy(B, D0, N);
    siluBackward(A, DY, X, N); siluBackwardScalar(B, DY, X, N);
    expect(same(A, B, N)).toBe(true);
    // f32 derivative: 1 - s loses absolute precision ~ulp(1) and is multiplied by x u' (~10 at |x| = 3)
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const x = <f64>get(X, i);
      const fd = (silu64(x + H) - silu64(x - H)) / (2 * H);
      const r = <f64>get(D0, i) + <f64>get(DY, i) * fd;
      m = Math.max(m, Math.abs(<f64>get(A, i) - r) / Math.max(1, Math.abs(r)));
    }
    expect(m).toBeLessThan(3e-6);
  });
});

describe("relu", () => {
  it("forward and backward: exact, relu'(0) = 0, matches central difference away from 0", () => {
    inputs();
    reluForward(A, X, N); reluForwardScalar(B, X, N);
    expect(same(A, B, N)).toBe(true);
    let bad = 0;
    for (let i = 0; i < N; i++) if (get(A, i) != (get(X, i) > 0 ? get(X, i) : 0)) bad++;
    expect(bad).toBe(0);
    copy(A, D0, N); copy(B, D0, N);
    reluBackward(A, DY, X, N); reluBackwardScalar(B, DY, X, N);
    expect(same(A, B, N)).toBe(true);
    expect(get(A, 0)).toBe(get(D0, 0));                        // x = 0: no gradient
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const x = <f64>get(X, i);
      if (Math.abs(x) < 2 * H) continue;
      const fd = (Math.max(x + H, 0) - Math.max(x - H, 0)) / (2 * H);
      m = Math.max(m, Math.abs(<f64>get(A, i) - (<f64>get(D0, i) + <f64>get(DY, i) * fd)));
    }
    expect(m).toBeLessThan(1e-6);
  });
});

describe("residual and y += x", () => {
  it("residualForward", () => {
    inputs();
    residualForward(A, X, DY, N); residualForwardScalar(B, X, DY, N);
    expect(same(A, B, N)).toBe(true);
    let bad = 0;
    for (let i = 0; i < N; i++) if (get(A, i) != get(X, i) + get(DY, i)) bad++;
    expect(bad).toBe(0);
  });
  it("addInPlace, n = 1 and 4k + 3", () => {
    inputs();
    copy(A, D0, N + 4); copy(B, D0, N + 4);
    addInPlace(A, X, N); addInPlaceScalar(B, X, N);
    expect(same(A, B, N)).toBe(true);
    let bad = 0;
    for (let i = 0; i < N; i++) if (get(A, i) != get(D0, i) + get(X, i)) bad++;
    expect(bad).toBe(0);
    set(A, 0, 3); set(A, 1, 7); set(B, 0, 4);
    addInPlace(A, B, 1);
    expect(get(A, 0)).toBe(7);
    expect(get(A, 1)).toBe(7);
  });
});
