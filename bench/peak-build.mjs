// The bench's yardsticks (assembly/peak.ts) compiled on demand, in memory: they are no part of the product builds
// (assembly/index.ts), so nothing is written to dist/ and nothing ships. Targets `bench` (SIMD: madPeak's mul-then-add,
// the scalar twin, the clock chain) and `bench-relaxed` (fmaPeak's relaxed_madd) in asconfig.json.
import asc from 'assemblyscript/asc';

const root = new URL('..', import.meta.url).pathname;

/** The yardstick kernels of one target, instantiated against a fresh one-page memory. */
export async function peakKernels(target = 'bench') {
  let bytes;
  const messages = [];
  const argv = ['assembly/peak.ts', '--config', 'asconfig.json', '--target', target, '--outFile', 'peak.wasm', '--baseDir', root];
  const { error } = await asc.main(argv, {
    writeFile: (name, contents) => { if (name.endsWith('.wasm')) bytes = contents; },
    stdout: { write: (s) => messages.push(String(s)) },
    stderr: { write: (s) => messages.push(String(s)) },
  });
  if (error || !bytes) {
    throw new Error(`cannot compile assembly/peak.ts (--target ${target}): ${error?.message ?? 'no output'}\n${messages.join('')}`);
  }
  const memory = new WebAssembly.Memory({ initial: 1 });
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
}
