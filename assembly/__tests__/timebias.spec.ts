// timebias.ts + linear.ts's strided and row-bias kernels: the first layer with its t-columns computed once per
// distinct t equals the per-row product [x | e(t)] W^T + b (forward) and its weight and bias gradients (backward)
// to float tolerance, SIMD and scalar twins alike, on shapes with tails and batches with repeated t.
import { linearForward, linearBackward, linearForwardRowBias, linearForwardRowBiasScalar, linearBackwardWeight,
         linearBackwardWeightScalar } from "../linear";
import { timeBiasForward, timeBiasForwardScalar, timeBiasBackward, timeBiasBackwardScalar } from "../timebias";
import { buf, get, set } from "./mem";

function seti(p: usize, i: i32, v: i32): void { store<i32>(p + (<usize>i << 2), v); }
let seed: u32 = 31337;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>(<f64>seed / 4294967296.0 - 0.5); }
function fill(p: usize, n: i32, s: f32): void { for (let i = 0; i < n; i++) set(p, i, rnd() * s); }
function maxRel(a: usize, b: usize, n: i32): f64 {
  let m: f64 = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(<f64>get(a, i) - <f64>get(b, i)) / Math.max(1, Math.abs(<f64>get(b, i))));
  return m;
}

// (n, xCols, E, H, T): tails in every width; T < n forces repeated t.
const CASES: i32[] = [11, 7, 6, 9, 5, 19, 32, 16, 13, 40, 7, 2, 4, 5, 3, 33, 21, 10, 130, 8];

describe("t-shared first layer", () => {
  it("forward == per-row [x | e(t)] W^T + b; backward dW, db == per-row linearBackward (SIMD and scalar)", () => {
    for (let c = 0; c < CASES.length; c += 5) {
      const n = CASES[c], X = CASES[c + 1], E = CASES[c + 2], H = CASES[c + 3], T = CASES[c + 4], D = X + E;
      const x = buf(n * X), table = buf(T * E), w = buf(H * D), b = buf(H), t = buf(n), full = buf(n * D);
      const seen = buf(T), uniq = buf(n), slot = buf(n), count = buf(1), embU = buf(n * E), tb = buf(n * H);
      const ref = buf(n * H), h = buf(n * H), da = buf(n * H), dtb = buf(n * H);
      fill(x, n * X, 2); fill(table, T * E, 2); fill(w, H * D, 1); fill(b, H, 1); fill(da, n * H, 1);
      for (let i = 0; i < T; i++) seti(seen, i, -1);
      for (let i = 0; i < n; i++) seti(t, i, (i * 11) % T);   // gcd(11, T) = 1: min(n, T) distinct, repeats when n > T
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < X; k++) set(full, i * D + k, get(x, i * X + k));
        for (let k = 0; k < E; k++) set(full, i * D + X + k, get(table, load<i32>(t + (<usize>i << 2)) * E + k));
      }
      linearForward(ref, full, w, b, n, D, H);
      for (let pass = 0; pass < 2; pass++) {
        if (pass == 0) {
          timeBiasForward(tb, embU, uniq, slot, count, t, n, seen, table, w + (<usize>X << 2), b, E, H, D);
          linearForwardRowBias(h, 0, x, w, tb, slot, n, X, H, X, D, 0);
        } else {
          timeBiasForwardScalar(tb, embU, uniq, slot, count, t, n, seen, table, w + (<usize>X << 2), b, E, H, D);
          linearForwardRowBiasScalar(h, 0, x, w, tb, slot, n, X, H, X, D, 0);
        }
        expect(load<i32>(count)).toBe(min(n, T));
        for (let i = 0; i < T; i++) expect(load<i32>(seen + (<usize>i << 2))).toBe(-1);
        expect(maxRel(h, ref, n * H)).toBeLessThan(2e-5);
        // backward: the same weight and bias gradients as the per-row layer's
        const dwRef = buf(H * D), dbRef = buf(H), dw = buf(H * D), db = buf(H);
        memory.fill(dwRef, 0, <usize>(H * D) << 2); memory.fill(dbRef, 0, <usize>H << 2);
        memory.fill(dw, 0, <usize>(H * D) << 2); memory.fill(db, 0, <usize>H << 2);
        linearBackward(0, dwRef, dbRef, da, full, w, n, D, H);
        if (pass == 0) {
          linearBackwardWeight(dw, 0, da, x, n, X, H, X, D);
          timeBiasBackward(dw + (<usize>X << 2), db, dtb, da, slot, count, n, embU, E, H, D);
        } else {
          linearBackwardWeightScalar(dw, 0, da, x, n, X, H, X, D);
          timeBiasBackwardScalar(dw + (<usize>X << 2), db, dtb, da, slot, count, n, embU, E, H, D);
        }
        expect(maxRel(dw, dwRef, H * D)).toBeLessThan(2e-5);
        expect(maxRel(db, dbRef, H)).toBeLessThan(2e-5);
      }
    }
  });
});
