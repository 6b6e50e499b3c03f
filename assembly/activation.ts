// Pointwise layers: GELU (tanh approximation), SiLU, ReLU, residual add, y += x, and the layer epilogues.
// Forward and backward side by side; backward ACCUMULATES into dx (dx += dy * f'(x)), like llm.c, so
// the host zeroes gradients once per step. Each kernel is one streaming pass: f32x4 over whole vectors,
// scalar loop for the n % 4 tail (and for the whole array in the scalar build). The elementary functions
// come from math.ts, whose f32x4 and scalar forms are bit-identical, so these kernels give identical
// results in both builds. Not here: matmuls (linear.ts), losses (loss.ts).
//
// The layer epilogues at the end (actForward, actBackward) are what linear.ts's fused kernels apply to each block
// of rows while it is still in L1: the value, the residual and the derivative in one pass, bit for bit the same as
// the separate kernels above (same operations in the same order). The host calls only the fused kernels: the
// separate ones are the specs' oracles for them (assembly/oracles.ts), and addInPlace is a building block of
// linear.ts and timebias.ts.

import { expSig1, expSig4, k4, ONE, sigmoid1, sigmoid4 } from "./math";

// GELU, tanh approximation (PyTorch nn.GELU(approximate='tanh')):
//   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
// computed as x * sigmoid(2u), using 0.5 (1 + tanh u) = sigmoid(2u): one exp and one divide instead of
// tanh's two branches, and no cancellation in 1 + tanh(u) for negative x.
//   gelu'(x) = s + 2 x s (1 - s) u',  s = sigmoid(2u),  u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
// The sigmoid's argument, -2u = x (-C2 - C2 A x^2), is one multiply-add shorter than C2 (x + A x^3), and its exp is
// math.ts's expSig (no subnormal sigmoid for very negative x, a shorter dependent chain).
const GELU_C2: f32 = 1.5957691216057308;     // 2 sqrt(2/pi)
const GELU_A3: f32 = 0.134145;               // 3 * 0.044715
const GELU_NC2: f32 = -1.5957691216057308;   // -C2
const GELU_NC2A: f32 = -0.07135481627260025; // -C2 * 0.044715
// Broadcast from memory in the loops, not f32x4.splat: see math.ts (k4) for why.
const GELUK = memory.data<f32>([GELU_C2, GELU_NC2, GELU_A3, GELU_NC2A], 16);
// -2u for a vector of x and its square.
@inline function geluArg4(v: v128, v2: v128): v128 {
  return f32x4.mul(v, f32x4.add(k4(GELUK + 4), f32x4.mul(k4(GELUK + 12), v2)));
}
@inline function geluArg1(v: f32, v2: f32): f32 {
  return v * (GELU_NC2 + GELU_NC2A * v2);
}

// ------------------------------------------------------------------------------------------- GELU

// y[i] = gelu(x[i])
export function geluForward(y: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, f32x4.div(v, f32x4.add(k4(ONE), expSig4(geluArg4(v, f32x4.mul(v, v))))));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    geluForwardScalar(y + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function geluForwardScalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v / (<f32>1 + expSig1(geluArg1(v, v * v))));
  }
}

// dx[i] += dy[i] * gelu'(x[i])
export function geluBackward(dx: usize, dy: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const c2 = k4(GELUK), a3 = k4(GELUK + 8), one = k4(ONE);
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      const v2 = f32x4.mul(v, v);
      const s = f32x4.div(one, f32x4.add(one, expSig4(geluArg4(v, v2))));
      // s + x s (1 - s) * 2u' ; 2u' = C2 (1 + 3A x^2)
      const du = f32x4.mul(c2, f32x4.add(one, f32x4.mul(a3, v2)));
      const g = f32x4.add(s, f32x4.mul(f32x4.mul(f32x4.mul(v, s), f32x4.sub(one, s)), du));
      v128.store(dx + o, f32x4.add(v128.load(dx + o), f32x4.mul(v128.load(dy + o), g)));
    }
  }
  for (; i < n; i++) geluBackwardAt(dx, dy, x, <usize>i << 2);
}

export function geluBackwardScalar(dx: usize, dy: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) geluBackwardAt(dx, dy, x, <usize>i << 2);
}

@inline function geluBackwardAt(dx: usize, dy: usize, x: usize, o: usize): void {
  const v = load<f32>(x + o);
  const v2 = v * v;
  const s = <f32>1 / (<f32>1 + expSig1(geluArg1(v, v2)));
  const du = GELU_C2 * (<f32>1 + GELU_A3 * v2);
  const g = s + ((v * s) * (<f32>1 - s)) * du;
  store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * g);
}

// ------------------------------------------------------------------------------------------- SiLU

// y = x sigmoid(x);  y' = s (1 + x (1 - s))
export function siluForward(y: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, f32x4.mul(v, sigmoid4(v)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    siluForwardScalar(y + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function siluForwardScalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v * sigmoid1(v));
  }
}

export function siluBackward(dx: usize, dy: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const one = k4(ONE);
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      const s = sigmoid4(v);
      const g = f32x4.mul(s, f32x4.add(one, f32x4.mul(v, f32x4.sub(one, s))));
      v128.store(dx + o, f32x4.add(v128.load(dx + o), f32x4.mul(v128.load(dy + o), g)));
    }
  }
  for (; i < n; i++) siluBackwardAt(dx, dy, x, <usize>i << 2);
}

