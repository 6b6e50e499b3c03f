// The quality grid: the default `train` with one factor changed, over swissroll, moons, cross x seeds 0, 1, 2, each
// model judged as `eval --model` judges it (20,000 samples against fresh data: the two-sample test's z and accuracy,
// the sliced W2 over its floor), with its training time.
//   npm run quality -- --factor NAME[+NAME2] [--values a[+a2],b] [--seeds a,b] [--quick] [--threads 1] [--out DIR] [--baseline F]
//     [--ode K] [--with FLAGS] [--table-only] [--doc FILE]
// One JSON per cell in OUT/<factor>/<value>/<dataset>-s<seed>.json, written last (temp file, then rename), so a
// finished cell is never run again and an interrupted grid picks up where it stopped. Cells are ordered by seed, then
// data set, then value, so a grid stopped early covers every data set, and with two cells at a time (--threads 1) the
// default and a changed model of one (data set, seed) train side by side, under the same load.
// Every cell runs the built CLI (dist/cli.js): build first.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './args.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DATASETS = ['swissroll', 'moons', 'cross'];
const DEFAULT_SEEDS = [0, 1, 2];
/** The value that means "no flag": the default `train`. */
const BASE = 'default';
/** Values tried when --values is not given; any other factor is a `train` flag and needs --values. */
const PRESETS = {
  't-sampling': ['stratified', 'importance'],
  'input-scale': ['10', '5'],
  ema: ['0.9995', '0.998'],
  lr: ['1e-3', '4e-3'],
  T: ['100', '500'],
  'ema-warmup': ['power'],
};

const HELP = `usage: npm run quality -- --factor NAME[+NAME2] [--values a[+a2],b] [--seeds a,b] [--quick] [--threads N] [--out DIR]
                           [--doc FILE] [--baseline F] [--ode K] [--with FLAGS] [--table-only]

Trains the default model with one \`train\` flag changed over ${DATASETS.join(', ')} x seeds ${DEFAULT_SEEDS.join(', ')} (and
the default beside it), judges each model as \`eval --model\` does (20,000 samples: two-sample z and accuracy, sliced
W2 over its floor) and writes one JSON per cell (a finished cell is skipped), a table on stdout and in --doc.

  --factor NAME   the \`train\` flag to vary, without dashes (presets: ${Object.keys(PRESETS).join(', ')}); two or more flags
                  changed together: NAME+NAME2, each value then a+a2 (e.g. --factor t-sampling+input-scale --values importance+10)
  --values a,b    its values (default: the preset's); '${BASE}' (the flag left out) is always run first
  --seeds a,b     training seeds (default ${DEFAULT_SEEDS.join(', ')})
  --quick         2 cells (swissroll seed 0: ${BASE} and the first value), 60 steps, 500 judged points
  --threads N     threads per training run (default 2); with 1, two cells run at once
  --out DIR       where the cells go (default runs/quality)
  --doc FILE      the markdown file whose "${'<!-- grid:NAME -->'}" section gets the table (default docs/quality.md;
                  --quick: OUT/quality.md)
  --baseline F    take the '${BASE}' cells from the grid of factor F in OUT instead of training them again (the same
                  seeds give the same bits, so only the time ratios are lost: for factors that do not change the cost)
  --ode K         also judge each model's probability-flow ODE (Heun, K steps: 2K - 1 evaluations) on the same 20,000-point
                  test: \`sample --sampler ode --steps K\`, then \`eval --samples\` (added to finished cells without retraining)
  --with=FLAGS    \`train\` flags every cell takes, the default included (e.g. --with='--T 200': the grid around another
                  configuration); its cells go to OUT/with<FLAGS>/, apart from the plain grid's
  --table-only    run nothing: the table of the cells already finished (a grid still running, or stopped)
  -h, --help      this text`;

