/**
 * The training run around Engine.trainStep: learning-rate schedule (linear warm-up, optional cosine decay),
 * loss history, progress and checkpoint callbacks, divergence detection. No I/O here: the CLI and the
 * browser worker decide where progress and checkpoints go.
 */
import type { Engine, StepStats } from './engine';
import { UsageError } from './errors';

export interface TrainOptions {
  steps: number; // total optimiser steps of the run (the step count to reach, when resuming)
  batch: number;
  lr: number;
  warmup: number; // steps of linear warm-up
  lrDecay: 'cosine' | 'constant';
  /** Called every `progressEvery` steps and at the end. */
  onProgress?: (p: Progress) => void;
  progressEvery?: number;
  /** Called every `checkpointEvery` steps (0: never) with the step just finished. */
  onCheckpoint?: (step: number) => void | Promise<void>;
  checkpointEvery?: number;
  /** Set `stop` to end the run after the current step (SIGINT, a Stop button). */
  signal?: { stop: boolean };
  /** Yield to the event loop every this many steps (a Worker must receive messages); 0: never. */
  yieldEvery?: number;
}

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
  constructor(readonly step: number, what: string) {
    super(`training diverged at step ${step}: ${what}; try a lower --lr, a smaller --T, or clipping (--clip 1)`);
    this.name = 'DivergenceError';
  }
}

/** Let signal handlers and worker messages run (setImmediate where it exists: setTimeout(0) may wait >= 1 ms). */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

/** Learning rate at (0-based) step s. */
export function learningRate(s: number, o: Pick<TrainOptions, 'steps' | 'lr' | 'warmup' | 'lrDecay'>): number {
  if (o.warmup > 0 && s < o.warmup) return (o.lr * (s + 1)) / o.warmup;
  if (o.lrDecay === 'constant') return o.lr;
  const span = Math.max(1, o.steps - o.warmup);
  const p = Math.min(1, (s - o.warmup) / span);
  // cosine to 10% of the peak rather than to zero: the last steps still move the weights the EMA averages.
  return o.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/**
 * Run steps engine.step+1 .. o.steps. Returns the per-step losses of this call.
 * Throws DivergenceError, after the last good checkpoint, when the loss or the gradient stops being finite.
 */
export async function train(engine: Engine, o: TrainOptions): Promise<Float32Array> {
  const start = engine.step;
  const todo = Math.max(0, o.steps - start);
  const losses = new Float32Array(todo);
  const every = o.progressEvery ?? 100;
  const t0 = performance.now();
  let sum = 0, count = 0, last: StepStats = { loss: NaN, gradNorm: NaN }, lr = 0;
  for (let j = 0; j < todo; j++) {
    const s = engine.step;
    lr = learningRate(s, o);
    last = engine.trainStep(lr, o.batch);
    if (!Number.isFinite(last.loss) || !Number.isFinite(last.gradNorm)) {
      throw new DivergenceError(engine.step, !Number.isFinite(last.loss) ? `loss is ${last.loss}` : `gradient norm is ${last.gradNorm}`);
    }
    losses[j] = last.loss;
    sum += last.loss;
    count++;
    const done = engine.step;
    if (o.onProgress && (done % every === 0 || j === todo - 1 || o.signal?.stop)) {
      const elapsed = (performance.now() - t0) / 1000;
      o.onProgress({ step: done, steps: o.steps, loss: sum / count, lr, gradNorm: last.gradNorm, stepsPerSecond: (j + 1) / Math.max(elapsed, 1e-9), elapsed });
      sum = 0;
      count = 0;
    }
    if (o.onCheckpoint && o.checkpointEvery && done % o.checkpointEvery === 0 && done < o.steps) await o.onCheckpoint(done);
    if (o.signal?.stop) return losses.subarray(0, j + 1);
    if (o.yieldEvery && (j + 1) % o.yieldEvery === 0) await yieldToEventLoop();
  }
  return losses;
}
