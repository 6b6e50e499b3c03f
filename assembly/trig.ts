// Fast f32 sine and cosine for the kernels (the sinusoidal embeddings call them per element).
// What it is: Cody-Waite reduction of x by the nearest multiple j of pi/2, Cephes-style minimax
// polynomials for sin and cos on [-pi/4, pi/4], and a branch-free quadrant select. sin4/cos4 (f32x4)
// and sin1/cos1 (f32) run the same operations in the same order, so the SIMD and the scalar build give
// bit-identical results lane for lane.
// What it is not: a libm. The reduction is exact only for |x| <= 12867 (|j| < 2^13, see PIO2_B); beyond
// that the error grows with |x|. No Payne-Hanek reduction; NaN and +-Inf give NaN.
// Measured against f64 Math.sin/cos of the same f32 argument (assembly/__tests__/trig.spec.ts: ~307k
// random points on |x| <= 1e4, ~102k on [-8, 8], the f32 neighbours of k pi/2 for |k| <= 6366):
// max |err| = 7.6e-8 (~2.5 half-ulps at 1), flat in |x| up to 12867. Beyond it (measured, not tested):
// 2.6e-7 at |x| <= 2e4, 9.6e-7 at 1e5, 3e-2 at 1e6. ABI bound: 2e-6 + 6e-8 |x|.

// pi/2 = PIO2_A + PIO2_B + PIO2_C. PIO2_A has 8 significant bits and PIO2_B 11, so j * PIO2_A and
// j * PIO2_B are exact in f32 for |j| < 2^13, and so are the two subtractions (Sterbenz: the
// operands are within a factor 2 and the results fit in 24 bits). Only j * PIO2_C rounds, at
// |j * PIO2_C| * 2^-24 < 4e-11. A 2-part split would lose ~1e-4 at |x| = 1e4.
const PIO2_A: f32 = 1.5703125;
const PIO2_B: f32 = 4.8375129699707031e-4;
const PIO2_C: f32 = 7.5497901264043321e-8;
const TWO_OVER_PI: f32 = 0.63661977236758134;

// sin(r) = r + r z (S1 + z (S2 + z S3)), cos(r) = 1 - z/2 + z^2 (C1 + z (C2 + z C3)), z = r^2,
// minimax on [-pi/4, pi/4] (Cephes sinf/cosf). Rounding of x * 2/pi can pick j one off near a
// half-way point, so |r| may exceed pi/4 by ~1e-3; the polynomials stay accurate there.
const S1: f32 = -1.6666654611e-1;
const S2: f32 = 8.3321608736e-3;
const S3: f32 = -1.9515295891e-4;
const C1: f32 = 4.166664568298827e-2;
const C2: f32 = -1.388731625493765e-3;
const C3: f32 = 2.443315711809948e-5;

// The f32x4 forms broadcast their constants from this table (v128.load32_splat: one instruction on a load port), not
// from f32x4.splat, which V8 rematerialises with 2-3 instructions per use per iteration (see math.ts, k4).
// MAGIC = 1.5 * 2^23: for an integer-valued float |j| < 2^22, the bits of j + MAGIC minus those of MAGIC are j as an
// i32, one integer subtraction instead of i32x4.trunc_sat_f32x4_s (several instructions in V8); quadrantInt1/4 do it
// the same way in both forms, so they agree for every input (only |j| < 2^13 is reduced exactly anyway).
const MAGIC: f32 = 12582912.0;
const TRIGK = memory.data<f32>([TWO_OVER_PI, PIO2_A, PIO2_B, PIO2_C, S1, S2, S3, C1, C2, C3, 0.5, 1.0, MAGIC], 16);
const TRIGI = memory.data<i32>([1, 2], 16);
@inline function t4(offset: usize): v128 {
  return v128.load32_splat(TRIGK + offset);
}

// ---- f32x4 building blocks (embed.ts shares the reduction between sin and cos) ----
// They are generic only so that nothing resolves the type v128 until a SIMD path instantiates them
// (always with V = v128): a plain `v128` signature is an error in the scalar build, and when this file
// is compiled as an entry its exports would become wasm exports. Generics are neither compiled nor
// exported until used (asc prints warning AS235 for them when this file is the entry; harmless).

/** j = nearest(x * 2/pi) per lane, as f32 (ties to even, like nearest<f32>). */
@inline export function quadrant4<V = v128>(x: V): V {
  return f32x4.nearest(f32x4.mul(x, t4(0)));
}

/** j as i32 lanes (j from quadrant4: integer-valued), by the MAGIC bits. */
@inline export function quadrantInt4<V = v128>(j: V): V {
  return i32x4.sub(f32x4.add(j, t4(48)), t4(48));
}

