// The diffusion-specific elementwise kernels of DDPM (Ho et al. 2020): the forward noising q(x_t | x_0)
// and the reverse update x_{t-1} from the predicted noise, plus the two row copies that feed the
// per-sample tables (timestep embeddings) and strided activations to and from the MLP.
// What it is not: the schedule. Every per-timestep coefficient (sqrt(abar), sqrt(1 - abar),
// 1/sqrt(alpha), posterior sigma, DDIM coefficients) is a table or a scalar the host computed once.

/**
 * Ho et al. eq. 4 reparameterised: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
 * xt, x0, eps: (n, d); t: i32 (n) timestep indices into the (T) tables sqrtAlphaBar, sqrtOneMinusAlphaBar.
 * The low-dimensional data sets have d = 1 or 2, so those pack 4 / d rows into one vector (coefficients
 * built lane by lane); d >= 4 vectorises along the row; d = 3 stays scalar.
 */
export function qSample(xt: usize, x0: usize, eps: usize, t: usize, sqrtAlphaBar: usize, sqrtOneMinusAlphaBar: usize, n: i32,
  d: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (d == 2) {
      for (; i + 2 <= n; i += 2) {
        const t0 = (<usize>load<i32>(t + ((<usize>i) << 2))) << 2;
        const t1 = (<usize>load<i32>(t + ((<usize>(i + 1)) << 2))) << 2;
        const a0 = load<f32>(sqrtAlphaBar + t0), a1 = load<f32>(sqrtAlphaBar + t1);
        const b0 = load<f32>(sqrtOneMinusAlphaBar + t0), b1 = load<f32>(sqrtOneMinusAlphaBar + t1);
        const a = f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(a0), 2, a1), 3, a1);
        const b = f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(b0), 2, b1), 3, b1);
        const o = (<usize>i) << 3;
        v128.store(xt + o, f32x4.add(f32x4.mul(a, v128.load(x0 + o)), f32x4.mul(b, v128.load(eps + o))));
      }
    } else if (d == 1) {
      for (; i + 4 <= n; i += 4) {
        const o = (<usize>i) << 2;
        const t0 = (<usize>load<i32>(t + o)) << 2, t1 = (<usize>load<i32>(t + o, 4)) << 2;
        const t2 = (<usize>load<i32>(t + o, 8)) << 2, t3 = (<usize>load<i32>(t + o, 12)) << 2;
        let a = f32x4.splat(load<f32>(sqrtAlphaBar + t0));
        a = f32x4.replace_lane(a, 1, load<f32>(sqrtAlphaBar + t1));
        a = f32x4.replace_lane(a, 2, load<f32>(sqrtAlphaBar + t2));
        a = f32x4.replace_lane(a, 3, load<f32>(sqrtAlphaBar + t3));
        let b = f32x4.splat(load<f32>(sqrtOneMinusAlphaBar + t0));
        b = f32x4.replace_lane(b, 1, load<f32>(sqrtOneMinusAlphaBar + t1));
        b = f32x4.replace_lane(b, 2, load<f32>(sqrtOneMinusAlphaBar + t2));
        b = f32x4.replace_lane(b, 3, load<f32>(sqrtOneMinusAlphaBar + t3));
        v128.store(xt + o, f32x4.add(f32x4.mul(a, v128.load(x0 + o)), f32x4.mul(b, v128.load(eps + o))));
      }
    } else if (d >= 4) {
      for (; i < n; i++) {
        const ti = (<usize>load<i32>(t + ((<usize>i) << 2))) << 2;
        const a = load<f32>(sqrtAlphaBar + ti), b = load<f32>(sqrtOneMinusAlphaBar + ti);
        const av = f32x4.splat(a), bv = f32x4.splat(b);
        const row = (<usize>(i * d)) << 2;
        let j = 0;
        for (; j + 4 <= d; j += 4) {
          const o = row + ((<usize>j) << 2);
          v128.store(xt + o, f32x4.add(f32x4.mul(av, v128.load(x0 + o)), f32x4.mul(bv, v128.load(eps + o))));
        }
        for (; j < d; j++) {
          const o = row + ((<usize>j) << 2);
          store<f32>(xt + o, a * load<f32>(x0 + o) + b * load<f32>(eps + o));
        }
      }
    }
  }
  // Rows left over (all of them without SIMD or for d == 3): the scalar twin on the remaining rows.
  if (i < n) {
    const row = (<usize>(i * d)) << 2;
    qSampleScalar(xt + row, x0 + row, eps + row, t + ((<usize>i) << 2), sqrtAlphaBar, sqrtOneMinusAlphaBar, n - i, d);
  }
}

