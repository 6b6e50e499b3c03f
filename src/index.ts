/**
 * ddpm-wasm as a library, in Node and in browsers. The kernels are embedded; pass `wasm` (a URL, bytes or
 * a compiled module) to load them from elsewhere.
 *
 *   import { createDiffusion } from 'ddpm-wasm';
 *   const d = await createDiffusion({ dataset: 'moons', T: 100, steps: 3000 });
 *   await d.train({ onProgress: (p) => console.log(p.step, p.loss) });
 *   const { points } = d.sample(1000);     // Float32Array of n x d, data units
 */
import './wasm-embedded';

export { Diffusion, createDiffusion } from './diffusion';
export type { DiffusionOptions, TrainCallOptions, SampleOptions, SampleResult, LoadOptions } from './diffusion';
export { Engine } from './engine';
export type { EngineOptions, AdamConfig, StepStats } from './engine';
export { DEFAULT_RUN } from './config';
export type { RunConfig } from './config';
export { DATASETS, getDataset, parseCsv, toCsv, fitStandardization, standardize, unstandardize } from './data';
export type { Points, Standardization } from './data';
export { SCHEDULES, makeSchedule, scheduleFromBetas, ddpmCoefficients, scheduleChecks } from './schedule';
export type { Schedule, ScheduleName, VarianceName } from './schedule';
export { DEFAULT_MODEL, embeddingFrequencies, paramSpecs, parameterCount } from './model';
export type { ModelConfig, Activation } from './model';
export { encodeSafetensors, decodeSafetensors } from './safetensors';
export { decodeCheckpoint } from './checkpoint';
export { w2Exact, slicedWasserstein, energyDistance, mmdRbf, compareToData, makeDraws, planDraws, formatReport, spread, FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET } from './eval';
export type { Report, MetricResult, Spread } from './eval';
export { compileKernels, instantiateKernels, relaxedSimdSupported, simdSupported } from './wasm';
export type { WasmSource, Kernels } from './wasm';
export { UsageError, FormatError } from './errors';
export { Rng } from './rng';
export { VERSION } from './version';
export type { Progress } from './train';
