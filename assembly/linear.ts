import { actForward, actForwardScalar, actBackward, actBackwardScalar, addInPlace } from "./activation";

// Fully connected layer y = x W^T + b, forward and backward (llm.c's matmul_forward/_backward, without
// threads). Shapes: x (n, din), w (dout, din) as torch.nn.Linear stores it, b (dout), y (n, dout).
// The SIMD paths are register-tiled f32x4 kernels; the Scalar twins are the plain loops and the
// specification. Not here: the activation functions themselves (activation.ts), batching over layers, threads.
//
// Fused layers (linearForwardAct, linearBackwardInputAct): the same tiles, with the layer's elementwise work done on
// each block of 4 rows right after the tiles wrote it, while it is in L1: bias, activation, residual and the
// activation's derivative in the forward store; the residual's pass-through as dx's starting value and the
// activation's backward (da = dx * act') in dx's store. That removes the separate passes over (n, width) arrays
// (activation, residual add, zeroing, addInPlace) and the backward's exp and divide. Results are bit for bit those
// of the unfused sequence linearForward + actForward, resp. zero + addInPlace + linearBackward + actBackward.
//
// Register budget: V8 on x64 has 16 xmm registers (arm64 has 32). Each tile below keeps 8 f32x4
// accumulators plus at most 4 loaded operands live, so the inner loops do not spill on either.
// Each multiply-add goes through madd: mul then add in the SIMD build; in the relaxed-SIMD build (opt-in, chosen at
// load time: src/engine/wasm.ts) relaxed_madd, which V8 emits as one FMA instruction where the CPU has one (x64 with FMA3,
// arm64) and as mul then add elsewhere, so that build's results may differ between machines.
// Tails (n, din or dout not multiples of the tile) fall back to narrower tiles and finally to scalar
// loops inside the same kernel, so every shape is handled, including dout = 1, 2 and din = 7.

// acc + a * b: one rounding (fused) or two, depending on the build and the machine; see the header.
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// [sum(a), sum(b), sum(c), sum(d)] of four accumulators: a 4x4 transpose-and-add in 6 shuffles.
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(f32x4.shuffle(a, b, 0, 4, 1, 5), f32x4.shuffle(a, b, 2, 6, 3, 7)); // a02 b02 a13 b13
  const cd = f32x4.add(f32x4.shuffle(c, d, 0, 4, 1, 5), f32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(ab, cd, 0, 1, 4, 5), f32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

@inline function hsum1(a: v128): f32 {
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 2)) + (f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 3));
}

// Scalar dot product of the din tail [k0, din) of row p with row q (byte pointers to the rows).
@inline function dotTail(p: usize, q: usize, k0: usize, kEnd: usize): f32 {
  let s: f32 = 0;
  for (let k = k0; k < kEnd; k += 4) s += load<f32>(p + k) * load<f32>(q + k);
  return s;
}

// ------------------------------------------------------------------------------------------ forward

// y[n,dout] = x[n,din] . w[dout,din]^T + b[dout]  (b == 0: no bias). Overwrites y.
// Tiling: 4 rows of x x 2 rows of w. Both operands run along din, so each f32x4 step loads 4 x
// vectors + 2 w vectors and does 8 mul-adds into 8 accumulators (0.75 loads per mul-add, 14 live
// registers). A 4x4 tile would halve the loads but needs 16 accumulators + operands > 16 registers
// and spills on x64. The 8 lane-partial sums are reduced once per tile by two hsum4, the bias is added
// while the results are in registers, and each row's pair is stored with one 64-bit lane store. dout = 2
// (the output layer) is exactly one tile column. Leftovers: an odd last output uses a 4x1 tile, the
// last n % 4 rows use 1x1 vector dot products; din % 4 is a scalar tail added before the bias.
export function linearForward(y: usize, x: usize, w: usize, b: usize, n: i32, din: i32, dout: i32): void {
  if (ASC_FEATURE_SIMD) {
    forwardTiles(y, x, w, b, n, din, dout, 0, 0, 0, din, din, 0, 0);
    return;
  }
  linearForwardScalar(y, x, w, b, n, din, dout);
}

// h = resid + act(x w^T + b) (resid == 0: none), dact = act'(x w^T + b) (dact == 0: not stored); act: activation.ts's
// ACT_* codes. The derivative is what linearBackwardInputAct multiplies by, so training stores it instead of the
// pre-activation; sampling passes dact = 0.
export function linearForwardAct(h: usize, dact: usize, x: usize, w: usize, b: usize, resid: usize, n: i32, din: i32, dout: i32,
  act: i32): void {
  if (ASC_FEATURE_SIMD) {
    forwardTiles(h, x, w, b, n, din, dout, act, dact, resid, din, din, 0, 0);
    return;
  }
  linearForwardActScalar(h, dact, x, w, b, resid, n, din, dout, act);
}

