/**
 * Registers the kernel builds (SIMD, scalar, SIMD with shared memory for threads, and both with relaxed SIMD) embedded in the
 * bundle (esbuild's binary loader inlines dist/*.wasm),
 * so that `createDiffusion()` works with no file or URL to find, in Node and in any bundler.
 */
import simd from '../../dist/ddpm.wasm';
import scalar from '../../dist/ddpm.scalar.wasm';
import threads from '../../dist/ddpm.threads.wasm';
import relaxed from '../../dist/ddpm.relaxed.wasm';
import threadsRelaxed from '../../dist/ddpm.threads-relaxed.wasm';
import { setDefaultWasm } from './wasm';

setDefaultWasm({ simd, scalar, threads, relaxed, 'threads-relaxed': threadsRelaxed });
