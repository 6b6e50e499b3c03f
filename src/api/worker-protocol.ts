/**
 * The messages between a page and the Diffusion worker (src/api/worker-host.ts; the bundle dist/worker.js, which is
 * also the browser lab's worker). One job runs at a time; every job but `stop` is answered by the messages listed
 * beside it, and a failed job by one `error`. Typed arrays in answers are copies whose buffers are transferred (never
 * views of the wasm memory); a request's buffers (`load`'s bytes, `train`'s data) may be transferred too.
 *
 *   train   -> model, then progress* and snapshot* while it trains, then trained, then sampled
 *   sample  -> sampled
 *   load    -> model, then sampled
 *   save    -> file
 *   stop    -> (none) a running `train` stops at its next yield and answers `trained` with stopped: true
 *
 * src/api/worker-client.ts wraps this in promises (DiffusionWorker); pages that want the raw messages can post them
 * themselves (web/main.ts does). Fields are only ever added, with defaults that keep older senders working.
 * Not here: the worker's behaviour (worker-host.ts), or anything touching the DOM.
 */
import type { Points } from '../data/points';
import type { DiffusionOptions } from './diffusion';
import type { RunConfig } from '../diffusion/config';
import type { SamplerName } from '../diffusion/samplers';

/**
 * Which of Diffusion.sample's samplers draws a job's samples (one of SAMPLERS; default 'ddpm', Algorithm 2), on how
 * many of the T timesteps (default T), and eta for ddim. Checked by Diffusion.sample: a bad choice is one `error`.
 */
export interface SamplerChoice {
  sampler?: SamplerName;
  steps?: number;
  eta?: number;
}

export interface TrainRequest {
  type: 'train';
  /**
   * Diffusion options (the CLI's flags; `data` in data units). `threads` defaults to every core but one, and is 1
   * wherever threads cannot run (the page is not cross-origin isolated): ModelInfo.threads says what was used.
   */
  options: Omit<DiffusionOptions, 'wasm' | 'data'> & { data?: Points };
  /** Steps between sample snapshots (0: none) and their size. */
  snapshotEvery: number;
  snapshotN: number;
  /** Points sampled at the end. */
  sampleN: number;
  /** Also record their reverse paths and the forward process (SampledMessage's frames; default true). */
  record?: boolean;
  /** The sampler of the snapshots and of the samples at the end (default Algorithm 2 at T steps). */
  sampling?: SamplerChoice;
}

export interface SampleRequest extends SamplerChoice {
  type: 'sample';
  n: number;
  /** Default true: frames and the forward process too (the forward process not with `start`). */
  record?: boolean;
  /** Restart the sampling stream from this seed first (reproducible samples whatever ran before). */
  seed?: number;
  /**
   * One start x_T in data units (d values; the worker maps it into the model's standardised coordinates): all n
   * chains start there, so their endings show how much the start decides (a deterministic sampler ends them on one
   * point). Default: x_T ~ N(0, I) per chain.
   */
  start?: number[];
}

export interface LoadRequest {
  type: 'load';
  /** A model file or training checkpoint (the CLI's format). */
  bytes: ArrayBuffer;
  name: string;
  sampleN: number;
  record?: boolean;
  /** Threads for sampling and further training (default as for train). */
  threads?: number;
  /** The sampler of its samples (default Algorithm 2 at T steps). */
  sampling?: SamplerChoice;
}

export type ToWorker =
  | TrainRequest
  | { type: 'stop' }
  | SampleRequest
  | LoadRequest
  | { type: 'save'; withTraining: boolean };

export interface ModelInfo {
  source: 'train' | 'load';
  name: string;
  config: RunConfig;
  parameters: number;
  step: number;
  beta: Float64Array;
  alphaBar: Float64Array;
  /** Up to 2000 training points in data units (empty for a model file loaded without data). */
  data: Float32Array;
  d: number;
  /** Loss history (a loaded checkpoint's). */
  losses: Float32Array;
  /** Threads the engine really runs on (1 where the page is not cross-origin isolated). */
  threads?: number;
}

export interface ProgressMessage {
  type: 'progress';
  /** The steps and losses since the last progress message (posted at most every ~50 ms). */
  steps: Float64Array;
  loss: Float32Array;
  step: number;
  total: number;
  stepsPerSecond: number;
  lr: number;
}

export interface SampledMessage {
  type: 'sampled';
  points: Float32Array;
  d: number;
  T: number;
  /**
   * K+1 frames of `frameN` points for a sampler on K steps (T+1 for Algorithm 2): frames[j] is x after the j-th
   * step, at timestep frameTimes[j] (T for x_T, 0 for the data); empty without `record`.
   */
  frames: Float32Array;
  frameN: number;
  frameTimes: Int32Array;
  /** Forward process of `forwardN` points at each t of `forwardT` (same noise for every t; empty without `record`). */
  forward: Float32Array;
  forwardN: number;
  forwardT: Int32Array;
  x0: Float32Array;
  seconds: number;
}

export interface TrainedMessage {
  type: 'trained';
  step: number;
  trainSeconds: number;
  stepsPerSecond: number;
  stopped: boolean;
}

export type FromWorker =
  | { type: 'ready'; simd: boolean; crossOriginIsolated?: boolean; threads?: number }
  | ({ type: 'model' } & ModelInfo)
  | ProgressMessage
  | { type: 'snapshot'; step: number; points: Float32Array; d: number }
  | TrainedMessage
  | SampledMessage
  | { type: 'file'; withTraining: boolean; bytes: ArrayBuffer; name: string; step: number }
  | { type: 'error'; message: string; during: string };