const { opts, fail } = scriptArgs('quality', HELP, {
  factor: { type: 'string' }, values: { type: 'string' }, quick: { type: 'boolean' }, threads: { type: 'string' },
  out: { type: 'string' }, doc: { type: 'string' }, 'table-only': { type: 'boolean' }, seeds: { type: 'string' },
  baseline: { type: 'string' }, ode: { type: 'string' }, with: { type: 'string' },
});
if (!opts.factor) fail('--factor NAME is required (see --help)');
const factor = opts.factor.replace(/^--/, '');
if (!/^[A-Za-z][A-Za-z0-9-]*(\+[A-Za-z][A-Za-z0-9-]*)*$/.test(factor)) {
  fail(`--factor must be a train flag name (or names joined by +), got "${opts.factor}"`);
}
/** The train flags a cell's value sets: one per factor, or with NAME+NAME2 one per part of the value a+a2. */
const flagNames = factor.split('+');
const given = opts.values?.split(',').map((s) => s.trim()).filter(Boolean);
if (opts.values !== undefined && !given?.length) fail(`--values must list at least one value, got "${opts.values}"`);
const values = [BASE,
  ...(given ?? PRESETS[factor] ?? fail(`no preset values for --factor ${factor}: give --values a,b`)).filter((v) => v !== BASE)];
for (const v of values.slice(1)) {
  if (v.split('+').length !== flagNames.length) fail(`--values ${v}: --factor ${factor} needs ${flagNames.length} parts joined by +`);
}
const ode = opts.ode === undefined ? 0 : Number(opts.ode);
if (opts.ode !== undefined && (!Number.isInteger(ode) || ode < 2 || ode > 1000)) {
  fail(`--ode must be an integer in [2, 1000], got ${opts.ode}`);
}
const SEEDS = opts.seeds === undefined ? DEFAULT_SEEDS : opts.seeds.split(',').map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 0) fail(`--seeds must list non-negative integers, got "${opts.seeds}"`);
  return n;
});
const threads = opts.threads === undefined ? 2 : Number(opts.threads);
if (!Number.isInteger(threads) || threads < 1 || threads > 64) fail(`--threads must be an integer in [1, 64], got ${opts.threads}`);
/** --with: train flags of every cell; its cells live apart (OUT/with--T_200/...), so plain and --with grids never mix. */
const withFlags = opts.with === undefined ? [] : opts.with.trim().split(/\s+/).filter(Boolean);
if (opts.with !== undefined && !withFlags.length) fail(`--with needs train flags, got "${opts.with}"`);
const outRoot = resolve(opts.out ?? join(ROOT, 'runs', 'quality'));
const out = withFlags.length ? join(outRoot, `with${withFlags.join('_').replace(/[^A-Za-z0-9._-]/g, '_')}`) : outRoot;
if (opts.baseline !== undefined && !existsSync(join(out, opts.baseline, BASE))) {
  fail(`--baseline ${opts.baseline}: no '${BASE}' cells of that factor in the output directory`);
}
if (!existsSync(CLI)) fail(`${CLI} is missing: run npm run build first`);
const quick = !!opts.quick;
const doc = resolve(opts.doc ?? (quick ? join(out, 'quality.md') : join(ROOT, 'docs', 'quality.md')));
/** Cells at once: two 1-thread runs fill the two cores of the reference machine. */
const parallel = threads === 1 ? 2 : 1;
const plan = quick ? { steps: 60, n: 500 } : { steps: undefined, n: 20000 };

const cells = [];
for (const seed of quick ? SEEDS.slice(0, 1) : SEEDS) {
  for (const dataset of quick ? DATASETS.slice(0, 1) : DATASETS) {
    for (const value of quick ? values.slice(0, 2) : values) {
      const dir = join(out, value === BASE && opts.baseline ? opts.baseline : factor, value);
      cells.push({ dataset, seed, value, json: join(dir, `${dataset}-s${seed}.json`), run: join(dir, `${dataset}-s${seed}`) });
    }
  }
}

function writeAtomic(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `node dist/cli.js ARGS` -> its stdout parsed as JSON; a non-zero exit rejects with its stderr's last line. */
function cli(args) {
  return new Promise((ok, bad) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => {
      if (code !== 0) return bad(new Error(`node dist/cli.js ${args.join(' ')}: exit ${code}: ${stderr.trim().split('\n').pop()}`));
      try {
        ok(JSON.parse(stdout.trim().split('\n').pop()));
      } catch (e) {
        bad(new Error(`node dist/cli.js ${args.join(' ')}: no JSON on stdout (${e.message})`));
      }
    });
  });
}

