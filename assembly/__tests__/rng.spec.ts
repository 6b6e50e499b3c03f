// rng.ts: bit-identity with src/util/rng.ts (values below were produced by running src/util/rng.ts:
// `npx esbuild src/util/rng.ts --format=esm --outfile=/tmp/rng.mjs`, then new Rng(seed, stream).nextU32() etc.),
// and statistical checks with fixed seeds, tolerances derived from the sample size.
import {
  rngSeed, rngUniformRange, rngIntBelow, rngNormal,
  rngSeedScalar, rngUniformRangeScalar, rngIntBelowScalar, rngNormalScalar,
} from "../rng";
import { rngNextU32, rngNextU32Scalar } from "../oracles";

function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }
const st = new StaticArray<u32>(4);
const st2 = new StaticArray<u32>(4);

function expectU32s(seed: u64, stream: u32, want: u32[]): void {
  rngSeed(ptr(st), seed, stream);
  for (let i = 0; i < want.length; i++) expect<u32>(rngNextU32(ptr(st))).toBe(want[i]);
}

describe("rng: bit-identical to src/util/rng.ts", () => {
  it("seedState(42, 0) words", () => {
    rngSeed(ptr(st), 42, 0);
    expect<u32>(st[0]).toBe(0x2feb6e95);
    expect<u32>(st[1]).toBe(0xbdd73226);
    expect<u32>(st[2]).toBe(0xb266f103);
    expect<u32>(st[3]).toBe(0x28efe333);
  });

  it("nextU32 for seed 42 stream 0, seed 42 stream 3, seed 0, a 64-bit seed with stream 7", () => {
    expectU32s(42, 0, [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222, 2940343271, 2244566231]);
    expectU32s(42, 3, [2312957116, 2784228229, 2929892339, 3487402615]);
    expectU32s(0, 0, [3737715805, 2584255861, 2876756834, 3286328325]);
    expectU32s(0xfedcba9876543210, 7, [1921288905, 268825911, 4023933703, 751970830]);
  });

  it("uniform (seed 42)", () => {
    const out = new StaticArray<f32>(4);
    rngSeed(ptr(st), 42, 0);
    rngUniformRange(ptr(out), 4, 0, 1, ptr(st)); // 0 + 1 u = u exactly
    const want: f64[] = [0.4137016534805298, 0.9697872400283813, 0.003983974456787109, 0.5395373106002808];
    for (let i = 0; i < 4; i++) expect<f64>(<f64>out[i]).toBe(want[i]);
  });

  it("uniformRange(-2, 3) = -2 + 5 u in f32 (seed 42)", () => {
    const out = new StaticArray<f32>(4);
    rngSeed(ptr(st), 42, 0);
    rngUniformRange(ptr(out), 4, -2, 3, ptr(st));
    const want: f64[] = [0.06850814819335938, 2.848936080932617, -1.9800801277160645, 0.6976866722106934];
    for (let i = 0; i < 4; i++) expect<f64>(<f64>out[i]).toBe(want[i]);
  });

  it("normal (seed 42): pairs (r cos, r sin) rounded to f32; odd n drops the last sine", () => {
    const out = new StaticArray<f32>(6);
    rngSeed(ptr(st), 42, 0);
    rngNormal(ptr(out), 6, ptr(st));
    const want: f64[] = [1.3047484159469604, -0.2507022023200989, -3.222243547439575, -0.8173537850379944,
                         -0.7682535648345947, -0.520667552947998];
    for (let i = 0; i < 6; i++) expect<f64>(<f64>out[i]).toBe(want[i]);
    // n = 5 still makes 6 draws: the next u32 is the 7th of the stream.
    const out5 = new StaticArray<f32>(6);
    out5[5] = 99;
    rngSeed(ptr(st), 42, 0);
    rngNormal(ptr(out5), 5, ptr(st));
    expect<f64>(<f64>out5[4]).toBe(want[4]);
    expect<f32>(out5[5]).toBe(99);
    expect<u32>(rngNextU32(ptr(st))).toBe(2940343271);
  });

  it("intBelow (seed 42): bounds 10, 2^31 - 1, 3e9; bound 1 draws nothing", () => {
    const out = new StaticArray<i32>(8);
    rngSeed(ptr(st), 42, 0);
    rngIntBelow(ptr(out), 8, 10, ptr(st));
    const w10: i32[] = [4, 9, 0, 5, 6, 5, 6, 5];
    for (let i = 0; i < 8; i++) expect<i32>(out[i]).toBe(w10[i]);
    rngSeed(ptr(st), 42, 0);
    rngIntBelow(ptr(out), 4, 2147483647, ptr(st));
    const wm: i32[] = [888417556, 2082602343, 8555567, 1158647634];
    for (let i = 0; i < 4; i++) expect<i32>(out[i]).toBe(wm[i]);
    rngSeed(ptr(st), 42, 0);
    rngIntBelow(ptr(out), 4, 3000000000, ptr(st));
    const wb: u32[] = [1241104989, 2909361865, 11951989, 1618612047];
    for (let i = 0; i < 4; i++) expect<u32>(<u32>out[i]).toBe(wb[i]);
    rngSeed(ptr(st), 42, 0);
    out[0] = 5;
    rngIntBelow(ptr(out), 3, 1, ptr(st));
    expect<i32>(out[0]).toBe(0);
    expect<u32>(rngNextU32(ptr(st))).toBe(1776835114);
  });

  it("Scalar twins give the same streams", () => {
    const n = 35;
    const a = new StaticArray<f32>(n);
    const b = new StaticArray<f32>(n);
    rngSeed(ptr(st), 9, 1);
    rngSeedScalar(ptr(st2), 9, 1);
    for (let i = 0; i < 4; i++) expect<u32>(st[i]).toBe(st2[i]);
    rngNormal(ptr(a), n, ptr(st));
    rngNormalScalar(ptr(b), n, ptr(st2));
    for (let i = 0; i < n; i++) expect<f32>(a[i]).toBe(b[i]);
    rngUniformRange(ptr(a), n, -1, 1, ptr(st));
    rngUniformRangeScalar(ptr(b), n, -1, 1, ptr(st2));
    for (let i = 0; i < n; i++) expect<f32>(a[i]).toBe(b[i]);
    rngIntBelow(changetype<usize>(a), n, 1000, ptr(st));
    rngIntBelowScalar(changetype<usize>(b), n, 1000, ptr(st2));
    for (let i = 0; i < n; i++) expect<u32>(reinterpret<u32>(a[i])).toBe(reinterpret<u32>(b[i]));
    expect<u32>(rngNextU32(ptr(st))).toBe(rngNextU32Scalar(ptr(st2)));
  });

  it("streams of one seed differ", () => {
    rngSeed(ptr(st), 42, 0);
    rngSeed(ptr(st2), 42, 1);
    expect<bool>(st[0] != st2[0] || st[1] != st2[1]).toBe(true);
  });
});

