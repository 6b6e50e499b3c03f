import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The library imports its kernels as bytes (esbuild's binary loader in the bundles); this plugin does the
// same for tests, so they run the code path users run.
const wasmBytes = {
  name: 'wasm-bytes',
  enforce: 'pre' as const,
  load(id: string) {
    if (!id.endsWith('.wasm')) return null;
    const b64 = readFileSync(id).toString('base64');
    return `const s = ${JSON.stringify(b64)}; ` +
      `const b = typeof Buffer !== 'undefined' ? Buffer.from(s, 'base64') : Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); ` +
      `export default new Uint8Array(b.buffer, b.byteOffset, b.byteLength);`;
  },
};

export default defineConfig({
  plugins: [wasmBytes],
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
