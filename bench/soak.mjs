// node bench/soak.mjs [--steps N] [--small] [--threads N] [--every N] [--checkpoint-every N] [--json]
// Soak test: one long training run (default 200k steps, the figure) through the library front door,
// with a checkpoint encoded and written atomically every --checkpoint-every steps, reporting resident memory
// (RSS), the JS heap and the wasm memory over time. Both must be flat: the arena is planned once and nothing
// grows it, and nothing per step may accumulate on the JS side except the loss history (4 bytes a step,
// reported separately). Figures go to BENCH.md; tests never time anything.
//   --small   width 32, depth 2, embed 16, batch 64 (about 8x the steps/s of the default model; same code paths)
// Needs dist/ (npm run build).
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDiffusion, decodeCheckpoint } from '../dist/lab/index.js';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const steps = flag('steps', 200_000);
const small = argv.includes('--small');
const json = argv.includes('--json');
const every = flag('every', Math.max(1, Math.round(steps / 40)));
const ckEvery = flag('checkpoint-every', Math.max(1, Math.round(steps / 20)));
const log = (s) => { if (!json) process.stderr.write(s + '\n'); };

const model = small ? { width: 32, depth: 2, embedSize: 16 } : {};
const threadsFlag = flag('threads', undefined);
const d = await createDiffusion({
  dataset: 'moons', nData: 10_000, steps, batch: small ? 64 : 256, T: 100, seed: 1, model, ...(threadsFlag ? { threads: threadsFlag } : {}),
});
const dir = mkdtempSync(join(tmpdir(), 'ddpm-soak-'));
const ckPath = join(dir, 'checkpoint.safetensors');
const mb = (b) => b / 2 ** 20;
const rows = [];
const t0 = performance.now();
let ckBytes = 0;
let lastLoss = NaN;

function record(step) {
  global.gc?.();
  const m = process.memoryUsage();
  rows.push({
    step,
    seconds: (performance.now() - t0) / 1000,
    rssMiB: mb(m.rss),
    heapMiB: mb(m.heapUsed),
    externalMiB: mb(m.external + m.arrayBuffers),
    wasmMiB: mb(d.engine.memoryBytes()),
    lossHistoryMiB: mb(d.losses.byteLength),
    loss: lastLoss,
  });
  const r = rows[rows.length - 1];
  log(`step ${String(step).padStart(7)}  ${r.seconds.toFixed(0).padStart(5)} s  rss ${r.rssMiB.toFixed(1)} MiB  ` +
    `heap ${r.heapMiB.toFixed(1)} MiB  wasm ${r.wasmMiB.toFixed(2)} MiB  loss ${Number.isFinite(lastLoss) ? lastLoss.toFixed(4) : '-'}`);
}

record(0);
await d.train({
  steps,
  progressEvery: every,
  onProgress: (p) => { lastLoss = p.loss; record(p.step); },
  checkpointEvery: ckEvery,
  onCheckpoint: () => {
    // Same work as the CLI's periodic checkpoint: encode, write beside, rename over.
    const bytes = d.save(true);
    ckBytes = bytes.length;
    writeFileSync(ckPath + '.tmp', bytes);
    renameSync(ckPath + '.tmp', ckPath);
  },
  yieldEvery: 1000,
});
const final = d.save(true);
decodeCheckpoint(final, 'final checkpoint'); // still a valid file after the whole run
rmSync(dir, { recursive: true, force: true });
d.close?.();

// Flatness: compare the first tenth of the run (after warm-up) with the last tenth.
const warm = rows.filter((r) => r.step >= steps * 0.05 && r.step <= steps * 0.15);
const tail = rows.filter((r) => r.step >= steps * 0.9);
const avg = (xs, k) => xs.reduce((s, r) => s + r[k], 0) / Math.max(1, xs.length);
const max = (k) => Math.max(...rows.map((r) => r[k]));
const min = (k) => Math.min(...rows.map((r) => r[k]));
const summary = {
  steps,
  model: (small ? 'small (width 32, depth 2, embed 16, batch 64)' : 'default (width 128, depth 3, embed 128, batch 256)') +
    `, ${d.config.threads ?? 1} thread(s)`,
  seconds: (performance.now() - t0) / 1000,
  stepsPerSecond: steps / ((performance.now() - t0) / 1000),
  rssMiB: { start: rows[0].rssMiB, min: min('rssMiB'), max: max('rssMiB'), early: avg(warm, 'rssMiB'), late: avg(tail, 'rssMiB') },
  heapMiB: { min: min('heapMiB'), max: max('heapMiB'), early: avg(warm, 'heapMiB'), late: avg(tail, 'heapMiB') },
  wasmMiB: { min: min('wasmMiB'), max: max('wasmMiB') },
  lossHistoryMiB: mb(d.losses.byteLength),
  checkpointMiB: mb(ckBytes),
  gcExposed: typeof global.gc === 'function',
};
if (json) process.stdout.write(JSON.stringify({ summary, rows }) + '\n');
else {
  const s = summary;
  process.stdout.write([
    `soak: ${s.steps} steps, ${s.model}, ${s.seconds.toFixed(0)} s (${s.stepsPerSecond.toFixed(0)} steps/s)`,
    `  RSS    start ${s.rssMiB.start.toFixed(1)} MiB, range ${s.rssMiB.min.toFixed(1)}..${s.rssMiB.max.toFixed(1)} MiB, ` +
      `mean at 5-15% ${s.rssMiB.early.toFixed(1)} MiB, at 90-100% ${s.rssMiB.late.toFixed(1)} MiB ` +
      `(${(s.rssMiB.late - s.rssMiB.early >= 0 ? '+' : '')}${(s.rssMiB.late - s.rssMiB.early).toFixed(1)} MiB)`,
    `  heap   range ${s.heapMiB.min.toFixed(1)}..${s.heapMiB.max.toFixed(1)} MiB, early ${s.heapMiB.early.toFixed(1)}, ` +
      `late ${s.heapMiB.late.toFixed(1)} MiB` +
      ` (loss history ${s.lossHistoryMiB.toFixed(2)} MiB of it by design)`,
    `  wasm   ${s.wasmMiB.min.toFixed(2)}..${s.wasmMiB.max.toFixed(2)} MiB (${s.wasmMiB.min === s.wasmMiB.max ? 'constant' : 'GREW'})`,
    `  checkpoint ${s.checkpointMiB.toFixed(2)} MiB, written ${Math.floor((steps - 1) / ckEvery)} times`,
    '',
  ].join('\n'));
}
