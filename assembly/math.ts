// Elementary functions for the kernels: exp, tanh, sigmoid, log in an f32x4 form (`exp4`) and a scalar
// form (`exp1`) built from the same operations in the same order. Wasm f32 arithmetic is IEEE round-to-
// nearest with no fused multiply-add, so each lane of `exp4(v)` is bit-identical to `exp1` of that lane:
// the SIMD and scalar builds of every kernel that uses these agree exactly, not just within a tolerance.
// Not here: f64 functions (use Math.*), special-function accuracy beyond f32 (a few ulp is the goal),
// subnormal inputs to log.
//
// Polynomials are Cephes' single-precision ones (expf, tanhf, logf), with Cody-Waite reduction by ln 2.
// Measured against f64 Math.* of the same f32 inputs (2^20 evenly spaced points per range; the spec
// re-checks a coarser grid against slightly looser bounds):
//   exp     on [-87.3, 88.7]:  relative error <= 8.1e-8 (below 1 ulp)
//   tanh    on [-12, 12]:      relative error <= 1.4e-7 (worst just above the 0.625 switch)
//   sigmoid on [-87, 87]:      relative error <= 1.5e-7
//   log     on [1e-30, 1e30]:  absolute error <= 8e-8 * max(1, |log x|)

// exp: x = n ln2 + r, |r| <= ln2/2; e^r by a degree-7 polynomial; 2^n built in the exponent bits.
// Inputs are clamped so that the result stays a normal finite f32: exp(-87.3) ~ 1.2e-38 > FLT_MIN,
// exp(88.7) ~ 3.3e38 < FLT_MAX. Saturating, never inf or 0, keeps sigmoid and tanh free of inf/inf.
const EXP_LO: f32 = -87.3;
const EXP_HI: f32 = 88.7;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;       // 9 significant bits: n * LN2_HI is exact for |n| <= 128
const LN2_LO: f32 = -2.12194440e-4;
const EP0: f32 = 1.9875691500e-4;
const EP1: f32 = 1.3981999507e-3;
const EP2: f32 = 8.3334519073e-3;
const EP3: f32 = 4.1665795894e-2;
const EP4: f32 = 1.6666665459e-1;
const EP5: f32 = 5.0000001201e-1;

// tanh: odd polynomial for |x| < 0.625, where 1 - 2/(e^2x + 1) would cancel; exp form above.
const TANH_SMALL: f32 = 0.625;
const TP0: f32 = -5.70498872745e-3;
const TP1: f32 = 2.06390887954e-2;
const TP2: f32 = -5.37397155531e-2;
const TP3: f32 = 1.33314422036e-1;
const TP4: f32 = -3.33332819422e-1;

// log: x = m 2^e with m in [sqrt(1/2), sqrt(2)); log(1 + f) by a degree-9 polynomial.
const SQRTH: f32 = 0.707106781186547524;
const LP0: f32 = 7.0376836292e-2;
const LP1: f32 = -1.1514610310e-1;
const LP2: f32 = 1.1676998740e-1;
const LP3: f32 = -1.2420140846e-1;
const LP4: f32 = 1.4249322787e-1;
const LP5: f32 = -1.6668057665e-1;
const LP6: f32 = 2.0000714765e-1;
const LP7: f32 = -2.4999993993e-1;
const LP8: f32 = 3.3333331174e-1;

// ---------------------------------------------------------------------------------------------- exp

// x clamped to [lo, hi] with the comparisons of f32x4.pmax(lo, f32x4.pmin(hi, x)): NaN -> hi, as the f32x4 forms.
@inline function clampP(x: f32, lo: f32, hi: f32): f32 {
  x = x < hi ? x : hi;
  return lo < x ? x : lo;
}
// r = x - n ln 2 in two steps (Cody-Waite): cwReduce4's scalar form.
@inline function cwReduce1(x: f32, n: f32): f32 {
  return (x - n * LN2_HI) - n * LN2_LO;
}

