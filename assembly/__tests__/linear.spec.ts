// linear.ts: tiled SIMD kernels vs their scalar twins vs an f64 reference computed here, on a
// hand-computed tiny case and on shapes with tails in every dimension; sentinels catch stray writes.
import { linearForward, linearForwardScalar, linearBackward, linearBackwardScalar, linearBackwardWeight } from "../linear";
import { buf, get, set } from "./mem";

// 16-byte aligned f32 buffer (+4 sentinel floats after it) outside the GC heap.

let seed: u32 = 12345;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>(<f64>seed / 4294967296.0 - 0.5); }
function fill(p: usize, n: i32): void { for (let i = 0; i < n; i++) set(p, i, rnd()); }
function copy(dst: usize, src: usize, n: i32): void { memory.copy(dst, src, <usize>n << 2); }
const SENTINEL: f32 = 12345.5;
function guard(p: usize, n: i32): void { for (let i = n; i < n + 4; i++) set(p, i, SENTINEL); }
function guarded(p: usize, n: i32): bool {
  for (let i = n; i < n + 4; i++) if (get(p, i) != SENTINEL) return false;
  return true;
}

// |got - ref| <= tol * scale element by element (scale = sum of |terms| of that element, >= 1e-6)
function close(got: usize, ref: StaticArray<f64>, scale: StaticArray<f64>, n: i32, tol: f64): bool {
  for (let i = 0; i < n; i++) {
    if (Math.abs(<f64>get(got, i) - ref[i]) > tol * Math.max(scale[i], 1e-6)) return false;
  }
  return true;
}

describe("linear, hand-computed", () => {
  it("forward and backward on n=2, din=3, dout=2", () => {
    const x = buf(6), w = buf(6), b = buf(2), y = buf(4), dy = buf(4), dx = buf(6), dw = buf(6), db = buf(2);
    const xs: f32[] = [1, 2, 3, 4, 5, 6], ws: f32[] = [1, 0, -1, 0.5, 0.5, 0.5], dys: f32[] = [1, 2, 3, 4];
    for (let i = 0; i < 6; i++) { set(x, i, xs[i]); set(w, i, ws[i]); }
    for (let i = 0; i < 4; i++) set(dy, i, dys[i]);
    set(b, 0, 0.125); set(b, 1, -0.25);
    const yExp: f32[] = [-1.875, 2.75, -1.875, 7.25];
    for (let pass = 0; pass < 2; pass++) {
      if (pass == 0) linearForward(y, x, w, b, 2, 3, 2); else linearForwardScalar(y, x, w, b, 2, 3, 2);
      for (let i = 0; i < 4; i++) expect(get(y, i)).toBe(yExp[i]);
      // accumulation: start every gradient at 1
      for (let i = 0; i < 6; i++) { set(dx, i, 1); set(dw, i, 1); }
      set(db, 0, 1); set(db, 1, 1);
      if (pass == 0) linearBackward(dx, dw, db, dy, x, w, 2, 3, 2); else linearBackwardScalar(dx, dw, db, dy, x, w, 2, 3, 2);
      const dxExp: f32[] = [3, 2, 1, 6, 3, 0], dwExp: f32[] = [14, 18, 22, 19, 25, 31];
      for (let i = 0; i < 6; i++) { expect(get(dx, i)).toBe(dxExp[i]); expect(get(dw, i)).toBe(dwExp[i]); }
      expect(get(db, 0)).toBe(5);
      expect(get(db, 1)).toBe(7);
    }
  });
});

