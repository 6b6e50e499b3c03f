/**
 * The training run around Engine.trainStep: learning-rate schedule (linear warm-up, optional cosine decay),
 * loss history, progress and checkpoint callbacks, divergence detection. No I/O here: the CLI and the
 * browser worker decide where progress and checkpoints go.
 */
import type { Engine, StepStats } from '../engine/engine';
import { UsageError } from '../util/errors';

export interface TrainOptions {
  steps: number; // total optimiser steps of the run (the step count to reach, when resuming)
  batch: number;
  lr: number;
  warmup: number; // steps of linear warm-up
  lrDecay: 'cosine' | 'constant';
  /** Called every `progressEvery` steps and at the end. */
  onProgress?: (p: Progress) => void;
  progressEvery?: number;
  /** Called every `checkpointEvery` steps (0: never) with the step just finished and this call's losses so far. */
  onCheckpoint?: (step: number, losses: Float32Array) => void | Promise<void>;
  checkpointEvery?: number;
  /** Set `stop` to end the run after the current step (SIGINT, a Stop button). */
  signal?: { stop: boolean };
  /** Yield to the event loop every this many steps (a Worker must receive messages); 0: never. */
  yieldEvery?: number;
  /** One optimiser step on a fresh batch (default engine.trainStep, Algorithm 1; a learned variance brings its own). */
  step?: (lr: number, batch: number) => StepStats;
  /** Called after every good step (a learned schedule measures and moves here). */
  afterStep?: () => void;
}

/** What onProgress sees during training: the step, the loss, the learning rate, the gradient norm, the time. */
export interface Progress {
  step: number;
  steps: number;
  loss: number; // mean loss since the last report
  lr: number;
  gradNorm: number;
  stepsPerSecond: number;
  elapsed: number; // seconds
}

export class DivergenceError extends UsageError {
  /** `lastCheckpoint`: the step of the last checkpoint this run wrote (it holds finite weights), if any. */
  constructor(readonly step: number, what: string, readonly lastCheckpoint?: number) {
    super(
      `training diverged at step ${step}: ${what}; ` +
        (lastCheckpoint !== undefined
          ? `the checkpoint of step ${lastCheckpoint} is kept; `
          : 'nothing was saved from the diverged weights; ') +
        'try a lower --lr, a smaller --T, or clipping (--clip 1)',
    );
    this.name = 'DivergenceError';
  }
}

/**
 * What is not finite after a step, or null. The loss and gradient norm are checked, and so is everything a
 * checkpoint holds (weights, EMA, Adam's moments): one huge but finite update can overflow a weight to Inf
 * while this step's loss was fine, and a checkpoint must never be written from such a state. sumSquares
 * accumulates in f64, so it is finite exactly when every f32 in the slab is (four passes over the
 * parameters: under 1/batch of a step's work).
 */
const STATE = [
  ['params', 'the weights hold NaN or Inf'],
  ['ema', 'the EMA weights hold NaN or Inf'],
  ['adamM', "Adam's first moment holds NaN or Inf"],
  // v += (1 - beta2) g^2 in f32: Inf once a gradient passes ~1.8e19, while the f64 gradient norm is still finite.
  ['adamV', "Adam's second moment overflowed (gradients beyond float32 range when squared)"],
] as const;

function nonFinite(engine: Engine, s: StepStats): string | null {
  if (!Number.isFinite(s.loss)) return `loss is ${s.loss}`;
  if (!Number.isFinite(s.gradNorm)) return `gradient norm is ${s.gradNorm}`;
  const a = engine.arena;
  for (const [slab, what] of STATE) {
    if (!Number.isFinite(engine.k.sumSquares(a.slabPtr(slab), engine.paramCount))) return what;
  }
  return null;
}

/** Let signal handlers and worker messages run (setImmediate where it exists: setTimeout(0) may wait >= 1 ms). */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

/** Learning rate at (0-based) step s. */
function learningRate(s: number, o: Pick<TrainOptions, 'steps' | 'lr' | 'warmup' | 'lrDecay'>): number {
  if (o.warmup > 0 && s < o.warmup) return (o.lr * (s + 1)) / o.warmup;
  if (o.lrDecay === 'constant') return o.lr;
  const span = Math.max(1, o.steps - o.warmup);
  const p = Math.min(1, (s - o.warmup) / span);
  // cosine to 10% of the peak rather than to zero: the last steps still move the weights the EMA averages.
  return o.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/**
 * Run steps engine.step+1 .. o.steps. Returns the per-step losses of this call.
 * Throws DivergenceError when the loss, the gradient norm or the weights stop being finite: before any checkpoint
 * of that step, so the last one written holds the last good weights.
 */
export async function train(engine: Engine, o: TrainOptions): Promise<Float32Array> {
  const start = engine.step;
  const todo = Math.max(0, o.steps - start);
  const losses = new Float32Array(todo);
  const every = o.progressEvery ?? 100;
  const t0 = performance.now();
  let sum = 0, count = 0, last: StepStats = { loss: NaN, gradNorm: NaN }, lr = 0;
  let lastCheckpoint: number | undefined;
  for (let j = 0; j < todo; j++) {
    const s = engine.step;
    lr = learningRate(s, o);
    last = o.step ? o.step(lr, o.batch) : engine.trainStep(lr, o.batch);
    const bad = nonFinite(engine, last);
    if (bad) throw new DivergenceError(engine.step, bad, lastCheckpoint);
    o.afterStep?.();
    losses[j] = last.loss;
    sum += last.loss;
    count++;
    const done = engine.step;
    if (o.onProgress && (done % every === 0 || j === todo - 1 || o.signal?.stop)) {
      const elapsed = (performance.now() - t0) / 1000;
      o.onProgress({
        step: done, steps: o.steps, loss: sum / count, lr, gradNorm: last.gradNorm,
        stepsPerSecond: (j + 1) / Math.max(elapsed, 1e-9), elapsed,
      });
      sum = 0;
      count = 0;
    }
    if (o.onCheckpoint && o.checkpointEvery && done % o.checkpointEvery === 0 && done < o.steps) {
      await o.onCheckpoint(done, losses.subarray(0, j + 1));
      lastCheckpoint = done;
    }
    if (o.signal?.stop) return losses.subarray(0, j + 1);
    if (o.yieldEvery && (j + 1) % o.yieldEvery === 0) await yieldToEventLoop();
  }
  return losses;
}
