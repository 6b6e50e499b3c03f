// Sinusoidal embeddings (Vaswani et al. 2017 sec. 3.5; tiny-diffusion's SinusoidalEmbedding), used for
// the input coordinates (scale 25 in tiny-diffusion) and for the timestep t (the same kernel with d = 1).
// What it is: out = [sin(a_k) for k < half, cos(a_k) for k < half] per scalar input, a_k = scale x freqs[k].
// Its backward (below) carries d L / d out back to the scalar inputs: the network's gradient with respect to x_t.
// What it is not: the frequency table (the host computes freqs[k] = exp(-ln(10000) k / (half - 1)) once)
// or the MLP that consumes the embedding.
import { quadrant4, quadrantInt4, nextQuadrant4, reduce4, sinPoly4, cosPoly4, selectSin4, sin1, cos1 } from "./trig";

/**
 * out: (n, outStride) rows; row i holds d blocks of 2*half: block j = [sin(a) (half), cos(a) (half)]
 * x: (n, d); freqs: (half); a = (scale * x[i, j]) * freqs[k].
 * outStride >= d * 2 * half lets the host write the embedding straight into a wider concat buffer.
 */
export function sinusoidalEmbed(out: usize, x: usize, freqs: usize, n: i32, d: i32, half: i32, scale: f32, outStride: i32): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const s = scale * load<f32>(x + ((<usize>(i * d + j)) << 2));
      const o = out + ((<usize>(i * outStride + j * 2 * half)) << 2);
      const oc = o + ((<usize>half) << 2);
      let k = 0;
      if (ASC_FEATURE_SIMD) {
        // Vectorised over k: one reduction and both polynomials serve sin and cos (cos = sin of q + 1).
        const sv = f32x4.splat(s);
        for (; k + 4 <= half; k += 4) {
          const kb = (<usize>k) << 2;
          const a = f32x4.mul(sv, v128.load(freqs + kb));
          const jq = quadrant4(a);
          const r = reduce4(a, jq);
          const ps = sinPoly4(r);
          const pc = cosPoly4(r);
          const q = quadrantInt4(jq);
          v128.store(o + kb, selectSin4(ps, pc, q));
          v128.store(oc + kb, selectSin4(ps, pc, nextQuadrant4(q)));
        }
      }
      for (; k < half; k++) {
        const kb = (<usize>k) << 2;
        const a = s * load<f32>(freqs + kb);
        store<f32>(o + kb, sin1(a));
        store<f32>(oc + kb, cos1(a));
      }
    }
  }
}

/** Scalar twin and specification of sinusoidalEmbed (bit-identical: same trig algorithm, same op order). */
export function sinusoidalEmbedScalar(out: usize, x: usize, freqs: usize, n: i32, d: i32, half: i32, scale: f32, outStride: i32): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const s = scale * load<f32>(x + ((<usize>(i * d + j)) << 2));
      const o = out + ((<usize>(i * outStride + j * 2 * half)) << 2);
      for (let k = 0; k < half; k++) {
        const a = s * load<f32>(freqs + ((<usize>k) << 2));
        store<f32>(o + ((<usize>k) << 2), sin1(a));
        store<f32>(o + ((<usize>(half + k)) << 2), cos1(a));
      }
    }
  }
}

// ------------------------------------------------------------------------------------------ backward

// The partial sum over k in [k0, half) of f_k (dy_sin_k cos(a_k) - dy_cos_k sin(a_k)) for one scalar input:
// sin(a_k) and cos(a_k) are read back from the forward's output y, so the backward needs no trig.
// The scalar twin is this from k0 = 0; the SIMD kernel adds it for the k its vectors leave over.
@inline function embedBackwardPartial(y: usize, dy: usize, freqs: usize, half: i32, k0: i32): f32 {
  const yc = y + ((<usize>half) << 2), dyc = dy + ((<usize>half) << 2);
  let s: f32 = 0;
  for (let k = k0; k < half; k++) {
    const kb = (<usize>k) << 2;
    s += load<f32>(freqs + kb) * (load<f32>(dy + kb) * load<f32>(yc + kb) - load<f32>(dyc + kb) * load<f32>(y + kb));
  }
  return s;
}

/**
 * Backward of sinusoidalEmbed: dx (n, d) += d L / d x given dy = d L / d out, both (n, outStride) in out's layout.
 * With a = scale x f_k: d sin(a) / dx = scale f_k cos(a), d cos(a) / dx = -scale f_k sin(a), so
 *   dx[i, j] += scale sum_k f_k (dy_sin_k cos(a_k) - dy_cos_k sin(a_k))
 * where sin(a_k), cos(a_k) are the forward's output y (the same buffer the next layer read). Accumulates (+=),
 * like every backward; columns of dy beyond d * 2 * half (a concat buffer's other parts) are not read.
 * The network's gradient with respect to its input x_t (d eps_theta / d x, Engine.inputVjp) goes through this.
 */
export function sinusoidalEmbedBackward(dx: usize, dy: usize, y: usize, freqs: usize, n: i32, d: i32, half: i32, scale: f32,
  outStride: i32): void {
  if (ASC_FEATURE_SIMD) {
    const kv = half & ~3;
    const hb = (<usize>half) << 2;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const off = (<usize>(i * outStride + j * 2 * half)) << 2;
        const ys = y + off, yc = ys + hb, gs = dy + off, gc = gs + hb;
        let acc = f32x4.splat(0);
        for (let k = 0; k < kv; k += 4) {
          const kb = (<usize>k) << 2;
          const t = f32x4.sub(f32x4.mul(v128.load(gs + kb), v128.load(yc + kb)), f32x4.mul(v128.load(gc + kb), v128.load(ys + kb)));
          acc = f32x4.add(acc, f32x4.mul(v128.load(freqs + kb), t));
        }
        const s = ((f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 2)) + (f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 3)))
          + embedBackwardPartial(ys, gs, freqs, half, kv);
        const p = dx + ((<usize>(i * d + j)) << 2);
        store<f32>(p, load<f32>(p) + scale * s);
      }
    }
    return;
  }
  sinusoidalEmbedBackwardScalar(dx, dy, y, freqs, n, d, half, scale, outStride);
}

/** Scalar twin and specification of sinusoidalEmbedBackward (the same sum taken in k order: equal up to f32 rounding). */
export function sinusoidalEmbedBackwardScalar(dx: usize, dy: usize, y: usize, freqs: usize, n: i32, d: i32, half: i32, scale: f32,
  outStride: i32): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const off = (<usize>(i * outStride + j * 2 * half)) << 2;
      const p = dx + ((<usize>(i * d + j)) << 2);
      store<f32>(p, load<f32>(p) + scale * embedBackwardPartial(y + off, dy + off, freqs, half, 0));
    }
  }
}
