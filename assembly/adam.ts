// Optimiser kernels over the flat parameter slab: squared norm for global-norm clipping, one AdamW
// step (Loshchilov & Hutter 2019, PyTorch torch.optim.AdamW order), and the EMA of weights used for
// sampling (as in Ho et al.'s released code). The host computes the per-step scalars (bias corrections
// bc1 = 1 - beta1^t, bc2 = 1 - beta2^t, the clipping factor) once, so these are pure streaming passes.
// SIMD and scalar paths perform the same IEEE operations in the same order (no fma in wasm; f32x4.sqrt
// and f32x4.div are correctly rounded), so adamwStep and emaUpdate are bit-identical in both builds.
// Not here: learning-rate schedules, the clipping decision (host).

// sum of x[i]^2 in f64 (f32 squares of 1e5 gradients summed in f32 would lose ~3 digits).
export function sumSquares(x: usize, n: i32): f64 {
  let i = 0;
  let sum: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const vl = f64x2.promote_low_f32x4(v);
      const vh = f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3));
      lo = f64x2.add(lo, f64x2.mul(vl, vl));
      hi = f64x2.add(hi, f64x2.mul(vh, vh));
    }
    const s = f64x2.add(lo, hi);
    sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    sum += v * v;
  }
  return sum;
}

export function sumSquaresScalar(x: usize, n: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    sum += v * v;
  }
  return sum;
}

// AdamW, elementwise over n parameters:
//   gs = g * gradScale ; m = b1 m + (1 - b1) gs ; v = b2 v + (1 - b2) gs^2
//   p = p - lr wd p - lr (m / bc1) / (sqrt(v / bc2) + eps)
// Decoupled weight decay uses the old p (PyTorch multiplies p by 1 - lr wd before the Adam update).
export function adamwStep(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
                          eps: f32, weightDecay: f32, gradScale: f32, bc1: f32, bc2: f32): void {
  const lrwd = lr * weightDecay;
  const omb1 = <f32>1 - beta1;
  const omb2 = <f32>1 - beta2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlr = f32x4.splat(lr), vlrwd = f32x4.splat(lrwd), vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2);
    const vo1 = f32x4.splat(omb1), vo2 = f32x4.splat(omb2), veps = f32x4.splat(eps), vgs = f32x4.splat(gradScale);
    const vbc1 = f32x4.splat(bc1), vbc2 = f32x4.splat(bc2);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gs = f32x4.mul(v128.load(g + o), vgs);
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vo1, gs));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vo2, f32x4.mul(gs, gs)));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      const pi = v128.load(p + o);
      const step = f32x4.div(f32x4.mul(vlr, f32x4.div(mi, vbc1)), f32x4.add(f32x4.sqrt(f32x4.div(vi, vbc2)), veps));
      v128.store(p + o, f32x4.sub(f32x4.sub(pi, f32x4.mul(vlrwd, pi)), step));
    }
  }
  for (; i < n; i++) adamwAt(p, g, m, v, <usize>i << 2, lr, beta1, beta2, eps, gradScale, bc1, bc2, lrwd, omb1, omb2);
}

export function adamwStepScalar(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
                                eps: f32, weightDecay: f32, gradScale: f32, bc1: f32, bc2: f32): void {
  const lrwd = lr * weightDecay;
  const omb1 = <f32>1 - beta1;
  const omb2 = <f32>1 - beta2;
  for (let i = 0; i < n; i++) adamwAt(p, g, m, v, <usize>i << 2, lr, beta1, beta2, eps, gradScale, bc1, bc2, lrwd, omb1, omb2);
}

@inline function adamwAt(p: usize, g: usize, m: usize, v: usize, o: usize, lr: f32, beta1: f32, beta2: f32,
                         eps: f32, gradScale: f32, bc1: f32, bc2: f32, lrwd: f32, omb1: f32, omb2: f32): void {
  const gs = load<f32>(g + o) * gradScale;
  const mi = beta1 * load<f32>(m + o) + omb1 * gs;
  const vi = beta2 * load<f32>(v + o) + omb2 * (gs * gs);
  store<f32>(m + o, mi);
  store<f32>(v + o, vi);
  const pi = load<f32>(p + o);
  const step = (lr * (mi / bc1)) / (sqrt<f32>(vi / bc2) + eps);
  store<f32>(p + o, (pi - lrwd * pi) - step);
}

// ema = ema + (1 - decay) (p - ema)
export function emaUpdate(ema: usize, p: usize, n: i32, decay: f32): void {
  const c = <f32>1 - decay;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const e = v128.load(ema + o);
      v128.store(ema + o, f32x4.add(e, f32x4.mul(cv, f32x4.sub(v128.load(p + o), e))));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    emaUpdateScalar(ema + o, p + o, n - i, decay); // the elements SIMD leaves over
  }
}

export function emaUpdateScalar(ema: usize, p: usize, n: i32, decay: f32): void {
  const c = <f32>1 - decay;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const e = load<f32>(ema + o);
    store<f32>(ema + o, e + c * (load<f32>(p + o) - e));
  }
}

// ------------------------------------------------------------------------- the fused optimiser pass

// Offsets (f32 slots) of the step's scalars in the block adamwEmaStep reads: the host writes them once a step, so
// the kernel's arguments stay the same every step (worker threads replay recorded calls with fixed arguments).
const HP_LR = 0, HP_BETA1 = 1, HP_BETA2 = 2, HP_EPS = 3, HP_WD = 4, HP_GRAD_SCALE = 5, HP_STEP_SIZE = 6, HP_RSQRT_BC2 = 7, HP_EMA_DECAY = 8;

