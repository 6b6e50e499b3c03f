/**
 * Training and sampling in a Web Worker for pages that embed ddpm-wasm: promises and events over the messages of
 * worker-protocol.ts, so the page's main thread only draws (its frames keep coming while a model trains).
 *
 *   import { DiffusionWorker } from 'ddpm-wasm';
 *   const w = await DiffusionWorker.start();                    // dist/worker.js beside dist/index.js
 *   const run = await w.train({ dataset: 'moons', steps: 3000 }, { onProgress: (p) => draw(p.steps, p.loss) });
 *   run.samples.points;                                         // { data: Float32Array (n x d), n, d }, data units
 *   await w.sample(500, { sampler: 'ddim', steps: 20 });        // any of SAMPLERS, as Diffusion.sample
 *   await w.sample(30, { start: [0.5, -1], record: true });     // 30 chains from one x_T (data units) and their paths
 *   const bytes = await w.save();                               // the CLI's model file
 *   w.cancel();                                                 // a running train stops at its next yield
 *
 * Threads: the worker trains on every core but one where the page is cross-origin isolated (COOP/COEP headers, as
 * `node dist/cli.js serve` sends), and on one thread elsewhere, with the same results for the same thread count;
 * `model.threads` says which. Jobs run one at a time in call order. Results arrive as transferred copies.
 * Not here: the worker's side (worker-host.ts); drawing. Without Web Workers (Node) use createDiffusion directly.
 */
import type { Points } from '../data/points';
import { UsageError } from '../util/errors';
import type {
  FromWorker, ModelInfo, ProgressMessage, SampleRequest, SampledMessage, SamplerChoice, ToWorker, TrainRequest, TrainedMessage,
} from './worker-protocol';

/** Where the worker script and the kernels are, and the page's threads. */
export interface DiffusionWorkerOptions {
  /** The worker script (default: worker.js next to this module, i.e. dist/worker.js). */
  url?: string | URL;
  /** Or a worker you started yourself (it must run serveDiffusionWorker, as dist/worker.js does). */
  worker?: Worker;
}

/** Samples in data units; with `record`, the reverse paths and the forward process of worker-protocol's SampledMessage. */
export interface WorkerSamples {
  points: Points;
  seconds: number;
  /** Present when recorded. */
  recorded?: Omit<SampledMessage, 'type' | 'points' | 'd' | 'seconds'>;
}

/** A training run in the worker: the model's options, and how often progress and snapshots come back. */
export interface WorkerTrainOptions {
  /** Every progress message: the steps and losses since the previous one, and the run's pace. */
  onProgress?: (p: Omit<ProgressMessage, 'type'>) => void;
  /** Sample snapshots while training (every `snapshotEvery` steps, `snapshotN` points; default none). */
  onSnapshot?: (s: { step: number; points: Points }) => void;
  snapshotEvery?: number;
  snapshotN?: number;
  /** The model as built (configuration, schedule, threads), before the first step. */
  onModel?: (m: ModelInfo) => void;
  /** Points sampled when training ends (default 1000) and whether their paths are recorded (default false). */
  sampleN?: number;
  record?: boolean;
  /** The sampler of the snapshots and the final samples (default Algorithm 2 at T steps). */
  sampling?: SamplerChoice;
  /** Aborting cancels the run (as cancel()). */
  signal?: AbortSignal;
}

/** What a finished training run reports: the model's summary and its final loss history. */
export interface WorkerTrainResult extends Omit<TrainedMessage, 'type'> {
  model: ModelInfo;
  samples: WorkerSamples;
}

interface Job {
  /** Handles one message of this job; returns true when the job is done. */
  on(m: FromWorker): boolean;
  fail(e: Error): void;
}

const samplesOf = (m: SampledMessage): WorkerSamples => {
  const { type: _t, points, d, seconds, ...recorded } = m;
  return { points: { data: points, n: points.length / d, d }, seconds, recorded: m.frameN > 0 ? recorded : undefined };
};

/**
 * A Diffusion in a Web Worker (or a Node worker thread): the same train and sample, as promises, with progress
 * messages, so a page never blocks (docs/worker.md).
 */
export class DiffusionWorker {
  private job?: Job;
  private queue: Promise<unknown> = Promise.resolve();
  private dead?: Error;

