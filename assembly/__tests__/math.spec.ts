// math.ts: f32x4 and scalar forms agree bit for bit; both are within the documented error of f64 Math.*.
import { expArray, expArrayScalar, expSig1, expSig4, tanhArray, tanhArrayScalar, sigmoidArray, sigmoidArrayScalar,
         logArray, logArrayScalar } from "../math";
import { buf, get, set } from "./mem";


const N = 8195;            // 4k + 3: many vector iterations plus a 3-element tail
const X = buf(N), A = buf(N), S = buf(N);

function grid(lo: f64, hi: f64): void {
  for (let i = 0; i < N; i++) set(X, i, <f32>(lo + (hi - lo) * <f64>i / <f64>(N - 1)));
}
function bitDiffs(n: i32): i32 {
  let d = 0;
  for (let i = 0; i < n; i++) if (reinterpret<u32>(get(A, i)) != reinterpret<u32>(get(S, i))) d++;
  return d;
}

// The SIMD form into A and the scalar twin into S over the grid [lo, hi]: bit for bit equal, within 1e-7 of f64 exp.
function expectExpLike(simd: (out: usize, x: usize, n: i32) => void, scalar: (out: usize, x: usize, n: i32) => void,
  lo: f64, hi: f64): void {
  grid(lo, hi);
  simd(A, X, N); scalar(S, X, N);
  expect(bitDiffs(N)).toBe(0);
  let m: f64 = 0;
  for (let i = 0; i < N; i++) {
    const r = Math.exp(<f64>get(X, i));
    m = Math.max(m, Math.abs(<f64>get(A, i) - r) / r);
  }
  expect(m).toBeLessThan(1e-7);
}

// expSig has no array kernel of its own (GELU inlines it): these are its array forms for the spec.
function expSigArray(out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), expSig4(v128.load(x + (<usize>i << 2))));
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), expSig1(load<f32>(x + (<usize>i << 2))));
}
function expSigArrayScalar(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), expSig1(load<f32>(x + (<usize>i << 2))));
}

describe("exp", () => {
  it("SIMD == scalar bitwise and rel err < 1e-7 vs f64 on [-87.3, 88.7]", () => {
    expectExpLike(expArray, expArrayScalar, -87.3, 88.7);
  });
  it("hand values and saturation", () => {
    set(X, 0, 0); set(X, 1, 1); set(X, 2, -1); set(X, 3, 1000); set(X, 4, -1000);
    expArray(A, X, 5);
    expect(get(A, 0)).toBe(1);
    expect<f64>(Math.abs(get(A, 1) - 2.718281828459045)).toBeLessThan(3e-7);
    expect<f64>(Math.abs(get(A, 2) - 0.36787944117144233)).toBeLessThan(5e-8);
    expect(isFinite(get(A, 3))).toBe(true);          // clamped at 88.7, never inf
    expect(get(A, 3)).toBeGreaterThan(<f32>3e38);
    expect(get(A, 4)).toBeGreaterThan(<f32>0);       // clamped at -87.3, never 0
  });
});

describe("expSig (the logistic's exp)", () => {
  it("SIMD == scalar bitwise and rel err < 1e-7 vs f64 on [-86, 86]", () => {
    expectExpLike(expSigArray, expSigArrayScalar, -86, 86);
  });
  it("saturates at +-86, where 1 / (1 + e^x) is still a normal f32 (no subnormal downstream)", () => {
    set(X, 0, 1000); set(X, 1, -1000); set(X, 2, 86); set(X, 3, <f32>NaN); set(X, 4, 0);
    expSigArray(A, X, 5); expSigArrayScalar(S, X, 5);
    expect(bitDiffs(5)).toBe(0);
    expect(get(A, 0)).toBe(get(A, 2));
    expect(isFinite(get(A, 0))).toBe(true);
    expect(<f32>1 / (<f32>1 + get(A, 0))).toBeGreaterThanOrEqual(<f32>1.1754944e-38);   // FLT_MIN: normal
    expect(get(A, 1)).toBeGreaterThanOrEqual(<f32>1.1754944e-38);
    expect(get(A, 3)).toBe(get(A, 2));   // NaN clamps to the upper bound, as exp's does
    expect(get(A, 4)).toBe(1);
  });
});

describe("tanh", () => {
  it("SIMD == scalar bitwise and rel err < 2e-7 vs f64 on [-12, 12]", () => {
    grid(-12, 12);
    tanhArray(A, X, N); tanhArrayScalar(S, X, N);
    expect(bitDiffs(N)).toBe(0);
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const r = Math.tanh(<f64>get(X, i));
      if (r != 0) m = Math.max(m, Math.abs(<f64>get(A, i) - r) / Math.abs(r));
    }
    expect(m).toBeLessThan(2e-7);
  });
  it("odd, and exact limits", () => {
    set(X, 0, 0.3); set(X, 1, -0.3); set(X, 2, 3); set(X, 3, -3); set(X, 4, 50); set(X, 5, -50);
    tanhArray(A, X, 6);
    expect(get(A, 1)).toBe(-get(A, 0));
    expect(get(A, 3)).toBe(-get(A, 2));
    expect(get(A, 4)).toBe(1);
    expect(get(A, 5)).toBe(-1);
  });
});

describe("sigmoid", () => {
  it("SIMD == scalar bitwise and rel err < 2e-7 vs f64 on [-87, 87]", () => {
    grid(-87, 87);
    sigmoidArray(A, X, N); sigmoidArrayScalar(S, X, N);
    expect(bitDiffs(N)).toBe(0);
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const r = 1 / (1 + Math.exp(-<f64>get(X, i)));
      m = Math.max(m, Math.abs(<f64>get(A, i) - r) / r);
    }
    expect(m).toBeLessThan(2e-7);
  });
  it("sigmoid(0) = 0.5", () => {
    set(X, 0, 0);
    sigmoidArray(A, X, 1);
    expect(get(A, 0)).toBe(0.5);
  });
});

describe("log", () => {
  it("SIMD == scalar bitwise and abs err < 1e-7 max(1,|log x|) on [1e-30, 1e30]", () => {
    for (let i = 0; i < N; i++) set(X, i, <f32>Math.exp(-69.0 + 138.0 * <f64>i / <f64>(N - 1)));
    logArray(A, X, N); logArrayScalar(S, X, N);
    expect(bitDiffs(N)).toBe(0);
    let m: f64 = 0;
    for (let i = 0; i < N; i++) {
      const r = Math.log(<f64>get(X, i));
      m = Math.max(m, Math.abs(<f64>get(A, i) - r) / Math.max(1, Math.abs(r)));
    }
    expect(m).toBeLessThan(1e-7);
  });
  it("log 1 = 0, log 2, log 0.5 (both sides of the sqrt(1/2) switch)", () => {
    set(X, 0, 1); set(X, 1, 2); set(X, 2, 0.5); set(X, 3, 0.70710677); set(X, 4, 0.70710683);
    logArray(A, X, 5);
    expect(get(A, 0)).toBe(0);
    expect<f64>(Math.abs(get(A, 1) - 0.6931471805599453)).toBeLessThan(1e-7);
    expect<f64>(Math.abs(get(A, 2) + 0.6931471805599453)).toBeLessThan(1e-7);
    expect<f64>(Math.abs(get(A, 3) - Math.log(<f64><f32>0.70710677))).toBeLessThan(1e-7);
    expect<f64>(Math.abs(get(A, 4) - Math.log(<f64><f32>0.70710683))).toBeLessThan(1e-7);
  });
});
