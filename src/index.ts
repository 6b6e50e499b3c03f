/**
 * ddpm-wasm as a library, in Node and in browsers. The kernels are embedded; pass `wasm` (a URL, bytes or
 * a compiled module) to load them from elsewhere.
 *
 *   import { createDiffusion } from 'ddpm-wasm';
 *   const d = await createDiffusion({ dataset: 'moons', T: 100, steps: 3000 });
 *   await d.train({ onProgress: (p) => console.log(p.step, p.loss) });
 *   const { points } = d.sample(1000);     // Float32Array of n x d, data units
 */
import './engine/wasm-embedded';

export { Diffusion, createDiffusion } from './api/diffusion';
export type { DiffusionOptions, TrainCallOptions, SampleOptions, SampleResult, LoadOptions } from './api/diffusion';
export { DiffusionWorker } from './api/worker-client';
export type { DiffusionWorkerOptions, WorkerTrainOptions, WorkerTrainResult, WorkerSamples } from './api/worker-client';
export { serveDiffusionWorker } from './api/worker-host';
export type { WorkerScope } from './api/worker-host';
export type { ToWorker, FromWorker, TrainRequest, SampleRequest, LoadRequest, ModelInfo, ProgressMessage, SampledMessage, TrainedMessage } from './api/worker-protocol';
export { Engine } from './engine/engine';
export type { EngineOptions, AdamConfig, StepStats } from './engine/engine';
export { DEFAULT_RUN } from './diffusion/config';
export type { RunConfig } from './diffusion/config';
export { DATASETS, getDataset } from './data/datasets';
export { parseCsv, toCsv } from './data/csv';
export { fitStandardization, standardize, unstandardize } from './data/points';
export type { Points, Standardization } from './data/points';
export { SCHEDULES, makeSchedule, scheduleFromBetas, ddpmCoefficients, scheduleChecks } from './schedule/schedule';
export type { Schedule, ScheduleName, VarianceName } from './schedule/schedule';
export { DEFAULT_MODEL, embeddingFrequencies, paramSpecs, parameterCount } from './engine/model';
export type { ModelConfig, Activation } from './engine/model';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors';
export { decodeCheckpoint } from './io/checkpoint';
export { w2Exact, slicedWasserstein, energyDistance, mmdRbf } from './eval/distances';
export { compareToData, makeDraws, planDraws, formatReport, spread, FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET } from './eval/draws';
export type { Report, MetricResult, Spread } from './eval/draws';
export { classifierTwoSampleTest, compareAccuracies, formatDifferences, normalUpperTail } from './eval/two-sample';
export type { TwoSampleResult, TwoSampleOptions, AccuracyDifference } from './eval/two-sample';
export { sampleQuality, formatSampleQuality, verdict } from './eval/sample-quality';
export type { SampleQuality, Judged, Floor } from './eval/sample-quality';
export { slicedDistances } from './eval/sliced';
export { KdTree } from './eval/knn';
export { compileKernels, instantiateKernels, relaxedSimdSupported, simdSupported } from './engine/wasm';
export type { WasmSource, Kernels } from './engine/wasm';
export { UsageError, FormatError } from './util/errors';
export { Rng } from './util/rng';
export { VERSION } from './util/version';
export type { Progress } from './diffusion/train';
export { SAMPLERS, reverseSample, labSample, probabilityFlowSample, flowStepCoefficients, timeSubsequence } from './diffusion/samplers';
export type { SamplerName, ReverseCall, LabSampleOptions } from './diffusion/samplers';
export { probabilityFlowNll, modelNll, engineEpsVjp } from './diffusion/likelihood';
export type { NllResult, NllOptions, EpsVjpFn } from './diffusion/likelihood';
export { modelBound, variationalBound } from './diffusion/bound';
export type { VlbResult } from './diffusion/bound';