export function siluBackwardScalar(dx: usize, dy: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) siluBackwardAt(dx, dy, x, <usize>i << 2);
}

@inline function siluBackwardAt(dx: usize, dy: usize, x: usize, o: usize): void {
  const v = load<f32>(x + o);
  const s = sigmoid1(v);
  const g = s * (<f32>1 + v * (<f32>1 - s));
  store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * g);
}

// ------------------------------------------------------------------------------------------- ReLU

// y = max(x, 0); relu'(0) = 0, so dx += dy only where x > 0. NaN in x propagates to y (wasm max).
export function reluForward(y: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.max(v128.load(x + o), z));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    reluForwardScalar(y + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function reluForwardScalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, max<f32>(load<f32>(x + o), 0));
  }
}

export function reluBackward(dx: usize, dy: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), z));
      v128.store(dx + o, f32x4.add(v128.load(dx + o), g));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    reluBackwardScalar(dx + o, dy + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function reluBackwardScalar(dx: usize, dy: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(x + o) > 0) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o));
  }
}

// --------------------------------------------------------------------------------------- residual

// y = a + b
export function residualForward(y: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    residualForwardScalar(y + o, a + o, b + o, n - i); // the elements SIMD leaves over
  }
}

export function residualForwardScalar(y: usize, a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

// ------------------------------------------------------------------------------------ in-place ops

// y += x
export function addInPlace(y: usize, x: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    addInPlaceScalar(y + o, x + o, n - i); // the elements SIMD leaves over
  }
}

export function addInPlaceScalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

// ------------------------------------------------------------------------------------ layer epilogue

// Activation codes of the fused layer kernels (linear.ts linearForwardAct); src/engine/engine.ts ACT_CODES mirrors them.
const ACT_NONE: i32 = 0;
const ACT_GELU: i32 = 1;
const ACT_SILU: i32 = 2;
const ACT_RELU: i32 = 3;

/**
 * h[i] = resid[i] + act(h[i]) in place (resid == 0: no residual), and dact[i] = act'(h[i]) of the value before
 * (dact == 0: not wanted, as when sampling). Storing the derivative at forward time is what lets the backward pass
 * multiply instead of recomputing exp and a divide: da = dh * dact (actBackward). Per element the value is
 * geluForward's (v / (1 + exp(-t))) and the derivative geluBackward's g, so fused and unfused layers agree bit for bit.
 */
export function actForward(h: usize, dact: usize, resid: usize, n: i32, act: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = k4(ONE);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(h + o);
      let y = v, g = one;
      if (act == ACT_GELU) {
        const c2 = k4(GELUK), a3 = k4(GELUK + 8);
        const v2 = f32x4.mul(v, v);
        const e = f32x4.add(one, expSig4(geluArg4(v, v2)));
        y = f32x4.div(v, e);
        if (dact) {
          const s = f32x4.div(one, e);
          const du = f32x4.mul(c2, f32x4.add(one, f32x4.mul(a3, v2)));
          g = f32x4.add(s, f32x4.mul(f32x4.mul(f32x4.mul(v, s), f32x4.sub(one, s)), du));
        }
      } else if (act == ACT_SILU) {
        const s = sigmoid4(v);
        y = f32x4.mul(v, s);
        g = f32x4.mul(s, f32x4.add(one, f32x4.mul(v, f32x4.sub(one, s))));
      } else if (act == ACT_RELU) {
        const pos = f32x4.gt(v, f32x4.splat(0));
        y = f32x4.max(v, f32x4.splat(0));
        g = v128.and(one, pos);
      }
      if (resid) y = f32x4.add(v128.load(resid + o), y);
      v128.store(h + o, y);
      if (dact) v128.store(dact + o, g);
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    actForwardScalar(h + o, dact ? dact + o : 0, resid ? resid + o : 0, n - i, act); // the elements SIMD leaves over
  }
}

export function actForwardScalar(h: usize, dact: usize, resid: usize, n: i32, act: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(h + o);
    let y = v, g: f32 = 1;
    if (act == ACT_GELU) {
      const v2 = v * v;
      const e = <f32>1 + expSig1(geluArg1(v, v2));
      y = v / e;
      const s = <f32>1 / e;
      g = s + ((v * s) * (<f32>1 - s)) * (GELU_C2 * (<f32>1 + GELU_A3 * v2));
    } else if (act == ACT_SILU) {
      const s = sigmoid1(v);
      y = v * s;
      g = s * (<f32>1 + v * (<f32>1 - s));
    } else if (act == ACT_RELU) {
      y = max<f32>(v, 0);
      g = v > 0 ? 1 : 0;
    }
    if (resid) y = load<f32>(resid + o) + y;
    store<f32>(h + o, y);
    if (dact) store<f32>(dact + o, g);
  }
}

// da[i] = dh[i] * dact[i]: the activation's backward through the derivative actForward stored.
export function actBackward(da: usize, dh: usize, dact: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(da + o, f32x4.mul(v128.load(dh + o), v128.load(dact + o)));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    actBackwardScalar(da + o, dh + o, dact + o, n - i); // the elements SIMD leaves over
  }
}

export function actBackwardScalar(da: usize, dh: usize, dact: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(da + o, load<f32>(dh + o) * load<f32>(dact + o));
  }
}