// One shape: forward (with and without bias) and backward (with all gradients, then dx == 0 and
// db == 0), SIMD and scalar each checked against the f64 reference.
function checkShape(n: i32, din: i32, dout: i32): void {
  const x = buf(n * din), w = buf(dout * din), b = buf(dout), dy = buf(n * dout);
  fill(x, n * din); fill(w, dout * din); fill(b, dout); fill(dy, n * dout);
  const y = buf(n * dout), dx = buf(n * din), dw = buf(dout * din), db = buf(dout);
  const dx0 = buf(n * din), dw0 = buf(dout * din), db0 = buf(dout);
  fill(dx0, n * din); fill(dw0, dout * din); fill(db0, dout);

  const yRef = new StaticArray<f64>(n * dout), yScale = new StaticArray<f64>(n * dout);
  const dxRef = new StaticArray<f64>(n * din), dxScale = new StaticArray<f64>(n * din);
  const dwRef = new StaticArray<f64>(dout * din), dwScale = new StaticArray<f64>(dout * din);
  const dbRef = new StaticArray<f64>(dout), dbScale = new StaticArray<f64>(dout);
  for (let i = 0; i < n * din; i++) { dxRef[i] = get(dx0, i); dxScale[i] = Math.abs(get(dx0, i)); }
  for (let i = 0; i < dout * din; i++) { dwRef[i] = get(dw0, i); dwScale[i] = Math.abs(get(dw0, i)); }
  for (let o = 0; o < dout; o++) { dbRef[o] = get(db0, o); dbScale[o] = Math.abs(get(db0, o)); }
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < dout; o++) {
      let s: f64 = 0, a: f64 = 0;
      const g = <f64>get(dy, i * dout + o);
      for (let k = 0; k < din; k++) {
        const xv = <f64>get(x, i * din + k), wv = <f64>get(w, o * din + k);
        s += xv * wv; a += Math.abs(xv * wv);
        dxRef[i * din + k] += g * wv; dxScale[i * din + k] += Math.abs(g * wv);
        dwRef[o * din + k] += g * xv; dwScale[o * din + k] += Math.abs(g * xv);
      }
      yRef[i * dout + o] = s; yScale[i * dout + o] = a;
      dbRef[o] += g; dbScale[o] += Math.abs(g);
    }
  }
  const tol: f64 = 1e-5;
  for (let simd = 0; simd < 2; simd++) {
    // forward without bias, then with bias
    guard(y, n * dout);
    if (simd) linearForward(y, x, w, 0, n, din, dout); else linearForwardScalar(y, x, w, 0, n, din, dout);
    expect(close(y, yRef, yScale, n * dout, tol)).toBe(true, "forward b=0");
    for (let i = 0; i < n * dout; i++) { yRef[i] += get(b, i % dout); yScale[i] += Math.abs(get(b, i % dout)); }
    if (simd) linearForward(y, x, w, b, n, din, dout); else linearForwardScalar(y, x, w, b, n, din, dout);
    expect(close(y, yRef, yScale, n * dout, tol)).toBe(true, "forward with bias");
    expect(guarded(y, n * dout)).toBe(true, "forward wrote past y");
    for (let i = 0; i < n * dout; i++) { yRef[i] -= get(b, i % dout); yScale[i] -= Math.abs(get(b, i % dout)); }

    // backward, all gradients
    copy(dx, dx0, n * din); copy(dw, dw0, dout * din); copy(db, db0, dout);
    guard(dx, n * din); guard(dw, dout * din); guard(db, dout);
    if (simd) linearBackward(dx, dw, db, dy, x, w, n, din, dout); else linearBackwardScalar(dx, dw, db, dy, x, w, n, din, dout);
    expect(close(dx, dxRef, dxScale, n * din, tol)).toBe(true, "dx");
    expect(close(dw, dwRef, dwScale, dout * din, tol)).toBe(true, "dw");
    expect(close(db, dbRef, dbScale, dout, tol)).toBe(true, "db");
    expect(guarded(dx, n * din) && guarded(dw, dout * din) && guarded(db, dout)).toBe(true, "backward wrote past a gradient");

    // dx == 0 and db == 0: only dw changes (dx, db untouched)
    copy(dx, dx0, n * din); copy(dw, dw0, dout * din); copy(db, db0, dout);
    if (simd) linearBackward(0, dw, 0, dy, x, w, n, din, dout); else linearBackwardScalar(0, dw, 0, dy, x, w, n, din, dout);
    expect(close(dw, dwRef, dwScale, dout * din, tol)).toBe(true, "dw alone");
    expect(memory.compare(dx, dx0, <usize>(n * din) << 2)).toBe(0, "dx touched");
    expect(memory.compare(db, db0, <usize>dout << 2)).toBe(0, "db touched");

    // dw == 0 and db == 0: only dx changes (the input gradient)
    copy(dx, dx0, n * din); copy(dw, dw0, dout * din);
    if (simd) linearBackward(dx, 0, 0, dy, x, w, n, din, dout); else linearBackwardScalar(dx, 0, 0, dy, x, w, n, din, dout);
    expect(close(dx, dxRef, dxScale, n * din, tol)).toBe(true, "dx alone");
    expect(memory.compare(dw, dw0, <usize>(dout * din) << 2)).toBe(0, "dw touched");
  }
}

