// The update of the few-step reverse solvers (src/diffusion/solvers.ts): DPM-Solver++ multistep in data prediction
// (Lu et al. 2022), its SDE variant, and the churned Heun steps. Each of them is, per element, one linear combination
// of the state, the data prediction just made and up to two kept from earlier steps, and a noise draw.
// What it is not: the coefficients. The host computes them once per step from the schedule (alpha, sigma, lambda).

/**
 * One solver step, elementwise over n values:
 *   D0    = clamp(ax xe + aeps eps, -bound, bound)              (x0_hat = (x - sigma eps) / alpha; stored to d0)
 *   xNext = cx x + c0 D0 + c1 D1 + c2 D2 + cz z
 * bound <= 0: no clamp. The clamp (DPM-Solver++'s thresholding, the same as posteriorStep's) keeps an early step's
 * 1/alpha, large where x_t is nearly all noise, from throwing a point far outside the data.
 * eps == 0: no new prediction (D0 is neither formed nor stored, c0 unused); d1, d2, z == 0 drop their terms.
 * xe is where eps was evaluated: x itself for a multistep update, the predictor's point for a Heun corrector.
 * In place: xNext may alias x or xe, and d0 may alias d1 or d2 (the oldest prediction, overwritten by the newest);
 * every input element is read before the two outputs of that element are written.
 */
export function solverStep(xNext: usize, d0: usize, x: usize, xe: usize, eps: usize, d1: usize, d2: usize, z: usize, n: i32,
  ax: f32, aeps: f32, bound: f32, cx: f32, c0: f32, c1: f32, c2: f32, cz: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const axv = f32x4.splat(ax), aev = f32x4.splat(aeps), cxv = f32x4.splat(cx), c0v = f32x4.splat(c0);
    const c1v = f32x4.splat(c1), c2v = f32x4.splat(c2), czv = f32x4.splat(cz);
    const hi = f32x4.splat(bound), lo = f32x4.splat(-bound), clamp = bound > 0;
    for (; i + 4 <= n; i += 4) {
      const o = (<usize>i) << 2;
      // Same operations in the same order as the scalar twin, so the two agree bit for bit.
      let v = f32x4.mul(cxv, v128.load(x + o));
      let p = f32x4.splat(0);
      if (eps != 0) {
        p = f32x4.add(f32x4.mul(axv, v128.load(xe + o)), f32x4.mul(aev, v128.load(eps + o)));
        // pmin/pmax are the plain compare-and-select, bit-identical to the scalar twin's comparisons.
        if (clamp) p = f32x4.pmax(lo, f32x4.pmin(hi, p));
        v = f32x4.add(v, f32x4.mul(c0v, p));
      }
      if (d1 != 0) v = f32x4.add(v, f32x4.mul(c1v, v128.load(d1 + o)));
      if (d2 != 0) v = f32x4.add(v, f32x4.mul(c2v, v128.load(d2 + o)));
      if (z != 0) v = f32x4.add(v, f32x4.mul(czv, v128.load(z + o)));
      if (eps != 0) v128.store(d0 + o, p);
      v128.store(xNext + o, v);
    }
  }
  // The tail (and the whole array in the scalar build) is the scalar twin on what is left.
  if (i < n) {
    const o = (<usize>i) << 2;
    solverStepScalar(xNext + o, eps != 0 ? d0 + o : 0, x + o, xe + o, eps != 0 ? eps + o : 0, d1 != 0 ? d1 + o : 0, d2 != 0 ? d2 + o : 0,
      z != 0 ? z + o : 0, n - i, ax, aeps, bound, cx, c0, c1, c2, cz);
  }
}

/** Scalar twin and specification of solverStep. */
export function solverStepScalar(xNext: usize, d0: usize, x: usize, xe: usize, eps: usize, d1: usize, d2: usize, z: usize, n: i32,
  ax: f32, aeps: f32, bound: f32, cx: f32, c0: f32, c1: f32, c2: f32, cz: f32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    let v = cx * load<f32>(x + o);
    let p: f32 = 0;
    if (eps != 0) {
      p = ax * load<f32>(xe + o) + aeps * load<f32>(eps + o);
      if (bound > 0) {
        p = p < bound ? p : bound;
        p = -bound < p ? p : -bound;
      }
      v += c0 * p;
    }
    if (d1 != 0) v += c1 * load<f32>(d1 + o);
    if (d2 != 0) v += c2 * load<f32>(d2 + o);
    if (z != 0) v += cz * load<f32>(z + o);
    if (eps != 0) store<f32>(d0 + o, p);
    store<f32>(xNext + o, v);
  }
}
