// The bench's yardstick: the f32x4 multiply and add rate one core reaches with no memory traffic at all.
// Six chains of multiplies and six of adds, independent of each other, keep every floating-point pipe busy
// (wasm has no fused multiply-add: a matmul issues one mul and one add per multiply-add, the same mix).
// Fourteen live vectors fit the 16 x86 SIMD registers, so nothing spills. Not used by training or sampling.

/** `iters` rounds of 6 f32x4 multiplies and 6 f32x4 adds (48 flops); returns a value depending on all of them. */
export function madPeak(iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(1.0000001), c = f32x4.splat(1e-7);
    let p0 = f32x4.splat(1.0), p1 = f32x4.splat(1.1), p2 = f32x4.splat(1.2), p3 = f32x4.splat(1.3), p4 = f32x4.splat(1.4), p5 = f32x4.splat(1.5);
    let s0 = f32x4.splat(2.0), s1 = f32x4.splat(2.1), s2 = f32x4.splat(2.2), s3 = f32x4.splat(2.3), s4 = f32x4.splat(2.4), s5 = f32x4.splat(2.5);
    for (let i = 0; i < iters; i++) {
      p0 = f32x4.mul(p0, m); s0 = f32x4.add(s0, c); p1 = f32x4.mul(p1, m); s1 = f32x4.add(s1, c);
      p2 = f32x4.mul(p2, m); s2 = f32x4.add(s2, c); p3 = f32x4.mul(p3, m); s3 = f32x4.add(s3, c);
      p4 = f32x4.mul(p4, m); s4 = f32x4.add(s4, c); p5 = f32x4.mul(p5, m); s5 = f32x4.add(s5, c);
    }
    const p = f32x4.add(f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3)), f32x4.add(p4, p5));
    const s = f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(s4, s5));
    const t = f32x4.add(p, s);
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
  }
  return 4 * madPeakScalar(iters);
}

/** Scalar twin: the same chains on one lane (12 flops a round). */
export function madPeakScalar(iters: i32): f32 {
  const m: f32 = 1.0000001, c: f32 = 1e-7;
  let p0: f32 = 1.0, p1: f32 = 1.1, p2: f32 = 1.2, p3: f32 = 1.3, p4: f32 = 1.4, p5: f32 = 1.5;
  let s0: f32 = 2.0, s1: f32 = 2.1, s2: f32 = 2.2, s3: f32 = 2.3, s4: f32 = 2.4, s5: f32 = 2.5;
  for (let i = 0; i < iters; i++) {
    p0 *= m; s0 += c; p1 *= m; s1 += c; p2 *= m; s2 += c; p3 *= m; s3 += c; p4 *= m; s4 += c; p5 *= m; s5 += c;
  }
  return p0 + p1 + p2 + p3 + p4 + p5 + s0 + s1 + s2 + s3 + s4 + s5;
}
