// The page's default model judged as the page judges it: not a test, the measurement behind docs/page.md.
//   node bench/page-default.mjs [--datasets swissroll,moons,cross] [--seeds 0,1,2] [--steps 3000] [--t-sampling S]
//     [--input-scale X] [--json FILE]
// Trains the model web/main.ts builds from the form's defaults (width 64, depth 2, T = 100, 3,000 steps, batch 256,
// lr 0.002, warm-up 200, 2,000 points, input scale 25, importance-sampled t, one thread as the page's worker on 2 cores),
// then for each reverse variance (sigma_t^2 = beta_t and beta-tilde_t) samples n points and runs the classifier
// two-sample test against n fresh points (src/eval/two-sample.ts; the page's verdict at n = 2,000 with its sampling
// seed, and at n = 20,000).
// The variance is a sampling choice: one trained model serves both rows of a (data set, seed) cell.
import { writeFileSync, renameSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FRESH_SEED_OFFSET, classifierTwoSampleTest, createDiffusion, getDataset } from '../dist/lab/index.js';

const HELP = `usage: node bench/page-default.mjs [--datasets LIST] [--seeds LIST] [--steps N] [--sizes LIST] [--json FILE]

  --datasets LIST  comma-separated named data sets (default swissroll,moons,cross)
  --seeds LIST     training seeds (default 0)
  --steps N        training steps (default 3000, the page's)
  --T N            diffusion steps (default 100, the page's)
  --sizes LIST     samples judged against as many fresh points (default 2000,20000)
  --t-sampling S   how t is drawn: importance (the page's, the library's default), uniform or stratified
  --input-scale X  the input embedding's scale (default 25, the page's)
  --json FILE      also write every row as JSON (temp file, then renamed)
  -h, --help       this text`;

let o;
try {
  o = parseArgs({
    options: {
      datasets: { type: 'string', default: 'swissroll,moons,cross' }, seeds: { type: 'string', default: '0' },
      steps: { type: 'string', default: '3000' }, T: { type: 'string', default: '100' }, sizes: { type: 'string', default: '2000,20000' },
      json: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      't-sampling': { type: 'string', default: 'importance' }, 'input-scale': { type: 'string', default: '25' },
    },
  }).values;
} catch (e) {
  console.error(`page-default: ${e.message}`);
  process.exit(2);
}
if (o.help) {
  console.log(HELP);
  process.exit(0);
}
const ints = (name, s) => s.split(',').map((v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`page-default: --${name} takes non-negative integers, got "${v}"`);
    process.exit(2);
  }
  return n;
});
const datasets = o.datasets.split(','), seeds = ints('seeds', o.seeds), sizes = ints('sizes', o.sizes);
const [steps] = ints('steps', o.steps), [T] = ints('T', o.T);
const tSampling = o['t-sampling'], inputScale = Number(o['input-scale']);
if (!['uniform', 'stratified', 'importance'].includes(tSampling)) {
  console.error(`page-default: --t-sampling must be uniform, stratified or importance, got "${tSampling}"`);
  process.exit(2);
}
if (!(inputScale > 0)) {
  console.error(`page-default: --input-scale must be a positive number, got "${o['input-scale']}"`);
  process.exit(2);
}

const rows = [];
for (const dataset of datasets) for (const seed of seeds) {
  // web/main.ts trainRequest() with the form's defaults.
  const model = await createDiffusion({
    dataset, nData: 2000, schedule: 'linear', T, variance: 'beta', model: { width: 64, depth: 2, embedSize: 64, inputScale },
    steps, batch: 256, lr: 0.002, warmup: Math.min(200, Math.floor(steps / 10)), seed, threads: 1, tSampling,
    ...(tSampling === 'importance' ? { importanceMix: 0.001 } : {}), // the page's mix
  });
  const t0 = performance.now();
  await model.train();
  const trainSeconds = (performance.now() - t0) / 1000;
  for (const variance of ['beta', 'posterior']) {
    const row = { dataset, seed, variance, trainSeconds };
    for (const n of sizes) {
      // The page's verdict (web/worker-views.ts judge): sampling seed + 99, fresh data at seed + FRESH_SEED_OFFSET, split seed 1.
      model.reseedSampling(seed + 99);
      const t1 = performance.now();
      const samples = model.sample(n, { variance }).points;
      const sampleSeconds = (performance.now() - t1) / 1000;
      const t = classifierTwoSampleTest(samples, getDataset(dataset, n, seed + FRESH_SEED_OFFSET), { seed: 1 });
      Object.assign(row, { [`z${n}`]: t.z, [`acc${n}`]: t.accuracy, [`sample${n}`]: sampleSeconds });
    }
    rows.push(row);
    const cells = sizes.map((n) => `n=${n}: z ${row[`z${n}`].toFixed(2)} acc ${row[`acc${n}`].toFixed(4)}`).join('  ');
    console.error(`${dataset} seed ${seed} ${variance.padEnd(9)} train ${trainSeconds.toFixed(1)} s  ${cells}`);
  }
  model.close();
}

const head = `| data set | seed | sigma_t^2 | train s | ${sizes.map((n) => `z (n = ${n}) | acc (n = ${n})`).join(' | ')} |`;
const rule = `|${'---|'.repeat(4 + 2 * sizes.length)}`;
const body = rows.map((r) => `| ${r.dataset} | ${r.seed} | ` +
  `${r.variance === 'beta' ? 'beta_t' : 'beta-tilde_t'} | ${r.trainSeconds.toFixed(1)} | ` +
  sizes.map((n) => `${r[`z${n}`].toFixed(2)} | ${r[`acc${n}`].toFixed(4)}`).join(' | ') + ' |');
const mean = (v, key) => rows.filter((r) => r.variance === v).reduce((s, r) => s + r[key], 0) / rows.filter((r) => r.variance === v).length;
const means = ['beta', 'posterior'].map((v) => `| mean | | ` +
  `${v === 'beta' ? 'beta_t' : 'beta-tilde_t'} | ${mean(v, 'trainSeconds').toFixed(1)} | ` +
  sizes.map((n) => `${mean(v, `z${n}`).toFixed(2)} | ${mean(v, `acc${n}`).toFixed(4)}`).join(' | ') + ' |');
console.log([head, rule, ...body, ...means].join('\n'));
if (o.json) {
  writeFileSync(`${o.json}.tmp`, JSON.stringify(rows, null, 1));
  renameSync(`${o.json}.tmp`, o.json);
}
