// node bench/loader-cost.mjs [--rounds R] [--calls N] [--json]: what @assemblyscript/loader costs per kernel call, and
// what that is worth in a B = 32 training step. docs/loader.md quotes its output.
//
// One compiled module (dist/ddpm.wasm, the SIMD build), two instances on two memories: the plain one the engine makes
// (new WebAssembly.Instance, its exports called directly) and the loader's (instantiateSync, whose exports are wrappers
// that forward to the originals). Each round times N calls of a tiny kernel through each, in alternating order (the
// plain instance first in even rounds, the loader first in odd ones), so that a burst of other work on a shared
// machine lands on both sides of a pair; the per-round difference is the figure, its median and spread over R rounds
// the result. Then the engine itself: how many kernel calls one training step at B = 32 makes on one thread (counted
// through a wrapper of engine.k) and that step's median time, so the overhead reads as a share of a step.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { instantiateSync } from '@assemblyscript/loader';
import { DEFAULT_MODEL, Engine, fitStandardization, getDataset, makeSchedule, standardize } from '../dist/lab/index.js';
import { cpuInfo, cpuLine } from './cpu.mjs';

const HELP = `node bench/loader-cost.mjs [options]: per-call cost of a loader-wrapped kernel export against the plain
instance export (paired, alternating rounds), and the kernel calls and time of one B = 32 training step
  --rounds R   paired rounds (default 101, 5..1001)
  --calls N    calls per timed batch (default 20000, 1000..10000000)
  --json       one JSON object on stdout (progress stays on stderr)
`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const fail = (msg) => {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
};
const opts = { rounds: 101, calls: 20_000, json: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--json') opts.json = true;
  else if (a === '--rounds' || a === '--calls') {
    const v = argv[++i], n = Number(v);
    const [lo, hi] = a === '--rounds' ? [5, 1001] : [1000, 10_000_000];
    if (!/^\d+$/.test(v ?? '') || n < lo || n > hi) fail(`${a} must be an integer in [${lo}, ${hi}], got ${v ?? 'nothing'}`);
    opts[a.slice(2)] = n;
  } else fail(`unknown option ${a} (options: --rounds R, --calls N, --json)`);
}
const log = (s) => process.stderr.write(`${s}\n`);

const module = new WebAssembly.Module(readFileSync(new URL('../dist/ddpm.wasm', import.meta.url)));
const memory = () => new WebAssembly.Memory({ initial: 2 });
const plain = new WebAssembly.Instance(module, { env: { memory: memory() } }).exports;
const loaded = instantiateSync(module, { env: { memory: memory() } }).exports;
if (typeof loaded.reverseStep.original !== 'function') fail('the loader did not wrap the exports');

// Tiny kernels, typical arities: a reverse step over 4 floats (8 arguments, no result: one SIMD iteration) and the
// squared norm of 4 floats (2 arguments, an f64 result). Buffers at 64 KiB: above the module's static data.
const P = 65536;
const KERNELS = {
  'reverseStep (n = 4)': (k) => () => k.reverseStep(P, P, P + 64, 0, 4, 1, 0, 0),
  'sumSquares (n = 4)': (k) => () => k.sumSquares(P, 4),
};

/** Nanoseconds per call of f over n calls. */
function perCall(f, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t0) / n;
}
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = q * (s.length - 1), lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
};
const summary = (xs) => ({
  mean: xs.reduce((a, b) => a + b, 0) / xs.length, median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75),
  min: Math.min(...xs), max: Math.max(...xs),
});
const ns = (x) => `${x.toFixed(1)} ns`;

const result = {
  command: `node bench/loader-cost.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`,
  machine: { ...cpuInfo(), node: process.version, load: os.loadavg() },
  date: new Date().toISOString(),
  rounds: opts.rounds, calls: opts.calls, kernels: [], step: {},
};

for (const [name, make] of Object.entries(KERNELS)) {
  const a = make(plain), b = make(loaded);
  for (let w = 0; w < 3; w++) perCall(a, opts.calls), perCall(b, opts.calls); // both sides reach V8's optimising tier
  const pl = [], lo = [], diff = [];
  for (let r = 0; r < opts.rounds; r++) {
    let x, y;
    if (r % 2 === 0) (x = perCall(a, opts.calls)), (y = perCall(b, opts.calls));
    else (y = perCall(b, opts.calls)), (x = perCall(a, opts.calls));
    pl.push(x), lo.push(y), diff.push(y - x);
    if ((r + 1) % 25 === 0) log(`  ${name}: ${r + 1}/${opts.rounds} rounds`);
  }
  const row = { kernel: name, plain: summary(pl), loader: summary(lo), overhead: summary(diff) };
  result.kernels.push(row);
  const o = row.overhead;
  log(`${name}: plain ${ns(row.plain.median)}, loader ${ns(row.loader.median)} per call (medians); overhead median ${ns(o.median)}, ` +
    `mean ${ns(o.mean)}, quartiles ${ns(o.q1)} .. ${ns(o.q3)}, range ${ns(o.min)} .. ${ns(o.max)} (${opts.rounds} paired rounds)`);
}

// The engine's side: calls per B = 32 step on one thread, and the step's time (plain instance, as the engine runs).
{
  const B = 32, lr = 1e-3;
  const data = getDataset('moons', 10000, 0);
  const z = standardize(data, fitStandardization(data)).data;
  const e = await Engine.create({ model: DEFAULT_MODEL, schedule: makeSchedule('linear', 1000), rows: B, seed: 1, data: z, threads: 1 });
  for (let i = 0; i < 600; i++) e.trainStep(lr, B); // past the first steps' warm-up (bench/bench.mjs warmSteps)
  let calls = 0;
  const real = e.k, counting = {};
  for (const n of Object.keys(real)) counting[n] = typeof real[n] === 'function' ? (...args) => (calls++, real[n](...args)) : real[n];
  e.k = counting;
  e.trainStep(lr, B);
  e.k = real;
  const steps = 100, ms = [];
  for (let r = 0; r < 21; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) e.trainStep(lr, B);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6 / steps);
  }
  e.close();
  const step = summary(ms);
  const over = Math.max(...result.kernels.map((k) => k.overhead.median));
  const overheadUs = (calls * over) / 1000;
  result.step = { batch: B, threads: 1, kernelCalls: calls, ms: step, overheadUs, overheadShare: overheadUs / 1000 / step.median };
  log(`training step B = ${B}, 1 thread: ${calls} kernel calls, ${step.median.toFixed(3)} ms (quartiles ${step.q1.toFixed(3)} .. ` +
    `${step.q3.toFixed(3)}, 21 rounds of ${steps} steps)`);
  const share = (100 * result.step.overheadShare).toFixed(2);
  log(`  loader overhead at the larger median: ${overheadUs.toFixed(2)} us per step = ${share}% of the step`);
}
const load = result.machine.load.map((x) => x.toFixed(1)).join(' ');
log(`CPU: ${cpuLine(result.machine)}, load average ${load}, Node ${process.version}`);
if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
