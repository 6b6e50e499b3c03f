// solver.ts: a hand-computed case, then the SIMD kernel against its scalar twin bit for bit on sizes with >= 2 vector
// iterations plus a tail (4k + 3), with every optional operand on and off, and in place as the solvers call it.
import { solverStep, solverStepScalar } from "../solver";
import { buf, get, set } from "./mem";

let seed: u32 = 977;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>((<f64>(seed >>> 8) / 16777216.0) * 4 - 2);
}
function fill(p: usize, n: i32): usize {
  for (let i = 0; i < n; i++) set(p, i, rnd());
  return p;
}
function copy(dst: usize, src: usize, n: i32): usize {
  for (let i = 0; i < n; i++) set(dst, i, get(src, i));
  return dst;
}
function mismatches(a: usize, b: usize, n: i32): i32 {
  let m = 0;
  for (let i = 0; i < n; i++) if (reinterpret<u32>(get(a, i)) != reinterpret<u32>(get(b, i))) m++;
  return m;
}

describe("solverStep", () => {
  it("hand-computed: n = 3 with every term, with the clamp, then without eps (D0 untouched)", () => {
    const n = 3, x = buf(n), xe = buf(n), eps = buf(n), d1 = buf(n), d2 = buf(n), z = buf(n), out = buf(n), d0 = buf(n);
    const xs: f32[] = [1, -2, 0.5], xes: f32[] = [2, 0, -1], es: f32[] = [0.5, 1, -2], d1s: f32[] = [3, 1, 0];
    const d2s: f32[] = [-1, 2, 4], zs: f32[] = [1, -1, 0.25];
    for (let i = 0; i < n; i++) {
      set(x, i, xs[i]); set(xe, i, xes[i]); set(eps, i, es[i]); set(d1, i, d1s[i]); set(d2, i, d2s[i]); set(z, i, zs[i]);
    }
    // D0 = 2 xe - 0.5 eps; xNext = 0.5 x + 0.25 D0 + 0.125 D1 - 1 D2 + 0.75 z
    solverStep(out, d0, x, xe, eps, d1, d2, z, n, 2, -0.5, 0, 0.5, 0.25, 0.125, -1, 0.75);
    const wantD0: f64[] = [3.75, -0.5, -1];
    const wantX: f64[] = [0.5 + 0.9375 + 0.375 + 1 + 0.75, -1 - 0.125 + 0.125 - 2 - 0.75, 0.25 - 0.25 + 0 - 4 + 0.1875];
    for (let i = 0; i < n; i++) {
      expect<f64>(Math.abs(<f64>get(d0, i) - wantD0[i])).toBeLessThan(1e-6);
      expect<f64>(Math.abs(<f64>get(out, i) - wantX[i])).toBeLessThan(1e-6);
    }
    // bound 1: D0 = [3.75, -0.5, -1] clamps to [1, -0.5, -1], so only element 0 moves, by 0.25 (1 - 3.75)
    const out2 = buf(n), d02 = buf(n);
    solverStep(out2, d02, x, xe, eps, d1, d2, z, n, 2, -0.5, 1, 0.5, 0.25, 0.125, -1, 0.75);
    expect<f32>(get(d02, 0)).toBe(1);
    expect<f64>(Math.abs(<f64>get(out2, 0) - (wantX[0] - 0.6875))).toBeLessThan(1e-6);
    expect<f32>(get(out2, 1)).toBe(get(out, 1));
    set(d0, 0, 42);
    solverStep(out, d0, x, xe, 0, d1, 0, z, n, 2, -0.5, 0, 0.5, 0.25, 0.125, -1, 0.75);
    expect<f32>(get(d0, 0)).toBe(42);
    expect<f64>(Math.abs(<f64>get(out, 1) - (-1 + 0.125 - 0.75))).toBeLessThan(1e-6);
  });

  it("SIMD vs scalar bit for bit, n = 1, 3, 11, 19, 35, each operand and the clamp on and off", () => {
    const ns: i32[] = [1, 3, 11, 19, 35];
    for (let a = 0; a < ns.length; a++) {
      const n = ns[a];
      const x = fill(buf(n), n), xe = fill(buf(n), n), eps = fill(buf(n), n), d1 = fill(buf(n), n), d2 = fill(buf(n), n),
        z = fill(buf(n), n);
      for (let mask = 0; mask < 32; mask++) {
        const e = mask & 1 ? eps : 0, p1 = mask & 2 ? d1 : 0, p2 = mask & 4 ? d2 : 0, zz = mask & 8 ? z : 0;
        const bound: f32 = mask & 16 ? 1.5 : 0; // the clamp bites: |1.3 xe - 0.7 eps| reaches 4
        const o1 = buf(n), o2 = buf(n), q1 = buf(n), q2 = buf(n);
        solverStep(o1, q1, x, xe, e, p1, p2, zz, n, 1.3, -0.7, bound, 0.9, 0.45, -0.3, 0.11, 0.6);
        solverStepScalar(o2, q2, x, xe, e, p1, p2, zz, n, 1.3, -0.7, bound, 0.9, 0.45, -0.3, 0.11, 0.6);
        expect<i32>(mismatches(o1, o2, n)).toBe(0, "xNext, n = " + n.toString() + ", mask " + mask.toString());
        if (e != 0) expect<i32>(mismatches(q1, q2, n)).toBe(0, "D0, n = " + n.toString());
        // the oracle on the last element (a tail element for n = 3, 11, 19, 35)
        const j = n - 1;
        let want = 0.9 * <f64>get(x, j);
        let p = 1.3 * <f64>get(xe, j) - 0.7 * <f64>get(eps, j);
        if (bound > 0) p = Math.max(-1.5, Math.min(1.5, p));
        if (e != 0) want += 0.45 * p;
        if (p1 != 0) want += -0.3 * <f64>get(d1, j);
        if (p2 != 0) want += 0.11 * <f64>get(d2, j);
        if (zz != 0) want += 0.6 * <f64>get(z, j);
        expect<f64>(Math.abs(<f64>get(o1, j) - want)).toBeLessThan(1e-5);
      }
    }
  });

  it("in place as the multistep solvers call it: xNext = x = xe, D0 over the oldest prediction D2", () => {
    const n = 35;
    const x = fill(buf(n), n), eps = fill(buf(n), n), d1 = fill(buf(n), n), d2 = fill(buf(n), n), z = fill(buf(n), n);
    const xa = copy(buf(n), x, n), d2a = copy(buf(n), d2, n), out = buf(n), d0 = buf(n);
    solverStepScalar(out, d0, x, x, eps, d1, d2, z, n, 1.1, -0.4, 1.5, 0.8, 0.3, 0.2, -0.1, 0.5);
    solverStep(xa, d2a, xa, xa, eps, d1, d2a, z, n, 1.1, -0.4, 1.5, 0.8, 0.3, 0.2, -0.1, 0.5);
    expect<i32>(mismatches(xa, out, n)).toBe(0);
    expect<i32>(mismatches(d2a, d0, n)).toBe(0);
  });
});
