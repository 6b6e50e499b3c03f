/**
 * Loading the kernels: compile once, pick the SIMD or the scalar build by feature detection, instantiate
 * against a memory the host owns. Works in Node and in browsers; the bytes of both builds are embedded in
 * the bundles (src/engine/wasm-embedded.ts), and an embedder may pass its own URL, bytes or compiled module.
 *
 * The ABI is pointers (byte offsets into the memory) and counts; see assembly/index.ts.
 *
 * The engine instantiates with plain `new WebAssembly.Instance`, not through @assemblyscript/loader: the builds import
 * no `abort` (asconfig.json `use: abort=`, `noAssert`, and the kernels assert nothing), so the loader's readable abort
 * would never fire, while each wrapped export costs a few ns per call (docs/loader.md). Pages may still load the
 * module with the loader: web/examples/kernels.html.
 */

export type Ptr = number;

/**
 * Every function the module exports (assembly/index.ts), typed: exactly the kernels the host calls, no more
 * (test/engine/exports.test.ts compares this interface with each build's exports). Pointers are byte offsets;
 * counts are i32.
 */
export interface Kernels {
  heapBase(): number;
  // linear.ts: fused layers (bias, activation, residual and act' in the store; act: activation.ts ACT_*)
  linearForward(y: Ptr, x: Ptr, w: Ptr, b: Ptr, n: number, din: number, dout: number): void;
  linearForwardAct(h: Ptr, dact: Ptr, x: Ptr, w: Ptr, b: Ptr, resid: Ptr, n: number, din: number, dout: number, act: number): void;
  linearBackward(dx: Ptr, dw: Ptr, db: Ptr, dy: Ptr, x: Ptr, w: Ptr, n: number, din: number, dout: number): void;
  linearBackwardInputAct(dx: Ptr, da: Ptr, dy: Ptr, w: Ptr, resid: Ptr, dact: Ptr, n: number, din: number, dout: number): void;
  // linear.ts, column blocks of wider matrices (row strides ldx, ldw) and the first layer's per-row gathered bias
  linearForwardRowBias(h: Ptr, dact: Ptr, x: Ptr, w: Ptr, rowBias: Ptr, slot: Ptr, n: number, din: number, dout: number, ldx: number,
    ldw: number, act: number): void;
  linearBackwardWeight(dw: Ptr, db: Ptr, dy: Ptr, x: Ptr, n: number, din: number, dout: number, ldx: number, ldw: number): void;
  // timebias.ts: the first layer's t-columns once per distinct t
  timeBiasForward(tb: Ptr, embU: Ptr, uniq: Ptr, slot: Ptr, count: Ptr, t: Ptr, n: number, seen: Ptr, table: Ptr, wt: Ptr, b: Ptr,
    E: number, H: number, ldw: number): void;
  timeBiasBackward(dwt: Ptr, db: Ptr, dtb: Ptr, da: Ptr, slot: Ptr, count: Ptr, n: number, embU: Ptr, E: number, H: number,
    ldw: number): void;
  // loss.ts
  mseForward(y: Ptr, target: Ptr, n: number): number;
  mseBackwardScaled(dy: Ptr, y: Ptr, target: Ptr, n: number, scale: number): void;
  mseBackwardWeighted(dy: Ptr, y: Ptr, target: Ptr, w: Ptr, n: number, d: number, scale: number): void;
  // adam.ts
  sumSquares(x: Ptr, n: number): number;
  adamwEmaStep(p: Ptr, g: Ptr, m: Ptr, v: Ptr, ema: Ptr, n: number, hp: Ptr): void;
  accumulateSumSquaresTo(g: Ptr, gl: Ptr, n: number, out: Ptr): void;
  // embed.ts
  sinusoidalEmbed(out: Ptr, x: Ptr, freqs: Ptr, n: number, d: number, half: number, scale: number, outStride: number): void;
  sinusoidalEmbedBackward(dx: Ptr, dy: Ptr, y: Ptr, freqs: Ptr, n: number, d: number, half: number, scale: number, outStride: number): void;
  // rng.ts
  rngSeed(state: Ptr, seed: bigint, stream: number): void;
  rngNormal(out: Ptr, n: number, state: Ptr): void;
  rngIntBelow(out: Ptr, n: number, bound: number, state: Ptr): void;
  rngUniformRange(out: Ptr, n: number, lo: number, hi: number, state: Ptr): void;
  // diffusion.ts
  qSample(xt: Ptr, x0: Ptr, eps: Ptr, t: Ptr, sqrtAlphaBar: Ptr, sqrtOneMinusAlphaBar: Ptr, n: number, d: number): void;
  reverseStep(xPrev: Ptr, xt: Ptr, eps: Ptr, z: Ptr, n: number, cx: number, ceps: number, sigma: number): void;
  posteriorStep(xPrev: Ptr, xt: Ptr, eps: Ptr, z: Ptr, n: number, ax0: number, aeps: number, bound: number, cx0: number, cxt: number,
    sigma: number): void;
  gatherRows(out: Ptr, table: Ptr, idx: Ptr, n: number, width: number, outStride: number): void;
  rowsStrided(out: Ptr, inp: Ptr, n: number, width: number, inStride: number): void;
  solverStep(xNext: Ptr, d0: Ptr, x: Ptr, xe: Ptr, eps: Ptr, d1: Ptr, d2: Ptr, z: Ptr, n: number,
    ax: number, aeps: number, bound: number, cx: number, c0: number, c1: number, c2: number, cz: number): void;
}

/** Where the kernels come from: a URL (fetched), raw bytes, or an already compiled module. */
export type WasmSource = string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module;

/** Smallest module using a v128 op: validates only where WebAssembly SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Whether this runtime validates WebAssembly SIMD (the default build); without it the scalar build runs. */
export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Smallest module using f32x4.relaxed_madd (three v128.const zeros, then the op). */
const V128_ZERO = [253, 12, ...new Array<number>(16).fill(0)];
const RELAXED_BODY = [0, ...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 253, 133, 2, 11];
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, RELAXED_BODY.length + 2, 1, RELAXED_BODY.length, ...RELAXED_BODY,
]);

/**
 * Relaxed SIMD (f32x4.relaxed_madd, the FMA build) can run here. Browsers: WebAssembly.validate (Chrome 114+ ship it).
 * Node 20's V8 has it behind --experimental-wasm-relaxed-simd; V8 accepts that flag at run time, before the module
 * is compiled, so in Node this sets it (node:v8 setFlagsFromString) when validation first fails. Node 22 has it on.
 */
export function relaxedSimdSupported(): boolean {
  try {
    if (WebAssembly.validate(RELAXED_PROBE)) return true;
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (f: string) => void } | undefined;
    if (!v8?.setFlagsFromString) return false;
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/**
 * 'relaxed' and 'threads-relaxed' are the SIMD and threads builds with every matmul multiply-add as relaxed_madd
 * (assembly/linear.ts madd): faster where it becomes one FMA instruction, but its rounding (fused or not) depends on
 * the machine, so results can differ between machines and from the 'simd' build. Opt-in only (Engine `fma`).
 */
export type Flavor = 'simd' | 'scalar' | 'threads' | 'relaxed' | 'threads-relaxed';

type Builds = { simd: Uint8Array; scalar: Uint8Array; threads?: Uint8Array; relaxed?: Uint8Array; 'threads-relaxed'?: Uint8Array };
let defaultBytes: Builds | undefined;

/** The bundles call this once with the embedded builds. */
export function setDefaultWasm(bytes: Builds): void {
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
