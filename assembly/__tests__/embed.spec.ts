// embed.ts: sinusoidalEmbed and its backward vs hand-computed cases, vs f64 Math.sin/cos (the backward: the
// analytic derivative), and vs their scalar twins.
import { sinusoidalEmbed, sinusoidalEmbedScalar, sinusoidalEmbedBackward, sinusoidalEmbedBackwardScalar } from "../embed";

let seed: u32 = 777;
function rnd(): f64 {
  seed = seed * 1664525 + 1013904223;
  return <f64>(seed >>> 8) / 16777216.0;
}
function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }

// The host's table (tiny-diffusion): freqs[k] = exp(-ln(10000) k / (half - 1)).
function freqTable(half: i32): StaticArray<f32> {
  const f = new StaticArray<f32>(half);
  for (let k = 0; k < half; k++) f[k] = half > 1 ? <f32>Math.exp(-Math.log(10000.0) * <f64>k / <f64>(half - 1)) : 1;
  return f;
}

const SENTINEL: f32 = -123.5;

// Runs both kernels on (n, d, half, outStride); checks twin equality bit for bit, the f64 oracle
// (a formed in f32 exactly as the kernel forms it) and that padding columns are untouched.
function check(n: i32, d: i32, half: i32, scale: f32, outStride: i32, xRange: f64): void {
  const x = new StaticArray<f32>(n * d);
  for (let i = 0; i < n * d; i++) x[i] = <f32>((rnd() * 2 - 1) * xRange);
  const fr = freqTable(half);
  const a = new StaticArray<f32>(n * outStride);
  const b = new StaticArray<f32>(n * outStride);
  for (let i = 0; i < n * outStride; i++) { a[i] = SENTINEL; b[i] = SENTINEL; }
  sinusoidalEmbed(ptr(a), ptr(x), ptr(fr), n, d, half, scale, outStride);
  sinusoidalEmbedScalar(ptr(b), ptr(x), ptr(fr), n, d, half, scale, outStride);
  // Counted, then asserted once: an expect per element would dominate the spec's run time.
  let mismatches = 0, padTouched = 0;
  let worst: f64 = 0; // max |err| / (2e-6 + 6e-8 |a|), the trig bound
  for (let i = 0; i < n * outStride; i++) if (reinterpret<u32>(a[i]) != reinterpret<u32>(b[i])) mismatches++;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const s: f32 = scale * x[i * d + j];
      for (let k = 0; k < half; k++) {
        const arg = <f64>(s * fr[k]);
        const tol = 2e-6 + 6e-8 * Math.abs(arg);
        const es = Math.abs(<f64>a[i * outStride + j * 2 * half + k] - Math.sin(arg));
        const ec = Math.abs(<f64>a[i * outStride + j * 2 * half + half + k] - Math.cos(arg));
        worst = Math.max(worst, Math.max(es, ec) / tol);
      }
    }
    for (let c = d * 2 * half; c < outStride; c++) if (a[i * outStride + c] != SENTINEL) padTouched++;
  }
  expect<i32>(mismatches).toBe(0, "SIMD vs scalar twin");
  expect<f64>(worst).toBeLessThan(1.0, "error vs f64 oracle");
  expect<i32>(padTouched).toBe(0, "padding columns");
}

