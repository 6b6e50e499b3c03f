/**
 * The noise predictor eps_theta(x_t, t): an MLP over sinusoidal embeddings (tiny-diffusion's model).
 *
 *   inp   = [ emb(x_t[0]*inputScale) | ... | emb(x_t[d-1]*inputScale) | emb(t-1) ]      (n, inDim)
 *   h_0   = act(inp W_inp^T + b_inp)                                                     (n, width)
 *   h_k   = h_{k-1} + act(h_{k-1} W_k^T + b_k),  k = 1..depth   (residual blocks)        (n, width)
 *   eps   = h_depth W_out^T + b_out                                                      (n, outDim)
 *
 * emb(v) = [sin(v f_0) .. sin(v f_{h-1}) | cos(v f_0) .. cos(v f_{h-1})], f_k = 10000^(-k/(h-1)), h = embedSize/2.
 * Without the input embedding the raw coordinates replace the x part of `inp`.
 * Parameter names and [out, in] layouts are PyTorch nn.Linear's: `inp`, `blocks.K`, `out`.
 */
import { UsageError } from '../util/errors';
import type { TensorSpec } from './arena';

export const ACTIVATIONS = ['gelu', 'silu', 'relu'] as const;
/** The hidden layers' activation. */
export type Activation = (typeof ACTIVATIONS)[number];

/** The network eps_theta(x_t, t): an MLP with residual blocks over sinusoidal embeddings of x_t and t. */
export interface ModelConfig {
  dim: number; // data dimension d
  embedSize: number; // sinusoidal embedding size per input coordinate and for t (even)
  width: number;
  depth: number; // residual blocks
  activation: Activation;
  inputEmbedding: boolean;
  inputScale: number; // x is multiplied by this before its embedding (tiny-diffusion: 25)
  /** Also output v per coordinate for a learned variance (Nichol & Dhariwal 2021; src/diffusion/learned-variance.ts). Default false. */
  learnSigma?: boolean;
}

export const DEFAULT_MODEL: ModelConfig = {
  dim: 2,
  embedSize: 128,
  width: 128,
  depth: 3,
  activation: 'gelu',
  inputEmbedding: true,
  inputScale: 25,
};

export function checkModelConfig(c: ModelConfig): void {
  const int = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new UsageError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  int('dim', c.dim, 1, 64);
  int('embedding size', c.embedSize, 2, 4096);
  if (c.embedSize % 2) throw new UsageError(`embedding size must be even, got ${c.embedSize}`);
  int('width', c.width, 1, 4096);
  int('depth', c.depth, 0, 64);
  if (!ACTIVATIONS.includes(c.activation)) {
    throw new UsageError(`unknown activation "${c.activation}"; choose one of ${ACTIVATIONS.join(', ')}`);
  }
  if (!(c.inputScale > 0 && Number.isFinite(c.inputScale))) {
    throw new UsageError(`--input-scale must be a positive number, got ${c.inputScale}`);
  }
}

/** Width of the first layer's input. */
export function inDim(c: ModelConfig): number {
  return (c.inputEmbedding ? c.embedSize * c.dim : c.dim) + c.embedSize;
}

/** Output width: eps for every coordinate, then v for every coordinate when the variance is learned. */
export function outDim(c: ModelConfig): number {
  return c.learnSigma ? 2 * c.dim : c.dim;
}

/** Parameters in slab order (the order of the flat optimiser slab and of nothing else: files are keyed by name). */
export function paramSpecs(c: ModelConfig): TensorSpec[] {
  const specs: TensorSpec[] = [
    { name: 'inp.weight', shape: [c.width, inDim(c)] },
    { name: 'inp.bias', shape: [c.width] },
  ];
  for (let k = 0; k < c.depth; k++) {
    specs.push({ name: `blocks.${k}.weight`, shape: [c.width, c.width] }, { name: `blocks.${k}.bias`, shape: [c.width] });
  }
  specs.push({ name: 'out.weight', shape: [outDim(c), c.width] }, { name: 'out.bias', shape: [outDim(c)] });
  return specs;
}

export function parameterCount(c: ModelConfig): number {
  return paramSpecs(c).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
}

/** Frequencies f_k of the sinusoidal embedding, in float64 then rounded once. */
export function embeddingFrequencies(embedSize: number): Float32Array {
  const half = embedSize / 2;
  const f = new Float32Array(half);
  const step = half > 1 ? Math.log(10000) / (half - 1) : 0;
  for (let k = 0; k < half; k++) f[k] = Math.exp(-step * k);
  return f;
}