/** The ODE's judgement of a trained cell's model: its samples through `eval --samples` against the same fresh data. */
async function judgeOde(c) {
  const csv = join(c.run, `ode-${ode}.csv`);
  const sampleArgs = ['sample', '--model', join(c.run, 'model.safetensors'), '--sampler', 'ode', '--steps', String(ode),
    '--n', String(plan.n), '--seed', '1', '--out', csv, '--quiet', '--json'];
  await cli(sampleArgs);
  const evalArgs = ['eval', '--samples', csv, '--data', c.dataset, '--n', String(plan.n), '--draws', '1', '--size', '100',
    '--quiet', '--json'];
  const q = (await cli(evalArgs)).quality;
  return { odeSteps: ode, odeZ: q.model.test.z, odeAccuracy: q.model.test.accuracy, odeSw2Ratio: q.sw2Ratio,
    odeCommand: `node dist/cli.js ${sampleArgs.join(' ')} && node dist/cli.js ${evalArgs.join(' ')}` };
}

async function runCell(c) {
  if (existsSync(c.json)) { // finished but for the ODE (--ode given after it ran)
    const r = JSON.parse(readFileSync(c.json, 'utf8'));
    const withOde = { ...r, ...(await judgeOde(c)) };
    writeAtomic(c.json, JSON.stringify(withOde, null, 1) + '\n');
    return withOde;
  }
  const flag = c.value === BASE ? [] : c.value.split('+').flatMap((v, i) => [`--${flagNames[i]}`, v]);
  const trainArgs = ['train', '--dataset', c.dataset, '--seed', String(c.seed), '--threads', String(threads), '--samples', '100',
    '--out', c.run, '--quiet', '--json', ...withFlags, ...flag, ...(plan.steps ? ['--steps', String(plan.steps)] : [])];
  const trainJson = join(c.run, 'train.json');
  // A model trained by an interrupted grid is judged, not trained again.
  let trained = existsSync(trainJson) ? JSON.parse(readFileSync(trainJson, 'utf8')) : undefined;
  if (!trained) {
    trained = await cli(trainArgs);
    writeAtomic(trainJson, JSON.stringify(trained) + '\n');
  }
  // `eval --model` at its defaults (seed 1), the small 5 x 1000 draws cut to one draw of 100: only the 20,000-point part is read.
  const evalArgs = ['eval', '--model', join(c.run, 'model.safetensors'), '--n', String(plan.n),
    '--draws', '1', '--size', '100', '--quiet', '--json'];
  const t0 = performance.now();
  const judged = await cli(evalArgs);
  const q = judged.quality;
  const result = {
    factor, value: c.value, dataset: c.dataset, seed: c.seed, threads, steps: trained.steps,
    command: `node dist/cli.js ${trainArgs.join(' ')} && node dist/cli.js ${evalArgs.join(' ')}`,
    trainSeconds: trained.trainSeconds, evalSeconds: (performance.now() - t0) / 1000, finalLoss: trained.finalLoss,
    z: q.model.test.z, accuracy: q.model.test.accuracy, n: q.model.test.n, sw2Ratio: q.sw2Ratio, energyRatio: q.energyRatio,
    perfectZ: q.perfect.test.z, perfectAccuracy: q.perfect.test.accuracy,
    perfectSw2Ratio: q.perfect.sw2 / q.sw2Floor.mean, config: trained.config, ...(ode ? await judgeOde(c) : {}),
  };
  writeAtomic(c.json, JSON.stringify(result, null, 1) + '\n');
  return result;
}

const finished = (c) => existsSync(c.json) && (!ode || JSON.parse(readFileSync(c.json, 'utf8')).odeSteps === ode);
const todo = opts['table-only'] ? [] : cells.filter((c) => !finished(c));
const total = cells.length;
let done = total - todo.length;
const t0 = Date.now();
const bar = () => {
  const w = 30, f = Math.round((w * done) / total), secs = (Date.now() - t0) / 1000;
  const ranNow = done - (total - todo.length);
  const eta = ranNow > 0 ? ((secs / ranNow) * (total - done)).toFixed(0) + ' s' : '?';
  return `[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${done}/${total} cells | ${secs.toFixed(0)} s | ETA ${eta}`;
};
process.stderr.write(opts['table-only'] ? `quality: --factor ${factor}: the table of the finished cells in ${out}\n` :
  `quality: --factor ${factor}: ${values.join(', ')}; ${total} cells (${total - todo.length} done), ` +
    `${parallel} at a time, ${threads} thread(s) each; ${out}\n`);
