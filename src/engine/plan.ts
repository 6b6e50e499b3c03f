/**
 * The engine's memory plan as a pure function of its sizes: every slab and tensor an Engine needs for a model, a
 * chunk of `rows` rows, T timesteps, `lanes` threads and `nData` training points, in the order they are laid
 * out. Sizes are known before anything is allocated (as llm.c computes its sizes before it allocates); arena.ts
 * turns the list into 16-byte-aligned offsets and views, once. What each tensor holds is engine.ts's business.
 */
import type { SlabSpec, TensorSpec } from './arena';
import { type ModelConfig, inDim, outDim, paramSpecs } from './model';

/**
 * The slabs of an engine, in memory order: parameters, their gradients, Adam's moments and the EMA (one layout);
 * per-t tables; the training points; RNG states; a batch; sampling's split first layer; activations, t-shares and
 * activation gradients for `rows` rows; the input VJP's buffers; then, per extra lane, its own gradients,
 * activations and t-share for ceil(rows / lanes) rows.
 */
export function planEngine(c: ModelConfig, rows: number, T: number, lanes: number, nData: number): SlabSpec[] {
  const d = c.dim, R = rows, H = c.width, nIn = inDim(c), nOut = outDim(c), params = paramSpecs(c);
  // Per layer k: h_k (the activation, the next layer's input) and d_k = act'(pre-activation), stored by the fused
  // forward (linearForwardAct) so the backward multiplies instead of recomputing the activation.
  // inp holds the x-columns of the first layer's input only: the t-columns go through timeBiasForward (tShare).
  const xCols = nIn - c.embedSize;
  const acts: TensorSpec[] = [{ name: 'inp', shape: [R, xCols] }, { name: 'd0', shape: [R, H] }, { name: 'h0', shape: [R, H] }];
  const actGrads: TensorSpec[] = [{ name: 'dout', shape: [R, nOut] }, { name: 'dh0', shape: [R, H] }, { name: 'da0', shape: [R, H] }];
  for (let k = 1; k <= c.depth; k++) {
    acts.push({ name: `d${k}`, shape: [R, H] }, { name: `h${k}`, shape: [R, H] });
    actGrads.push({ name: `dh${k}`, shape: [R, H] }, { name: `da${k}`, shape: [R, H] });
  }
  acts.push({ name: 'out', shape: [R, nOut] });
  // Lanes 1.. (worker threads) get their own activations and gradients for their share of the rows.
  const laneRows = Math.ceil(R / lanes);
  // The first layer's t-share per distinct t of a lane's rows (assembly/timebias.ts): seen (T, kept at -1 between
  // calls), the distinct count, uniq and slot, the gathered embeddings, W_t e(t) + b and its gradient.
  const tShare = (n: number): TensorSpec[] => [
    { name: 'seen', shape: [T], dtype: 'i32' }, { name: 'count', shape: [4], dtype: 'i32' },
    { name: 'uniq', shape: [n], dtype: 'i32' }, { name: 'slot', shape: [n], dtype: 'i32' },
    { name: 'embU', shape: [n, c.embedSize] }, { name: 'tb', shape: [n, H] }, { name: 'dtb', shape: [n, H] },
  ];
  const laneSlabs: SlabSpec[] = [];
  const resize = (ts: TensorSpec[]) => ts.map((t) => ({ ...t, shape: [laneRows, ...t.shape.slice(1)] }));
  for (let l = 1; l < lanes; l++) {
    laneSlabs.push({ name: `grads${l}`, tensors: params }, { name: `acts${l}`, tensors: resize(acts) },
      { name: `actGrads${l}`, tensors: resize(actGrads) },
      { name: `tShare${l}`, tensors: tShare(laneRows) });
  }
  return [
    { name: 'params', tensors: params },
    { name: 'grads', tensors: params },
    { name: 'adamM', tensors: params },
    { name: 'adamV', tensors: params },
    { name: 'ema', tensors: params },
    {
      name: 'tables',
      tensors: [
        { name: 'sqrtAlphaBar', shape: [T] },
        { name: 'sqrtOneMinusAlphaBar', shape: [T] },
        { name: 'freqs', shape: [c.embedSize / 2] },
        { name: 'tValues', shape: [T] },
        { name: 'tEmb', shape: [T, c.embedSize] },
        { name: 'identity', shape: [R], dtype: 'i32' },
        // The optimizer step's scalars, written by optimizerStep and read by adamwEmaStep (assembly/adam.ts HP_*).
        { name: 'optimizer', shape: [9] },
        // Each lane's share of the squared gradient norm, one f64 (two f32 slots) per lane (accumulateSumSquaresTo).
        { name: 'normParts', shape: [2 * lanes] },
      ],
    },
    { name: 'data', tensors: [{ name: 'x', shape: [nData, d] }] },
    {
      name: 'rng',
      tensors: [
        { name: 'train', shape: [4], dtype: 'u32' }, { name: 'sample', shape: [4], dtype: 'u32' },
        { name: 'init', shape: [4], dtype: 'u32' },
      ],
    },
    {
      name: 'batch',
      tensors: [
        { name: 'idx', shape: [R], dtype: 'i32' },
        { name: 't', shape: [R], dtype: 'i32' },
        { name: 'x0', shape: [R, d] },
        { name: 'eps', shape: [R, d] },
        { name: 'xt', shape: [R, d] },
        { name: 'xPrev', shape: [R, d] },
        { name: 'z', shape: [R, d] },
        // Per-row loss weights 1 / (T p_t) of importance-sampled t (mseBackwardWeighted).
        { name: 'w', shape: [R] },
      ],
    },
    {
      // Sampling's first layer, split (see sample): contiguous copies of the x- and t-columns of inp.weight
      // of the weights being sampled, and the per-step bias W_t tEmb_t + b shared by every row of a step.
      name: 'split',
      tensors: [
        { name: 'inpX.weight', shape: [H, nIn - c.embedSize] },
        { name: 'inpT.weight', shape: [H, c.embedSize] },
        { name: 'stepBias', shape: [H] },
      ],
    },
    { name: 'acts', tensors: acts },
    { name: 'tShare', tensors: tShare(R) },
    { name: 'actGrads', tensors: actGrads },
    // inputVjp's own buffers: x, its embedding (the x-columns of inp), their gradients.
    {
      name: 'inputGrad',
      tensors: [
        { name: 'x', shape: [R, d] }, { name: 'emb', shape: [R, nIn - c.embedSize] },
        { name: 'dinp', shape: [R, nIn - c.embedSize] }, { name: 'dx', shape: [R, d] },
      ],
    },
    ...laneSlabs,
  ];
}
