// How much of one `eval --model` ratio is luck? Not a test: a measurement behind the README's "Reading eval".
//   node bench/eval-noise.mjs --model FILE [--seed S] [--k K] [--bar X] [--json]
// Holds the data draws of `eval --model FILE --seed S` fixed (the same fresh points, the same A/B split, the same
// floor) and varies only what a model's samples are:
//   model:   the model's own samples under K sampling seeds; the first is the one `eval` uses (seed S), so its ratio
//            is exactly what `eval` prints;
//   perfect: K sets of fresh data judged as samples (the first is `eval --repeats`' perfect model at seed S).
// If the two rows look alike, the model is as good as fresh data as far as this protocol can see, and whether its
// one `eval` ratio lands under a bar is decided by the draw. What the protocol cannot see, a larger sample can: the
// sliced W2 between --large samples and as many fresh points, next to the same for fresh data, shows the model's
// own error once the sampling noise of 1000-point draws is gone.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  Diffusion, FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET, Rng, compareToData, energyDistance, getDataset, makeDraws, slicedWasserstein,
  spread, w2Exact,
} from '../dist/lab/index.js';

const HELP = `usage: node bench/eval-noise.mjs --model FILE [--seed S] [--k K] [--bar X] [--json]

  --model FILE  a model written by train (its data set must be a named one)
  --seed S      the eval seed whose data draws are held fixed (default 1, eval's default)
  --k K         sampling seeds for the model, and fresh sets for the perfect model (default 20)
  --bar X       W2 ratio bar to count passes against (default 1.15; energy is counted against 1.5)
  --large N     sliced W2 (512 directions) of N samples against N fresh points, and of fresh data (default 40000, 0 = skip)
  --json        one JSON object on stdout
  -h, --help    this text`;

let opts;
try {
  opts = parseArgs({
    options: {
      model: { type: 'string' }, seed: { type: 'string' }, k: { type: 'string' }, bar: { type: 'string' }, large: { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  console.error(`eval-noise: ${e.message}`);
  process.exit(2);
}
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const fail = (msg) => {
  console.error(`eval-noise: ${msg}`);
  process.exit(2);
};
const int = (name, v, dflt) => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${v}`);
  return n;
};
if (!opts.model) fail('--model FILE is required (see --help)');
const seed = int('seed', opts.seed, 1), k = int('k', opts.k, 20);
const large = opts.large === '0' ? 0 : int('large', opts.large, 40000);
const bar = opts.bar === undefined ? 1.15 : Number(opts.bar);
if (!(bar > 0)) fail(`--bar must be a positive number, got ${opts.bar}`);

let model;
try {
  model = await Diffusion.load(new Uint8Array(readFileSync(opts.model)), { source: opts.model });
} catch (e) {
  fail(e.message);
}
const dataset = model.config.dataset;
if (dataset.toLowerCase().endsWith('.csv')) fail(`the model was trained on ${dataset}: this needs a named data set`);
const plan = { draws: 5, size: 1000 };
// Exactly eval's fresh data and split (src/cli/main.ts: 2 x draws x size points at seed + FRESH_SEED_OFFSET, makeDraws at seed).
const data = getDataset(dataset, 2 * plan.draws * plan.size, seed + FRESH_SEED_OFFSET);
const perfectSamples = (j) => getDataset(dataset, plan.draws * plan.size, seed + PERFECT_SEED_OFFSET + 104729 * j);
// The floor depends on the data draws only: computed once, as eval computes it.
const floor = (() => {
  const { samplesDraws, dataDrawsA, dataDrawsB } = makeDraws(perfectSamples(0), data, plan, seed);
  const r = compareToData(samplesDraws, dataDrawsA, dataDrawsB, { seed });
  return { w2: r.metrics.find((m) => m.name === 'w2').floor, energy: r.metrics.find((m) => m.name === 'energy').floor };
})();
const judge = (samples) => {
  const { samplesDraws, dataDrawsA } = makeDraws(samples, data, plan, seed);
  const mean = (f) => samplesDraws.reduce((acc, x, i) => acc + f(x, dataDrawsA[i]), 0) / plan.draws;
  return { w2: mean(w2Exact) / floor.w2, energy: mean((a, b) => energyDistance(a, b)) / floor.energy };
};

const rows = { model: [], perfect: [] };
const t0 = performance.now();
for (let j = 0; j < k; j++) {
  model.reseedSampling(j === 0 ? seed : seed + 1000 * j);
  rows.model.push(judge(model.sample(plan.draws * plan.size).points));
  // j = 0 is the perfect model of `eval --repeats` at this seed.
  rows.perfect.push(judge(perfectSamples(j)));
  const s = (performance.now() - t0) / 1000;
  process.stderr.write(`\reval-noise ${j + 1}/${k} | ${s.toFixed(0)} s | ETA ${((s / (j + 1)) * (k - j - 1)).toFixed(0)} s   `);
}
process.stderr.write('\n');
let sliced;
if (large > 0) {
  process.stderr.write(`eval-noise: sampling ${large} points for the large-sample check\n`);
  model.reseedSampling(seed);
  const fresh = getDataset(dataset, large, seed + 31337);
  const dirs = () => new Rng(seed, 77);
  sliced = {
    n: large,
    model: slicedWasserstein(model.sample(large).points, fresh, 512, dirs()),
    perfect: slicedWasserstein(getDataset(dataset, large, seed + 271828), fresh, 512, dirs()),
  };
}

const stat = (xs, limit) => ({ ...spread(xs), pass: xs.filter((x) => x <= limit).length, n: xs.length });
const summary = {
  model: opts.model, dataset, seed, k, bar, floor: floor.w2, evalRatio: rows.model[0].w2,
  w2: { model: stat(rows.model.map((r) => r.w2), bar), perfect: stat(rows.perfect.map((r) => r.w2), bar) },
  energy: { model: stat(rows.model.map((r) => r.energy), 1.5), perfect: stat(rows.perfect.map((r) => r.energy), 1.5) },
  sliced,
};
if (opts.json) {
  console.log(JSON.stringify(summary));
} else {
  const f = (s) =>
    `${s.mean.toFixed(2)} ± ${s.sd.toFixed(2)}  [${s.min.toFixed(2)}, ${s.max.toFixed(2)}]  ${String(s.pass).padStart(3)} of ${s.n}`;
  console.log(`${dataset}, eval seed ${seed}: data draws fixed (W2 floor ${summary.floor.toFixed(4)}); ` +
    `eval's own W2 ratio ${summary.evalRatio.toFixed(2)}`);
  console.log(`ratio: mean ± sd [min, max], and how many are under the bar (W2 <= ${bar}, energy <= 1.5)`);
  console.log(`W2 exact   model (${k} sampling seeds)  ${f(summary.w2.model)}`);
  console.log(`W2 exact   perfect (${k} fresh sets)    ${f(summary.w2.perfect)}`);
  console.log(`energy     model                    ${f(summary.energy.model)}`);
  console.log(`energy     perfect                  ${f(summary.energy.perfect)}`);
  if (sliced) {
    console.log(`sliced W2 of ${large} points against as many fresh ones: model ${sliced.model.toFixed(4)}, ` +
      `fresh data ${sliced.perfect.toFixed(4)}`);
  }
}
