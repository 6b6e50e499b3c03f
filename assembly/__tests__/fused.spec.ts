// The fused layer kernels (linear.ts linearForwardAct / linearBackwardInputAct, activation.ts actForward /
// actBackward): bit for bit the unfused sequence they replace, SIMD against the scalar twin within summation-order
// tolerance, on shapes with tails in every dimension (4k + 3 rows, din and dout not multiples of 4 or 8), every
// activation code, with and without residual and derivative; sentinels catch writes past the end.
import { linearForward, linearBackward, linearForwardAct, linearForwardActScalar, linearBackwardInputAct,
         linearBackwardInputActScalar } from "../linear";
import { geluForward, geluBackward, siluForward, siluBackward, reluForward, reluBackward, residualForward } from "../oracles";
import { actForward, actForwardScalar, actBackward, actBackwardScalar } from "../activation";
import { buf, get, set } from "./mem";

let seed: u32 = 4242;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>(<f64>seed / 4294967296.0 - 0.5); }
function fill(p: usize, n: i32, s: f32): void {
  for (let i = 0; i < n; i++) set(p, i, rnd() * s); for (let i = n; i < n + 4; i++) set(p, i, 99);
}
function zero(p: usize, n: i32): void { memory.fill(p, 0, <usize>n << 2); for (let i = n; i < n + 4; i++) set(p, i, 99); }
function copy(dst: usize, src: usize, n: i32): void { memory.copy(dst, src, <usize>(n + 4) << 2); }
function same(a: usize, b: usize, n: i32): bool { return memory.compare(a, b, <usize>(n + 4) << 2) == 0; }
function maxRel(a: usize, b: usize, n: i32): f64 {
  let m: f64 = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(<f64>get(a, i) - <f64>get(b, i)) / Math.max(1, Math.abs(<f64>get(b, i))));
  for (let i = n; i < n + 4; i++) if (get(a, i) != 99) return 1e9;
  return m;
}

// The unfused forward: act(y) then optional residual; the derivative from the backward kernel with dy = 1.
function unfusedForward(h: usize, dact: usize, x: usize, w: usize, b: usize, resid: usize, n: i32, din: i32, dout: i32, act: i32,
  tmp: usize, ones: usize): void {
  const m = n * dout;
  linearForward(tmp, x, w, b, n, din, dout);
  if (act == 0) memory.copy(h, tmp, <usize>m << 2);
  else if (act == 1) geluForward(h, tmp, m);
  else if (act == 2) siluForward(h, tmp, m);
  else reluForward(h, tmp, m);
  if (resid) residualForward(h, resid, h, m);
  if (dact) {
    zero(dact, m);
    if (act == 0) memory.copy(dact, ones, <usize>m << 2);
    else if (act == 1) geluBackward(dact, ones, tmp, m);
    else if (act == 2) siluBackward(dact, ones, tmp, m);
    else reluBackward(dact, ones, tmp, m);
  }
}

const SHAPES: i32[] = [7, 11, 7, 13, 19, 5, 5, 8, 2, 3, 131, 130, 1, 9, 1, 11, 35, 9, 19, 128, 128];