export function linearForwardActScalar(h: usize, dact: usize, x: usize, w: usize, b: usize, resid: usize, n: i32, din: i32, dout: i32,
  act: i32): void {
  linearForwardScalar(h, x, w, b, n, din, dout);
  actForwardScalar(h, dact, resid, n * dout, act);
}

// y = x w^T + b with row strides ldx (x) and ldw (w): linearForward on column blocks of wider matrices.
export function linearForwardStrided(y: usize, x: usize, w: usize, b: usize, n: i32, din: i32, dout: i32, ldx: i32, ldw: i32): void {
  if (ASC_FEATURE_SIMD) {
    forwardTiles(y, x, w, b, n, din, dout, 0, 0, 0, ldx, ldw, 0, 0);
    return;
  }
  linearForwardStridedScalar(y, x, w, b, n, din, dout, ldx, ldw);
}

export function linearForwardStridedScalar(y: usize, x: usize, w: usize, b: usize, n: i32, din: i32, dout: i32, ldx: i32, ldw: i32): void {
  for (let i = 0; i < n; i++) {
    const xi = x + ((<usize>i * ldx) << 2);
    const yi = y + ((<usize>i * dout) << 2);
    for (let o = 0; o < dout; o++) {
      const wo = w + ((<usize>o * ldw) << 2);
      let s: f32 = b ? load<f32>(b + (<usize>o << 2)) : 0;
      for (let k = 0; k < din; k++) s += load<f32>(xi + (<usize>k << 2)) * load<f32>(wo + (<usize>k << 2));
      store<f32>(yi + (<usize>o << 2), s);
    }
  }
}

// h = act(x w^T + rowBias[slot[i]]) per row i, dact = act' (dact == 0: not stored). x (n, din) with row stride ldx,
// w (dout, din) with row stride ldw: a column block of a wider weight. The first layer with its t-columns split off:
// rowBias (m, dout) holds W_t e(t) + b once per distinct t of the batch (timebias.ts), gathered per row in the store.
export function linearForwardRowBias(h: usize, dact: usize, x: usize, w: usize, rowBias: usize, slot: usize, n: i32, din: i32, dout: i32,
                                     ldx: i32, ldw: i32, act: i32): void {
  if (ASC_FEATURE_SIMD) {
    forwardTiles(h, x, w, 0, n, din, dout, act, dact, 0, ldx, ldw, rowBias, slot);
    return;
  }
  linearForwardRowBiasScalar(h, dact, x, w, rowBias, slot, n, din, dout, ldx, ldw, act);
}

export function linearForwardRowBiasScalar(h: usize, dact: usize, x: usize, w: usize, rowBias: usize, slot: usize, n: i32, din: i32,
                                           dout: i32, ldx: i32, ldw: i32, act: i32): void {
  for (let i = 0; i < n; i++) {
    const xi = x + ((<usize>i * ldx) << 2);
    const hi = h + ((<usize>i * dout) << 2);
    const bi = rowBias + ((<usize>load<i32>(slot + (<usize>i << 2)) * dout) << 2);
    for (let o = 0; o < dout; o++) {
      const wo = w + ((<usize>o * ldw) << 2);
      let s: f32 = 0;
      for (let k = 0; k < din; k++) s += load<f32>(xi + (<usize>k << 2)) * load<f32>(wo + (<usize>k << 2));
      store<f32>(hi + (<usize>o << 2), s + load<f32>(bi + (<usize>o << 2)));
    }
  }
  actForwardScalar(h, dact, 0, n * dout, act);
}