describe("rng: statistics (fixed seeds)", () => {
  it("100k normals: mean, variance, P(|x| < 1), tails", () => {
    const n = 100000;
    const z = new StaticArray<f32>(n);
    rngSeed(ptr(st), 2024, 0);
    rngNormal(ptr(z), n, ptr(st));
    let s: f64 = 0, s2: f64 = 0, inside = 0, finite = 0;
    for (let i = 0; i < n; i++) {
      const v = <f64>z[i];
      s += v; s2 += v * v;
      if (Math.abs(v) < 1) inside++;
      if (isFinite(v) && Math.abs(v) < 6.5) finite++; // |z| <= sqrt(-2 ln 2^-24) = 5.77 by construction
    }
    const mean = s / n, vr = s2 / n - mean * mean;
    const sq = Math.sqrt(<f64>n);
    expect<f64>(Math.abs(mean)).toBeLessThan(5 / sq);                  // sd of mean 1/sqrt(n)
    expect<f64>(Math.abs(vr - 1)).toBeLessThan(5 * Math.sqrt(2.0) / sq); // sd of variance sqrt(2/n)
    const p = 0.6826894921370859;
    expect<f64>(Math.abs(<f64>inside / n - p)).toBeLessThan(5 * Math.sqrt(p * (1 - p)) / sq);
    expect<i32>(finite).toBe(n);
  });

  it("100k uniforms: in [0, 1), mean 1/2, variance 1/12", () => {
    const n = 100000;
    const u = new StaticArray<f32>(n);
    rngSeed(ptr(st), 7, 2);
    rngUniformRange(ptr(u), n, 0, 1, ptr(st));
    let s: f64 = 0, s2: f64 = 0, out = 0;
    for (let i = 0; i < n; i++) {
      const v = <f64>u[i];
      if (v < 0 || v >= 1) out++;
      s += v; s2 += v * v;
    }
    const mean = s / n, vr = s2 / n - mean * mean;
    const sq = Math.sqrt(<f64>n);
    expect<i32>(out).toBe(0);
    expect<f64>(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1.0 / 12) / sq);
    expect<f64>(Math.abs(vr - 1.0 / 12)).toBeLessThan(5 * Math.sqrt(1.0 / 180) / sq); // var(u^2)-ish: 1/180
  });

  it("intBelow covers [0, bound) uniformly (chi-square)", () => {
    // bound 7: 6 dof, P(chi2 > 30) ~ 4e-5. bound 1000 (timesteps): 999 dof, mean 999, sd 44.7; < 999 + 5 sd.
    const bounds: u32[] = [7, 1000];
    const limits: f64[] = [30.0, 999.0 + 5 * Math.sqrt(2 * 999.0)];
    const n = 100000;
    const v = new StaticArray<i32>(n);
    for (let bi = 0; bi < bounds.length; bi++) {
      const bound = bounds[bi];
      const counts = new StaticArray<i32>(<i32>bound);
      rngSeed(ptr(st), 31337, bi);
      rngIntBelow(ptr(v), n, bound, ptr(st));
      let outside = 0;
      for (let i = 0; i < n; i++) {
        const k = v[i];
        if (k < 0 || k >= <i32>bound) outside++;
        else counts[k]++;
      }
      expect<i32>(outside).toBe(0);
      const e = <f64>n / <f64>bound;
      let chi2: f64 = 0, empty = 0;
      for (let k = 0; k < <i32>bound; k++) {
        const dlt = <f64>counts[k] - e;
        chi2 += dlt * dlt / e;
        if (counts[k] == 0) empty++;
      }
      expect<i32>(empty).toBe(0);
      expect<f64>(chi2).toBeLessThan(limits[bi]);
    }
  });
});
