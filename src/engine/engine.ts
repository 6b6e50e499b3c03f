/**
 * The engine: one wasm instance, one arena planned once, and the three things done with them:
 * a training step (Ho et al. Algorithm 1), a reverse step (Algorithm 2) and the forward pass both use.
 * Everything here is orchestration: each line below is one kernel call over pointers and counts.
 *
 * Random streams (xoshiro128** in wasm, seeded from the run's seed):
 *   stream 1: weight initialisation, stream 2: training (data order, t, eps), stream 3: sampling.
 * Keeping sampling on its own stream means drawing samples mid-run never changes the training run.
 */
import { Arena, planSlabs } from './arena';
import { planEngine } from './plan';
import { UsageError } from '../util/errors';
import {
  type ModelConfig, checkModelConfig, embeddingFrequencies, inDim, outDim, paramSpecs,
} from './model';
import { type Schedule, type VarianceName, ddpmCoefficients } from '../schedule/schedule';
import { type Program, ThreadPool, recordCalls, threadsAvailable } from './threads';
import { LossSecondMoment, type TSampling, stratifiedT } from './t-sampling';
import { compileKernels, type Flavor, instantiateKernels, type Kernels, relaxedSimdSupported, type WasmSource } from './wasm';

export const STREAM_INIT = 1;
export const STREAM_TRAIN = 2;
export const STREAM_SAMPLE = 3;

export interface AdamConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clipping threshold; 0 disables. */
  clip: number;
  emaDecay: number;
}

export const DEFAULT_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clip: 1, emaDecay: 0.999 };

export interface EngineOptions {
  model: ModelConfig;
  schedule: Schedule;
  /** Standardised training points (n x dim); omit for a sampling-only engine. */
  data?: Float32Array;
  /** Rows processed at once: the training batch, and the chunk size of sampling. */
  rows: number;
  seed: number;
  adam?: AdamConfig;
  wasm?: WasmSource;
  flavor?: 'simd' | 'scalar';
  /**
   * Opt in to the relaxed-SIMD build (fused multiply-add in the matmuls, src/engine/wasm.ts) when this runtime has relaxed
   * SIMD; otherwise the plain SIMD build. Faster, but its results may differ between machines (and from the plain
   * build), unlike the default build's. Ignored with `wasm` or `flavor: 'scalar'`. Default false.
   */
  fma?: boolean;
  /**
   * Threads sharing the work of a step (data-parallel over the batch's rows; over the points when sampling).
   * Needs SharedArrayBuffer and a thread allowed to block (Node, a browser Worker of a cross-origin-isolated
   * page); elsewhere the engine quietly uses one. Default 1.
   */
  threads?: number;
  /** How a training batch's t are drawn (src/engine/t-sampling.ts); default 'uniform' (Algorithm 1). */
  tSampling?: TSampling;
  /** 'importance': the share of uniform probability mixed into p_t (src/engine/t-sampling.ts; default 0.001). */
  importanceMix?: number;
  /**
   * Min-SNR-gamma (Hang et al. 2023), opt-in, another objective: each row's squared error weighted by
   * min(SNR_t, gamma) / SNR_t, SNR_t = abar_t / (1 - abar_t) (their weight for eps-prediction). 0 or unset: off.
   */
  minSnr?: number;
}

export interface SampleCall {
  variance: VarianceName;
  /** 'ema' (default) or the raw training weights. */
  weights?: 'params' | 'ema';
  /** Bound on the predicted x_0 in standardised units; 0: plain Algorithm 2. */
  clip?: number;
  /** Positions after each step: a view into wasm memory, valid during the call (copy what you keep). */
  onStep?: (i: number, x: Float32Array, offset: number) => void;
  onChunk?: (done: number) => void;
}

export interface StepStats {
  loss: number;
  gradNorm: number;
}

/** assembly/activation.ts's ACT_* codes, what the fused layer kernels take. */
const ACT_CODES: Record<ModelConfig['activation'], number> = { gelu: 1, silu: 2, relu: 3 };

/**
 * One reverse step of Algorithm 2 over nd floats at table index i, as one kernel call: x_{t-1} from x_t and eps, noise
 * from `z` when sigma_t > 0; with clip > 0 through the predicted x_0 clamped to [-clip, clip] (posteriorStep). The
 * engine's sampling and the solvers' Algorithm 2 steps (src/diffusion/solvers.ts) both take it.
 */
export function algorithm2Step(
  k: Kernels, s: Schedule, xNext: number, x: number, eps: number, z: number, nd: number, i: number, variance: VarianceName, clip: number,
): void {
  const { cx, ceps, sigma } = ddpmCoefficients(s, i, variance);
  const zp = sigma > 0 ? z : 0;
  if (clip > 0) {
    const ab = s.alphaBar[i];
    k.posteriorStep(xNext, x, eps, zp, nd, 1 / Math.sqrt(ab), -Math.sqrt(1 / ab - 1), clip, s.posteriorMeanCoefX0[i],
      s.posteriorMeanCoefXt[i], sigma);
  } else k.reverseStep(xNext, x, eps, zp, nd, cx, ceps, sigma);
}

/** Rows [r0, r0 + n) of a batch, handled by one lane (thread). */
interface Part {
  lane: number;
  r0: number;
  n: number;
}