@inline export function exp1(x: f32): f32 {
  x = clampP(x, EXP_LO, EXP_HI);
  const n = nearest<f32>(x * LOG2E);
  const r = cwReduce1(x, n);
  const z = r * r;
  let p = ((((EP0 * r + EP1) * r + EP2) * r + EP3) * r + EP4) * r + EP5;
  p = (p * z + r) + <f32>1;
  // 2^n as two factors 2^(n>>1) * 2^(n - (n>>1)): n reaches 128 at the upper clamp, one past the
  // largest single normal power of two.
  const ni = <i32>n;                     // |n| <= 128; nontrapping-f2i (default on) makes NaN -> 0, no trap
  const n1 = ni >> 1;
  const n2 = ni - n1;
  return (p * reinterpret<f32>((n1 + 127) << 23)) * reinterpret<f32>((n2 + 127) << 23);
}

// Constants of the f32x4 forms live in a static table and are broadcast from memory where they are used
// (v128.load32_splat: one instruction, on a load port). Written as f32x4.splat they become v128.const, which
// binaryen folds back into every loop even when hoisted, and which V8 rematerialises with 2-3 instructions
// per use per iteration. Measured over an array: exp4 3.5 -> 1.7 ns/element.
const EXPK = memory.data<f32>([EXP_LO, EXP_HI, LOG2E, LN2_HI, LN2_LO, EP0, EP1, EP2, EP3, EP4, EP5, 1.0, 2.0, 0.5], 16);
const INTK = memory.data<i32>([0x4B400000, 127], 16);
/** A constant from a static table, splatted: k4(ONE) etc. */
@inline export function k4(addr: usize): v128 {
  return v128.load32_splat(addr);
}
export const ONE: usize = EXPK + 44;
export const TWO: usize = EXPK + 48;
export const HALF: usize = EXPK + 52;

// x log2 e + 1.5 * 2^23, which rounds x log2 e to the nearest integer n: it lands in the low mantissa bits
// (|x log2 e| < 2^22), so n comes out as an integer without a float-to-int conversion (V8 emulates trunc_sat in
// several instructions). exp4 and expSig4 share it and cwReduce4.
@inline function roundedLog2e4(x: v128): v128 {
  return f32x4.add(f32x4.mul(x, k4(EXPK + 8)), k4(INTK));
}
// r = x - n ln 2 in two steps (Cody-Waite), n = big - 1.5 * 2^23 from roundedLog2e4.
@inline function cwReduce4(x: v128, big: v128): v128 {
  const n = f32x4.sub(big, k4(INTK));
  return f32x4.sub(f32x4.sub(x, f32x4.mul(n, k4(EXPK + 12))), f32x4.mul(n, k4(EXPK + 16)));
}

@inline export function exp4(x: v128): v128 {
  // Clamp with pmin/pmax (one instruction each; f32x4.min/max carry NaN and -0 rules V8 emulates in several).
  // exp1 clamps with the same comparisons, so both forms agree bit for bit, NaN included (it clamps to EXP_HI).
  x = f32x4.pmax(k4(EXPK), f32x4.pmin(k4(EXPK + 4), x));
  const magic = k4(INTK);
  const big = roundedLog2e4(x);
  const r = cwReduce4(x, big);
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(k4(EXPK + 20), r), k4(EXPK + 24));
  p = f32x4.add(f32x4.mul(p, r), k4(EXPK + 28));
  p = f32x4.add(f32x4.mul(p, r), k4(EXPK + 32));
  p = f32x4.add(f32x4.mul(p, r), k4(EXPK + 36));
  p = f32x4.add(f32x4.mul(p, r), k4(EXPK + 40));
  p = f32x4.add(f32x4.add(f32x4.mul(p, z), r), k4(ONE));
  const ni = i32x4.sub(big, magic);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = k4(INTK + 4);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