describe("sinusoidalEmbed", () => {
  it("hand-computed: n = 1, d = 1, half = 3", () => {
    const x = new StaticArray<f32>(1);
    x[0] = 0.5;
    const fr = new StaticArray<f32>(3);
    fr[0] = 1; fr[1] = 0.25; fr[2] = 0.0625;
    const out = new StaticArray<f32>(6);
    sinusoidalEmbed(ptr(out), ptr(x), ptr(fr), 1, 1, 3, 2.0, 6); // a = 1, 0.25, 0.0625
    const want: f64[] = [0.8414709848078965, 0.24740395925452294, 0.0624593178423802,
                         0.5403023058681398, 0.9689124217106447, 0.9980475107000991];
    for (let i = 0; i < 6; i++) expect<f64>(Math.abs(<f64>out[i] - want[i])).toBeLessThan(1e-7);
  });

  it("t = 0 gives [0...0, 1...1]", () => {
    const x = new StaticArray<f32>(1);
    const fr = freqTable(11);
    const out = new StaticArray<f32>(22);
    sinusoidalEmbed(ptr(out), ptr(x), ptr(fr), 1, 1, 11, 1.0, 22);
    for (let k = 0; k < 11; k++) {
      expect<f32>(out[k]).toBe(0);
      expect<f32>(out[11 + k]).toBe(1);
    }
  });

  it("input embedding: d = 2, scale 25, half = 11 / 19 / 35 / 64, n = 1 / 5 / 19", () => {
    check(5, 2, 11, 25.0, 44, 4.0);
    check(19, 2, 19, 25.0, 76, 4.0);
    check(1, 2, 35, 25.0, 140, 4.0);
    check(5, 2, 64, 25.0, 256, 4.0);
  });

  it("timestep embedding: d = 1, t in [0, 1000), half = 64 and 3", () => {
    check(19, 1, 64, 1.0, 128, 1000.0);
    check(11, 1, 3, 1.0, 6, 1000.0);
  });

  it("half = 1 (freq 1), half = 4 (one vector, no tail), d = 3", () => {
    check(7, 3, 1, 1.0, 6, 3.0);
    check(7, 3, 4, 1.0, 24, 3.0);
  });

  it("outStride wider than the embedding leaves the padding alone (concat buffer)", () => {
    check(11, 2, 11, 25.0, 44 + 7, 4.0);
    check(3, 1, 16, 1.0, 32 + 5, 1000.0);
  });

  it("n = 0 writes nothing", () => {
    const out = new StaticArray<f32>(4);
    out[0] = SENTINEL;
    const x = new StaticArray<f32>(4);
    const fr = freqTable(4);
    sinusoidalEmbed(ptr(out), ptr(x), ptr(fr), 0, 1, 4, 1.0, 8);
    expect<f32>(out[0]).toBe(SENTINEL);
  });
});

// Backward: SIMD vs its scalar twin (same sum in another order: within f32 rounding of sum |terms|), both vs an
// f64 oracle of the analytic derivative, accumulation into a prefilled dx, and dy's padding columns not read.
function checkBackward(n: i32, d: i32, half: i32, scale: f32, outStride: i32, xRange: f64): void {
  const x = new StaticArray<f32>(n * d);
  for (let i = 0; i < n * d; i++) x[i] = <f32>((rnd() * 2 - 1) * xRange);
  const fr = freqTable(half);
  const y = new StaticArray<f32>(n * outStride);
  sinusoidalEmbed(ptr(y), ptr(x), ptr(fr), n, d, half, scale, outStride);
  const dy = new StaticArray<f32>(n * outStride);
  for (let i = 0; i < n * outStride; i++) dy[i] = <f32>(rnd() * 2 - 1);
  // Padding of dy holds NaN: a kernel that reads it poisons dx.
  for (let i = 0; i < n; i++) for (let c = d * 2 * half; c < outStride; c++) dy[i * outStride + c] = NaN;
  const a = new StaticArray<f32>(n * d), b = new StaticArray<f32>(n * d), prior = new StaticArray<f32>(n * d);
  for (let i = 0; i < n * d; i++) { prior[i] = <f32>(rnd() - 0.5); a[i] = prior[i]; b[i] = prior[i]; }
  sinusoidalEmbedBackward(ptr(a), ptr(dy), ptr(y), ptr(fr), n, d, half, scale, outStride);
  sinusoidalEmbedBackwardScalar(ptr(b), ptr(dy), ptr(y), ptr(fr), n, d, half, scale, outStride);
  let twin: f64 = 0, oracle: f64 = 0; // worst |err| / tolerance
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const s: f32 = scale * x[i * d + j];
      const o = i * outStride + j * 2 * half;
      let want: f64 = 0, mag: f64 = 0;
      for (let k = 0; k < half; k++) {
        const arg = <f64>(s * fr[k]);
        const term = <f64>fr[k] * (<f64>dy[o + k] * Math.cos(arg) - <f64>dy[o + half + k] * Math.sin(arg));
        want += term;
        mag += Math.abs(term);
      }
      want = <f64>prior[i * d + j] + <f64>scale * want;
      const q = i * d + j;
      // f32 summation of `half` terms: (half + 2) ulp of sum |terms| covers any order; the oracle adds the
      // trig error of y (2e-6 + 6e-8 |a| per entry, a <= scale xRange).
      const roundTol = (<f64>half + 2) * 1.2e-7 * <f64>scale * mag + 1.2e-7 * Math.abs(want) + 1e-30;
      const trigTol = roundTol + <f64>scale * mag * (2e-6 + 6e-8 * <f64>scale * xRange);
      twin = Math.max(twin, Math.abs(<f64>a[q] - <f64>b[q]) / roundTol);
      oracle = Math.max(oracle, Math.max(Math.abs(<f64>a[q] - want), Math.abs(<f64>b[q] - want)) / trigTol);
    }
  }
  expect<f64>(twin).toBeLessThan(1.0, "SIMD vs scalar twin");
  expect<f64>(oracle).toBeLessThan(1.0, "vs f64 analytic derivative");
}