export class Engine {
  /** The kernels (swapped for a recording proxy while worker programs are recorded). */
  k: Kernels;
  readonly arena: Arena;
  readonly model: ModelConfig;
  /** The noise schedule; setSchedule swaps it (a learned schedule moves while the network trains). */
  schedule: Schedule;
  readonly rows: number;
  readonly nData: number;
  readonly adam: AdamConfig;
  readonly seed: number;
  readonly paramCount: number; // floats in the parameter slab, padding included
  /** Optimiser steps taken (Adam's t). */
  step = 0;
  /** Running the relaxed-SIMD (FMA) build (EngineOptions.fma, where supported). */
  fma = false;
  /** Every lane's gradient slab is zero (true at the start and after optimizerStep): lossAndGrad need not zero them. */
  private gradsZero = true;
  /** Squared gradient norm found while folding the lanes' gradients (lossAndGrad), or -1: optimizerStep computes it. */
  private gradNorm2 = -1;
  /** Threads working on a step: this one (lane 0) and pool.size workers. */
  readonly lanes: number;
  private pool?: ThreadPool;
  private programKey = '';
  /** Lanes sharing the optimizer (the parameter ranges of paramRange) while the workers hold the training programs; 0 otherwise. */
  private optimizerLanes = 0;
  /** tables/normParts as f64: each lane's share of the squared gradient norm (foldRange writes, lossAndGrad sums). */
  private readonly normParts: Float64Array;
  private readonly act: number;
  /** How drawBatch draws t; with 'importance', the per-t loss history it draws from (checkpoints hold it). */
  readonly tSampling: TSampling;
  readonly minSnr: number;
  readonly tHistory?: LossSecondMoment;
  /** Importance-sampled t: the batch's uniforms, one buffer for every step. */
  private readonly tUniforms?: Float64Array;
  private readonly inDim: number;
  private readonly outDim: number;