// --------------------------------------------------------------------------- exp for the logistic function
// expSig: e^x where the kernel then takes 1 / (1 + e^x) (GELU's sigmoid). The same polynomial as exp, but:
// - the argument is clamped to [-86, 86]. 1 / (1 + e^86) = 4.5e-38 is still a normal f32, so the logistic never
//   yields a subnormal (exp's upper clamp, 88.7, gives 3e-39: wasm does not flush subnormals, and arithmetic on them
//   costs x64 cores ~100 cycles an operation; a block whose pre-activations reached -10 ran 3x slower). e^86 also
//   needs one power-of-two factor, not exp's two.
// - the polynomial goes by Estrin's scheme (three independent pairs) instead of Horner's, half the dependent chain.
//   The GELU epilogue is latency-bound (a ~100-cycle chain per vector, and the core holds only a few in flight):
//   2.1 -> 1.55 ns per element measured. Accuracy as exp's (the spec checks both against f64).
const SIG_LO: f32 = -86.0;
const SIG_HI: f32 = 86.0;
const SIGK = memory.data<f32>([SIG_LO, SIG_HI], 16);

@inline export function expSig1(x: f32): f32 {
  x = clampP(x, SIG_LO, SIG_HI);
  const n = nearest<f32>(x * LOG2E);
  const r = cwReduce1(x, n);
  const z = r * r;
  const p = ((EP4 * r + EP5) + (EP2 * r + EP3) * z) + (EP0 * r + EP1) * (z * z);
  const e = (p * z + r) + <f32>1;
  return e * reinterpret<f32>((<i32>n + 127) << 23); // |n| <= 125: one normal power of two
}

@inline export function expSig4(x: v128): v128 {
  x = f32x4.pmax(k4(SIGK), f32x4.pmin(k4(SIGK + 4), x));
  const big = roundedLog2e4(x);
  const r = cwReduce4(x, big);
  const z = f32x4.mul(r, r);
  const a = f32x4.add(f32x4.mul(k4(EXPK + 36), r), k4(EXPK + 40));   // EP4 r + EP5
  const b = f32x4.add(f32x4.mul(k4(EXPK + 28), r), k4(EXPK + 32));   // EP2 r + EP3
  const c = f32x4.add(f32x4.mul(k4(EXPK + 20), r), k4(EXPK + 24));   // EP0 r + EP1
  const p = f32x4.add(f32x4.add(a, f32x4.mul(b, z)), f32x4.mul(c, f32x4.mul(z, z)));
  const e = f32x4.add(f32x4.add(f32x4.mul(p, z), r), k4(ONE));
  return f32x4.mul(e, i32x4.shl(i32x4.add(i32x4.sub(big, k4(INTK)), k4(INTK + 4)), 23));
}

// --------------------------------------------------------------------------------------------- tanh

@inline export function tanh1(x: f32): f32 {
  const a = abs<f32>(x);
  if (a < TANH_SMALL) {
    const s = x * x;
    return ((((TP0 * s + TP1) * s + TP2) * s + TP3) * s + TP4) * s * x + x;
  }
  const big = <f32>1 - <f32>2 / (exp1(a + a) + <f32>1);
  return copysign<f32>(big, x);
}

@inline export function tanh4(x: v128): v128 {
  const a = f32x4.abs(x);
  const s = f32x4.mul(x, x);
  let q = f32x4.add(f32x4.mul(f32x4.splat(TP0), s), f32x4.splat(TP1));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(TP2));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(TP3));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(TP4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(q, s), x), x);
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(exp4(f32x4.add(a, a)), one)));
  // big >= 0, so OR-ing in x's sign bit is copysign.
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(a, f32x4.splat(TANH_SMALL)));
}

// ------------------------------------------------------------------------------------------ sigmoid