// The tiles of linearForward; with act, dact or resid set, each block of 4 rows (and the last n % 4 rows) gets the
// epilogue actForward as soon as it is written. linearForward passes zeros: the epilogue folds away.
@inline function forwardTiles(y: usize, x: usize, w: usize, b: usize, n: i32, din: i32, dout: i32, act: i32, dact: usize, resid: usize,
                              ldx: i32, ldw: i32, rowBias: usize, slot: usize): void {
  const epilogue = act != 0 || dact != 0 || resid != 0 || rowBias != 0;
  {
    const rowX = <usize>din << 2;           // bytes of a row's din elements (the k range)
    const sx = <usize>ldx << 2, sw = <usize>ldw << 2;   // row strides of x and w (>= din: a column block of a wider matrix)
    const rowY = <usize>dout << 2;
    const kv = <usize>(din & ~3) << 2;     // bytes of each row covered by whole vectors
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const x0 = x + <usize>i * sx;
      const x1 = x0 + sx;
      const x2 = x1 + sx;
      const x3 = x2 + sx;
      const y0 = y + <usize>i * rowY;
      let o = 0;
      for (; o + 2 <= dout; o += 2) {
        const w0 = w + <usize>o * sw;
        const w1 = w0 + sw;
        let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
        let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
        for (let k: usize = 0; k < kv; k += 16) {
          const v0 = v128.load(w0 + k);
          const v1 = v128.load(w1 + k);
          let u = v128.load(x0 + k);
          a00 = madd(u, v0, a00);
          a01 = madd(u, v1, a01);
          u = v128.load(x1 + k);
          a10 = madd(u, v0, a10);
          a11 = madd(u, v1, a11);
          u = v128.load(x2 + k);
          a20 = madd(u, v0, a20);
          a21 = madd(u, v1, a21);
          u = v128.load(x3 + k);
          a30 = madd(u, v0, a30);
          a31 = madd(u, v1, a31);
        }
        let r01 = hsum4(a00, a01, a10, a11);   // y[i,o] y[i,o+1] y[i+1,o] y[i+1,o+1]
        let r23 = hsum4(a20, a21, a30, a31);
        if (kv < rowX) {
          r01 = f32x4.add(r01, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(
            dotTail(x0, w0, kv, rowX)), 1, dotTail(x0, w1, kv, rowX)), 2, dotTail(x1, w0, kv, rowX)), 3, dotTail(x1, w1, kv, rowX)));
          r23 = f32x4.add(r23, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(
            dotTail(x2, w0, kv, rowX)), 1, dotTail(x2, w1, kv, rowX)), 2, dotTail(x3, w0, kv, rowX)), 3, dotTail(x3, w1, kv, rowX)));
        }
        if (b) {
          const bb = v128.load64_splat(b + (<usize>o << 2));   // b[o] b[o+1] b[o] b[o+1]
          r01 = f32x4.add(r01, bb);
          r23 = f32x4.add(r23, bb);
        }
        const yo = y0 + (<usize>o << 2);
        v128.store64_lane(yo, r01, 0);
        v128.store64_lane(yo + rowY, r01, 1);
        v128.store64_lane(yo + 2 * rowY, r23, 0);
        v128.store64_lane(yo + 3 * rowY, r23, 1);
      }
      if (o < dout) {
        // odd last output: 4 rows x 1 output, 4 accumulators.
        const w0 = w + <usize>o * sw;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let k: usize = 0; k < kv; k += 16) {
          const v0 = v128.load(w0 + k);
          a0 = madd(v128.load(x0 + k), v0, a0);
          a1 = madd(v128.load(x1 + k), v0, a1);
          a2 = madd(v128.load(x2 + k), v0, a2);
          a3 = madd(v128.load(x3 + k), v0, a3);
        }
        let r = hsum4(a0, a1, a2, a3);
        if (kv < rowX) {
          r = f32x4.add(r, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(
            dotTail(x0, w0, kv, rowX)), 1, dotTail(x1, w0, kv, rowX)), 2, dotTail(x2, w0, kv, rowX)), 3, dotTail(x3, w0, kv, rowX)));
        }
        if (b) r = f32x4.add(r, v128.load32_splat(b + (<usize>o << 2)));
        const yo = y0 + (<usize>o << 2);
        v128.store32_lane(yo, r, 0);
        v128.store32_lane(yo + rowY, r, 1);
        v128.store32_lane(yo + 2 * rowY, r, 2);
        v128.store32_lane(yo + 3 * rowY, r, 3);
      }
      if (epilogue) {
        const e0 = <usize>i * rowY;
        if (rowBias) for (let r = 0; r < 4; r++) addInPlace(y0 + <usize>r * rowY,
          rowBias + <usize>load<i32>(slot + (<usize>(i + r) << 2)) * rowY, dout);
        actForward(y0, dact ? dact + e0 : 0, resid ? resid + e0 : 0, 4 * dout, act);
      }
    }
    const tail = i;
    for (; i < n; i++) {
      const xi = x + <usize>i * sx;
      const yi = y + <usize>i * rowY;
      for (let o = 0; o < dout; o++) {
        const wo = w + <usize>o * sw;
        let a = f32x4.splat(0);
        for (let k: usize = 0; k < kv; k += 16) a = madd(v128.load(xi + k), v128.load(wo + k), a);
        let s = hsum1(a) + dotTail(xi, wo, kv, rowX);
        if (b) s += load<f32>(b + (<usize>o << 2));
        store<f32>(yi + (<usize>o << 2), s);
      }
    }
    if (epilogue && tail < n) {
      const e0 = <usize>tail * rowY;
      if (rowBias) for (let r = tail; r < n; r++) addInPlace(y + <usize>r * rowY,
        rowBias + <usize>load<i32>(slot + (<usize>r << 2)) * rowY, dout);
      actForward(y + e0, dact ? dact + e0 : 0, resid ? resid + e0 : 0, (n - tail) * dout, act);
    }
  }
}