/**
 * One pass over the parameter slab: AdamW, then the EMA of the new weights, then g = 0 for the next step's
 * accumulation (the pass that zeroed the gradients, the one that updated the EMA and AdamW's own are one).
 * hp (f32): [lr, beta1, beta2, eps, weightDecay, gradScale, lr / bc1, 1 / sqrt(bc2), emaDecay].
 *   gs = g gradScale ; m = b1 m + (1 - b1) gs ; v = b2 v + (1 - b2) gs^2
 *   p = (p - lr wd p) - (lr / bc1) (m / (sqrt(v) / sqrt(bc2) + eps))   (torch.optim.AdamW's update, in its order;
 *       the division by sqrt(bc2) as a multiply by its reciprocal: one divide and one sqrt per element, not three
 *       divides as adamwStep's literal form)
 *   ema = ema + (1 - decay) (p - ema)
 * SIMD and scalar perform the same IEEE operations in the same order: bit-identical.
 */
export function adamwEmaStep(p: usize, g: usize, m: usize, v: usize, ema: usize, n: i32, hp: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = v128.load32_splat(hp + 4 * HP_BETA1), vb2 = v128.load32_splat(hp + 4 * HP_BETA2);
    const vo1 = f32x4.splat(<f32>1 - load<f32>(hp + 4 * HP_BETA1)), vo2 = f32x4.splat(<f32>1 - load<f32>(hp + 4 * HP_BETA2));
    const veps = v128.load32_splat(hp + 4 * HP_EPS), vgs = v128.load32_splat(hp + 4 * HP_GRAD_SCALE);
    const vlrwd = f32x4.splat(load<f32>(hp + 4 * HP_LR) * load<f32>(hp + 4 * HP_WD));
    const vss = v128.load32_splat(hp + 4 * HP_STEP_SIZE), vrb = v128.load32_splat(hp + 4 * HP_RSQRT_BC2);
    const vc = f32x4.splat(<f32>1 - load<f32>(hp + 4 * HP_EMA_DECAY));
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gs = f32x4.mul(v128.load(g + o), vgs);
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vo1, gs));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vo2, f32x4.mul(gs, gs)));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      v128.store(g + o, zero);
      const pi = v128.load(p + o);
      const step = f32x4.mul(vss, f32x4.div(mi, f32x4.add(f32x4.mul(f32x4.sqrt(vi), vrb), veps)));
      const pn = f32x4.sub(f32x4.sub(pi, f32x4.mul(vlrwd, pi)), step);
      v128.store(p + o, pn);
      const e = v128.load(ema + o);
      v128.store(ema + o, f32x4.add(e, f32x4.mul(vc, f32x4.sub(pn, e))));
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    adamwEmaStepScalar(p + o, g + o, m + o, v + o, ema + o, n - i, hp); // the elements SIMD leaves over
  }
}

export function adamwEmaStepScalar(p: usize, g: usize, m: usize, v: usize, ema: usize, n: i32, hp: usize): void {
  const b1 = load<f32>(hp + 4 * HP_BETA1), b2 = load<f32>(hp + 4 * HP_BETA2), o1 = <f32>1 - b1, o2 = <f32>1 - b2;
  const eps = load<f32>(hp + 4 * HP_EPS), gsc = load<f32>(hp + 4 * HP_GRAD_SCALE);
  const lrwd = load<f32>(hp + 4 * HP_LR) * load<f32>(hp + 4 * HP_WD);
  const ss = load<f32>(hp + 4 * HP_STEP_SIZE), rb = load<f32>(hp + 4 * HP_RSQRT_BC2), c = <f32>1 - load<f32>(hp + 4 * HP_EMA_DECAY);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o) * gsc;
    const mi = b1 * load<f32>(m + o) + o1 * gs;
    const vi = b2 * load<f32>(v + o) + o2 * (gs * gs);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(g + o, 0);
    const pi = load<f32>(p + o);
    const pn = (pi - lrwd * pi) - ss * (mi / (sqrt<f32>(vi) * rb + eps));
    store<f32>(p + o, pn);
    const e = load<f32>(ema + o);
    store<f32>(ema + o, e + c * (pn - e));
  }
}

/**
 * g += gl, gl = 0, and the sum of the new g^2 in f64: a worker lane's gradients folded into lane 0's, that lane's
 * slab left zeroed for its next step, and the clipping norm, in one pass. Summation as sumSquares (two f64x2 lanes).
 */
export function accumulateSumSquares(g: usize, gl: usize, n: i32): f64 {
  let i = 0;
  let sum: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = f32x4.add(v128.load(g + o), v128.load(gl + o));
      v128.store(g + o, v);
      v128.store(gl + o, zero);
      const vl = f64x2.promote_low_f32x4(v);
      const vh = f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3));
      lo = f64x2.add(lo, f64x2.mul(vl, vl));
      hi = f64x2.add(hi, f64x2.mul(vh, vh));
    }
    const s = f64x2.add(lo, hi);
    sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  }
  const o = <usize>i << 2;
  return sum + accumulateSumSquaresScalar(g + o, gl + o, n - i);
}

export function accumulateSumSquaresScalar(g: usize, gl: usize, n: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(g + o) + load<f32>(gl + o);
    store<f32>(g + o, v);
    store<f32>(gl + o, 0);
    sum += <f64>v * <f64>v;
  }
  return sum;
}

/**
 * accumulateSumSquares with the sum stored at `out` (one f64) instead of returned: the form a worker thread runs (a
 * replayed call's result is dropped), each lane folding its own range of the parameters (src/engine/engine.ts).
 */
export function accumulateSumSquaresTo(g: usize, gl: usize, n: i32, out: usize): void {
  store<f64>(out, accumulateSumSquares(g, gl, n));
}

export function accumulateSumSquaresToScalar(g: usize, gl: usize, n: i32, out: usize): void {
  store<f64>(out, accumulateSumSquaresScalar(g, gl, n));
}
