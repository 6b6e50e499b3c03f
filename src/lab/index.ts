/**
 * `ddpm-wasm/lab`: the front door (src/index.ts, re-exported whole) and what a researcher reaches for beneath it:
 * the engine and its kernels, the samplers' pieces, the bound's terms and the ODE likelihood over any eps function,
 * sample distances and the two-sample test, model files, and the studies behind `node dist/cli.js study`. Classes
 * here are the same objects as the root's (one bundle, shared chunks), so a Diffusion's `engine` is this Engine.
 *
 *   import { createDiffusion } from 'ddpm-wasm';
 *   import { classifierTwoSampleTest } from 'ddpm-wasm/lab';
 *   const t = classifierTwoSampleTest(d.sample(20000).points, getDataset('moons', 40000, 1));
 */
export * from '../index';

export { Engine, DEFAULT_ADAM, STREAM_INIT, STREAM_TRAIN, STREAM_SAMPLE } from '../engine/engine';
export type { EngineOptions, AdamConfig, StepStats, SampleCall } from '../engine/engine';
export { DEFAULT_MODEL, embeddingFrequencies, paramSpecs, parameterCount } from '../engine/model';
export { compileKernels, instantiateKernels, relaxedSimdSupported } from '../engine/wasm';
export type { Kernels, Flavor } from '../engine/wasm';
export { DEFAULT_RUN, checkRunConfig } from '../diffusion/config';
export { fitStandardization, standardize, unstandardize, logDetJacobian } from '../data/points';
export { scheduleFromBetas, ddpmCoefficients, scheduleChecks } from '../schedule/schedule';
export {
  SAMPLER_SUMMARY, reverseSample, probabilityFlowSample, timeSubsequence, ddimCoefficients, flowStepCoefficients, alphaSigma,
} from '../diffusion/samplers';
export type { ReverseCall } from '../diffusion/samplers';
export {
  solve, engineSolverContext, solverGrid, multistepCoefficients, heunCoefficients, churnTarget, SOLVERS,
} from '../diffusion/solvers';
export type { SolverContext, SolverCall, EpsFn as SolverEpsFn } from '../diffusion/solvers';
export { probabilityFlowNll, engineEpsVjp, boundGap } from '../diffusion/likelihood';
export type { NllOptions, EpsVjpFn } from '../diffusion/likelihood';
export { variationalBound, engineEps, gaussianKL, reverseVariance } from '../diffusion/bound';
export type { EpsFn } from '../diffusion/bound';
export { encodeSafetensors, decodeSafetensors } from '../io/safetensors';
export { decodeCheckpoint } from '../io/checkpoint';
export { w2Exact, slicedWasserstein, energyDistance, mmdRbf } from '../eval/distances';
export { compareToData, makeDraws, planDraws, formatReport, spread, FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET } from '../eval/draws';
export type { Report, MetricResult, Spread } from '../eval/draws';
export { classifierTwoSampleTest, compareAccuracies, formatDifferences, normalUpperTail } from '../eval/two-sample';
export type { TwoSampleResult, TwoSampleOptions, AccuracyDifference } from '../eval/two-sample';
export { sampleQuality, formatSampleQuality, verdict } from '../eval/sample-quality';
export type { SampleQuality, Judged, Floor } from '../eval/sample-quality';
export { slicedDistances } from '../eval/sliced';
export { KdTree } from '../eval/knn';
export { Rng } from '../util/rng';
export { runStudy, studyReport } from './schedule-study';
export { runVarianceStudy } from './variance-study';
export { trajectoryStudy } from './trajectories';
export type {
  ToWorker, FromWorker, TrainRequest, SampleRequest, SamplerChoice, LoadRequest, ModelInfo, ProgressMessage, SampledMessage,
  TrainedMessage,
} from '../api/worker-protocol';
