/**
 * Loading the kernels: compile once, pick the SIMD or the scalar build by feature detection, instantiate
 * against a memory the host owns. Works in Node and in browsers; the bytes of both builds are embedded in
 * the bundles (src/engine/wasm-embedded.ts), and an embedder may pass its own URL, bytes or compiled module.
 *
 * The ABI is pointers (byte offsets into the memory) and counts; see assembly/index.ts.
 */

export type Ptr = number;

/** Every export of assembly/index.ts, typed. Pointers are byte offsets; counts are i32. */
export interface Kernels {
  heapBase(): number;
  // peak.ts (bench yardstick)
  madPeak(iters: number): number;
  madPeakScalar(iters: number): number;
  // linear.ts
  linearForward(y: Ptr, x: Ptr, w: Ptr, b: Ptr, n: number, din: number, dout: number): void;
  linearForwardScalar(y: Ptr, x: Ptr, w: Ptr, b: Ptr, n: number, din: number, dout: number): void;
  linearBackward(dx: Ptr, dw: Ptr, db: Ptr, dy: Ptr, x: Ptr, w: Ptr, n: number, din: number, dout: number): void;
  linearBackwardScalar(dx: Ptr, dw: Ptr, db: Ptr, dy: Ptr, x: Ptr, w: Ptr, n: number, din: number, dout: number): void;
  // activation.ts
  geluForward(y: Ptr, x: Ptr, n: number): void;
  geluBackward(dx: Ptr, dy: Ptr, x: Ptr, n: number): void;
  siluForward(y: Ptr, x: Ptr, n: number): void;
  siluBackward(dx: Ptr, dy: Ptr, x: Ptr, n: number): void;
  reluForward(y: Ptr, x: Ptr, n: number): void;
  reluBackward(dx: Ptr, dy: Ptr, x: Ptr, n: number): void;
  residualForward(y: Ptr, a: Ptr, b: Ptr, n: number): void;
  residualBackward(da: Ptr, db: Ptr, dy: Ptr, n: number): void;
  addInPlace(y: Ptr, x: Ptr, n: number): void;
  scaleInPlace(y: Ptr, n: number, s: number): void;
  // loss.ts
  mseForward(y: Ptr, target: Ptr, n: number): number;
  mseBackward(dy: Ptr, y: Ptr, target: Ptr, n: number): void;
  mseBackwardScaled(dy: Ptr, y: Ptr, target: Ptr, n: number, scale: number): void;
  // adam.ts
  sumSquares(x: Ptr, n: number): number;
  adamwStep(p: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, gradScale: number, bc1: number, bc2: number): void;
  emaUpdate(ema: Ptr, p: Ptr, n: number, decay: number): void;
  // embed.ts
  sinusoidalEmbed(out: Ptr, x: Ptr, freqs: Ptr, n: number, d: number, half: number, scale: number, outStride: number): void;
  sinusoidalEmbedBackward(dx: Ptr, dy: Ptr, y: Ptr, freqs: Ptr, n: number, d: number, half: number, scale: number, outStride: number): void;
  sinusoidalEmbedBackwardScalar(dx: Ptr, dy: Ptr, y: Ptr, freqs: Ptr, n: number, d: number, half: number, scale: number, outStride: number): void;
  // rng.ts
  rngSeed(state: Ptr, seed: bigint, stream: number): void;
  rngNextU32(state: Ptr): number;
  rngUniform(out: Ptr, n: number, state: Ptr): void;
  rngNormal(out: Ptr, n: number, state: Ptr): void;
  rngIntBelow(out: Ptr, n: number, bound: number, state: Ptr): void;
  rngUniformRange(out: Ptr, n: number, lo: number, hi: number, state: Ptr): void;
  // diffusion.ts
  qSample(xt: Ptr, x0: Ptr, eps: Ptr, t: Ptr, sqrtAlphaBar: Ptr, sqrtOneMinusAlphaBar: Ptr, n: number, d: number): void;
  reverseStep(xPrev: Ptr, xt: Ptr, eps: Ptr, z: Ptr, n: number, cx: number, ceps: number, sigma: number): void;
  posteriorStep(xPrev: Ptr, xt: Ptr, eps: Ptr, z: Ptr, n: number, ax0: number, aeps: number, bound: number, cx0: number, cxt: number, sigma: number): void;
  gatherRows(out: Ptr, table: Ptr, idx: Ptr, n: number, width: number, outStride: number): void;
  rowsStrided(out: Ptr, inp: Ptr, n: number, width: number, inStride: number): void;
}

/** Where the kernels come from: a URL (fetched), raw bytes, or an already compiled module. */
export type WasmSource = string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module;

/** Smallest module using a v128 op: validates only where WebAssembly SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

export type Flavor = 'simd' | 'scalar' | 'threads';

let defaultBytes: { simd: Uint8Array; scalar: Uint8Array; threads?: Uint8Array } | undefined;

/** The bundles call this once with the embedded builds. */
export function setDefaultWasm(bytes: { simd: Uint8Array; scalar: Uint8Array; threads?: Uint8Array }): void {
  defaultBytes = bytes;
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Compile the kernels once per source. With no source, the embedded build that this runtime supports.
 * `flavor` forces one build: 'simd' or 'scalar' (tests, benchmarks), 'threads' (SIMD + shared memory, for Engine threads).
 */
export async function compileKernels(source?: WasmSource, flavor?: Flavor): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined) {
    if (!defaultBytes) throw new Error('no wasm build registered: import the package entry, or pass { wasm }');
    const which = flavor ?? (simdSupported() ? 'simd' : 'scalar');
    const bytes = defaultBytes[which];
    if (!bytes) throw new Error(`no ${which} build registered`);
    const key = `embedded:${which}`;
    if (!compiled.has(key)) compiled.set(key, WebAssembly.compile(bytes as BufferSource));
    return compiled.get(key)!;
  }
  if (typeof source === 'string' || source instanceof URL) {
    const key = String(source);
    if (!compiled.has(key)) {
      compiled.set(
        key,
        (async () => {
          const res = await fetch(source);
          if (!res.ok) throw new Error(`cannot fetch kernels from ${key}: HTTP ${res.status}`);
          return WebAssembly.compile(await res.arrayBuffer());
        })(),
      );
    }
    return compiled.get(key)!;
  }
  return WebAssembly.compile(source as BufferSource);
}

export const WASM_PAGE = 65536;

/** Instantiate against a host-owned memory (grown by the caller before any view is taken). */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}
