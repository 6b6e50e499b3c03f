// npm run bench [-- --json] [-- --quick] [-- --no-peer | --peer-only]: kernel GFLOP/s against the machine's own SIMD
// multiply-add peak, train-step time at B = 32, 256, 1024, and sampling time, for the SIMD and scalar builds, then the
// same model in TensorFlow.js 4.22 (wasm and cpu backends, bench/tfjs-peer.mjs) and the ratios, in one run.
// Method: warm-up, then the median of repeated timings. Figures go to BENCH.md; tests never time anything.
import os from 'node:os';
import { Engine, compileKernels, instantiateKernels, makeSchedule, DEFAULT_MODEL, Rng, getDataset, fitStandardization, standardize } from '../dist/index.js';
import { runPeer } from './tfjs-peer.mjs';

const args = new Set(process.argv.slice(2));
const known = ['--json', '--quick', '--no-peer', '--peer-only'];
if (args.has('--help') || args.has('-h')) {
  process.stdout.write(`npm run bench [-- options]: kernels against the SIMD peak, train steps, sampling, and the TensorFlow.js peer, in one run
  --json       one JSON object on stdout (use npm run -s)
  --quick      skip sampling at T = 1000
  --no-peer    skip the TensorFlow.js peer
  --peer-only  run only the peer
`);
  process.exit(0);
}
for (const a of args) if (!known.includes(a)) { process.stderr.write(`error: unknown option ${a} (options: ${known.join(' ')})\n`); process.exit(2); }
const json = args.has('--json');
const quick = args.has('--quick');
const peerOnly = args.has('--peer-only');
const peer = !args.has('--no-peer');
if (peerOnly && !peer) { process.stderr.write('error: --peer-only and --no-peer exclude each other\n'); process.exit(2); }
const log = (s) => process.stderr.write(s + '\n');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
/** Median seconds per call of fn over `reps` timed batches of `inner` calls, after `warm` calls. */
function time(fn, { warm = 3, reps = 7, inner = 1 } = {}) {
  for (let i = 0; i < warm; i++) fn();
  const ts = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    ts.push((performance.now() - t0) / 1000 / inner);
  }
  return median(ts);
}

const result = {
  machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
  date: new Date().toISOString(),
  peak: {}, kernels: [], train: [], sample: [],
};
const lr = 1e-3; // the training steps' learning rate, ours and the peer's

async function kernelsFor(flavor) {
  const module = await compileKernels(undefined, flavor);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const k = instantiateKernels(module, memory);
  return { k, memory };
}

for (const flavor of peerOnly ? [] : ['simd', 'scalar']) {
  const { k, memory } = await kernelsFor(flavor);
  const iters = 2_000_000;
  const fn = flavor === 'simd' ? () => k.madPeak(iters) : () => k.madPeakScalar(iters);
  const s = time(fn, { warm: 2, reps: 9 });
  const flops = iters * 40 * (flavor === "simd" ? 4 : 1);
  result.peak[flavor] = flops / s / 1e9;
  log(`${flavor} multiply-add peak: ${result.peak[flavor].toFixed(1)} GFLOP/s`);

  // Matmul shapes of one training step of the default model.
  const base = Math.ceil(k.heapBase() / 16) * 16;
  const shapes = [
    { name: 'inp 384->128', n: 1024, din: 384, dout: 128 },
    { name: 'block 128->128', n: 1024, din: 128, dout: 128 },
    { name: 'out 128->2', n: 1024, din: 128, dout: 2 },
    { name: 'block 128->128, B=32', n: 32, din: 128, dout: 128 },
  ];
  const need = base + 4 * (1024 * 384 * 3 + 384 * 128 * 2 + 512) + 65536;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const f = new Float32Array(memory.buffer);
  const rng = new Rng(1);
  for (let i = base / 4; i < need / 4 - 16; i++) f[i] = rng.uniform() - 0.5;
  for (const sh of shapes) {
    const x = base, w = x + 4 * 1024 * 384, b = w + 4 * 384 * 128, y = b + 4 * 512, dx = y + 4 * 1024 * 384, dw = dx + 4 * 1024 * 384 + 4096;
    const flops = 2 * sh.n * sh.din * sh.dout;
    const fw = flavor === 'simd' ? k.linearForward : k.linearForwardScalar;
    const bw = flavor === 'simd' ? k.linearBackward : k.linearBackwardScalar;
    const inner = Math.max(1, Math.round(2e8 / flops / (flavor === 'simd' ? 1 : 8)));
    const tf = time(() => fw(y, x, w, b, sh.n, sh.din, sh.dout), { inner });
    const tb = time(() => bw(dx, dw, b + 4 * 256, y, x, w, sh.n, sh.din, sh.dout), { inner });
    const row = { flavor, shape: sh.name, forwardGflops: flops / tf / 1e9, backwardGflops: (2 * flops) / tb / 1e9 };
    row.forwardOfPeak = row.forwardGflops / result.peak[flavor];
    row.backwardOfPeak = row.backwardGflops / result.peak[flavor];
    result.kernels.push(row);
    log(`  ${flavor} ${sh.name.padEnd(22)} forward ${row.forwardGflops.toFixed(1).padStart(5)} GFLOP/s (${(100 * row.forwardOfPeak).toFixed(0)}% of peak)  backward ${row.backwardGflops.toFixed(1).padStart(5)} GFLOP/s (${(100 * row.backwardOfPeak).toFixed(0)}%)`);
  }
}