describe("linear, SIMD and scalar vs f64 reference", () => {
  it("n in {1, 4, 11, 19} x din in {7, 131} x dout in {1, 2, 5, 130}", () => {
    const ns: i32[] = [1, 4, 11, 19], dins: i32[] = [7, 131], douts: i32[] = [1, 2, 5, 130];
    for (let a = 0; a < ns.length; a++) for (let c = 0; c < dins.length; c++) for (let d = 0; d < douts.length; d++) {
      checkShape(ns[a], dins[c], douts[d]);
    }
  });
  it("model shapes with small n: (384 -> 128), (128 -> 2), (128 -> 4), din = 1..9", () => {
    checkShape(5, 384, 128);
    checkShape(7, 128, 2);
    checkShape(9, 128, 4);
    for (let din = 1; din <= 9; din++) checkShape(6, din, 3);
  });
  it("SIMD and scalar forward agree closely on (32, 128 -> 128)", () => {
    const n = 32, din = 128, dout = 128;
    const x = buf(n * din), w = buf(dout * din), b = buf(dout), y1 = buf(n * dout), y2 = buf(n * dout);
    fill(x, n * din); fill(w, dout * din); fill(b, dout);
    linearForward(y1, x, w, b, n, din, dout); linearForwardScalar(y2, x, w, b, n, din, dout);
    let m: f64 = 0;
    for (let i = 0; i < n * dout; i++) m = Math.max(m, Math.abs(<f64>get(y1, i) - <f64>get(y2, i)));
    expect(m).toBeLessThan(1e-5);
  });
});

// dw's row blocks (WEIGHT_ROWS) and its 2-output tile change which rows a tile reads at a time, never the order in
// which one dw element sums its rows: on whole-vector columns each lane does dw + dy x one row after the other (as the
// scalar twin does), on the din % 4 columns dw + (the rows' sum from 0). This f32 reference does exactly that, and
// the kernel must match it bit for bit (this build's mul-then-add) on batches that span several blocks.
describe("linearBackwardWeight: each dw element sums its rows in order, whatever the blocking", () => {
  it("n in {1, 127, 128, 300} x din in {7, 131, 256} x dout in {1, 2, 3, 5, 130}, strided", () => {
    const ns: i32[] = [1, 127, 128, 300], dins: i32[] = [7, 131, 256], douts: i32[] = [1, 2, 3, 5, 130];
    for (let a = 0; a < ns.length; a++) for (let c = 0; c < dins.length; c++) for (let e = 0; e < douts.length; e++) {
      const n = ns[a], din = dins[c], dout = douts[e], ldx = din + 5, ldw = din + 3;
      const x = buf(n * ldx), dy = buf(n * dout), dw = buf(dout * ldw), ref = buf(dout * ldw), db = buf(dout);
      fill(x, n * ldx); fill(dy, n * dout); fill(dw, dout * ldw); copy(ref, dw, dout * ldw); fill(db, dout);
      guard(dw, dout * ldw);
      linearBackwardWeight(dw, db, dy, x, n, din, dout, ldx, ldw);
      for (let o = 0; o < dout; o++) for (let k = 0; k < din; k++) {
        let s: f32 = k < (din & ~3) ? get(ref, o * ldw + k) : 0;
        for (let i = 0; i < n; i++) s += get(dy, i * dout + o) * get(x, i * ldx + k);
        set(ref, o * ldw + k, k < (din & ~3) ? s : get(ref, o * ldw + k) + s);
      }
      expect(memory.compare(dw, ref, <usize>(dout * ldw) << 2)).toBe(0, "dw differs from the rows summed in order");
      expect(guarded(dw, dout * ldw)).toBe(true, "wrote past dw");
    }
  });
});