/** Scalar twin and specification of qSample. */
export function qSampleScalar(xt: usize, x0: usize, eps: usize, t: usize, sqrtAlphaBar: usize, sqrtOneMinusAlphaBar: usize, n: i32,
  d: i32): void {
  for (let i = 0; i < n; i++) {
    const ti = (<usize>load<i32>(t + ((<usize>i) << 2))) << 2;
    const a = load<f32>(sqrtAlphaBar + ti), b = load<f32>(sqrtOneMinusAlphaBar + ti);
    for (let j = 0; j < d; j++) {
      const o = (<usize>(i * d + j)) << 2;
      store<f32>(xt + o, a * load<f32>(x0 + o) + b * load<f32>(eps + o));
    }
  }
}

/**
 * One reverse step, elementwise over n values: xPrev = cx xt + ceps eps + sigma z; z == 0 drops the
 * noise term (the last DDPM step, deterministic DDIM). DDPM Algorithm 2 line 4 is
 * cx = 1/sqrt(alpha_t), ceps = -beta_t / (sqrt(alpha_t) sqrt(1 - abar_t)), sigma = sigma_t; DDIM passes
 * its own cx, ceps. All samples share t, so the coefficients are scalars.
 * xPrev may alias xt (in-place update).
 */
export function reverseStep(xPrev: usize, xt: usize, eps: usize, z: usize, n: i32, cx: f32, ceps: f32, sigma: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const cxv = f32x4.splat(cx), cev = f32x4.splat(ceps), sv = f32x4.splat(sigma);
    if (z != 0) {
      for (; i + 4 <= n; i += 4) {
        const o = (<usize>i) << 2;
        const v = f32x4.add(f32x4.mul(cxv, v128.load(xt + o)), f32x4.mul(cev, v128.load(eps + o)));
        v128.store(xPrev + o, f32x4.add(v, f32x4.mul(sv, v128.load(z + o))));
      }
    } else {
      for (; i + 4 <= n; i += 4) {
        const o = (<usize>i) << 2;
        v128.store(xPrev + o, f32x4.add(f32x4.mul(cxv, v128.load(xt + o)), f32x4.mul(cev, v128.load(eps + o))));
      }
    }
  }
  if (i < n) {
    const o = <usize>i << 2;
    // the elements SIMD leaves over (z == 0: no noise)
    reverseStepScalar(xPrev + o, xt + o, eps + o, z == 0 ? 0 : z + o, n - i, cx, ceps, sigma);
  }
}

/** Scalar twin and specification of reverseStep. */
export function reverseStepScalar(xPrev: usize, xt: usize, eps: usize, z: usize, n: i32, cx: f32, ceps: f32, sigma: f32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    let v = cx * load<f32>(xt + o) + ceps * load<f32>(eps + o);
    if (z != 0) v += sigma * load<f32>(z + o);
    store<f32>(xPrev + o, v);
  }
}

/**
 * The reverse step written through the predicted x_0 (Ho et al. eq. 15 in eq. 7), with x_0 clamped:
 *   x0 = clamp(ax0 * xt + aeps * eps, -bound, bound)      (ax0 = 1/sqrt(abar_t), aeps = -sqrt(1/abar_t - 1))
 *   xPrev = cx0 * x0 + cxt * xt + sigma * z                (posterior mean coefficients of eq. 7)
 * Where the clamp does not bite this is Algorithm 2 exactly. Where it does, it stops the rare runaway
 * trajectory: at large t, 1/sqrt(abar_t) amplifies any error of eps_theta far from the data, and one point
 * 100x outside the data ruins a sample (the reference code clips for the same reason). z == 0: no noise.
 */