// Whole training steps of the default model (Algorithm 1 + AdamW + EMA), and sampling (Algorithm 2).
const data = getDataset('moons', 10000, 0);
const z = standardize(data, fitStandardization(data)).data;
const cases = peerOnly ? [] : [
  ...[32, 256, 1024].flatMap((B) => [1, 2].map((threads) => ({ flavor: 'simd', B, threads }))),
  { flavor: 'scalar', B: 256, threads: 1 },
];
for (const { flavor, B, threads } of cases) {
  const e = await Engine.create({ model: DEFAULT_MODEL, schedule: makeSchedule('linear', 1000), rows: B, seed: 1, data: z, flavor, threads });
  const s = time(() => e.trainStep(lr, B), { warm: 5, reps: 7, inner: Math.max(1, Math.round(256 / B) * 4) });
  e.close();
  result.train.push({ flavor, batch: B, threads: e.lanes, ms: s * 1000, stepsPerSecond: 1 / s });
  log(`train step ${flavor} B=${B} threads=${e.lanes}: ${(s * 1000).toFixed(2)} ms (${(1 / s).toFixed(0)} steps/s)`);
}
for (const T of peerOnly ? [] : quick ? [50] : [50, 1000]) {
  for (const threads of [1, 2]) {
    const e = await Engine.create({ model: DEFAULT_MODEL, schedule: makeSchedule('linear', T), rows: 1024, seed: 1, threads });
    e.sample(1024, { variance: 'posterior', clip: 3 }); // warm-up (and the worker programs)
    const t0 = performance.now();
    e.sample(10000, { variance: 'posterior', clip: 3 });
    const s = (performance.now() - t0) / 1000;
    e.close();
    result.sample.push({ flavor: 'simd', points: 10000, T, threads: e.lanes, seconds: s });
    log(`sample 10,000 points T=${T} threads=${e.lanes}: ${s.toFixed(2)} s`);
  }
}

if (!peerOnly) {
  const simd256 = result.train.find((r) => r.flavor === 'simd' && r.batch === 256 && r.threads === 1).ms;
  const scalar256 = result.train.find((r) => r.flavor === 'scalar' && r.batch === 256).ms;
  result.ratios = { simdOverScalarTrainB256: scalar256 / simd256, simdPeakOverScalarPeak: result.peak.simd / result.peak.scalar };
  log(`SIMD vs scalar build, train step B=256: ${result.ratios.simdOverScalarTrainB256.toFixed(2)}x faster`);
}

// The peer (issue 5): the same model, objective and optimiser in TensorFlow.js, in this process, after ours.
if (peer) {
  // tfjs-core's log() writes to stdout; keep stdout for --json alone.
  const consoleLog = console.log;
  console.log = (...a) => log(a.join(' '));
  try {
    result.peer = await runPeer({ time, log, model: DEFAULT_MODEL, makeSchedule, data: z, lr, quick });
  } finally {
    console.log = consoleLog;
  }
  // Ratios: TF.js time / our time for the same case (above 1: ours is faster), against our 1- and 2-thread rows.
  result.peerRatios = { train: [], sample: [] };
  for (const p of result.peer.train) {
    for (const ours of result.train.filter((r) => r.flavor === 'simd' && r.batch === p.batch)) {
      result.peerRatios.train.push({ peer: `tfjs-${p.peer}`, batch: p.batch, threads: ours.threads, ratio: p.ms / ours.ms });
    }
  }
  for (const p of result.peer.sample) {
    for (const ours of result.sample.filter((r) => r.T === p.T && r.points === p.points)) {
      result.peerRatios.sample.push({ peer: `tfjs-${p.peer}`, T: p.T, threads: ours.threads, ratio: p.seconds / ours.seconds, peerScaled: p.scaled });
    }
  }
  if (!peerOnly) {
    log('TF.js / ours (time ratio; > 1: ours is faster):');
    for (const name of ['wasm', 'wasm-explicit', 'cpu']) {
      for (const B of [32, 256, 1024]) {
        const r = result.peerRatios.train.filter((x) => x.peer === `tfjs-${name}` && x.batch === B);
        if (r.length) log(`  train step B=${B}: TF.js ${name} / ours ${r.map((x) => `${x.ratio.toFixed(1)}x (${x.threads} thread${x.threads > 1 ? 's' : ''})`).join(', ')}`);
      }
    }
    for (const r of result.peerRatios.sample) {
      log(`  sample 10,000 points T=${r.T}: TF.js ${r.peer.slice(5)}${r.peerScaled ? ' (scaled)' : ''} / ours ${r.ratio.toFixed(1)}x (${r.threads} thread${r.threads > 1 ? 's' : ''})`);
    }
    // The target compares our faster thread count at each batch size; the smallest ratio over the batch sizes decides.
    result.peerRatios.target = {};
    for (const name of ['wasm', 'wasm-explicit']) {
      const best = [32, 256, 1024].map((B) => Math.max(...result.peerRatios.train.filter((x) => x.peer === `tfjs-${name}` && x.batch === B).map((x) => x.ratio)));
      result.peerRatios.target[`tfjs-${name}`] = Math.min(...best);
      log(`issue 5 target, ours (faster thread count) >= 20x faster per training step than TF.js ${name}: ${best.map((r, i) => `B=${[32, 256, 1024][i]} ${r.toFixed(1)}x`).join(', ')}: ${Math.min(...best) >= 20 ? 'met' : 'not met'}`);
    }
  }
}
if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
