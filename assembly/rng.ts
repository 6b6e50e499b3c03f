// Seeded random numbers inside wasm: xoshiro128** (Blackman & Vigna) seeded through splitmix64,
// bit-identical to src/util/rng.ts (the spec pins the first outputs that src/util/rng.ts gives for seed 42).
// What it is: the noise source of the training and sampling loops, so noise never crosses the JS
// boundary element by element. The state is 4 x u32 at `state` (16 bytes) owned by the host; each
// kernel loads it into locals, runs, and stores it back.
// What it is not: vectorised. One xoshiro stream is a serial recurrence and the ABI asks for the exact
// sequence of src/util/rng.ts, so there is no SIMD path; the `...Scalar` twins exist only so that every
// kernel has one, and share the body. Not cryptographic.

const GOLDEN: u64 = 0x9e3779b97f4a7c15;
const TWO_M24_F32: f32 = 5.9604644775390625e-8; // 2^-24
const TWO_M24: f64 = 5.9604644775390625e-8;
const TWO_PI: f64 = 2.0 * Math.PI; // folded as in src/util/rng.ts: (2 * Math.PI) * u2

// splitmix64 finaliser of the already-advanced state s.
@inline function mix64(s: u64): u64 {
  let z = s;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** state[0..4) = two splitmix64 outputs of seed + stream * golden (low word first); never all zero. */
export function rngSeed(state: usize, seed: u64, stream: u32): void {
  let s = seed + <u64>stream * GOLDEN;
  s += GOLDEN;
  const a = mix64(s);
  s += GOLDEN;
  const b = mix64(s);
  let s0 = <u32>a;
  const s1 = <u32>(a >> 32), s2 = <u32>b, s3 = <u32>(b >> 32);
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
}

export function rngSeedScalar(state: usize, seed: u64, stream: u32): void {
  rngSeed(state, seed, stream);
}

// One xoshiro128** step on the state at `state`. The words go through memory on every draw (the
// optimiser cannot keep them in locals because stores to `out` might alias `state`); that is four
// L1 loads and stores per draw, small next to Box-Muller's libm calls, and these kernels are not hot.
@inline function next(state: usize): u32 {
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  return result;
}

/** Next 32-bit output of xoshiro128** (src/util/rng.ts Rng.nextU32). */
export function rngNextU32(state: usize): u32 {
  return next(state);
}

export function rngNextU32Scalar(state: usize): u32 {
  return next(state);
}

/**
 * out: (n) f32 = lo + (hi - lo) u, in f32, where u = (next >>> 8) * 2^-24 in [0, 1) has 24 random bits (exact in
 * f32: Rng.uniform); lo = 0, hi = 1 gives u itself.
 */
export function rngUniformRange(out: usize, n: i32, lo: f32, hi: f32, state: usize): void {
  const w = hi - lo;
  for (let i = 0; i < n; i++) {
    store<f32>(out + ((<usize>i) << 2), lo + w * (<f32>(next(state) >>> 8) * TWO_M24_F32));
  }
}

export function rngUniformRangeScalar(out: usize, n: i32, lo: f32, hi: f32, state: usize): void {
  rngUniformRange(out, n, lo, hi, state);
}

/**
 * out: (n) i32 in [0, bound) without modulo bias: Lemire's multiply-shift, rejecting the low word below
 * (2^32 - bound) mod bound (Rng.intBelow). bound <= 1 writes zeros and draws nothing, as in src/util/rng.ts.
 */
export function rngIntBelow(out: usize, n: i32, bound: u32, state: usize): void {
  if (bound <= 1) {
    for (let i = 0; i < n; i++) store<i32>(out + ((<usize>i) << 2), 0);
    return;
  }
  const threshold: u32 = (<u32>0 - bound) % bound;
  for (let i = 0; i < n; i++) {
    let m: u64;
    do {
      m = <u64>next(state) * <u64>bound;
    } while (<u32>m < threshold);
    store<i32>(out + ((<usize>i) << 2), <i32>(m >> 32));
  }
}

export function rngIntBelowScalar(out: usize, n: i32, bound: u32, state: usize): void {
  rngIntBelow(out, n, bound, state);
}

/**
 * out: (n) standard normals by Box-Muller in f64 (Rng.normal): u1 = ((next >>> 8) + 1) 2^-24 in (0, 1],
 * then u2 = (next >>> 8) 2^-24 in [0, 1); r = sqrt(-2 ln u1); out[2k] = r cos(2 pi u2),
 * out[2k+1] = r sin(2 pi u2). Odd n: the last pair's sine is dropped (its two draws are still made).
 * f64 libm here is for exactness, not speed: this runs once per noise tensor, not per matmul element.
 */
export function rngNormal(out: usize, n: i32, state: usize): void {
  for (let i = 0; i < n; i += 2) {
    const u1 = <f64>((next(state) >>> 8) + 1) * TWO_M24;
    const u2 = <f64>(next(state) >>> 8) * TWO_M24;
    const r = Math.sqrt(-2.0 * Math.log(u1));
    const th = TWO_PI * u2;
    store<f32>(out + ((<usize>i) << 2), <f32>(r * Math.cos(th)));
    if (i + 1 < n) store<f32>(out + ((<usize>(i + 1)) << 2), <f32>(r * Math.sin(th)));
  }
}

export function rngNormalScalar(out: usize, n: i32, state: usize): void {
  rngNormal(out, n, state);
}
