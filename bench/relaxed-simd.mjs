// Would a relaxed-SIMD build (f32x4.relaxed_madd: a fused multiply-add where the CPU has one) pay? Not a test.
// Builds assembly/linear.ts twice into a temp directory, as it is and with every f32x4.add(acc, f32x4.mul(a, b))
// turned into f32x4.relaxed_madd(a, b, acc), then times linearForward on the training step's shapes in one process.
// Node 20's V8 only runs relaxed SIMD behind a flag, so this re-executes itself with it:
//   node bench/relaxed-simd.mjs [--json]
// (Chrome has shipped relaxed SIMD since 114.) The ddpm-wasm builds stay plain SIMD: relaxed_madd may round once
// or twice depending on the CPU, which would end "same seed and thread count, same bits on any machine".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FLAG = '--experimental-wasm-relaxed-simd';
if (!process.execArgv.includes(FLAG)) {
  const r = spawnSync(process.execPath, [FLAG, new URL(import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ddpm-relaxed-'));
const plain = readFileSync(join(root, 'assembly/linear.ts'), 'utf8');
const madd = /f32x4\.add\((\w+), f32x4\.mul\(((?:[^()]|\([^()]*\))+?), (\w+)\)\)/g;
const fused = plain.replace(madd, (_, acc, a, b) => `f32x4.relaxed_madd(${a}, ${b}, ${acc})`);
const variants = { plain, relaxed: fused };
const kernels = {};
for (const [name, src] of Object.entries(variants)) {
  writeFileSync(join(dir, `${name}.ts`), src);
  const asc = spawnSync(join(root, 'node_modules/.bin/asc'), [join(dir, `${name}.ts`), '-O3', '--runtime', 'stub', '--enable', 'simd', '--enable', 'relaxed-simd',
    '--noAssert', '--importMemory', '-o', join(dir, `${name}.wasm`)], { encoding: 'utf8' });
  if (asc.status !== 0) throw new Error(asc.stderr);
}
const memory = new WebAssembly.Memory({ initial: 512 });
for (const name of Object.keys(variants)) {
  const mod = await WebAssembly.compile(readFileSync(join(dir, `${name}.wasm`)));
  kernels[name] = (await WebAssembly.instantiate(mod, { env: { memory, abort() {} } })).exports;
}

const f = new Float32Array(memory.buffer);
const X = 1 << 20, W = 8 << 20, B = 9 << 20, Y = 10 << 20, Y2 = 20 << 20;
const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
const rows = [];
for (const [n, din, dout] of [[32, 384, 128], [256, 384, 128], [256, 128, 128], [1024, 128, 128]]) {
  for (let i = 0; i < n * din; i++) f[X / 4 + i] = Math.sin(i);
  for (let i = 0; i < din * dout; i++) f[W / 4 + i] = 0.1 * Math.cos(i);
  const reps = Math.max(5, Math.round(2e7 / (n * din * dout)));
  const time = (k) => {
    for (let r = 0; r < reps; r++) k.linearForward(Y, X, W, B, n, din, dout);
    const ts = [];
    for (let round = 0; round < 9; round++) {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) k.linearForward(Y, X, W, B, n, din, dout);
      ts.push((performance.now() - t0) / reps);
    }
    return median(ts);
  };
  // Alternate the two so both see the same machine.
  const tp = [], tr = [];
  for (let a = 0; a < 3; a++) tp.push(time(kernels.plain)), tr.push(time(kernels.relaxed));
  kernels.plain.linearForward(Y, X, W, B, n, din, dout);
  kernels.relaxed.linearForward(Y2, X, W, B, n, din, dout);
  let diff = 0;
  for (let i = 0; i < n * dout; i++) diff = Math.max(diff, Math.abs(f[Y / 4 + i] - f[Y2 / 4 + i]));
  const flops = 2 * n * din * dout, p = median(tp), r = median(tr);
  rows.push({ shape: `${n}x${din}->${dout}`, plainGflops: flops / p / 1e6, relaxedGflops: flops / r / 1e6, speedup: p / r, maxAbsDiff: diff });
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
else {
  console.log('linearForward, one thread, median of 3 alternated medians of 9 rounds');
  console.log('shape            plain GFLOP/s  relaxed_madd GFLOP/s  speed-up  max |diff|');
  for (const r of rows) {
    console.log(`${r.shape.padEnd(16)} ${r.plainGflops.toFixed(1).padStart(13)}  ${r.relaxedGflops.toFixed(1).padStart(20)}  ${r.speedup.toFixed(2).padStart(7)}x  ${r.maxAbsDiff.toExponential(1)}`);
  }
}