export function linearForwardScalar(y: usize, x: usize, w: usize, b: usize, n: i32, din: i32, dout: i32): void {
  for (let i = 0; i < n; i++) {
    const xi = x + ((<usize>i * din) << 2);
    const yi = y + ((<usize>i * dout) << 2);
    for (let o = 0; o < dout; o++) {
      const wo = w + ((<usize>o * din) << 2);
      let s: f32 = b ? load<f32>(b + (<usize>o << 2)) : 0;
      for (let k = 0; k < din; k++) s += load<f32>(xi + (<usize>k << 2)) * load<f32>(wo + (<usize>k << 2));
      store<f32>(yi + (<usize>o << 2), s);
    }
  }
}

// ----------------------------------------------------------------------------------------- backward

// dx[n,din] += dy[n,dout] . w[dout,din]     (skipped when dx == 0)
// dw[dout,din] += dy^T . x                  db[dout] += sum_i dy[i,:]   (db skipped when db == 0)
// (dw skipped when dw == 0: the input gradient d eps / d x of a trained network needs dx alone.)
export function linearBackward(dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize, n: i32, din: i32, dout: i32): void {
  if (ASC_FEATURE_SIMD) {
    if (dx) backwardInput(dx, dx, dy, w, n, din, dout, 0, 0);
    if (dw) backwardWeight(dw, dy, x, n, din, dout, din, din);
    if (db) backwardBias(db, dy, n, dout);
    return;
  }
  linearBackwardScalar(dx, dw, db, dy, x, w, n, din, dout);
}

