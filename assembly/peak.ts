// The bench's yardsticks: what one core can do with no memory traffic, so that each kernel's rate can be read as a
// share of it. Not used by training or sampling, so not in the product builds: this file is its own entry, compiled
// only by the bench (bench/peak-build.mjs, asconfig.json targets bench and bench-relaxed).
//
// madPeak: the f32x4 multiply-then-add rate, in the matmuls' own pattern of the plain SIMD build (acc = acc + a * b,
// one mul and one add per multiply-add): 14 independent chains s = s + s * m. Why that is enough: a chain issues one
// mul and one add per mul latency + add latency (4 + 2 cycles measured on the bench machine), and a core issues at
// most 3 FP ops a cycle (Intel since Golden Cove: mul on ports 0/1, add on 1/5), so 9 chains can fill the ports; 14
// leave slack for scheduling. Measured on the bench machine (best of 80 short rounds, FLOP per cycle at the measured
// clock): 8 chains 8.4, 10: 9.8, 12: 10.5, 13: 10.6, 14: 10.7 (saturating; more chains than 14 exceed the 15 xmm
// registers V8's x64 code allocates). Chains of only muls and only adds (6 + 6, 7 + 6, 8 + 4, 8 + 6) read 9.7-9.9:
// a matmul beat that form, so it was not a peak. The theoretical ceiling, 3 ops x 4 lanes = 12 FLOP per cycle, is
// what the bench also prints beside it.
// fmaPeak: the same for relaxed_madd (one FMA instruction where the CPU has one: the relaxed build's matmul op).
// Twelve chains cover 2 FMA ports x 4 cycles latency with margin. In a build without relaxed SIMD it runs mul then add.
// clockChain: a dependent chain of i32 adds (one cycle each on every x64 and arm64 core): rounds / time = the clock
// the core ran at while the bench ran, which turns GFLOP/s into FLOP per cycle.

@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** `iters` rounds of 56 f32x4 multiply-then-adds on 14 chains (448 flops); returns a value depending on all of them. */
export function madPeak(iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(1e-8); // s + s m rounds back to s: no overflow, no subnormals, the same work every round
    let s0 = f32x4.splat(1.0), s1 = f32x4.splat(1.125), s2 = f32x4.splat(1.25), s3 = f32x4.splat(1.375), s4 = f32x4.splat(1.5),
      s5 = f32x4.splat(1.625), s6 = f32x4.splat(1.75);
    let s7 = f32x4.splat(1.875), s8 = f32x4.splat(2.0), s9 = f32x4.splat(2.125), s10 = f32x4.splat(2.25), s11 = f32x4.splat(2.375),
      s12 = f32x4.splat(2.5), s13 = f32x4.splat(2.625);
    for (let i = 0; i < iters; i++) {
      // written out four times: the loop's own count-and-branch then does not show
      s0 = f32x4.add(s0, f32x4.mul(s0, m)); s1 = f32x4.add(s1, f32x4.mul(s1, m)); s2 = f32x4.add(s2, f32x4.mul(s2, m));
      s3 = f32x4.add(s3, f32x4.mul(s3, m)); s4 = f32x4.add(s4, f32x4.mul(s4, m)); s5 = f32x4.add(s5, f32x4.mul(s5, m));
      s6 = f32x4.add(s6, f32x4.mul(s6, m)); s7 = f32x4.add(s7, f32x4.mul(s7, m)); s8 = f32x4.add(s8, f32x4.mul(s8, m));
      s9 = f32x4.add(s9, f32x4.mul(s9, m)); s10 = f32x4.add(s10, f32x4.mul(s10, m)); s11 = f32x4.add(s11, f32x4.mul(s11, m));
      s12 = f32x4.add(s12, f32x4.mul(s12, m)); s13 = f32x4.add(s13, f32x4.mul(s13, m));
      s0 = f32x4.add(s0, f32x4.mul(s0, m)); s1 = f32x4.add(s1, f32x4.mul(s1, m)); s2 = f32x4.add(s2, f32x4.mul(s2, m));
      s3 = f32x4.add(s3, f32x4.mul(s3, m)); s4 = f32x4.add(s4, f32x4.mul(s4, m)); s5 = f32x4.add(s5, f32x4.mul(s5, m));
      s6 = f32x4.add(s6, f32x4.mul(s6, m)); s7 = f32x4.add(s7, f32x4.mul(s7, m)); s8 = f32x4.add(s8, f32x4.mul(s8, m));
      s9 = f32x4.add(s9, f32x4.mul(s9, m)); s10 = f32x4.add(s10, f32x4.mul(s10, m)); s11 = f32x4.add(s11, f32x4.mul(s11, m));
      s12 = f32x4.add(s12, f32x4.mul(s12, m)); s13 = f32x4.add(s13, f32x4.mul(s13, m));
      s0 = f32x4.add(s0, f32x4.mul(s0, m)); s1 = f32x4.add(s1, f32x4.mul(s1, m)); s2 = f32x4.add(s2, f32x4.mul(s2, m));
      s3 = f32x4.add(s3, f32x4.mul(s3, m)); s4 = f32x4.add(s4, f32x4.mul(s4, m)); s5 = f32x4.add(s5, f32x4.mul(s5, m));
      s6 = f32x4.add(s6, f32x4.mul(s6, m)); s7 = f32x4.add(s7, f32x4.mul(s7, m)); s8 = f32x4.add(s8, f32x4.mul(s8, m));
      s9 = f32x4.add(s9, f32x4.mul(s9, m)); s10 = f32x4.add(s10, f32x4.mul(s10, m)); s11 = f32x4.add(s11, f32x4.mul(s11, m));
      s12 = f32x4.add(s12, f32x4.mul(s12, m)); s13 = f32x4.add(s13, f32x4.mul(s13, m));
      s0 = f32x4.add(s0, f32x4.mul(s0, m)); s1 = f32x4.add(s1, f32x4.mul(s1, m)); s2 = f32x4.add(s2, f32x4.mul(s2, m));
      s3 = f32x4.add(s3, f32x4.mul(s3, m)); s4 = f32x4.add(s4, f32x4.mul(s4, m)); s5 = f32x4.add(s5, f32x4.mul(s5, m));
      s6 = f32x4.add(s6, f32x4.mul(s6, m)); s7 = f32x4.add(s7, f32x4.mul(s7, m)); s8 = f32x4.add(s8, f32x4.mul(s8, m));
      s9 = f32x4.add(s9, f32x4.mul(s9, m)); s10 = f32x4.add(s10, f32x4.mul(s10, m)); s11 = f32x4.add(s11, f32x4.mul(s11, m));
      s12 = f32x4.add(s12, f32x4.mul(s12, m)); s13 = f32x4.add(s13, f32x4.mul(s13, m));
    }
    const a = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), s6));
    const b = f32x4.add(f32x4.add(f32x4.add(s7, s8), f32x4.add(s9, s10)), f32x4.add(f32x4.add(s11, s12), s13));
    const t = f32x4.add(a, b);
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
  }
  return 4 * madPeakScalar(iters);
}