/** r = x - j pi/2 by the 3-part Cody-Waite split. */
@inline export function reduce4<V = v128>(x: V, j: V): V {
  let r = f32x4.sub(x, f32x4.mul(j, t4(4)));
  r = f32x4.sub(r, f32x4.mul(j, t4(8)));
  return f32x4.sub(r, f32x4.mul(j, t4(12)));
}

@inline export function sinPoly4<V = v128>(r: V): V {
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(t4(24), z), t4(20));
  p = f32x4.add(f32x4.mul(p, z), t4(16));
  return f32x4.add(r, f32x4.mul(f32x4.mul(p, z), r));
}

@inline export function cosPoly4<V = v128>(r: V): V {
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(t4(36), z), t4(32));
  p = f32x4.add(f32x4.mul(p, z), t4(28));
  p = f32x4.mul(f32x4.mul(p, z), z);
  p = f32x4.sub(p, f32x4.mul(t4(40), z));
  return f32x4.add(p, t4(44));
}

/**
 * sin(j pi/2 + r) from ps = sin r, pc = cos r and q = j as i32x4 (pass q + 1 for cos).
 * Quadrant q mod 4: sin r, cos r, -sin r, -cos r. Bit 0 picks the polynomial, bit 1 flips the
 * sign bit (q << 30 moves bit 1 to bit 31); two's complement makes this right for negative q.
 */
@inline export function selectSin4<V = v128>(ps: V, pc: V, q: V): V {
  const one = v128.load32_splat(TRIGI);
  const odd = i32x4.eq(v128.and(q, one), one);
  const v = v128.bitselect(pc, ps, odd);
  return v128.xor(v, i32x4.shl(v128.and(q, v128.load32_splat(TRIGI + 4)), 30));
}

/** q + 1 per lane: the quadrant of cos (cos x = sin(x + pi/2)). */
@inline export function nextQuadrant4<V = v128>(q: V): V {
  return i32x4.add(q, v128.load32_splat(TRIGI));
}

@inline export function sin4<V = v128>(x: V): V {
  const j = quadrant4(x);
  const r = reduce4(x, j);
  return selectSin4(sinPoly4(r), cosPoly4(r), quadrantInt4(j));
}

@inline export function cos4<V = v128>(x: V): V {
  const j = quadrant4(x);
  const r = reduce4(x, j);
  return selectSin4(sinPoly4(r), cosPoly4(r), nextQuadrant4(quadrantInt4(j)));
}

// ---- f32 twins: the same operations in the same order ----

@inline export function quadrant1(x: f32): f32 {
  return nearest<f32>(x * TWO_OVER_PI);
}

@inline export function quadrantInt1(j: f32): i32 {
  return reinterpret<i32>(j + MAGIC) - reinterpret<i32>(MAGIC);
}

@inline export function reduce1(x: f32, j: f32): f32 {
  let r = x - j * PIO2_A;
  r = r - j * PIO2_B;
  return r - j * PIO2_C;
}

@inline export function sinPoly1(r: f32): f32 {
  const z = r * r;
  let p = S3 * z + S2;
  p = p * z + S1;
  return r + p * z * r;
}

@inline export function cosPoly1(r: f32): f32 {
  const z = r * r;
  let p = C3 * z + C2;
  p = p * z + C1;
  p = p * z * z;
  p = p - <f32>0.5 * z;
  return p + <f32>1.0;
}

@inline export function selectSin1(ps: f32, pc: f32, q: i32): f32 {
  const v = (q & 1) ? pc : ps;
  return reinterpret<f32>(reinterpret<i32>(v) ^ ((q & 2) << 30));
}

@inline export function sin1(x: f32): f32 {
  const j = quadrant1(x);
  const r = reduce1(x, j);
  return selectSin1(sinPoly1(r), cosPoly1(r), quadrantInt1(j));
}

@inline export function cos1(x: f32): f32 {
  const j = quadrant1(x);
  const r = reduce1(x, j);
  return selectSin1(sinPoly1(r), cosPoly1(r), quadrantInt1(j) + 1);
}

// ---- exported test wrappers: out[i] = sin(x[i]) / cos(x[i]), i < n ----

export function sinArray(out: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, sin4(v128.load(x + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    sinArrayScalar(out + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function sinArrayScalar(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, sin1(load<f32>(x + o)));
  }
}

export function cosArray(out: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, cos4(v128.load(x + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    cosArrayScalar(out + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function cosArrayScalar(out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, cos1(load<f32>(x + o)));
  }
}