export function posteriorStep(xPrev: usize, xt: usize, eps: usize, z: usize, n: i32, ax0: f32, aeps: f32, bound: f32, cx0: f32, cxt: f32,
  sigma: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const a = f32x4.splat(ax0), e = f32x4.splat(aeps), hi = f32x4.splat(bound), lo = f32x4.splat(-bound);
    const c0 = f32x4.splat(cx0), ct = f32x4.splat(cxt), sv = f32x4.splat(sigma);
    for (; i + 4 <= n; i += 4) {
      const o = (<usize>i) << 2;
      const x = v128.load(xt + o);
      // pmin/pmax are the plain compare-and-select, bit-identical to the scalar tail's comparisons.
      const x0 = f32x4.pmax(lo, f32x4.pmin(hi, f32x4.add(f32x4.mul(a, x), f32x4.mul(e, v128.load(eps + o)))));
      let v = f32x4.add(f32x4.mul(c0, x0), f32x4.mul(ct, x));
      if (z != 0) v = f32x4.add(v, f32x4.mul(sv, v128.load(z + o)));
      v128.store(xPrev + o, v);
    }
  }
  // The tail (and the whole array in the scalar build) is the scalar twin on what is left.
  const o = (<usize>i) << 2;
  posteriorStepScalar(xPrev + o, xt + o, eps + o, z != 0 ? z + o : 0, n - i, ax0, aeps, bound, cx0, cxt, sigma);
}

/** Scalar twin and specification of posteriorStep. */
export function posteriorStepScalar(xPrev: usize, xt: usize, eps: usize, z: usize, n: i32, ax0: f32, aeps: f32, bound: f32, cx0: f32,
  cxt: f32, sigma: f32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    const x = load<f32>(xt + o);
    let x0 = ax0 * x + aeps * load<f32>(eps + o);
    x0 = x0 < bound ? x0 : bound; // f32x4.pmin(hi, x0), NaN included
    x0 = -bound < x0 ? x0 : -bound; // f32x4.pmax(lo, x0)
    let v = cx0 * x0 + cxt * x;
    if (z != 0) v += sigma * load<f32>(z + o);
    store<f32>(xPrev + o, v);
  }
}

/**
 * out[i, 0:width] = table[idx[i], 0:width]; out: rows of outStride floats (outStride >= width, so a
 * gathered row can land inside a wider concat buffer), table: (rows, width), idx: i32 (n).
 * Used to look up precomputed per-timestep rows (e.g. the time embedding of t) per sample.
 */
export function gatherRows(out: usize, table: usize, idx: usize, n: i32, width: i32, outStride: i32): void {
  for (let i = 0; i < n; i++) {
    const src = table + ((<usize>load<i32>(idx + ((<usize>i) << 2)) * <usize>width) << 2);
    const dst = out + ((<usize>(i * outStride)) << 2);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      for (; k + 4 <= width; k += 4) {
        const o = (<usize>k) << 2;
        v128.store(dst + o, v128.load(src + o));
      }
    }
    for (; k < width; k++) {
      const o = (<usize>k) << 2;
      store<f32>(dst + o, load<f32>(src + o));
    }
  }
}

/** Scalar twin and specification of gatherRows. */
export function gatherRowsScalar(out: usize, table: usize, idx: usize, n: i32, width: i32, outStride: i32): void {
  for (let i = 0; i < n; i++) {
    const row = load<i32>(idx + ((<usize>i) << 2));
    for (let k = 0; k < width; k++) {
      store<f32>(out + ((<usize>(i * outStride + k)) << 2), load<f32>(table + ((<usize>(row * width + k)) << 2)));
    }
  }
}

/** out: (n, width) dense = the first width columns of inp: (n, inStride), inStride >= width. */
export function rowsStrided(out: usize, inp: usize, n: i32, width: i32, inStride: i32): void {
  for (let i = 0; i < n; i++) {
    const src = inp + ((<usize>(i * inStride)) << 2);
    const dst = out + ((<usize>(i * width)) << 2);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      for (; k + 4 <= width; k += 4) {
        const o = (<usize>k) << 2;
        v128.store(dst + o, v128.load(src + o));
      }
    }
    for (; k < width; k++) {
      const o = (<usize>k) << 2;
      store<f32>(dst + o, load<f32>(src + o));
    }
  }
}

/** Scalar twin and specification of rowsStrided. */
export function rowsStridedScalar(out: usize, inp: usize, n: i32, width: i32, inStride: i32): void {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < width; k++) {
      store<f32>(out + ((<usize>(i * width + k)) << 2), load<f32>(inp + ((<usize>(i * inStride + k)) << 2)));
    }
  }
}