let failed = 0;
const queue = [...todo];
async function worker() {
  for (let c = queue.shift(); c; c = queue.shift()) {
    try {
      const r = await runCell(c);
      done++;
      process.stderr.write(`${c.dataset} s${c.seed} ${factor}=${c.value}: z ${r.z.toFixed(2)} acc ${r.accuracy.toFixed(4)} ` +
        `sW2 ${r.sw2Ratio.toFixed(2)}x train ${r.trainSeconds.toFixed(0)} s${r.odeZ === undefined ? '' : ` ODE z ${r.odeZ.toFixed(2)}`}` +
        `\n${bar()}\n`);
    } catch (e) {
      failed++;
      process.stderr.write(`${c.dataset} s${c.seed} ${factor}=${c.value}: FAILED: ${e.message}\n`);
    }
  }
}
await Promise.all(Array.from({ length: parallel }, worker));

// ---- the table: one row per value, per data set the mean z over seeds (each seed's z in brackets), the sliced W2
// ratio's mean, then the training time against the default's of the same (data set, seed) ----
// Each training run's wall-clock interval: it ended when its train.json was written.
const interval = (c) => {
  const end = existsSync(join(c.run, 'train.json')) ? statSync(join(c.run, 'train.json')).mtimeMs / 1000 : NaN;
  return (r) => ({ ...r, end, start: end - r.trainSeconds });
};
const results = cells.filter((c) => existsSync(c.json)).map((c) => interval(c)(JSON.parse(readFileSync(c.json, 'utf8'))));
/** The default cell that trained beside r (overlapping at least half of r's training), if any. */
const beside = (r) => results.find((b) => b.value === BASE && Math.min(b.end, r.end) - Math.max(b.start, r.start) > 0.5 * r.trainSeconds);
const get = (v, d, s) => results.find((r) => r.value === v && r.dataset === d && r.seed === s);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => (xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)) : 0);
const usedSets = quick ? DATASETS.slice(0, 1) : DATASETS, usedSeeds = quick ? SEEDS.slice(0, 1) : SEEDS;
const withOde = results.some((r) => r.odeZ !== undefined);
const header = ['value', ...usedSets.flatMap((d) => [`${d} z`, `${d} sW2`]), 'mean z', 'max z', 'z - default',
  ...(withOde ? ['ODE z', 'ODE z / z (max)'] : []), 'train s', 'time / default', 'time / default beside'];
