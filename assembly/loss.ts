// Training loss of the noise-prediction objective (Ho et al. 2020, eq. 14, "L_simple"):
// mean squared error between the predicted and the true noise over all n = batch * dim elements.
// Not here: the variational bound terms used for evaluation (host, in f64).

// mean over i < n of (y[i] - target[i])^2, returned as f64.
// Each difference is formed in f32 (exactly what the backward sees); its square and the running sum
// are in f64 (f64x2 lanes in the SIMD path), so the result does not drift with n the way an f32
// sum over a 1e5-element batch would. SIMD and scalar differ only in summation order (~1e-16 rel).
export function mseForward(y: usize, target: usize, n: i32): f64 {
  let i = 0;
  let sum: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const d = f32x4.sub(v128.load(y + o), v128.load(target + o));
      const dl = f64x2.promote_low_f32x4(d);
      const dh = f64x2.promote_low_f32x4(f32x4.shuffle(d, d, 2, 3, 2, 3));
      lo = f64x2.add(lo, f64x2.mul(dl, dl));
      hi = f64x2.add(hi, f64x2.mul(dh, dh));
    }
    const s = f64x2.add(lo, hi);
    sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>(load<f32>(y + o) - load<f32>(target + o));
    sum += d * d;
  }
  return n > 0 ? sum / <f64>n : 0;
}

export function mseForwardScalar(y: usize, target: usize, n: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>(load<f32>(y + o) - load<f32>(target + o));
    sum += d * d;
  }
  return n > 0 ? sum / <f64>n : 0;
}

// dy[i] += (2/n) (y[i] - target[i])   (2/n rounded to f32 once; accumulates like every backward)
export function mseBackward(dy: usize, y: usize, target: usize, n: i32): void {
  mseBackwardScaled(dy, y, target, n, <f32>(2.0 / <f64>n));
}

export function mseBackwardScalar(dy: usize, y: usize, target: usize, n: i32): void {
  mseBackwardScaledScalar(dy, y, target, n, <f32>(2.0 / <f64>n));
}

/**
 * dy += scale * (y - target): the gradient of a mean over more elements than these n, with scale = 2 / total.
 * A thread that holds a slice of the batch uses it so that the slices' gradients simply add up.
 */
export function mseBackwardScaled(dy: usize, y: usize, target: usize, n: i32, scale: f32): void {
  const c = scale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const d = f32x4.sub(v128.load(y + o), v128.load(target + o));
      v128.store(dy + o, f32x4.add(v128.load(dy + o), f32x4.mul(cv, d)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dy + o, load<f32>(dy + o) + c * (load<f32>(y + o) - load<f32>(target + o)));
  }
}

export function mseBackwardScaledScalar(dy: usize, y: usize, target: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dy + o, load<f32>(dy + o) + scale * (load<f32>(y + o) - load<f32>(target + o)));
  }
}

/**
 * dy[i, j] += scale * w[i] * (y[i, j] - target[i, j]) for n rows of d: the gradient of a row-weighted mean squared
 * error (importance-sampled t: w_i = 1 / (T p_t) keeps the batch mean an unbiased estimate of the uniform objective).
 * scale = 2 / (elements of the whole batch), as mseBackwardScaled. scale * w[i] is rounded to f32 once per row.
 */
export function mseBackwardWeighted(dy: usize, y: usize, target: usize, w: usize, n: i32, d: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const c = scale * load<f32>(w + (<usize>i << 2));
    const row = <usize>(i * d) << 2;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const cv = f32x4.splat(c);
      for (; j + 4 <= d; j += 4) {
        const o = row + (<usize>j << 2);
        const e = f32x4.sub(v128.load(y + o), v128.load(target + o));
        v128.store(dy + o, f32x4.add(v128.load(dy + o), f32x4.mul(cv, e)));
      }
    }
    for (; j < d; j++) {
      const o = row + (<usize>j << 2);
      store<f32>(dy + o, load<f32>(dy + o) + c * (load<f32>(y + o) - load<f32>(target + o)));
    }
  }
}

export function mseBackwardWeightedScalar(dy: usize, y: usize, target: usize, w: usize, n: i32, d: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const c = scale * load<f32>(w + (<usize>i << 2));
    for (let j = 0; j < d; j++) {
      const o = <usize>(i * d + j) << 2;
      store<f32>(dy + o, load<f32>(dy + o) + c * (load<f32>(y + o) - load<f32>(target + o)));
    }
  }
}
