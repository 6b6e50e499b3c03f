// The bench's yardsticks: what one core can do with no memory traffic, so that each kernel's rate can be read as a
// share of it. Not used by training or sampling.
//
// madPeak: the f32x4 multiply and add rate, the mix a matmul issues in the plain SIMD build (one mul and one add per
// multiply-add). Six chains of multiplies and six of adds, independent of each other, unrolled four times. Why that
// is enough: a chain can issue one op per latency (mul 4 cycles, add 2 to 4 on current x64 cores), and a core issues
// at most 2 muls or 2 adds a cycle, 3 of either per cycle on cores whose FP ports overlap (Intel since Golden Cove:
// mul on ports 0/1, add on 1/5). Six mul chains cover 4 cycles x 1.5 muls, six add chains 4 cycles x 1.5 adds. Twelve
// accumulators and the two constants are 14 of the 15 xmm registers V8's x64 code may allocate, so none spills;
// measured on the bench machine, 8 + 4, 7 + 6 and 6 + 6 chains all read within 2% of each other and 4 + 4 ~20% lower.
// fmaPeak: the same for relaxed_madd (one FMA instruction where the CPU has one: the relaxed build's matmul op).
// Twelve chains cover 2 FMA ports x 4 cycles latency with margin. In a build without relaxed SIMD it runs mul then add.
// clockChain: a dependent chain of i32 adds (one cycle each on every x64 and arm64 core): rounds / time = the clock
// the core ran at while the bench ran, which turns GFLOP/s into FLOP per cycle.

@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** `iters` rounds of 24 f32x4 multiplies and 24 f32x4 adds (192 flops); returns a value depending on all of them. */
export function madPeak(iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(1.0000001), c = f32x4.splat(1e-7);
    let p0 = f32x4.splat(1.0), p1 = f32x4.splat(1.1), p2 = f32x4.splat(1.2), p3 = f32x4.splat(1.3), p4 = f32x4.splat(1.4), p5 = f32x4.splat(1.5);
    let s0 = f32x4.splat(2.0), s1 = f32x4.splat(2.1), s2 = f32x4.splat(2.2), s3 = f32x4.splat(2.3), s4 = f32x4.splat(2.4), s5 = f32x4.splat(2.5);
    for (let i = 0; i < iters; i++) {
      // written out four times: the loop's own count-and-branch then does not show
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c); p5 = f32x4.mul(p5, m); s5 = f32x4.add(s5, c);
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c); p5 = f32x4.mul(p5, m); s5 = f32x4.add(s5, c);
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c); p5 = f32x4.mul(p5, m); s5 = f32x4.add(s5, c);
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c); p5 = f32x4.mul(p5, m); s5 = f32x4.add(s5, c);
    }
    const p = f32x4.add(f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3)), f32x4.add(p4, p5));
    const s = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(s4, s5));
    const t = f32x4.add(p, s);
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
  }
  return 4 * madPeakScalar(iters);
}

/** Scalar twin: the same chains on one lane (48 flops a round). */
export function madPeakScalar(iters: i32): f32 {
  const m: f32 = 1.0000001, c: f32 = 1e-7;
  let p0: f32 = 1.0, p1: f32 = 1.1, p2: f32 = 1.2, p3: f32 = 1.3, p4: f32 = 1.4, p5: f32 = 1.5;
  let s0: f32 = 2.0, s1: f32 = 2.1, s2: f32 = 2.2, s3: f32 = 2.3, s4: f32 = 2.4, s5: f32 = 2.5;
  for (let i = 0; i < iters; i++) {
    for (let u = 0; u < 4; u++) {
      p0 *= m; s0 += c; p1 *= m; s1 += c; p2 *= m; s2 += c; p3 *= m; s3 += c; p4 *= m; s4 += c; p5 *= m; s5 += c;
    }
  }
  return p0 + p1 + p2 + p3 + p4 + p5 + s0 + s1 + s2 + s3 + s4 + s5;
}

/** `iters` rounds of 48 multiply-adds on 12 independent f32x4 chains (384 flops); p = p * m + c per step. */
export function fmaPeak(iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(0.9999999), c = f32x4.splat(1e-7);
    let p0 = f32x4.splat(1.0), p1 = f32x4.splat(1.1), p2 = f32x4.splat(1.2), p3 = f32x4.splat(1.3), p4 = f32x4.splat(1.4), p5 = f32x4.splat(1.5);
    let p6 = f32x4.splat(1.6), p7 = f32x4.splat(1.7), p8 = f32x4.splat(1.8), p9 = f32x4.splat(1.9), p10 = f32x4.splat(2.0), p11 = f32x4.splat(2.1);
    for (let i = 0; i < iters; i++) {
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c); p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c); p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c); p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c); p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
    }
    const a = f32x4.add(f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3)), f32x4.add(p4, p5));
    const b = f32x4.add(f32x4.add(f32x4.add(p6, p7), f32x4.add(p8, p9)), f32x4.add(p10, p11));
    const t = f32x4.add(a, b);
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
  }
  return 4 * fmaPeakScalar(iters);
}

/** Scalar twin of fmaPeak (mul then add: the scalar build has no fused form). */
export function fmaPeakScalar(iters: i32): f32 {
  const m: f32 = 0.9999999, c: f32 = 1e-7;
  let p0: f32 = 1.0, p1: f32 = 1.1, p2: f32 = 1.2, p3: f32 = 1.3, p4: f32 = 1.4, p5: f32 = 1.5;
  let p6: f32 = 1.6, p7: f32 = 1.7, p8: f32 = 1.8, p9: f32 = 1.9, p10: f32 = 2.0, p11: f32 = 2.1;
  for (let i = 0; i < iters; i++) {
    for (let u = 0; u < 4; u++) {
      p0 = p0 * m + c; p1 = p1 * m + c; p2 = p2 * m + c; p3 = p3 * m + c; p4 = p4 * m + c; p5 = p5 * m + c;
      p6 = p6 * m + c; p7 = p7 * m + c; p8 = p8 * m + c; p9 = p9 * m + c; p10 = p10 * m + c; p11 = p11 * m + c;
    }
  }
  return p0 + p1 + p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9 + p10 + p11;
}

/** `iters` rounds of 64 dependent i32 adds x += y (y is not a constant, so nothing folds); returns x. */
export function clockChain(iters: i32, y: i32): i32 {
  let x = y;
  for (let i = 0; i < iters; i++) {
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
    x += y; x += y; x += y; x += y; x += y; x += y; x += y; x += y;
  }
  return x;
}