// 1 / (1 + e^-x): exact 0 and 1 are never produced for finite x because exp saturates (see exp1).
@inline export function sigmoid1(x: f32): f32 {
  return <f32>1 / (<f32>1 + exp1(-x));
}

@inline export function sigmoid4(x: v128): v128 {
  const one = k4(ONE);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

// ---------------------------------------------------------------------------------------------- log

// x > 0 and normal; x <= 0, subnormal, inf and NaN give unspecified results (the kernels only take
// logs of probabilities and variances bounded away from 0).
@inline export function log1(x: f32): f32 {
  const bits = reinterpret<i32>(x);
  let e = (bits >> 23) - 126;                                   // x = m 2^e, m in [0.5, 1)
  const m = reinterpret<f32>((bits & 0x807FFFFF) | 0x3F000000);
  const lo = m < SQRTH;
  e -= <i32>lo;                                                 // m in [sqrt(1/2), sqrt(2))
  const f = (m - <f32>1) + (lo ? m : <f32>0);
  const z = f * f;
  let y = (((((((LP0 * f + LP1) * f + LP2) * f + LP3) * f + LP4) * f + LP5) * f + LP6) * f + LP7) * f + LP8;
  y = y * f * z;
  const ef = <f32>e;
  y = y + ef * LN2_LO;
  y = y + <f32>-0.5 * z;
  return (f + y) + ef * LN2_HI;
}

@inline export function log4(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_s(x, 23), i32x4.splat(126));
  const m = v128.or(v128.and(x, i32x4.splat(0x807FFFFF)), i32x4.splat(0x3F000000));
  const lo = f32x4.lt(m, f32x4.splat(SQRTH));                  // all-ones lanes = -1
  e = i32x4.add(e, lo);
  const f = f32x4.add(f32x4.sub(m, f32x4.splat(1)), v128.and(m, lo));
  const z = f32x4.mul(f, f);
  let y = f32x4.add(f32x4.mul(f32x4.splat(LP0), f), f32x4.splat(LP1));
  y = f32x4.add(f32x4.mul(y, f), f32x4.splat(LP2));
  y = f32x4.add(f32x4.mul(y, f), f32x4.splat(LP3));
  y = f32x4.add(f32x4.mul(y, f), f32x4.splat(LP4));
  y = f32x4.add(f32x4.mul(y, f), f32x4.splat(LP5));
  y = f32x4.add(f32x4.mul(y, f), f32x4.splat(LP6));
  y = f32x4.add(f32x4.mul(y, f), f32x4.splat(LP7));
  y = f32x4.add(f32x4.mul(y, f), f32x4.splat(LP8));
  y = f32x4.mul(f32x4.mul(y, f), z);
  const ef = f32x4.convert_i32x4_s(e);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(LN2_LO)));
  y = f32x4.add(y, f32x4.mul(f32x4.splat(-0.5), z));
  return f32x4.add(f32x4.add(f, y), f32x4.mul(ef, f32x4.splat(LN2_HI)));
}

// ------------------------------------------------------------------------------ exported test wrappers
// out[i] = f(x[i]) for i < n: exp4 & co. on whole vectors, the scalar form on the tail. The Scalar
// twins use the scalar form throughout; specs compare the two bit for bit.

export function expArray(out: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, exp4(v128.load(x + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    expArrayScalar(out + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function expArrayScalar(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, exp1(load<f32>(x + o)));
  }
}

export function tanhArray(out: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, tanh4(v128.load(x + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    tanhArrayScalar(out + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function tanhArrayScalar(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, tanh1(load<f32>(x + o)));
  }
}

export function sigmoidArray(out: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, sigmoid4(v128.load(x + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    sigmoidArrayScalar(out + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function sigmoidArrayScalar(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, sigmoid1(load<f32>(x + o)));
  }
}

export function logArray(out: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, log4(v128.load(x + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    logArrayScalar(out + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function logArrayScalar(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, log1(load<f32>(x + o)));
  }
}
