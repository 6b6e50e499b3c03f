// trig.ts: sin/cos against f64 Math.sin/cos of the same f32 argument (the oracle), SIMD vs scalar twin.
import { sinArray, sinArrayScalar, cosArray, cosArrayScalar } from "../trig";

let seed: u32 = 12345;
function rnd(): f64 { // deterministic LCG in [0, 1)
  seed = seed * 1664525 + 1013904223;
  return <f64>(seed >>> 8) / 16777216.0;
}
function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }
function bits(v: f32): u32 { return reinterpret<u32>(v); }

const B = 4096; // batch; multiple of 4 so every element of the sweep goes through the f32x4 path
const xs = new StaticArray<f32>(B);
const ys = new StaticArray<f32>(B);
const yc = new StaticArray<f32>(B);

// Measured over each batch: max |err| and max |err| / (2e-6 + 6e-8 |x|) (the ABI bound).
let maxErr: f64 = 0;
let maxRatio: f64 = 0;
function checkBatch(n: i32): void {
  sinArray(ptr(ys), ptr(xs), n);
  cosArray(ptr(yc), ptr(xs), n);
  for (let i = 0; i < n; i++) {
    const x = <f64>xs[i];
    const es = Math.abs(<f64>ys[i] - Math.sin(x));
    const ec = Math.abs(<f64>yc[i] - Math.cos(x));
    const e = Math.max(es, ec);
    if (e > maxErr) maxErr = e;
    const r = e / (2e-6 + 6e-8 * Math.abs(x));
    if (r > maxRatio) maxRatio = r;
  }
}

describe("trig", () => {
  it("test buffers are 16-byte aligned", () => {
    expect<usize>(ptr(xs) & 15).toBe(0);
  });

  it("known values", () => {
    const n = 7;
    const x = new StaticArray<f32>(n);
    const s = new StaticArray<f32>(n);
    const c = new StaticArray<f32>(n);
    x[0] = 0; x[1] = 1; x[2] = -1; x[3] = <f32>(Math.PI / 6); x[4] = <f32>(Math.PI / 2); x[5] = <f32>Math.PI; x[6] = 100;
    sinArray(ptr(s), ptr(x), n);
    cosArray(ptr(c), ptr(x), n);
    expect<f32>(s[0]).toBe(0);
    expect<f32>(c[0]).toBe(1);
    expect<f64>(Math.abs(<f64>s[1] - 0.8414709848078965)).toBeLessThan(2e-7);
    expect<f64>(Math.abs(<f64>c[1] - 0.5403023058681398)).toBeLessThan(2e-7);
    expect<u32>(bits(s[2])).toBe(bits(-s[1])); // odd
    expect<u32>(bits(c[2])).toBe(bits(c[1])); // even
    expect<f64>(Math.abs(<f64>s[3] - 0.5)).toBeLessThan(2e-7);
    expect<f64>(Math.abs(<f64>s[4] - 1.0)).toBeLessThan(2e-7);
    expect<f64>(Math.abs(<f64>c[4])).toBeLessThan(2e-7);
    expect<f64>(Math.abs(<f64>c[5] + 1.0)).toBeLessThan(2e-7);
    expect<f64>(Math.abs(<f64>s[6] - (-0.5063656411097588))).toBeLessThan(2e-7);
    expect<f64>(Math.abs(<f64>c[6] - 0.8623188722876839)).toBeLessThan(2e-7);
  });

  it("SIMD kernel equals the scalar twin bit for bit (n = 1, 3, 11, 19, 35)", () => {
    const sizes: i32[] = [1, 3, 11, 19, 35];
    for (let t = 0; t < sizes.length; t++) {
      const n = sizes[t];
      const x = new StaticArray<f32>(n);
      const a = new StaticArray<f32>(n);
      const b = new StaticArray<f32>(n);
      for (let i = 0; i < n; i++) x[i] = <f32>((rnd() * 2 - 1) * 1e4);
      sinArray(ptr(a), ptr(x), n);
      sinArrayScalar(ptr(b), ptr(x), n);
      for (let i = 0; i < n; i++) expect<u32>(bits(a[i])).toBe(bits(b[i]));
      cosArray(ptr(a), ptr(x), n);
      cosArrayScalar(ptr(b), ptr(x), n);
      for (let i = 0; i < n; i++) expect<u32>(bits(a[i])).toBe(bits(b[i]));
    }
  });

  it("error vs f64 Math.sin/cos over |x| <= 1e4 (300k random points + 100k on [-8, 8] + near k pi/2)", () => {
    maxErr = 0; maxRatio = 0;
    for (let batch = 0; batch < 75; batch++) { // 75 * 4096 ~ 307k uniform on [-1e4, 1e4]
      for (let i = 0; i < B; i++) xs[i] = <f32>((rnd() * 2 - 1) * 1e4);
      checkBatch(B);
    }
    for (let batch = 0; batch < 25; batch++) { // ~102k dense points where the polynomial error dominates
      for (let i = 0; i < B; i++) xs[i] = <f32>((rnd() * 2 - 1) * 8);
      checkBatch(B);
    }
    for (let k = -6366; k <= 6366; k += B / 2) { // the f32 neighbours of k pi/2: worst cancellation
      for (let i = 0; i < B; i += 2) {
        const kk = k + i / 2;
        const v = <f32>(<f64>kk * Math.PI / 2);
        xs[i] = v;
        xs[i + 1] = reinterpret<f32>(reinterpret<u32>(v) + 1);
      }
      checkBatch(B);
    }
    log<string>("trig: max |err| = " + maxErr.toString() + ", max |err| / (2e-6 + 6e-8|x|) = " + maxRatio.toString());
    expect<f64>(maxErr).toBeLessThan(1e-7); // measured 7.61e-8
    expect<f64>(maxRatio).toBeLessThan(1.0);
  });

  it("stays within the ABI bound out to |x| = 12867 (end of exact reduction)", () => {
    maxErr = 0; maxRatio = 0;
    for (let i = 0; i < B; i++) xs[i] = <f32>((rnd() * 2 - 1) * 12867);
    checkBatch(B);
    expect<f64>(maxRatio).toBeLessThan(1.0);
  });

  it("NaN and infinities give NaN without trapping", () => {
    const n = 5;
    const x = new StaticArray<f32>(n);
    const y = new StaticArray<f32>(n);
    x[0] = NaN; x[1] = Infinity; x[2] = -Infinity; x[3] = NaN; x[4] = Infinity; // 4 SIMD lanes + 1 scalar
    sinArray(ptr(y), ptr(x), n);
    for (let i = 0; i < n; i++) expect<bool>(isNaN(y[i])).toBe(true);
    cosArrayScalar(ptr(y), ptr(x), n);
    for (let i = 0; i < n; i++) expect<bool>(isNaN(y[i])).toBe(true);
  });
});