// dx += dy . w: the contraction runs over dout, and both dx and w rows run along din, so vectorise
// along din and broadcast dy. Tiling: 4 rows x 8 din columns (2 vectors); per output o: 2 w loads,
// 4 dy broadcasts (v128.load32_splat, one instruction), 8 mul-adds into 8 accumulators that start
// from dx and are stored once. Leftovers: a 4-row x 1-vector tile for din % 8 >= 4, scalar for din % 4;
// the last n % 4 rows go one at a time with the same column structure.
//
// init is where the accumulators start: dx itself (linearBackward: dx +=), 0 (dx =) or a residual's gradient
// (linearBackwardInputAct: dx = resid + dy . w). With da set, each finished block of rows gets da = dx * dact.
@inline function backwardInput(dx: usize, init: usize, dy: usize, w: usize, n: i32, din: i32, dout: i32, da: usize, dact: usize): void {
  const zero = f32x4.splat(0);
  const rowX = <usize>din << 2;
  const rowY = <usize>dout << 2;
  const k8 = <usize>(din & ~7) << 2;
  const k4 = <usize>(din & ~3) << 2;
  const wEnd = w + <usize>dout * rowX;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d0 = dx + <usize>i * rowX;
    const d1 = d0 + rowX;
    const d2 = d1 + rowX;
    const d3 = d2 + rowX;
    const s0 = init + <usize>i * rowX, s1 = s0 + rowX, s2 = s1 + rowX, s3 = s2 + rowX;
    const g0 = dy + <usize>i * rowY;
    const g1 = g0 + rowY;
    const g2 = g1 + rowY;
    const g3 = g2 + rowY;
    let k: usize = 0;
    for (; k < k8; k += 32) {
      let a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
      if (init) {
        a00 = v128.load(s0 + k); a01 = v128.load(s0 + k + 16);
        a10 = v128.load(s1 + k); a11 = v128.load(s1 + k + 16);
        a20 = v128.load(s2 + k); a21 = v128.load(s2 + k + 16);
        a30 = v128.load(s3 + k); a31 = v128.load(s3 + k + 16);
      }
      let g: usize = 0;
      for (let wp = w + k; wp < wEnd; wp += rowX) {
        const v0 = v128.load(wp);
        const v1 = v128.load(wp + 16);
        let s = v128.load32_splat(g0 + g);
        a00 = madd(s, v0, a00);
        a01 = madd(s, v1, a01);
        s = v128.load32_splat(g1 + g);
        a10 = madd(s, v0, a10);
        a11 = madd(s, v1, a11);
        s = v128.load32_splat(g2 + g);
        a20 = madd(s, v0, a20);
        a21 = madd(s, v1, a21);
        s = v128.load32_splat(g3 + g);
        a30 = madd(s, v0, a30);
        a31 = madd(s, v1, a31);
        g += 4;
      }
      v128.store(d0 + k, a00); v128.store(d0 + k + 16, a01);
      v128.store(d1 + k, a10); v128.store(d1 + k + 16, a11);
      v128.store(d2 + k, a20); v128.store(d2 + k + 16, a21);
      v128.store(d3 + k, a30); v128.store(d3 + k + 16, a31);
    }
    if (k < k4) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      if (init) { a0 = v128.load(s0 + k); a1 = v128.load(s1 + k); a2 = v128.load(s2 + k); a3 = v128.load(s3 + k); }
      let g: usize = 0;
      for (let wp = w + k; wp < wEnd; wp += rowX) {
        const v0 = v128.load(wp);
        a0 = madd(v128.load32_splat(g0 + g), v0, a0);
        a1 = madd(v128.load32_splat(g1 + g), v0, a1);
        a2 = madd(v128.load32_splat(g2 + g), v0, a2);
        a3 = madd(v128.load32_splat(g3 + g), v0, a3);
        g += 4;
      }
      v128.store(d0 + k, a0); v128.store(d1 + k, a1); v128.store(d2 + k, a2); v128.store(d3 + k, a3);
      k += 16;
    }
    for (; k < rowX; k += 4) {
      let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
      let g: usize = 0;
      for (let wp = w + k; wp < wEnd; wp += rowX) {
        const v = load<f32>(wp);
        t0 += load<f32>(g0 + g) * v;
        t1 += load<f32>(g1 + g) * v;
        t2 += load<f32>(g2 + g) * v;
        t3 += load<f32>(g3 + g) * v;
        g += 4;
      }
      store<f32>(d0 + k, (init ? load<f32>(s0 + k) : 0) + t0);
      store<f32>(d1 + k, (init ? load<f32>(s1 + k) : 0) + t1);
      store<f32>(d2 + k, (init ? load<f32>(s2 + k) : 0) + t2);
      store<f32>(d3 + k, (init ? load<f32>(s3 + k) : 0) + t3);
    }
    if (da) actBackward(da + <usize>i * rowX, d0, dact + <usize>i * rowX, 4 * din);
  }
  for (; i < n; i++) {
    const d0 = dx + <usize>i * rowX;
    const s0 = init + <usize>i * rowX;
    const g0 = dy + <usize>i * rowY;
    let k: usize = 0;
    for (; k < k8; k += 32) {
      let a0 = zero, a1 = zero;
      if (init) { a0 = v128.load(s0 + k); a1 = v128.load(s0 + k + 16); }
      let g: usize = 0;
      for (let wp = w + k; wp < wEnd; wp += rowX) {
        const s = v128.load32_splat(g0 + g);
        a0 = madd(s, v128.load(wp), a0);
        a1 = madd(s, v128.load(wp + 16), a1);
        g += 4;
      }
      v128.store(d0 + k, a0); v128.store(d0 + k + 16, a1);
    }
    if (k < k4) {
      let a0 = init ? v128.load(s0 + k) : zero;
      let g: usize = 0;
      for (let wp = w + k; wp < wEnd; wp += rowX) {
        a0 = madd(v128.load32_splat(g0 + g), v128.load(wp), a0);
        g += 4;
      }
      v128.store(d0 + k, a0);
      k += 16;
    }
    for (; k < rowX; k += 4) {
      let t0: f32 = 0;
      let g: usize = 0;
      for (let wp = w + k; wp < wEnd; wp += rowX) {
        t0 += load<f32>(g0 + g) * load<f32>(wp);
        g += 4;
      }
      store<f32>(d0 + k, (init ? load<f32>(s0 + k) : 0) + t0);
    }
    if (da) actBackward(da + <usize>i * rowX, d0, dact + <usize>i * rowX, din);
  }
}

