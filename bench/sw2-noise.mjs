// How much of one sliced-W2 ratio at 20,000 points is luck? Not a test: a measurement behind docs/quality.md.
//   node bench/sw2-noise.mjs --model FILE [--seeds K] [--seed S] [--n N] [--threads N] [--bar X] [--json]
// Runs the large-sample protocol of `eval --model` (and of every quality-grid cell) at K eval seeds S..S+K-1: each
// seed draws its own fresh points, its own 4-draw floor and the model's own samples (sampling seed = eval seed, as
// eval does), so the row at seed S is exactly the figure `eval --model FILE --seed S` prints. Beside it, per seed,
// a perfect model: one more fresh set judged against the same fresh points and floor. The mean over the seeds is the
// better measurement (its standard error is sd / sqrt(K)); the perfect model's spread says how often fresh data
// itself lands above a bar at one seed.
import { readFileSync } from 'node:fs';
import { scriptArgs } from './args.mjs';
import { Diffusion, FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET, getDataset, sampleQuality, spread } from '../dist/lab/index.js';

const HELP = `usage: node bench/sw2-noise.mjs --model FILE [--seeds K] [--seed S] [--n N] [--threads N] [--bar X] [--json]

  --model FILE  a model written by train (its data set must be a named one)
  --seeds K     eval seeds S..S+K-1, each a whole eval protocol (default 5)
  --seed S      the first eval seed (default 1, eval's default: the first row is eval's own figure)
  --n N         points per set (default 20000, eval's)
  --threads N   threads sharing each reverse step (default: the model's)
  --bar X       sliced W2 ratio bar to count passes against (default 1.3)
  --json        one JSON object on stdout
  -h, --help    this text`;

const { opts, fail } = scriptArgs('sw2-noise', HELP, {
  model: { type: 'string' }, seeds: { type: 'string' }, seed: { type: 'string' }, n: { type: 'string' },
  threads: { type: 'string' }, bar: { type: 'string' }, json: { type: 'boolean' },
});
const int = (name, v, dflt, min) => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got ${v}`);
  return n;
};
if (!opts.model) fail('--model FILE is required (see --help)');
const K = int('seeds', opts.seeds, 5, 1), seed0 = int('seed', opts.seed, 1, 0), n = int('n', opts.n, 20000, 100);
const threads = int('threads', opts.threads, undefined, 1);
const bar = opts.bar === undefined ? 1.3 : Number(opts.bar);
if (!(bar > 0)) fail(`--bar must be a positive number, got ${opts.bar}`);

let model;
try {
  model = await Diffusion.load(new Uint8Array(readFileSync(opts.model)), { source: opts.model, threads });
} catch (e) {
  fail(e.message);
}
const dataset = model.config.dataset;
if (dataset.toLowerCase().endsWith('.csv')) fail(`the model was trained on ${dataset}: this needs a named data set`);

const FLOOR_DRAWS = 4; // eval's (src/cli/eval.ts references)
const rows = [];
const t0 = performance.now();
for (let j = 0; j < K; j++) {
  const s = seed0 + j;
  const fresh = getDataset(dataset, n, s + FRESH_SEED_OFFSET);
  const perfect = Array.from({ length: FLOOR_DRAWS }, (_, i) => getDataset(dataset, n, s + PERFECT_SEED_OFFSET + i));
  model.reseedSampling(s);
  const q = sampleQuality(model.sample(n).points, fresh, perfect, undefined, { seed: s });
  // A perfect model beside it: a fresh set no floor draw uses, judged against the same fresh points and floor.
  const other = sampleQuality(getDataset(dataset, n, s + PERFECT_SEED_OFFSET + 104729), fresh, perfect, undefined, { seed: s });
  rows.push({ seed: s, sw2Ratio: q.sw2Ratio, z: q.model.test.z, perfectSw2Ratio: other.sw2Ratio, perfectZ: other.model.test.z });
  const el = (performance.now() - t0) / 1000;
  process.stderr.write(`\rsw2-noise ${j + 1}/${K} | ${el.toFixed(0)} s | ETA ${((el / (j + 1)) * (K - j - 1)).toFixed(0)} s   `);
}
process.stderr.write('\n');

const stat = (xs) => {
  const s = spread(xs);
  return { ...s, se: s.sd / Math.sqrt(xs.length), pass: xs.filter((x) => x <= bar).length, n: xs.length };
};
const summary = {
  model: opts.model, dataset, n, bar, seeds: rows.map((r) => r.seed), rows,
  sw2Ratio: { model: stat(rows.map((r) => r.sw2Ratio)), perfect: stat(rows.map((r) => r.perfectSw2Ratio)) },
  z: { model: stat(rows.map((r) => r.z)), perfect: stat(rows.map((r) => r.perfectZ)) },
};
if (opts.json) {
  console.log(JSON.stringify(summary));
} else {
  const f = (s) => `${s.mean.toFixed(2)} ± ${s.se.toFixed(2)} (sd ${s.sd.toFixed(2)}, [${s.min.toFixed(2)}, ${s.max.toFixed(2)}])`;
  console.log(`${dataset}, ${n} points, eval seeds ${seed0}..${seed0 + K - 1}: mean ± standard error (sd, [min, max])`);
  console.log(`sliced W2 / floor  model    ${f(summary.sw2Ratio.model)}  ${summary.sw2Ratio.model.pass} of ${K} <= ${bar}`);
  console.log(`sliced W2 / floor  perfect  ${f(summary.sw2Ratio.perfect)}  ${summary.sw2Ratio.perfect.pass} of ${K} <= ${bar}`);
  console.log(`two-sample z       model    ${f(summary.z.model)}`);
  console.log(`two-sample z       perfect  ${f(summary.z.perfect)}`);
}