  private constructor(
    private readonly worker: Worker,
    /** The worker's kernels are the SIMD build. */
    readonly simd: boolean,
    /** The worker may run threads (the page is cross-origin isolated), and how many it uses by default. */
    readonly crossOriginIsolated: boolean,
    readonly threads: number,
  ) {
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const j = this.job;
      if (!j) return;
      if (e.data.type === 'error') {
        this.job = undefined;
        j.fail(new Error(e.data.message));
      } else if (j.on(e.data)) this.job = undefined;
    };
    worker.onerror = (e) => this.kill(new Error(`the worker failed: ${e.message || 'it could not start'}`));
  }

  /** Start a worker and wait until its kernels are ready. */
  static async start(o: DiffusionWorkerOptions = {}): Promise<DiffusionWorker> {
    if (!o.worker && typeof Worker === 'undefined') {
      throw new UsageError('Web Workers are not available here: use createDiffusion (the same options) on this thread');
    }
    const worker = o.worker ?? new Worker(o.url ?? new URL('./worker.js', import.meta.url), { type: 'module' });
    return new Promise((resolve, reject) => {
      worker.onerror = (e) => reject(new Error(`the worker failed to start: ${e.message || 'could not load its script'}`));
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        const m = e.data;
        if (m.type === 'ready') resolve(new DiffusionWorker(worker, m.simd, m.crossOriginIsolated ?? false, m.threads ?? 1));
      };
    });
  }

  /** Run `job` after the jobs before it; `post` sends its request. */
  private run<T>(request: ToWorker, transfer: Transferable[], make: (done: (v: T) => void) => (m: FromWorker) => boolean): Promise<T> {
    const p = this.queue.then(() => new Promise<T>((resolve, reject) => {
      if (this.dead) return reject(this.dead);
      this.job = { on: make(resolve), fail: reject };
      this.worker.postMessage(request, transfer);
    }));
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Algorithm 1 in the worker on a new model, then `sampleN` samples; progress and snapshots as they come. */
  train(options: TrainRequest['options'], h: WorkerTrainOptions = {}): Promise<WorkerTrainResult> {
    let transfer: Transferable[] = [];
    if (options.data) {
      // A copy of the caller's points, transferred: their array stays theirs.
      const data = options.data.data.slice();
      options = { ...options, data: { ...options.data, data } };
      transfer = [data.buffer];
    }
    const req: TrainRequest = {
      type: 'train', options, snapshotEvery: h.onSnapshot ? h.snapshotEvery ?? 200 : 0, snapshotN: h.snapshotN ?? 500,
      sampleN: h.sampleN ?? 1000, record: h.record ?? false, sampling: h.sampling,
    };
    const onAbort = () => this.cancel();
    h.signal?.addEventListener('abort', onAbort, { once: true });
    let model: ModelInfo | undefined, trained: TrainedMessage | undefined;
    const p = this.run<WorkerTrainResult>(req, transfer, (done) => (m) => {
      if (m.type === 'model') {
        const { type: _t, ...info } = m;
        model = info;
        h.onModel?.(info);
        if (h.signal?.aborted) this.cancel();
      } else if (m.type === 'progress') {
        const { type: _t, ...p } = m;
        h.onProgress?.(p);
      } else if (m.type === 'snapshot') h.onSnapshot?.({ step: m.step, points: { data: m.points, n: m.points.length / m.d, d: m.d } });
      else if (m.type === 'trained') trained = m;
      else if (m.type === 'sampled') {
        const { type: _t, ...t } = trained!;
        done({ ...t, model: model!, samples: samplesOf(m) });
        return true;
      }
      return false;
    });
    return p.finally(() => h.signal?.removeEventListener('abort', onAbort));
  }

  /** Stop a running train at its next yield (its promise then resolves with stopped: true and samples of the model so far). */
  cancel(): void {
    if (!this.dead) this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  /**
   * n new points from the current model (EMA weights) through `sampler` (default Algorithm 2; steps and eta as for
   * Diffusion.sample); `seed` restarts the sampling stream first; `start` (data units) starts every chain at one x_T.
   */
  sample(n: number, o: Omit<SampleRequest, 'type' | 'n'> = {}): Promise<WorkerSamples> {
    return this.run<WorkerSamples>({ ...o, type: 'sample', n, record: o.record ?? false }, [], (done) => (m) => {
      if (m.type !== 'sampled') return false;
      done(samplesOf(m));
      return true;
    });
  }

  /** A model file or checkpoint (the CLI's, the page's or PyTorch's) becomes the worker's model; `sampleN` samples of it. */
  load(
    bytes: Uint8Array | ArrayBuffer,
    o: { name?: string; sampleN?: number; record?: boolean; threads?: number; sampling?: SamplerChoice } = {},
  ): Promise<{ model: ModelInfo; samples: WorkerSamples }> {
    const src = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const copy = src.slice().buffer as ArrayBuffer;
    let model: ModelInfo | undefined;
    const req: ToWorker = {
      type: 'load', bytes: copy, name: o.name ?? 'model.safetensors', sampleN: o.sampleN ?? 1000, record: o.record ?? false,
      threads: o.threads, sampling: o.sampling,
    };
    return this.run(req, [copy], (done) => (m) => {
      if (m.type === 'model') {
        const { type: _t, ...info } = m;
        model = info;
      } else if (m.type === 'sampled') {
        done({ model: model!, samples: samplesOf(m) });
        return true;
      }
      return false;
    });
  }

  /** The current model as a .safetensors file (EMA weights), or with `withTraining` a checkpoint `train --resume` continues. */
  save(withTraining = false): Promise<Uint8Array> {
    return this.run<Uint8Array>({ type: 'save', withTraining }, [], (done) => (m) => {
      if (m.type !== 'file') return false;
      done(new Uint8Array(m.bytes));
      return true;
    });
  }

  /** Stop the worker; pending and later jobs reject. */
  terminate(): void {
    this.kill(new Error('the worker was terminated'));
  }

  private kill(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    this.worker.terminate();
    this.job?.fail(e);
    this.job = undefined;
  }
}