// dx = resid + dy . w (resid == 0: dx = dy . w; overwritten, not accumulated) and, when da != 0, da = dx * dact:
// the backward of h = resid + act(a) through the layer below. The engine's residual blocks use it to go from the
// gradient of one block's input to the next one down in one pass. No dw, db: linearBackward(0, dw, db, ...) does them.
export function linearBackwardInputAct(dx: usize, da: usize, dy: usize, w: usize, resid: usize, dact: usize, n: i32, din: i32,
  dout: i32): void {
  if (ASC_FEATURE_SIMD) {
    backwardInput(dx, resid, dy, w, n, din, dout, da, dact);
    return;
  }
  linearBackwardInputActScalar(dx, da, dy, w, resid, dact, n, din, dout);
}

export function linearBackwardInputActScalar(dx: usize, da: usize, dy: usize, w: usize, resid: usize, dact: usize, n: i32, din: i32,
  dout: i32): void {
  for (let i = 0; i < n; i++) {
    const dxi = dx + ((<usize>i * din) << 2);
    const dyi = dy + ((<usize>i * dout) << 2);
    for (let k = 0; k < din; k++) {
      const kb = <usize>k << 2;
      store<f32>(dxi + kb, resid ? load<f32>(resid + ((<usize>i * din) << 2) + kb) : 0);
    }
    for (let o = 0; o < dout; o++) {
      const g = load<f32>(dyi + (<usize>o << 2));
      const wo = w + ((<usize>o * din) << 2);
      for (let k = 0; k < din; k++) {
        const kb = <usize>k << 2;
        store<f32>(dxi + kb, load<f32>(dxi + kb) + g * load<f32>(wo + kb));
      }
    }
  }
  if (da) actBackwardScalar(da, dx, dact, n * din);
}

// dw += dy^T . x: the contraction runs over n; dw and x rows run along din, so vectorise along din
// and broadcast dy. Tiling: 4 outputs x 8 din columns; per row i: 2 x loads, 4 dy broadcasts, 8
// mul-adds; accumulators start from dw and are stored once per tile. Leftovers as in backwardInput:
// dout % 4 >= 2 (the dout = 2 output layer) takes a 2-output x 16-column tile (4 x loads, 2 broadcasts, 8 mul-adds
// a row, so x is read once for both outputs and 8 independent chains hide the add's latency), then 1-output columns.
// Rows go in blocks of WEIGHT_ROWS: each tile streams its block's rows of x and dy, and a block of both (at most
// 128 x (din + dout) floats: 192 KB for the 256 -> 128 input layer) stays in L2 for the next tile instead of
// streaming the whole batch from L3 once per 4 outputs. dw is loaded and stored once per block, and each dw element
// still sums its rows in order, one mul-then-add at a time: the bits do not depend on the blocking.
const WEIGHT_ROWS = 128;
@inline function backwardWeight(dw: usize, dy: usize, x: usize, n: i32, din: i32, dout: i32, ldx: i32, ldw: i32): void {
  const k4 = <usize>(din & ~3) << 2;
  for (let r = 0; r < n; r += WEIGHT_ROWS) {
    backwardWeightRows(dw, dy + ((<usize>r * dout) << 2), x + ((<usize>r * ldx) << 2), min(WEIGHT_ROWS, n - r), din, dout, ldx, ldw);
  }
  // The din % 4 columns: dw + (the sum over all rows), one pass, so blocking leaves them as they were too.
  if (k4 < (<usize>din << 2)) weightTail(dw, dy, x, n, din, dout, ldx, ldw, k4);
}

@inline function weightTail(dw: usize, dy: usize, x: usize, n: i32, din: i32, dout: i32, ldx: i32, ldw: i32, k4: usize): void {
  const rowX = <usize>din << 2, sx = <usize>ldx << 2, rowY = <usize>dout << 2;
  const xEnd = x + <usize>n * sx;
  for (let o = 0; o < dout; o++) {
    const d0 = dw + <usize>o * (<usize>ldw << 2);
    for (let k = k4; k < rowX; k += 4) {
      let s0: f32 = 0;
      let g = dy + (<usize>o << 2);
      for (let xp = x + k; xp < xEnd; xp += sx) {
        s0 += load<f32>(g) * load<f32>(xp);
        g += rowY;
      }
      store<f32>(d0 + k, load<f32>(d0 + k) + s0);
    }
  }
}