describe("fused layer forward", () => {
  it("linearForwardAct == linearForward + activation + residual (bits), SIMD ~ scalar twin", () => {
    for (let s = 0; s < SHAPES.length; s += 3) {
      const n = SHAPES[s], din = SHAPES[s + 1], dout = SHAPES[s + 2], m = n * dout;
      const x = buf(n * din), w = buf(din * dout), b = buf(dout), r = buf(m), ones = buf(m);
      const h1 = buf(m), d1 = buf(m), h2 = buf(m), d2 = buf(m), h3 = buf(m), d3 = buf(m), tmp = buf(m);
      fill(x, n * din, 4); fill(w, din * dout, 1); fill(b, dout, 1); fill(r, m, 2);
      for (let i = 0; i < m; i++) set(ones, i, 1);
      for (let act = 0; act < 4; act++) {
        for (let variant = 0; variant < 3; variant++) {
          const resid = variant >= 1 ? r : 0, dp = variant == 2 ? 1 : 0;
          zero(h1, m); zero(h2, m); zero(h3, m); zero(d1, m); zero(d2, m); zero(d3, m);
          linearForwardAct(h1, dp ? d1 : 0, x, w, b, resid, n, din, dout, act);
          unfusedForward(h2, dp ? d2 : 0, x, w, b, resid, n, din, dout, act, tmp, ones);
          linearForwardActScalar(h3, dp ? d3 : 0, x, w, b, resid, n, din, dout, act);
          expect(same(h1, h2, m)).toBe(true);
          expect(maxRel(h1, h3, m)).toBeLessThan(2e-5);
          if (dp) {
            expect(same(d1, d2, m)).toBe(true);
            expect(maxRel(d1, d3, m)).toBeLessThan(1e-4);
          }
        }
      }
    }
  });
  it("actForward: SIMD == scalar twin on 4k + 3 elements, every activation", () => {
    const n = 1027, v = buf(n), a = buf(n), b = buf(n), da = buf(n), db = buf(n), r = buf(n);
    fill(v, n, 16); fill(r, n, 1);
    for (let act = 0; act < 4; act++) {
      copy(a, v, n); copy(b, v, n); zero(da, n); zero(db, n);
      actForward(a, da, r, n, act); actForwardScalar(b, db, r, n, act);
      expect(same(a, b, n)).toBe(true);
      expect(same(da, db, n)).toBe(true);
    }
  });
});

describe("fused layer backward", () => {
  it("linearBackwardInputAct == resid copy + linearBackward's dx + actBackward (bits), SIMD ~ scalar twin", () => {
    for (let s = 0; s < SHAPES.length; s += 3) {
      const n = SHAPES[s], din = SHAPES[s + 1], dout = SHAPES[s + 2], mx = n * din;
      const dy = buf(n * dout), w = buf(din * dout), r = buf(mx), dact = buf(mx), dw = buf(din * dout);
      const dx1 = buf(mx), da1 = buf(mx), dx2 = buf(mx), da2 = buf(mx), dx3 = buf(mx), da3 = buf(mx);
      fill(dy, n * dout, 1); fill(w, din * dout, 1); fill(r, mx, 1); fill(dact, mx, 2);
      for (let variant = 0; variant < 3; variant++) {
        const resid = variant >= 1 ? r : 0, withDa = variant != 1;
        fill(dx1, mx, 7); fill(dx3, mx, 7); zero(da1, mx); zero(da2, mx); zero(da3, mx);
        linearBackwardInputAct(dx1, withDa ? da1 : 0, dy, w, resid, withDa ? dact : 0, n, din, dout);
        if (resid) copy(dx2, r, mx); else zero(dx2, mx);
        zero(dw, din * dout);
        linearBackward(dx2, dw, 0, dy, dx2, w, n, din, dout); // dw is a throwaway; x = dx2 only feeds it
        if (withDa) actBackward(da2, dx2, dact, mx);
        linearBackwardInputActScalar(dx3, withDa ? da3 : 0, dy, w, resid, withDa ? dact : 0, n, din, dout);
        expect(maxRel(dx1, dx3, mx)).toBeLessThan(2e-5);
        if (withDa) expect(maxRel(da1, da3, mx)).toBeLessThan(4e-5);
        expect(same(dx1, dx2, mx)).toBe(true);
        if (withDa) expect(same(da1, da2, mx)).toBe(true);
      }
    }
  });
  it("actBackward: SIMD == scalar twin on 4k + 3 elements", () => {
    const n = 1027, dh = buf(n), d = buf(n), a = buf(n), b = buf(n);
    fill(dh, n, 3); fill(d, n, 2); zero(a, n); zero(b, n);
    actBackward(a, dh, d, n); actBackwardScalar(b, dh, d, n);
    expect(same(a, b, n)).toBe(true);
  });
});