/** The ODE's z per data set (mean over seeds) and the largest ratio of a model's ODE z to its ancestral z. */
const odeColumns = (mine) => {
  const o = mine.filter((r) => r.odeZ !== undefined);
  if (!o.length) return ['', ''];
  return [usedSets.map((d) => o.filter((r) => r.dataset === d)).filter((xs) => xs.length)
    .map((xs) => mean(xs.map((r) => r.odeZ)).toFixed(1)).join(' / '),
  Math.max(...o.map((r) => r.odeZ / Math.max(r.z, 1))).toFixed(1)];
};
const rows = [];
for (const v of quick ? values.slice(0, 2) : values) {
  const mine = results.filter((r) => r.value === v);
  if (!mine.length) continue;
  const cellsOf = (d) => usedSeeds.map((s) => get(v, d, s)).filter(Boolean);
  // --baseline: the default cells trained at another time, under another load: no time ratio.
  const ratios = opts.baseline ? []
    : mine.map((r) => get(BASE, r.dataset, r.seed) && r.trainSeconds / get(BASE, r.dataset, r.seed).trainSeconds).filter(Boolean);
  // z against the default of the same (data set, seed): mean ± its standard error over the pairs
  const side = mine.map((r) => beside(r) && r.trainSeconds / beside(r).trainSeconds).filter(Boolean);
  const dz = mine.filter((r) => get(BASE, r.dataset, r.seed)).map((r) => r.z - get(BASE, r.dataset, r.seed).z);
  rows.push([
    v,
    ...usedSets.flatMap((d) => {
      const cs = cellsOf(d);
      if (!cs.length) return ['', ''];
      return [`${mean(cs.map((r) => r.z)).toFixed(1)} (${cs.map((r) => r.z.toFixed(1)).join(', ')})`,
        `${mean(cs.map((r) => r.sw2Ratio)).toFixed(2)}`];
    }),
    mean(mine.map((r) => r.z)).toFixed(2),
    Math.max(...mine.map((r) => r.z)).toFixed(1),
    v === BASE ? '0'
      : dz.length ? `${mean(dz) >= 0 ? '+' : ''}${mean(dz).toFixed(2)} ± ${(sd(dz) / Math.sqrt(dz.length)).toFixed(2)}` : '',
    ...(withOde ? odeColumns(mine) : []),
    mean(mine.map((r) => r.trainSeconds)).toFixed(0),
    v === BASE ? '1' : ratios.length ? `${mean(ratios).toFixed(2)} ± ${sd(ratios).toFixed(2)} (${ratios.length})` : '',
    v === BASE ? '1' : side.length ? `${mean(side).toFixed(2)} ± ${sd(side).toFixed(2)} (${side.length})` : '',
  ]);
}
const perfect = results.filter((r) => r.value === BASE);
const md = [
  `| ${header.join(' | ')} |`,
  `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  `Factor \`--${factor}\`; ${results.length} of ${total} cells; ` +
    `z: the two-sample test at n = ${plan.n} (seeds in brackets), sW2: sliced W2 ` +
    `over its floor, train s: mean training time (${results[0]?.threads ?? threads} thread(s) per run), ` +
    'z - default: mean ± standard error over the (data set, seed) pairs of z minus the default\'s z; ' +
    'time / default: mean ± sd (number of pairs) of the training time over the default\'s of the same (data set, seed); ' +
    'time / default beside: the same against whichever default trained at the same time (overlapping half its run).' +
    (withOde ? ` ODE z: the probability-flow ODE's samples (Heun, ${results.find((r) => r.odeSteps)?.odeSteps} steps) judged by the ` +
      'same test, mean per data set; ODE z / z: the largest over the models of its z over the ancestral chain\'s ' +
      '(that z at least 1).' : '') +
    (perfect.length ? ' Fresh data judged the same way (the perfect model; one draw per data set, eval seed 1): ' +
      usedSets.filter((d) => perfect.some((r) => r.dataset === d)).map((d) => {
        const r = perfect.find((x) => x.dataset === d);
        return `${d} z ${r.perfectZ.toFixed(2)}, sW2 ${r.perfectSw2Ratio.toFixed(2)}`;
      }).join('; ') + '.' : ''),
  '',
  `    npm run quality -- --factor ${factor}${given ? ` --values ${given.join(',')}` : ''}${quick ? ' --quick' : ''}` +
    `${(results[0]?.threads ?? threads) !== 2 ? ` --threads ${results[0]?.threads ?? threads}` : ''}` +
    (opts.baseline ? ` --baseline ${opts.baseline}` : '') + (opts.seeds ? ` --seeds ${SEEDS.join(',')}` : '') +
    (withFlags.length ? ` --with='${withFlags.join(' ')}'` : '') +
    (withOde ? ` --ode ${results.find((r) => r.odeSteps)?.odeSteps}` : ''),
].join('\n');
console.log(md);
const key = opts.seeds ? `${factor}:seeds-${SEEDS.join('-')}` : factor;
const begin = `<!-- grid:${key} -->`, end = `<!-- /grid:${key} -->`;
const section = `${begin}\n${md}\n${end}`;
const old = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
const at = old.indexOf(begin), stop = old.indexOf(end);
writeAtomic(doc, at >= 0 && stop > at ? old.slice(0, at) + section + old.slice(stop + end.length)
  : `${old}${old && !old.endsWith('\n') ? '\n' : ''}\n${section}\n`);
process.stderr.write(`quality: table written to ${doc}${failed ? `; ${failed} cell(s) failed (run again to retry them)` : ''}\n`);
process.exit(failed ? 1 : 0);
