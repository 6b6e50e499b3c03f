// ddpm-wasm kernels: every numeric inner loop of training and sampling, as pure functions of pointers
// (byte offsets into the host's memory) and counts. No allocation, no globals, no imports but the memory.
// Each family keeps a scalar twin (`...Scalar`) beside its SIMD kernel: the specification and the tail.
//
// The module's exports are exactly the kernels the host calls, typed by `Kernels` in src/engine/wasm.ts
// (test/engine/exports.test.ts holds the two lists equal). The rest stays out of the product builds: the scalar
// twins and the building blocks other kernels call (addInPlace, actForward, math.ts and trig.ts with their array
// forms for the specs), the specs' oracles (assembly/oracles.ts) and the bench's yardsticks (assembly/peak.ts,
// built only by `npm run bench`).

/** Where the stub runtime's static data ends: the host's arena starts at or above it. */
export function heapBase(): usize {
  return __heap_base;
}

export { linearForward, linearForwardAct, linearBackward, linearBackwardInputAct } from './linear';
export { linearForwardRowBias, linearBackwardWeight } from './linear';
export { timeBiasForward, timeBiasBackward } from './timebias';
export { mseForward, mseBackwardScaled, mseBackwardWeighted } from './loss';
export { sumSquares, adamwEmaStep, accumulateSumSquaresTo } from './adam';
export { sinusoidalEmbed, sinusoidalEmbedBackward } from './embed';
export { rngSeed, rngUniformRange, rngIntBelow, rngNormal } from './rng';
export { qSample, reverseStep, posteriorStep, gatherRows, rowsStrided } from './diffusion';
export { solverStep } from './solver';
