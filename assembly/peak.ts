// The bench's yardstick: the f32x4 multiply and add rate one core reaches with no memory traffic at all.
// Five chains of multiplies and five of adds, independent of each other, keep the floating-point pipes busy
// (wasm has no fused multiply-add: a matmul issues one mul and one add per multiply-add, the same mix).
// Twelve live vectors fit the x86 SIMD registers V8 leaves free (six chains each spilled, measured), and the
// body is unrolled four times so the loop's own count-and-branch does not show (measured: 22 -> 26 GFLOP/s).
// Not used by training or sampling.

/** `iters` rounds of 20 f32x4 multiplies and 20 f32x4 adds (160 flops); returns a value depending on all of them. */
export function madPeak(iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(1.0000001), c = f32x4.splat(1e-7);
    let p0 = f32x4.splat(1.0), p1 = f32x4.splat(1.1), p2 = f32x4.splat(1.2), p3 = f32x4.splat(1.3), p4 = f32x4.splat(1.4);
    let s0 = f32x4.splat(2.0), s1 = f32x4.splat(2.1), s2 = f32x4.splat(2.2), s3 = f32x4.splat(2.3), s4 = f32x4.splat(2.4);
    for (let i = 0; i < iters; i++) {
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c);
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c);
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c);
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c); p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c); p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c);
    }
    const t = f32x4.add(f32x4.add(f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3)), p4), f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), s4));
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
  }
  return 4 * madPeakScalar(iters);
}

/** Scalar twin: the same chains on one lane (40 flops a round). */
export function madPeakScalar(iters: i32): f32 {
  const m: f32 = 1.0000001, c: f32 = 1e-7;
  let p0: f32 = 1.0, p1: f32 = 1.1, p2: f32 = 1.2, p3: f32 = 1.3, p4: f32 = 1.4;
  let s0: f32 = 2.0, s1: f32 = 2.1, s2: f32 = 2.2, s3: f32 = 2.3, s4: f32 = 2.4;
  for (let i = 0; i < iters; i++) {
    for (let u = 0; u < 4; u++) {
      p0 *= m; s0 += c; p1 *= m; s1 += c; p2 *= m; s2 += c; p3 *= m; s3 += c; p4 *= m; s4 += c;
    }
  }
  return p0 + p1 + p2 + p3 + p4 + s0 + s1 + s2 + s3 + s4;
}