/** Scalar twin: the same chains on one lane (112 flops a round). */
export function madPeakScalar(iters: i32): f32 {
  const m: f32 = 1e-8;
  let s0: f32 = 1.0, s1: f32 = 1.125, s2: f32 = 1.25, s3: f32 = 1.375, s4: f32 = 1.5, s5: f32 = 1.625, s6: f32 = 1.75;
  let s7: f32 = 1.875, s8: f32 = 2.0, s9: f32 = 2.125, s10: f32 = 2.25, s11: f32 = 2.375, s12: f32 = 2.5, s13: f32 = 2.625;
  for (let i = 0; i < iters; i++) {
    for (let u = 0; u < 4; u++) {
      s0 += s0 * m; s1 += s1 * m; s2 += s2 * m; s3 += s3 * m; s4 += s4 * m; s5 += s5 * m; s6 += s6 * m;
      s7 += s7 * m; s8 += s8 * m; s9 += s9 * m; s10 += s10 * m; s11 += s11 * m; s12 += s12 * m; s13 += s13 * m;
    }
  }
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + s6) + (((s7 + s8) + (s9 + s10)) + ((s11 + s12) + s13));
}

/** `iters` rounds of 48 multiply-adds on 12 independent f32x4 chains (384 flops); p = p * m + c per step. */
export function fmaPeak(iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(0.9999999), c = f32x4.splat(1e-7);
    let p0 = f32x4.splat(1.0), p1 = f32x4.splat(1.1), p2 = f32x4.splat(1.2), p3 = f32x4.splat(1.3), p4 = f32x4.splat(1.4),
      p5 = f32x4.splat(1.5);
    let p6 = f32x4.splat(1.6), p7 = f32x4.splat(1.7), p8 = f32x4.splat(1.8), p9 = f32x4.splat(1.9), p10 = f32x4.splat(2.0),
      p11 = f32x4.splat(2.1);
    for (let i = 0; i < iters; i++) {
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c);
      p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c);
      p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c);
      p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
      p0 = madd(p0, m, c); p1 = madd(p1, m, c); p2 = madd(p2, m, c); p3 = madd(p3, m, c); p4 = madd(p4, m, c); p5 = madd(p5, m, c);
      p6 = madd(p6, m, c); p7 = madd(p7, m, c); p8 = madd(p8, m, c); p9 = madd(p9, m, c); p10 = madd(p10, m, c); p11 = madd(p11, m, c);
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