describe("sinusoidalEmbedBackward", () => {
  it("hand-computed: n = 1, d = 1, half = 1, a = scale x = 1.5", () => {
    // y = [sin 1.5, cos 1.5]; dy = [2, 3]: dx = 0.5 + 0.75 (2 cos 1.5 - 3 sin 1.5)
    const x = new StaticArray<f32>(1);
    x[0] = 2;
    const fr = new StaticArray<f32>(1);
    fr[0] = 1;
    const y = new StaticArray<f32>(2);
    sinusoidalEmbed(ptr(y), ptr(x), ptr(fr), 1, 1, 1, 0.75, 2);
    const dy = new StaticArray<f32>(2);
    dy[0] = 2; dy[1] = 3;
    const dx = new StaticArray<f32>(1);
    dx[0] = 0.5;
    sinusoidalEmbedBackward(ptr(dx), ptr(dy), ptr(y), ptr(fr), 1, 1, 1, 0.75, 2);
    const want = 0.5 + 0.75 * (2 * Math.cos(1.5) - 3 * Math.sin(1.5));
    expect<f64>(Math.abs(<f64>dx[0] - want)).toBeLessThan(2e-6);
  });

  it("input embedding: d = 2, scale 25, half = 11 / 19 / 35 / 64 (SIMD tails 3, 3, 3, 0), n = 1 / 5 / 19", () => {
    checkBackward(5, 2, 11, 25.0, 44, 4.0);
    checkBackward(19, 2, 19, 25.0, 76, 4.0);
    checkBackward(1, 2, 35, 25.0, 140, 4.0);
    checkBackward(5, 2, 64, 25.0, 256, 4.0);
  });

  it("half = 1, 3 (no vector), 4 (one vector), 7; d = 1 and 3", () => {
    checkBackward(7, 3, 1, 1.0, 6, 3.0);
    checkBackward(7, 1, 3, 2.0, 6, 3.0);
    checkBackward(7, 3, 4, 1.0, 24, 3.0);
    checkBackward(11, 3, 7, 5.0, 42, 3.0);
  });

  it("outStride wider than the embedding: the padding of dy is not read", () => {
    checkBackward(11, 2, 11, 25.0, 44 + 7, 4.0);
    checkBackward(3, 2, 16, 3.0, 64 + 5, 2.0);
  });

  it("n = 0 writes nothing", () => {
    const dx = new StaticArray<f32>(2);
    dx[0] = SENTINEL;
    const z = new StaticArray<f32>(16);
    const fr = freqTable(4);
    sinusoidalEmbedBackward(ptr(dx), ptr(z), ptr(z), ptr(fr), 0, 1, 4, 1.0, 8);
    sinusoidalEmbedBackwardScalar(ptr(dx), ptr(z), ptr(z), ptr(fr), 0, 1, 4, 1.0, 8);
    expect<f32>(dx[0]).toBe(SENTINEL);
  });
});
