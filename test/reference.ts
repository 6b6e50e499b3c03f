/**
 * A plain float64 TypeScript eps_theta, written from the model's definition (src/engine/model.ts header) and not
 * from the kernels: the oracle that the wasm forward pass and its gradients are checked against.
 */
import type { ModelConfig } from '../src/engine/model';

export type Named = Record<string, { shape: number[]; data: ArrayLike<number> }>;

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));
const relu = (x: number) => Math.max(0, x);
const ACT = { gelu, silu, relu };

function linear(x: number[][], w: { shape: number[]; data: ArrayLike<number> }, b: { data: ArrayLike<number> }): number[][] {
  const [dout, din] = w.shape;
  return x.map((row) => {
    const y = new Array<number>(dout);
    for (let o = 0; o < dout; o++) {
      let s = b.data[o];
      for (let i = 0; i < din; i++) s += row[i] * w.data[o * din + i];
      y[o] = s;
    }
    return y;
  });
}

export function embed(v: number, embedSize: number): number[] {
  const half = embedSize / 2, step = half > 1 ? Math.log(10000) / (half - 1) : 0;
  const out = new Array<number>(embedSize);
  for (let k = 0; k < half; k++) {
    const f = Math.fround(Math.exp(-step * k)); // the host rounds the frequencies to f32 once
    out[k] = Math.sin(v * f);
    out[half + k] = Math.cos(v * f);
  }
  return out;
}

/**
 * eps_theta(x, t) for rows x (n x d) and table indices t (0..T-1). `roundInput` (default true) rounds x * inputScale to
 * f32 as the kernel does; finite differences with respect to x turn it off (the rounding would be their noise).
 */
export function referenceForward(c: ModelConfig, p: Named, x: number[][], t: number[], roundInput = true): number[][] {
  const act = ACT[c.activation];
  const rnd = roundInput ? Math.fround : (v: number) => v;
  const inp = x.map((row, i) => {
    const parts: number[] = [];
    for (const v of row) parts.push(...(c.inputEmbedding ? embed(rnd(v * c.inputScale), c.embedSize) : [v]));
    parts.push(...embed(t[i], c.embedSize));
    return parts;
  });
  let h = linear(inp, p['inp.weight'], p['inp.bias']).map((r) => r.map(act));
  for (let k = 0; k < c.depth; k++) {
    const g = linear(h, p[`blocks.${k}.weight`], p[`blocks.${k}.bias`]).map((r) => r.map(act));
    h = h.map((r, i) => r.map((v, j) => v + g[i][j]));
  }
  return linear(h, p['out.weight'], p['out.bias']);
}

/** mean over all elements of (eps_theta - eps)^2, as F.mse_loss. */
export function referenceLoss(c: ModelConfig, p: Named, x: number[][], t: number[], eps: number[][]): number {
  const y = referenceForward(c, p, x, t);
  let s = 0, n = 0;
  for (let i = 0; i < y.length; i++) for (let j = 0; j < y[i].length; j++, n++) s += (y[i][j] - eps[i][j]) ** 2;
  return s / n;
}

/** (f(w_i + h) - f(w_i - h)) / 2h, with w_i put back afterwards. */
export function centralDiff(w: { [i: number]: number }, i: number, h: number, f: () => number): number {
  const w0 = w[i];
  w[i] = w0 + h;
  const lp = f();
  w[i] = w0 - h;
  const lm = f();
  w[i] = w0;
  return (lp - lm) / (2 * h);
}

/** Mean of xs and its standard error (sample sd / sqrt(n)): the noise a statistical tolerance is derived from. */
export function meanSe(xs: ArrayLike<number>): { mean: number; se: number } {
  const n = xs.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - m) ** 2;
  return { mean: m, se: Math.sqrt(v / (n - 1) / n) };
}

/** max_i |a_i - b_i| / max_i |a_i|: how far b's weights are from a's, relative to a's scale (summation-order checks). */
export function relativeMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let amax = 0, dmax = 0;
  for (let i = 0; i < a.length; i++) {
    amax = Math.max(amax, Math.abs(a[i]));
    dmax = Math.max(dmax, Math.abs(a[i] - b[i]));
  }
  return dmax / amax;
}