@inline function backwardWeightRows(dw: usize, dy: usize, x: usize, n: i32, din: i32, dout: i32, ldx: i32, ldw: i32): void {
  const sx = <usize>ldx << 2, sw = <usize>ldw << 2;   // row strides of x and dw
  const rowY = <usize>dout << 2;
  const k8 = <usize>(din & ~7) << 2;
  const k4 = <usize>(din & ~3) << 2;
  const xEnd = x + <usize>n * sx;
  let o = 0;
  for (; o + 4 <= dout; o += 4) {
    const d0 = dw + <usize>o * sw;
    const d1 = d0 + sw;
    const d2 = d1 + sw;
    const d3 = d2 + sw;
    const g0 = dy + (<usize>o << 2);
    let k: usize = 0;
    for (; k < k8; k += 32) {
      let a00 = v128.load(d0 + k), a01 = v128.load(d0 + k + 16);
      let a10 = v128.load(d1 + k), a11 = v128.load(d1 + k + 16);
      let a20 = v128.load(d2 + k), a21 = v128.load(d2 + k + 16);
      let a30 = v128.load(d3 + k), a31 = v128.load(d3 + k + 16);
      let g = g0;
      for (let xp = x + k; xp < xEnd; xp += sx) {
        const v0 = v128.load(xp);
        const v1 = v128.load(xp + 16);
        let s = v128.load32_splat(g);
        a00 = madd(s, v0, a00);
        a01 = madd(s, v1, a01);
        s = v128.load32_splat(g, 4);
        a10 = madd(s, v0, a10);
        a11 = madd(s, v1, a11);
        s = v128.load32_splat(g, 8);
        a20 = madd(s, v0, a20);
        a21 = madd(s, v1, a21);
        s = v128.load32_splat(g, 12);
        a30 = madd(s, v0, a30);
        a31 = madd(s, v1, a31);
        g += rowY;
      }
      v128.store(d0 + k, a00); v128.store(d0 + k + 16, a01);
      v128.store(d1 + k, a10); v128.store(d1 + k + 16, a11);
      v128.store(d2 + k, a20); v128.store(d2 + k + 16, a21);
      v128.store(d3 + k, a30); v128.store(d3 + k + 16, a31);
    }
    if (k < k4) {
      let a0 = v128.load(d0 + k), a1 = v128.load(d1 + k), a2 = v128.load(d2 + k), a3 = v128.load(d3 + k);
      let g = g0;
      for (let xp = x + k; xp < xEnd; xp += sx) {
        const v0 = v128.load(xp);
        a0 = madd(v128.load32_splat(g), v0, a0);
        a1 = madd(v128.load32_splat(g, 4), v0, a1);
        a2 = madd(v128.load32_splat(g, 8), v0, a2);
        a3 = madd(v128.load32_splat(g, 12), v0, a3);
        g += rowY;
      }
      v128.store(d0 + k, a0); v128.store(d1 + k, a1); v128.store(d2 + k, a2); v128.store(d3 + k, a3);
      k += 16;
    }
  }
  if (o + 2 <= dout) {
    const d0 = dw + <usize>o * sw;
    const d1 = d0 + sw;
    const g0 = dy + (<usize>o << 2);
    const k16 = <usize>(din & ~15) << 2;
    for (let k: usize = 0; k < k16; k += 64) {
      let a00 = v128.load(d0 + k), a01 = v128.load(d0 + k + 16), a02 = v128.load(d0 + k + 32), a03 = v128.load(d0 + k + 48);
      let a10 = v128.load(d1 + k), a11 = v128.load(d1 + k + 16), a12 = v128.load(d1 + k + 32), a13 = v128.load(d1 + k + 48);
      let g = g0;
      for (let xp = x + k; xp < xEnd; xp += sx) {
        const v0 = v128.load(xp), v1 = v128.load(xp + 16), v2 = v128.load(xp + 32), v3 = v128.load(xp + 48);
        let s = v128.load32_splat(g);
        a00 = madd(s, v0, a00);
        a01 = madd(s, v1, a01);
        a02 = madd(s, v2, a02);
        a03 = madd(s, v3, a03);
        s = v128.load32_splat(g, 4);
        a10 = madd(s, v0, a10);
        a11 = madd(s, v1, a11);
        a12 = madd(s, v2, a12);
        a13 = madd(s, v3, a13);
        g += rowY;
      }
      v128.store(d0 + k, a00); v128.store(d0 + k + 16, a01); v128.store(d0 + k + 32, a02); v128.store(d0 + k + 48, a03);
      v128.store(d1 + k, a10); v128.store(d1 + k + 16, a11); v128.store(d1 + k + 32, a12); v128.store(d1 + k + 48, a13);
    }
    weightColumn(d0, g0, x, xEnd, sx, rowY, k16, k8, k4);
    weightColumn(d1, g0 + 4, x, xEnd, sx, rowY, k16, k8, k4);
    o += 2;
  }
  for (; o < dout; o++) weightColumn(dw + <usize>o * sw, dy + (<usize>o << 2), x, xEnd, sx, rowY, 0, k8, k4);
}

