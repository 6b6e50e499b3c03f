/**
 * ddpm-wasm as a library, in Node and in browsers: what an application needs. The kernels are embedded; pass
 * `wasm` (a URL, bytes or a compiled module) to load them from elsewhere. The engine, the kernels, the samplers'
 * pieces, the bound's terms and the two-sample test are in the `ddpm-wasm/lab` entry (src/lab/index.ts).
 *
 *   import { createDiffusion } from 'ddpm-wasm';
 *   const d = await createDiffusion({ dataset: 'moons', T: 100, steps: 3000 });
 *   await d.train({ onProgress: (p) => console.log(p.step, p.loss) });
 *   const { points } = d.sample(1000, { sampler: 'ddim', steps: 20 });   // { data: Float32Array, n, d }, data units
 */
import './engine/wasm-embedded';

export { Diffusion, createDiffusion } from './api/diffusion';
export type {
  DiffusionOptions, TrainCallOptions, SampleOptions, SampleResult, LoadOptions, NllCallOptions, BoundOptions,
} from './api/diffusion';
export { DiffusionWorker } from './api/worker-client';
export type { DiffusionWorkerOptions, WorkerTrainOptions, WorkerTrainResult, WorkerSamples } from './api/worker-client';
export { serveDiffusionWorker } from './api/worker-host';
export type { WorkerScope } from './api/worker-host';
export { DATASETS, getDataset } from './data/datasets';
export { parseCsv, toCsv } from './data/csv';
export type { Points, Standardization } from './data/points';
export type { DatasetInfo } from './data/datasets';
export { SCHEDULES, makeSchedule } from './schedule/schedule';
export type { Schedule, ScheduleName, VarianceName } from './schedule/schedule';
export { SAMPLERS } from './diffusion/samplers';
export type { SamplerName } from './diffusion/samplers';
export type { RunConfig } from './diffusion/config';
export type { ModelConfig, Activation } from './engine/model';
export type { Progress } from './diffusion/train';
export type { NllResult } from './diffusion/likelihood';
export type { VlbResult } from './diffusion/bound';
export { simdSupported } from './engine/wasm';
export type { WasmSource } from './engine/wasm';
export { UsageError, FormatError } from './util/errors';
export { VERSION } from './util/version';
