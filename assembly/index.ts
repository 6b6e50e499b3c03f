// ddpm-wasm kernels: every numeric inner loop of training and sampling, as pure functions of pointers
// (byte offsets into the host's memory) and counts. No allocation, no globals, no imports but the memory.
// Each family keeps a scalar twin (`...Scalar`) beside its SIMD kernel: the specification and the tail.

/** Where the stub runtime's static data ends: the host's arena starts at or above it. */
export function heapBase(): usize {
  return __heap_base;
}

export * from './linear';
export * from './activation';
export * from './loss';
export * from './adam';
// math.ts and trig.ts also export v128 building blocks for the other kernels; only their array wrappers
// (used by the specs and the bench) are module exports, so the scalar build never sees a v128 signature.
export { expArray, expArrayScalar, tanhArray, tanhArrayScalar, sigmoidArray, sigmoidArrayScalar, logArray, logArrayScalar } from './math';
export { sinArray, sinArrayScalar, cosArray, cosArrayScalar } from './trig';
export * from './embed';
export * from './rng';
export * from './diffusion';
export * from './solver';
export * from './peak';
export * from './timebias';