  static async create(o: EngineOptions): Promise<Engine> {
    const want = Math.max(1, Math.floor(o.threads ?? 1));
    // A caller-supplied module is one build; threads need the shared-memory build, so they come with the embedded one.
    const lanes = want > 1 && threadsAvailable() && o.wasm === undefined ? want : 1;
    const relaxed = !!o.fma && o.wasm === undefined && o.flavor !== 'scalar' && relaxedSimdSupported();
    const flavor: Flavor | undefined = lanes > 1 ? (relaxed ? 'threads-relaxed' : 'threads') : relaxed ? 'relaxed' : o.flavor;
    const module = await compileKernels(o.wasm, flavor);
    const memory = lanes > 1 ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) : undefined;
    const e = new Engine(module, o, memory, lanes);
    e.fma = relaxed;
    if (lanes > 1) {
      const names = WebAssembly.Module.exports(module).filter((x) => x.kind === 'function').map((x) => x.name);
      e.pool = await ThreadPool.create(module, e.arena.memory, lanes - 1, names);
    }
    return e;
  }

  /** The worker pool's profile hooks (bench/bench.mjs profile); undefined on one thread. */
  get threadPool(): ThreadPool | undefined {
    return this.pool;
  }

  /** Stop the worker threads (if any). The engine keeps working on one thread. */
  close(): void {
    this.pool?.close();
    this.pool = undefined;
    this.programKey = '';
  }

  constructor(module: WebAssembly.Module, o: EngineOptions, memory?: WebAssembly.Memory, lanes = 1) {
    checkModelConfig(o.model);
    if (!Number.isInteger(o.rows) || o.rows < 1 || o.rows > 1 << 20) {
      throw new UsageError(`batch must be an integer in [1, 1048576], got ${o.rows}`);
    }
    this.model = o.model;
    this.schedule = o.schedule;
    this.rows = o.rows;
    this.seed = o.seed;
    this.adam = o.adam ?? DEFAULT_ADAM;
    this.tSampling = o.tSampling ?? 'uniform';
    this.minSnr = o.minSnr ?? 0;
    if (this.tSampling === 'importance') {
      this.tHistory = new LossSecondMoment(o.schedule.T, o.importanceMix);
      this.tUniforms = new Float64Array(o.rows);
    }
    const c = o.model, d = c.dim, R = o.rows, T = o.schedule.T;
    this.inDim = inDim(c);
    this.outDim = outDim(c);
    if (o.data && o.data.length % d) throw new Error('data length is not a multiple of dim');
    this.nData = o.data ? o.data.length / d : 0;
    this.lanes = lanes;

    // The stub runtime keeps its static data below __heap_base; the arena starts above it.
    memory ??= new WebAssembly.Memory({ initial: 1 });
    this.k = instantiateKernels(module, memory);
    const plan = planSlabs(this.k.heapBase(), planEngine(c, R, T, lanes, this.nData));
    this.arena = new Arena(memory, plan);
    this.paramCount = this.arena.slabLength('params');
    // The memory never grows after this plan, so the view stays valid.
    this.normParts = new Float64Array(memory.buffer, this.arena.ptr('tables', 'normParts'), lanes);
    this.act = ACT_CODES[c.activation];

    const a = this.arena;
    this.setSchedule(o.schedule);
    a.f32('tables', 'freqs').set(embeddingFrequencies(c.embedSize));
    const tv = a.f32('tables', 'tValues');
    for (let i = 0; i < T; i++) tv[i] = i;
    // The time embedding depends only on t: one table of T rows, gathered per batch.
    this.k.sinusoidalEmbed(a.ptr('tables', 'tEmb'), a.ptr('tables', 'tValues'), a.ptr('tables', 'freqs'), T, 1, c.embedSize / 2, 1,
      c.embedSize);
    const id = a.t('tables', 'identity').view as Int32Array;
    for (let i = 0; i < R; i++) id[i] = i;
    if (o.data) a.f32('data', 'x').set(o.data);
    for (let l = 0; l < lanes; l++) (a.t(this.slab('tShare', l), 'seen').view as Int32Array).fill(-1);

    this.k.rngSeed(a.ptr('rng', 'init'), BigInt(o.seed), STREAM_INIT);
    this.k.rngSeed(a.ptr('rng', 'train'), BigInt(o.seed), STREAM_TRAIN);
    this.k.rngSeed(a.ptr('rng', 'sample'), BigInt(o.seed), STREAM_SAMPLE);
    this.initParams();
  }

  /** Use schedule `s` (same T) from now on: the qSample tables in wasm memory are rewritten; everything else reads this.schedule. */
  setSchedule(s: Schedule): void {
    if (s.T !== this.arena.t('tables', 'sqrtAlphaBar').size) throw new Error(`setSchedule: T ${s.T} does not match the engine's tables`);
    this.schedule = s;
    this.programKey = ''; // recorded sampling programs hold the old schedule's coefficients
    this.arena.f32('tables', 'sqrtAlphaBar').set(s.sqrtAlphaBar);
    this.arena.f32('tables', 'sqrtOneMinusAlphaBar').set(s.sqrtOneMinusAlphaBar);
  }

  /** PyTorch nn.Linear's default: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). EMA starts equal. */
  initParams(): void {
    const a = this.arena, rng = a.ptr('rng', 'init');
    for (const s of paramSpecs(this.model)) {
      const t = a.t('params', s.name);
      const fanIn = s.name.endsWith('.bias') ? a.t('params', s.name.replace('.bias', '.weight')).shape[1] : s.shape[1];
      const bound = 1 / Math.sqrt(fanIn);
      this.k.rngUniformRange(t.offset, t.size, -bound, bound, rng);
    }
    a.slabView('ema').set(a.slabView('params'));
    a.zero('adamM');
    a.zero('adamV');
    this.step = 0;
  }

  /** Pointer of parameter `name` inside slab `slab` ('params', 'ema', 'grads', ...). */
  p(slab: string, name: string): number {
    return this.arena.ptr(slab, name);
  }

  /** Slab names of a lane: lane 0 (this thread) uses the plain names. */
  private slab(name: 'acts' | 'actGrads' | 'grads' | 'tShare', lane: number): string {
    return lane === 0 ? name : `${name}${lane}`;
  }

  /**
   * eps_theta(x, t) for n rows: x at pointer `x` (n, dim), table indices at batch/t + tRow; result in the lane's
   * acts/out. `weights` picks the parameter slab: 'params' while training, 'ema' for sampling.
   */
  forward(n: number, x: number, weights: 'params' | 'ema' = 'params', lane = 0, tRow = 0): void {
    const k = this.k, a = this.arena, c = this.model, H = c.width, E = c.embedSize, d = c.dim, A = this.slab('acts', lane);
    const inp = a.ptr(A, 'inp'), xCols = this.inDim - E, S = this.slab('tShare', lane), ts = (name: string) => a.ptr(S, name);
    if (c.inputEmbedding) k.sinusoidalEmbed(inp, x, a.ptr('tables', 'freqs'), n, d, E / 2, c.inputScale, xCols);
    else k.gatherRows(inp, x, a.ptr('tables', 'identity'), n, d, xCols);
    // a0 = emb(x) W_x^T + (W_t e(t) + b): the bracket once per distinct t of these rows, gathered in the matmul's store.
    const w = this.p(weights, 'inp.weight');
    k.timeBiasForward(ts('tb'), ts('embU'), ts('uniq'), ts('slot'), ts('count'), a.ptr('batch', 't') + 4 * tRow, n, ts('seen'),
      a.ptr('tables', 'tEmb'), w + 4 * xCols, this.p(weights, 'inp.bias'), E, H, this.inDim);
    k.linearForwardRowBias(a.ptr(A, 'h0'), a.ptr(A, 'd0'), inp, w, ts('tb'), ts('slot'), n, xCols, H, xCols, this.inDim, this.act);
    this.trunk(n, weights, lane, true);
  }

  /**
   * The network after its first layer: from the lane's acts/h0 (n, H) to acts/out (n, outDim). `derivatives`: store
   * each layer's act' (acts/d_k) for a backward pass; sampling skips them.
   */
  private trunk(n: number, weights: 'params' | 'ema', lane: number, derivatives: boolean): void {
    const k = this.k, a = this.arena, c = this.model, H = c.width, A = this.slab('acts', lane);
    for (let b = 1; b <= c.depth; b++) {
      // h_b = h_{b-1} + act(h_{b-1} W_b^T + b_b): bias, activation and residual in the matmul's store.
      const prev = a.ptr(A, `h${b - 1}`);
      k.linearForwardAct(a.ptr(A, `h${b}`), derivatives ? a.ptr(A, `d${b}`) : 0, prev, this.p(weights, `blocks.${b - 1}.weight`),
        this.p(weights, `blocks.${b - 1}.bias`), prev, n, H, H, this.act);
    }
    k.linearForward(a.ptr(A, 'out'), a.ptr(A, `h${c.depth}`), this.p(weights, 'out.weight'), this.p(weights, 'out.bias'), n, H,
      this.outDim);
  }

  /**
   * Gradients of the squared error against `target` into the lane's grads slab (accumulated; the caller zeroes).
   * `scale` is 2 / (elements of the whole batch): lanes holding slices of one batch then sum to its mean's gradient.
   * `weights`: a pointer to n per-row weights (0: none).
   */
  backward(n: number, target: number, lane = 0, scale = 2 / (n * this.outDim), weights = 0): void {
    const k = this.k, a = this.arena, AG = this.slab('actGrads', lane), A = this.slab('acts', lane);
    // weights (a pointer to n f32): each row's squared error weighted, as importance-sampled t needs.
    if (weights) k.mseBackwardWeighted(a.ptr(AG, 'dout'), a.ptr(A, 'out'), target, weights, n, this.outDim, scale);
    else k.mseBackwardScaled(a.ptr(AG, 'dout'), a.ptr(A, 'out'), target, n * this.outDim, scale);
    this.backwardFromDout(n, lane);
  }

  /**
   * The network's backward pass from a dout (n, outDim) already in the lane's actGrads/dout: for losses other than
   * the squared error (the learned-variance objectives of src/diffusion/learned-variance.ts write their own dout).
   */
  backwardFromDout(n: number, lane = 0): void {
    if (lane === 0) {
      this.gradsZero = false;
      this.gradNorm2 = -1;
    }
    const k = this.k, a = this.arena, c = this.model, H = c.width, G = this.slab('grads', lane);
    const AG = this.slab('actGrads', lane), A = this.slab('acts', lane);
    const g = (s: string) => a.ptr(AG, s), act = (s: string) => a.ptr(A, s);
    // Each layer's input gradient and the activation's backward below it come out of one kernel (the fused dx store:
    // da_k = dh_k * d_k); the activation gradients are written, not accumulated, so they need no zeroing.
    const D = c.depth, W = (name: string) => this.p('params', name);
    k.linearBackwardInputAct(g(`dh${D}`), g(`da${D}`), g('dout'), W('out.weight'), 0, act(`d${D}`), n, H, this.outDim);
    k.linearBackward(0, this.p(G, 'out.weight'), this.p(G, 'out.bias'), g('dout'), act(`h${D}`), W('out.weight'), n, H, this.outDim);
    for (let b = D; b >= 1; b--) {
      // h_b = h_{b-1} + act(a_b): the residual passes dh_b through unchanged (dx's starting value), the branch goes
      // through the linear layer; then da_{b-1} = dh_{b-1} * act'(a_{b-1}) in the same store.
      const w = `blocks.${b - 1}.weight`;
      k.linearBackwardInputAct(g(`dh${b - 1}`), g(`da${b - 1}`), g(`da${b}`), W(w), g(`dh${b}`), act(`d${b - 1}`), n, H, H);
      k.linearBackward(0, this.p(G, w), this.p(G, `blocks.${b - 1}.bias`), g(`da${b}`), act(`h${b - 1}`), W(w), n, H, H);
    }
    // The embeddings are fixed functions of x_t and t: no gradient is needed for the network's input. The first layer's
    // weight gradient in its two column blocks: x-columns per row, t-columns per distinct t (timeBiasBackward).
    const E = c.embedSize, xCols = this.inDim - E, S = this.slab('tShare', lane), ts = (name: string) => a.ptr(S, name);
    const dw = this.p(G, 'inp.weight');
    k.linearBackwardWeight(dw, 0, g('da0'), act('inp'), n, xCols, H, xCols, this.inDim);
    k.timeBiasBackward(dw + 4 * xCols, this.p(G, 'inp.bias'), ts('dtb'), g('da0'), ts('slot'), ts('count'), n, ts('embU'), E, H,
      this.inDim);
  }

  /** The rows of an n-row batch, split over the lanes in contiguous, fixed slices (so results do not depend on timing). */
  private parts(n: number): Part[] {
    const per = Math.ceil(n / this.lanes), out: Part[] = [];
    for (let l = 0, r0 = 0; l < this.lanes && r0 < n; l++, r0 += per) out.push({ lane: l, r0, n: Math.min(per, n - r0) });
    return out;
  }

  /** Record each worker lane's share of `work` (a function of a part) as a program: calls, not results. */
  private recordPrograms(ids: number, work: (part: Part, id: number) => void, parts: Part[]): Program[][] {
    const real = this.k, rec = recordCalls(real);
    const programs: Program[][] = Array.from({ length: this.lanes - 1 }, () => []);
    this.k = rec.k;
    try {
      for (let id = 0; id < ids; id++) {
        for (const part of parts.slice(1)) {
          work(part, id);
          programs[part.lane - 1][id] = rec.take();
        }
        for (let l = parts.length; l < this.lanes; l++) programs[l - 1][id] = [];
      }
    } finally {
      this.k = real;
    }
    return programs;
  }

  /** Make sure the workers hold the programs for `key`, recording and loading them when it changed. */
  private ensurePrograms(key: string, ids: number, work: (part: Part, id: number) => void, parts: Part[]): void {
    if (this.programKey === key) return;
    this.pool!.load(this.recordPrograms(ids, work, parts));
    this.programKey = key;
    this.optimizerLanes = 0;
  }

  /**
   * Lane `lane`'s range [begin, end) of the P parameter floats when `count` lanes share the per-parameter work (the
   * gradients' fold, AdamW and the EMA): contiguous, cut at multiples of 16 floats (a cache line) so no two lanes
   * write the same line.
   */
  private paramRange(lane: number, count: number): [number, number] {
    const P = this.paramCount, per = Math.ceil(P / count / 16) * 16;
    return [Math.min(P, lane * per), Math.min(P, (lane + 1) * per)];
  }

  /**
   * Fold every worker lane's gradients into lane 0's slab over `lane`'s parameter range, in lane order (so each float
   * is summed exactly as a single fold over all P would), zeroing the worker slabs; the range's squared norm goes to
   * tables/normParts[lane].
   */
  private foldRange(lane: number, count: number): void {
    const a = this.arena, [b, e] = this.paramRange(lane, count), out = a.ptr('tables', 'normParts') + 8 * lane;
    for (let l = 1; l < count; l++) {
      this.k.accumulateSumSquaresTo(a.slabPtr('grads') + 4 * b, a.slabPtr(this.slab('grads', l)) + 4 * b, e - b, out);
    }
  }

  /** adamwEmaStep over `lane`'s parameter range (the hyperparameters are already in tables/optimizer). */
  private optimizerRange(lane: number, count: number): void {
    const a = this.arena, [b, e] = this.paramRange(lane, count), at = (slab: string) => a.slabPtr(slab) + 4 * b;
    this.k.adamwEmaStep(at('params'), at('grads'), at('adamM'), at('adamV'), at('ema'), e - b, a.ptr('tables', 'optimizer'));
  }

  /**
   * Streamed training data: when set, each batch's x_0 rows (standardised, n x d) come from this function of the
   * step about to be taken instead of from the data slab. It must be a pure function of (n, step) for runs to be
   * seeded and resumable bit for bit (the Diffusion class draws them from the generator on a per-step stream).
   */
  streamBatch?: (n: number, step: number) => Float32Array;

  /** Draw a training batch (Algorithm 1, lines 2-4): x_0 from the data, t uniform, eps ~ N(0, I), x_t = q_sample. */
  drawBatch(n: number): void {
    const k = this.k, a = this.arena, rng = a.ptr('rng', 'train'), d = this.model.dim;
    if (this.streamBatch) {
      a.f32('batch', 'x0').set(this.streamBatch(n, this.step).subarray(0, n * d));
    } else {
      if (this.nData === 0) throw new UsageError('this engine has no training data');
      k.rngIntBelow(a.ptr('batch', 'idx'), n, this.nData, rng);
      k.gatherRows(a.ptr('batch', 'x0'), a.ptr('data', 'x'), a.ptr('batch', 'idx'), n, d, d);
    }
    this.drawT(n, rng);
    if (this.minSnr > 0) this.drawWeights(n);
    k.rngNormal(a.ptr('batch', 'eps'), n * d, rng);
    k.qSample(a.ptr('batch', 'xt'), a.ptr('batch', 'x0'), a.ptr('batch', 'eps'), a.ptr('batch', 't'),
      a.ptr('tables', 'sqrtAlphaBar'), a.ptr('tables', 'sqrtOneMinusAlphaBar'), n, d);
  }

  /**
   * The batch's table indices t - 1 into batch/t, on the training stream (src/engine/t-sampling.ts): uniform in wasm;
   * stratified from one offset; importance-sampled from n uniforms, with the weights 1 / (T p_t) into batch/w.
   */
  private drawT(n: number, rng: number): void {
    const k = this.k, a = this.arena, T = this.schedule.T, tp = a.ptr('batch', 't');
    if (this.tSampling === 'uniform') return k.rngIntBelow(tp, n, T, rng);
    const t = a.t('batch', 't').view as Int32Array;
    if (this.tSampling === 'stratified') {
      k.rngIntBelow(tp, 1, T, rng);
      return stratifiedT(t, n, T, t[0]);
    }
    const U = 2 ** 30;
    k.rngIntBelow(tp, n, U, rng);
    const u = this.tUniforms!;
    for (let i = 0; i < n; i++) u[i] = (t[i] + 0.5) / U;
    this.tHistory!.draw(t, a.f32('batch', 'w'), u, n);
  }

  /** Rows' weights into batch/w: importance's 1 / (T p_t) (1 otherwise) times min-SNR-gamma's min(SNR_t, gamma) / SNR_t. */
  private drawWeights(n: number): void {
    const w = this.arena.f32('batch', 'w'), t = this.arena.t('batch', 't').view as Int32Array, ab = this.schedule.alphaBar;
    if (this.tSampling !== 'importance') w.fill(1, 0, n);
    for (let i = 0; i < n; i++) {
      const snr = ab[t[i]] / (1 - ab[t[i]]);
      w[i] *= Math.min(snr, this.minSnr) / snr;
    }
  }

  /** Loss and gradients of the simplified objective on the current batch, without updating weights. */
  lossAndGrad(n: number): number {
    if (this.model.learnSigma) {
      throw new UsageError(
        'a learned-variance model trains with src/diffusion/learned-variance.ts (learnedTrainStep), not the L_simple step',
      );
    }
    const a = this.arena, d = this.model.dim, scale = 2 / (n * this.outDim);
    const weighted = this.tSampling === 'importance' || this.minSnr > 0;
    const share = (p: Part) => {
      this.forward(p.n, a.ptr('batch', 'xt') + 4 * p.r0 * d, 'params', p.lane, p.r0);
      this.backward(p.n, a.ptr('batch', 'eps') + 4 * p.r0 * d, p.lane, scale, weighted ? a.ptr('batch', 'w') + 4 * p.r0 : 0);
    };
    const parts = this.parts(n);
    // The gradient slabs are zero after an optimizer step (adamwEmaStep and accumulateSumSquares leave them so);
    // zero them here only when something else wrote them since.
    if (!this.gradsZero) for (let l = 0; l < this.lanes; l++) a.zero(this.slab('grads', l));
    this.gradsZero = false;
    for (const p of parts) {
      // mseBackwardScaled accumulates into dout; the other activation gradients are written by the fused backward.
      a.f32(this.slab('actGrads', p.lane), 'dout').fill(0, 0, p.n * this.outDim);
    }
    this.gradNorm2 = -1;
    const L = parts.length;
    if (this.pool && L > 1) {
      // Three programs, each a barrier: the lanes' forward and backward passes on their rows; then each lane folds the
      // lanes' gradients over its own range of the parameters (in a fixed order: the same thread count gives the same
      // bits every run), with that range's squared norm; optimizerStep's AdamW + EMA is the third, over the same ranges.
      const work = (p: Part, id: number) => (id === 0 ? share(p) : id === 1 ? this.foldRange(p.lane, L) : this.optimizerRange(p.lane, L));
      this.ensurePrograms(`train:${n}`, 3, work, parts);
      this.optimizerLanes = L;
      this.pool.run(0, () => share(parts[0]));
      this.pool.run(1, () => this.foldRange(0, L));
      this.gradNorm2 = 0;
      for (let l = 0; l < L; l++) this.gradNorm2 += this.normParts[l];
    } else share(parts[0]);
    if (weighted) return this.weightedLoss(n, parts);
    let loss = 0;
    for (const p of parts) {
      const l = this.k.mseForward(a.ptr(this.slab('acts', p.lane), 'out'), a.ptr('batch', 'eps') + 4 * p.r0 * d, p.n * d);
      loss += parts.length === 1 ? l : (l * p.n) / n;
    }
    return loss;
  }

  /**
   * Weighted rows: the batch's loss (1/n) sum_i w_i L_i, where L_i is row i's mean squared error: with importance t
   * alone an unbiased estimate of the uniform objective, with min-SNR-gamma its own. With importance t each L_i goes
   * into its t's history (unweighted, as p_t is of L_t).
   */
  private weightedLoss(n: number, parts: Part[]): number {
    const a = this.arena, d = this.model.dim, o = this.outDim, h = this.tHistory;
    const eps = a.f32('batch', 'eps'), w = a.f32('batch', 'w'), t = a.t('batch', 't').view as Int32Array;
    let loss = 0;
    for (const p of parts) {
      const out = a.f32(this.slab('acts', p.lane), 'out');
      for (let i = 0; i < p.n; i++) {
        let li = 0;
        for (let j = 0; j < d; j++) li += (out[i * o + j] - eps[(p.r0 + i) * d + j]) ** 2;
        li /= d;
        loss += w[p.r0 + i] * li;
        h?.add(t[p.r0 + i], li);
      }
    }
    return loss / n;
  }

  /** One step of Algorithm 1 with AdamW at learning rate `lr`, then the EMA update. */
  trainStep(lr: number, n: number = this.rows): StepStats {
    this.drawBatch(n);
    const loss = this.lossAndGrad(n);
    return { loss, gradNorm: this.optimizerStep(lr) };
  }

  /**
   * AdamW on the gradients in the grads slab (clipped to the global norm `adam.clip`), then the EMA update.
   * Returns the gradient norm before clipping. Any objective that fills the grads slab can use it.
   */
  optimizerStep(lr: number): number {
    const k = this.k, a = this.arena, o = this.adam;
    const P = this.paramCount, grads = a.slabPtr('grads');
    // lossAndGrad's fold of the worker lanes already summed the squares; one lane (or another objective): one pass.
    const gradNorm = Math.sqrt(this.gradNorm2 >= 0 ? this.gradNorm2 : k.sumSquares(grads, P));
    this.gradNorm2 = -1;
    const gradScale = o.clip > 0 && gradNorm > o.clip ? o.clip / gradNorm : 1;
    this.step++;
    const bc1 = 1 - o.beta1 ** this.step, bc2 = 1 - o.beta2 ** this.step;
    // EMA warm-up (decay grows from 0.1 towards emaDecay) so early weights do not linger in the average.
    const decay = Math.min(o.emaDecay, (1 + this.step) / (10 + this.step));
    a.f32('tables', 'optimizer').set([lr, o.beta1, o.beta2, o.eps, o.weightDecay, gradScale, lr / bc1, 1 / Math.sqrt(bc2), decay]);
    // AdamW, the EMA and zeroing the gradients for the next step: one pass (adamwEmaStep), split over the lanes' parameter
    // ranges while the workers hold the training programs (elementwise, so the bits do not depend on the split).
    const L = this.optimizerLanes;
    if (this.pool && L > 1) this.pool.run(2, () => this.optimizerRange(0, L));
    else k.adamwEmaStep(a.slabPtr('params'), grads, a.slabPtr('adamM'), a.slabPtr('adamV'), a.slabPtr('ema'), P,
      a.ptr('tables', 'optimizer'));
    // Worker lanes' slabs are written only by lossAndGrad, which folds (and zeroes) them: now every slab is zero.
    this.gradsZero = true;
    return gradNorm;
  }

  /**
   * Algorithm 2 for `count` points, in chunks of `rows`: x_T ~ N(0, I), then T reverse steps with sigma_t^2 = beta_t
   * or beta-tilde_t. With `clip` > 0 each step goes through the predicted x_0 clamped to [-clip, clip]
   * (posteriorStep; identical to Algorithm 2 wherever the clamp does not bite). `onStep(i, x, offset)` sees a view (valid
   * during the call: copy what you keep)
   * of each chunk's positions after each step (i = table index of the x just produced, T for x_T).
   * eps_theta is forward's network with the first layer split (splitFirstLayer): equal to forward() up to float32
   * summation order, not bit for bit.
   */
  sample(count: number, o: SampleCall): Float32Array {
    if (this.model.learnSigma) throw new UsageError('a learned-variance model samples with reverseSample (src/diffusion/samplers.ts)');
    const k = this.k, a = this.arena, d = this.model.dim, T = this.schedule.T, rng = a.ptr('rng', 'sample');
    const weights = o.weights ?? 'ema', clip = o.clip ?? 0;
    const out = new Float32Array(count * d);
    const bufs = [a.ptr('batch', 'xt'), a.ptr('batch', 'xPrev')];
    this.splitFirstLayer(weights);
    // Step i reads x from bufs[(T-1-i) % 2] and writes the other: the pointers are known before the run.
    const step = (p: Part, i: number) => {
      const x = bufs[(T - 1 - i) % 2] + 4 * p.r0 * d, xNext = bufs[(T - i) % 2] + 4 * p.r0 * d;
      this.forwardSplit(p.n, x, weights, p.lane);
      this.reverseStepRows(xNext, x, a.ptr(this.slab('acts', p.lane), 'out'), p.n, i, o.variance, clip, a.ptr('batch', 'z') + 4 * p.r0 * d);
    };
    for (let off = 0; off < count; off += this.rows) {
      const n = Math.min(this.rows, count - off);
      const parts = this.parts(n);
      const threaded = !!this.pool && parts.length > 1;
      if (threaded) this.ensurePrograms(`sample:${n}:${weights}:${clip}:${o.variance}`, T, step, parts);
      k.rngNormal(bufs[0], n * d, rng);
      if (o.onStep) o.onStep(T, new Float32Array(a.memory.buffer, bufs[0], n * d), off);
      for (let i = T - 1; i >= 0; i--) {
        // On this thread before the lanes start: they only read it, and the next step overwrites it only after
        // pool.run has seen every lane finish.
        this.stepBias(i, weights);
        // The noise for all rows is drawn here, in one stream, so results do not depend on the thread count.
        if (ddpmCoefficients(this.schedule, i, o.variance).sigma > 0) k.rngNormal(a.ptr('batch', 'z'), n * d, rng);
        if (threaded) this.pool!.run(i, () => step(parts[0], i));
        else step(parts[0], i);
        if (o.onStep) o.onStep(i, new Float32Array(a.memory.buffer, bufs[(T - i) % 2], n * d), off);
      }
      out.set(new Float32Array(a.memory.buffer, bufs[T % 2], n * d), off * d);
      o.onChunk?.(off + n);
    }
    return out;
  }

  /**
   * Every row of a reverse step has the same t, so the first layer splits along inp's columns:
   *   a0 = [emb(x) | tEmb_t] W^T + b = emb(x) W_x^T + (W_t tEmb_t + b)
   * and the bracket is one matrix-vector product per step (split/stepBias) instead of E of the inDim columns of
   * every row's product (a third of the first layer's work at the defaults). The kernels take dense (out, in) weights,
   * so this copies W_x (H, inDim - E) and W_t (H, E) of slab `weights` out of inp.weight (H, inDim), whose rows hold
   * both. Called at the start of each sample(): the weights may have moved since the last.
   */
  splitFirstLayer(weights: 'params' | 'ema'): void {
    const a = this.arena, E = this.model.embedSize, H = this.model.width, xCols = this.inDim - E, w = this.p(weights, 'inp.weight');
    this.k.rowsStrided(a.ptr('split', 'inpX.weight'), w, H, xCols, this.inDim);
    this.k.rowsStrided(a.ptr('split', 'inpT.weight'), w + 4 * xCols, H, E, this.inDim);
  }

  /**
   * eps_theta (acts/out, lane 0) for n rows that all sit at table index i, through the split first layer: what a
   * reverse step outside sample() calls (src/diffusion/samplers.ts), after splitFirstLayer(weights) once per run.
   */
  forwardAtStep(n: number, x: number, i: number, weights: 'params' | 'ema' = 'ema'): void {
    this.stepBias(i, weights);
    this.forwardSplit(n, x, weights, 0);
  }

  /**
   * eps_theta at table index i for n rows of x, written densely to out (n, dim), every lane on its own slice of the
   * rows as in sample(): the network evaluation of the solvers' steps (src/diffusion/solvers.ts). Each row's output
   * does not depend on which rows share its tile, so the bits do not depend on the thread count. x must be one of
   * `xs`, the caller's fixed buffers: the lanes' calls are recorded once per buffer. After splitFirstLayer(weights).
   */
  epsAtStep(out: number, x: number, xs: readonly number[], n: number, i: number, weights: 'params' | 'ema' = 'ema'): void {
    const a = this.arena, d = this.model.dim, id = xs.indexOf(x);
    if (id < 0) throw new Error(`epsAtStep: x (${x}) is not one of the ${xs.length} buffers it was given`);
    const work = (p: Part, b: number) => {
      this.forwardSplit(p.n, xs[b] + 4 * p.r0 * d, weights, p.lane);
      this.k.rowsStrided(out + 4 * p.r0 * d, a.ptr(this.slab('acts', p.lane), 'out'), p.n, d, this.outDim);
    };
    this.stepBias(i, weights);
    const parts = this.parts(n);
    if (this.pool && parts.length > 1) {
      this.ensurePrograms(`eps:${n}:${weights}:${out}:${xs.join(',')}`, xs.length, work, parts);
      this.pool.run(id, () => work(parts[0], id));
    } else work(parts[0], id);
  }

  /** split/stepBias = W_t tEmb_t + b for table index i: the first layer's share of a step that every row has. */
  private stepBias(i: number, weights: 'params' | 'ema'): void {
    const a = this.arena, E = this.model.embedSize;
    this.k.linearForward(a.ptr('split', 'stepBias'), a.ptr('tables', 'tEmb') + 4 * i * E, a.ptr('split', 'inpT.weight'),
      this.p(weights, 'inp.bias'), 1, E, this.model.width);
  }

  /** forward() for n rows of one reverse step, through the split first layer (split/stepBias holds the step's bias). */
  private forwardSplit(n: number, x: number, weights: 'params' | 'ema', lane: number, derivatives = false): void {
    const k = this.k, a = this.arena, c = this.model, E = c.embedSize, A = this.slab('acts', lane), xCols = this.inDim - E;
    // The x-columns of inp, rows of xCols (without an input embedding they are x itself).
    let inp = x;
    if (c.inputEmbedding) {
      inp = a.ptr(A, 'inp');
      k.sinusoidalEmbed(inp, x, a.ptr('tables', 'freqs'), n, c.dim, E / 2, c.inputScale, xCols);
    }
    k.linearForwardAct(a.ptr(A, 'h0'), derivatives ? a.ptr(A, 'd0') : 0, inp, a.ptr('split', 'inpX.weight'), a.ptr('split', 'stepBias'), 0,
      n, xCols, c.width, this.act);
    this.trunk(n, weights, lane, derivatives);
  }

  /**
   * One reverse step (Algorithm 2) for n rows at table index i: x_{t-1} from x_t and eps_theta, noise from `z`
   * (when sigma_t > 0). With clip > 0 it goes through the clamped predicted x_0 (posteriorStep).
   */
  reverseStepRows(xNext: number, x: number, eps: number, n: number, i: number, variance: VarianceName, clip: number, z: number): void {
    algorithm2Step(this.k, this.schedule, xNext, x, eps, z, n * this.model.dim, i, variance, clip);
  }

  /**
   * The network's gradient with respect to its input x_t (not its weights): eps_theta(x, t) at table index i for the
   * n rows of x (n, d), and for each cotangent v (n, d) the vector-Jacobian products v^T (d eps_theta / d x), one
   * row each: with v = e_j in every row, row r of the result is row j of that point's Jacobian, so d cotangents give
   * the exact divergence (src/diffusion/likelihood.ts). For a learned-variance model, eps is the first d outputs and
   * the products are of eps alone. Chunked to `rows`; lane 0 only; overwrites acts/actGrads and the split first layer.
   *
   * The backward goes through the trunk like backwardFromDout's input-gradient half (linearBackwardInputAct, no weight
   * gradients), then through the first layer's x-columns and the input embedding (sinusoidalEmbedBackward), which
   * training never needs. The embedding is recomputed here rather than read from acts/inp, whose layout is forward's.
   */
  inputVjp(
    x: Float32Array, i: number, cotangents: readonly Float32Array[], weights: 'params' | 'ema' = 'ema',
  ): { eps: Float32Array; vjp: Float32Array[] } {
    const k = this.k, a = this.arena, c = this.model, d = c.dim, H = c.width, E = c.embedSize, O = this.outDim, xCols = this.inDim - E;
    if (x.length % d) throw new Error('inputVjp: x length is not a multiple of dim');
    if (!(Number.isInteger(i) && i >= 0 && i < this.schedule.T)) {
      throw new Error(`inputVjp: table index ${i} outside [0, ${this.schedule.T})`);
    }
    const n = x.length / d;
    for (const v of cotangents) if (v.length !== n * d) throw new Error(`inputVjp: a cotangent has ${v.length} values, expected ${n * d}`);
    const eps = new Float32Array(n * d), vjp = cotangents.map(() => new Float32Array(n * d));
    const A = (s: string) => a.ptr('acts', s), G = (s: string) => a.ptr('actGrads', s), W = (s: string) => this.p(weights, s);
    const xp = a.ptr('inputGrad', 'x'), emb = a.ptr('inputGrad', 'emb'), dinp = a.ptr('inputGrad', 'dinp'), dx = a.ptr('inputGrad', 'dx');
    this.splitFirstLayer(weights);
    for (let off = 0; off < n; off += this.rows) {
      const m = Math.min(this.rows, n - off);
      a.f32('inputGrad', 'x').set(x.subarray(off * d, (off + m) * d));
      this.stepBias(i, weights);
      this.forwardSplit(m, xp, weights, 0, true); // with each layer's act' (acts/d_k) for the backward below
      const out = a.f32('acts', 'out');
      for (let r = 0; r < m; r++) for (let j = 0; j < d; j++) eps[(off + r) * d + j] = out[r * O + j];
      if (c.inputEmbedding) k.sinusoidalEmbed(emb, xp, a.ptr('tables', 'freqs'), m, d, E / 2, c.inputScale, xCols);
      cotangents.forEach((v, ci) => {
        a.zeroRows('actGrads', m);
        a.f32('inputGrad', 'dinp').fill(0, 0, m * xCols);
        a.f32('inputGrad', 'dx').fill(0, 0, m * d);
        const dout = a.f32('actGrads', 'dout');
        for (let r = 0; r < m; r++) for (let j = 0; j < d; j++) dout[r * O + j] = v[(off + r) * d + j];
        // As backwardFromDout's input-gradient half: the fused kernels give dh and da = dh * act' layer by layer.
        k.linearBackwardInputAct(G(`dh${c.depth}`), G(`da${c.depth}`), G('dout'), W('out.weight'), 0, A(`d${c.depth}`), m, H, O);
        for (let b = c.depth; b >= 1; b--) {
          k.linearBackwardInputAct(G(`dh${b - 1}`), G(`da${b - 1}`), G(`da${b}`), W(`blocks.${b - 1}.weight`), G(`dh${b}`), A(`d${b - 1}`),
            m, H, H);
        }
        // The t-columns of inp do not depend on x: only W_x (split/inpX.weight) carries the gradient back.
        k.linearBackward(c.inputEmbedding ? dinp : dx, 0, 0, G('da0'), 0, a.ptr('split', 'inpX.weight'), m, xCols, H);
        if (c.inputEmbedding) k.sinusoidalEmbedBackward(dx, dinp, emb, a.ptr('tables', 'freqs'), m, d, E / 2, c.inputScale, xCols);
        vjp[ci].set(a.f32('inputGrad', 'dx').subarray(0, m * d), off * d);
      });
    }
    return { eps, vjp };
  }

  /** Forward process for plots: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps at table index i, noise from the sample stream. */
  diffuse(x0: Float32Array, i: number): Float32Array {
    const d = this.model.dim, n = x0.length / d, a = this.arena, k = this.k, out = new Float32Array(x0.length);
    const view = (name: string, m: number) => new Float32Array(a.memory.buffer, a.ptr('batch', name), m * d);
    // The training path's own kernel (qSample), chunk by chunk through the batch buffers, with every row at index i.
    for (let off = 0; off < n; off += this.rows) {
      const m = Math.min(this.rows, n - off);
      view('x0', m).set(x0.subarray(off * d, (off + m) * d));
      (a.t('batch', 't').view as Int32Array).fill(i, 0, m);
      k.rngNormal(a.ptr('batch', 'eps'), m * d, a.ptr('rng', 'sample'));
      k.qSample(a.ptr('batch', 'xt'), a.ptr('batch', 'x0'), a.ptr('batch', 'eps'), a.ptr('batch', 't'),
        a.ptr('tables', 'sqrtAlphaBar'), a.ptr('tables', 'sqrtOneMinusAlphaBar'), m, d);
      out.set(view('xt', m), off * d);
    }
    return out;
  }


  /** Parameters by PyTorch name, copied out (never live views). */
  namedTensors(slab: 'params' | 'ema'): Map<string, { shape: number[]; data: Float32Array }> {
    const m = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const s of paramSpecs(this.model)) m.set(s.name, { shape: s.shape, data: this.arena.f32(slab, s.name).slice() });
    return m;
  }

  /** Load parameters by name into a slab; shapes must match exactly. */
  loadNamed(
    slab: string,
    tensors: Map<string, { shape: number[]; data: ArrayLike<number> }> | Record<string, { shape: number[]; data: ArrayLike<number> }>,
  ): void {
    const get = (n: string) => (tensors instanceof Map ? tensors.get(n) : tensors[n]);
    for (const s of paramSpecs(this.model)) {
      const t = get(s.name);
      if (!t) throw new UsageError(`checkpoint has no tensor "${s.name}"`);
      if (t.shape.join(',') !== s.shape.join(',')) throw new UsageError(`tensor "${s.name}" has shape [${t.shape}], expected [${s.shape}]`);
      this.arena.f32(slab, s.name).set(t.data);
    }
  }

  /** Bytes of wasm memory in use (constant after construction: nothing grows it). */
  memoryBytes(): number {
    return this.arena.memory.buffer.byteLength;
  }
}