// One output's dw row, the whole-vector columns [k0, k4): 8 columns a step, then 4.
@inline function weightColumn(d0: usize, g0: usize, x: usize, xEnd: usize, sx: usize, rowY: usize, k0: usize, k8: usize, k4: usize): void {
  let k = k0;
  for (; k < k8; k += 32) {
    let a0 = v128.load(d0 + k), a1 = v128.load(d0 + k + 16);
    let g = g0;
    for (let xp = x + k; xp < xEnd; xp += sx) {
      const s = v128.load32_splat(g);
      a0 = madd(s, v128.load(xp), a0);
      a1 = madd(s, v128.load(xp + 16), a1);
      g += rowY;
    }
    v128.store(d0 + k, a0); v128.store(d0 + k + 16, a1);
  }
  if (k < k4) {
    let a0 = v128.load(d0 + k);
    let g = g0;
    for (let xp = x + k; xp < xEnd; xp += sx) {
      a0 = madd(v128.load32_splat(g), v128.load(xp), a0);
      g += rowY;
    }
    v128.store(d0 + k, a0);
  }
}

// db += column sums of dy: vectorise along dout, 4 outputs per vector; streaming, no tiling needed.
@inline function backwardBias(db: usize, dy: usize, n: i32, dout: i32): void {
  const rowY = <usize>dout << 2;
  const yEnd = dy + <usize>n * rowY;
  const o4 = <usize>(dout & ~3) << 2;
  let o: usize = 0;
  for (; o < o4; o += 16) {
    let a = v128.load(db + o);
    for (let g = dy + o; g < yEnd; g += rowY) a = f32x4.add(a, v128.load(g));
    v128.store(db + o, a);
  }
  for (; o < rowY; o += 4) {
    let s: f32 = 0;
    for (let g = dy + o; g < yEnd; g += rowY) s += load<f32>(g);
    store<f32>(db + o, load<f32>(db + o) + s);
  }
}

// dw[dout, din] += dy^T . x with row strides ldx (x) and ldw (dw), db += column sums of dy (db == 0: skipped): the
// weight gradient of a column block of a wider layer (the first layer's x-columns, its t-columns per distinct t).
export function linearBackwardWeight(dw: usize, db: usize, dy: usize, x: usize, n: i32, din: i32, dout: i32, ldx: i32, ldw: i32): void {
  if (ASC_FEATURE_SIMD) {
    backwardWeight(dw, dy, x, n, din, dout, ldx, ldw);
    if (db) backwardBias(db, dy, n, dout);
    return;
  }
  linearBackwardWeightScalar(dw, db, dy, x, n, din, dout, ldx, ldw);
}

export function linearBackwardWeightScalar(dw: usize, db: usize, dy: usize, x: usize, n: i32, din: i32, dout: i32, ldx: i32,
  ldw: i32): void {
  for (let i = 0; i < n; i++) {
    const xi = x + ((<usize>i * ldx) << 2);
    const dyi = dy + ((<usize>i * dout) << 2);
    for (let o = 0; o < dout; o++) {
      const g = load<f32>(dyi + (<usize>o << 2));
      const dwo = dw + ((<usize>o * ldw) << 2);
      for (let k = 0; k < din; k++) {
        const kb = <usize>k << 2;
        store<f32>(dwo + kb, load<f32>(dwo + kb) + g * load<f32>(xi + kb));
      }
      if (db) store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + g);
    }
  }
}

export function linearBackwardScalar(dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize, n: i32, din: i32, dout: i32): void {
  for (let i = 0; i < n; i++) {
    const xi = x + ((<usize>i * din) << 2);
    const dxi = dx + ((<usize>i * din) << 2);
    const dyi = dy + ((<usize>i * dout) << 2);
    for (let o = 0; o < dout; o++) {
      const g = load<f32>(dyi + (<usize>o << 2));
      const wo = w + ((<usize>o * din) << 2);
      const dwo = dw + ((<usize>o * din) << 2);
      for (let k = 0; k < din; k++) {
        const kb = <usize>k << 2;
        if (dx) store<f32>(dxi + kb, load<f32>(dxi + kb) + g * load<f32>(wo + kb));
        if (dw) store<f32>(dwo + kb, load<f32>(dwo + kb) + g * load<f32>(xi + kb));
      }
      if (db) store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + g);
    }
  }
}
