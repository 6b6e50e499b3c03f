// Sinusoidal embeddings (Vaswani et al. 2017 sec. 3.5; tiny-diffusion's SinusoidalEmbedding), used for
// the input coordinates (scale 25 in tiny-diffusion) and for the timestep t (the same kernel with d = 1).
// What it is: out = [sin(a_k) for k < half, cos(a_k) for k < half] per scalar input, a_k = scale x freqs[k].
// What it is not: the frequency table (the host computes freqs[k] = exp(-ln(10000) k / (half - 1)) once)
// or the MLP that consumes the embedding.
import { quadrant4, reduce4, sinPoly4, cosPoly4, selectSin4, sin1, cos1 } from "./trig";

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
          const q = i32x4.trunc_sat_f32x4_s(jq);
          v128.store(o + kb, selectSin4(ps, pc, q));
          v128.store(oc + kb, selectSin4(ps, pc, i32x4.add(q, i32x4.splat(1))));
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
