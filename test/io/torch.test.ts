/**
 * The PyTorch round trip, run with real PyTorch (python/ddpm_torch.py under Debian's python3-torch, found by
 * test/system.mjs): our model files load in torch and its eps_theta matches the wasm forward pass within 1e-5;
 * its Algorithm 2, fed the very noise the wasm sampler draws, ends within 1e-5 of ours (sigma_t^2 = beta_t, beta-tilde_t
 * or learned; the predicted x_0 clamped as by default, tightly, or not at all); its samples under its own
 * generator have our samples' moments; and a model written by PyTorch (re-saved, or trained in torch) loads and
 * samples through `node dist/cli.js sample --model`. Where no python imports torch this file is skipped with a
 * one-line reason, but only on a machine that cannot install it (not root on Debian): there it fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/engine/wasm-embedded';
import { describe, expect, it } from 'vitest';
import { Diffusion } from '../../src/api/diffusion';
import { getDataset } from '../../src/data/datasets';
import { toCsv } from '../../src/data/csv';
import type { Activation } from '../../src/engine/model';
import { decodeCheckpoint, engineFromCheckpoint } from '../../src/io/checkpoint';
import { ddpmCoefficients } from '../../src/schedule/schedule';
import { Rng } from '../../src/util/rng';
import { torchForTests } from '../system.mjs';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const script = join(root, 'python/ddpm_torch.py');
const dir = mkdtempSync(join(tmpdir(), 'ddpm-torch-'));

// Skipped only where torch cannot be installed; where apt-get could install it, the missing package is a failure.
const { python } = torchForTests('test/io/torch.test.ts');

/** python/ddpm_torch.py with the given arguments: stdout, or the test fails with its stderr. One torch thread (shared machines). */
function torch(args: string[], ok = true): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(python!, [script, ...args],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 26, timeout: 120_000 });
  if (ok) expect(r.status, r.stderr).toBe(0);
  return r;
}

const readCsv = (text: string) => text.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));

/** A briefly trained model file (trained so the weights are not the initialisation's). */
async function modelFile(
  o: { activation?: Activation; inputEmbedding?: boolean; dim?: number; variance?: 'beta' | 'posterior' | 'learned'; steps?: number } = {},
): Promise<Uint8Array> {
  const dim = o.dim ?? 2, rng = new Rng(3);
  const data = dim === 2
    ? getDataset('moons', 1000, 3)
    : { data: Float32Array.from({ length: 1000 * dim }, (_, i) => rng.uniform() * (1 + (i % dim))), n: 1000, d: dim };
  const m = await Diffusion.create({
    threads: 1, data, dataset: 'custom', T: 37, batch: 64, steps: o.steps ?? 60, lr: 3e-3, warmup: 0, seed: 5,
    variance: o.variance ?? 'beta',
    model: { width: 19, depth: 2, embedSize: 14, activation: o.activation ?? 'gelu', inputEmbedding: o.inputEmbedding ?? true },
  });
  await m.train();
  return m.save(false);
}

function save(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** eps_theta of the wasm engine (EMA weights) on rows (x, t), all outputs (eps, and v with a learned variance). */
async function wasmOut(bytes: Uint8Array, x: Float32Array, t: Int32Array): Promise<Float32Array> {
  const ck = decodeCheckpoint(bytes, 'm');
  const n = t.length, w = ck.config.model.learnSigma ? 2 * ck.config.model.dim : ck.config.model.dim;
  const e = await engineFromCheckpoint(ck, { rows: n });
  e.arena.f32('batch', 'xt').set(x);
  (e.arena.t('batch', 't').view as Int32Array).set(t.map((v) => v - 1));
  e.forward(n, e.arena.ptr('batch', 'xt'), 'ema');
  return e.arena.f32('acts', 'out').slice(0, n * w);
}

/** Rows covering every t in 1..T and x from -6 to 6 standardised units (training sees about -3..3). */
function inputs(n: number, dim: number, T: number) {
  const rng = new Rng(11);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(rng.uniform() * 12 - 6);
  const t = Int32Array.from({ length: n }, (_, i) => 1 + (i % T));
  return { x, t };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Per-coordinate mean and standard deviation of rows. */
function moments(rows: number[][]) {
  const n = rows.length, d = rows[0].length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((a, r) => a + r[j], 0) / n);
  const sd = mean.map((m, j) => Math.sqrt(rows.reduce((a, r) => a + (r[j] - m) ** 2, 0) / (n - 1)));
  return { mean, sd };
}

describe.skipIf(!python)('PyTorch round trip (python/ddpm_torch.py)', () => {
  const cases: [string, Parameters<typeof modelFile>[0]][] = [
    ['gelu, input embedding, dim 2', {}],
    ['silu', { activation: 'silu' }],
    ['relu without the input embedding', { activation: 'relu', inputEmbedding: false }],
    ['dim 3, learned variance (eps and v)', { dim: 3, variance: 'learned' }],
  ];
  it.each(cases)('eps_theta in torch = the wasm forward pass within 1e-5: %s', async (_name, o) => {
    const bytes = await modelFile(o);
    const ck = decodeCheckpoint(bytes, 'm'), d = ck.config.model.dim;
    const { x, t } = inputs(4 * 37 + 3, d, 37);
    const want = await wasmOut(bytes, x, t);
    // Inputs as text: String() of a float32 widened to a double reads back to the same float32.
    const rows = Array.from(t, (tv, i) => [...Array.from(x.subarray(i * d, (i + 1) * d), String), String(tv)].join(','));
    const header = [...Array.from({ length: d }, (_, j) => `x${j}`), 't'].join(',');
    writeFileSync(join(dir, 'in.csv'), [header, ...rows].join('\n') + '\n');
    const got = readCsv(torch(['eps', '--model', save('m.safetensors', bytes), '--input', join(dir, 'in.csv')]).stdout).flat();
    const diff = maxAbsDiff(got, want);
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    console.log(`torch vs wasm eps (${_name}): max |diff| ${diff.toExponential(2)} on outputs up to ${scale.toFixed(2)}`);
    expect(scale).toBeGreaterThan(0.1); // a real signal, not zeros matching zeros
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  it.each(['beta', 'posterior', 'learned'] as const)('Algorithm 2 in torch, fed the wasm sampler\'s noise, ' +
    'ends where the wasm sampler does (sigma^2: %s)', async (variance) => {
    const bytes = await modelFile({ variance, steps: 2000 });
    const path = save(`alg2-${variance}.safetensors`, bytes);
    const n = 301, T = 37;
    const a = await Diffusion.load(bytes, { threads: 1 });
    const want = a.sample(n).points.data;
    // The same draws from a second copy of the sample stream, in the order the sampler takes them: x_T, then z for
    // every step that adds noise (t = T..2).
    const b = await Diffusion.load(bytes, { threads: 1 });
    const e = b.engine, d = 2, z = e.arena.ptr('batch', 'z'), rng = e.arena.ptr('rng', 'sample');
    const noise = new Float32Array(T * n * d);
    let k = 0;
    const drawInto = () => {
      e.k.rngNormal(z, n * d, rng);
      noise.set(new Float32Array(e.arena.memory.buffer, z, n * d), k++ * n * d);
    };
    drawInto();
    for (let i = T - 1; i >= 1; i--) {
      if (variance !== 'learned') expect(ddpmCoefficients(e.schedule, i, variance).sigma).toBeGreaterThan(0);
      drawInto();
    }
    expect(k).toBe(T);
    writeFileSync(join(dir, 'noise.f32'), noise);
    const got = readCsv(torch(['sample', '--model', path, '--n', String(n), '--noise', join(dir, 'noise.f32')]).stdout).flat();
    const diff = maxAbsDiff(got, want);
    console.log(`torch vs wasm Algorithm 2 (${variance}, T = ${T}, same noise): max |diff| ${diff.toExponential(2)} in data units`);
    // 37 steps of float32 arithmetic in two summation orders (measured ~1e-6); a wrong sigma or coefficient moves
    // points by 1e-2 and more (checked below).
    expect(diff).toBeLessThan(1e-5);
    if (variance === 'beta') {
      // Plain Algorithm 2 (no clamp of the predicted x_0): the other form of the step.
      const c = await Diffusion.load(bytes, { threads: 1 });
      const plain = c.sample(n, { clipX0: 0 }).points.data;
      const got0 = readCsv(torch(['sample', '--model', path, '--n', String(n), '--noise', join(dir, 'noise.f32'),
        '--clip-x0', '0']).stdout).flat();
      // (Trained for 2000 steps: after 200, half the unclamped trajectories run away to |x| ~ 1000, where float32
      // differences grow every step and even our own two forms of the step differ by 1e-4.)
      expect(maxAbsDiff(got0, plain)).toBeLessThan(1e-5);
      // A clamp that bites on most steps (0.5 standardised units): the clamped x_0 is used, not just computed.
      const d5 = await Diffusion.load(bytes, { threads: 1 });
      const tight = d5.sample(n, { clipX0: 0.5 }).points.data;
      const got5 = readCsv(torch(['sample', '--model', path, '--n', String(n), '--noise', join(dir, 'noise.f32'),
        '--clip-x0', '0.5']).stdout).flat();
      expect(maxAbsDiff(got5, tight)).toBeLessThan(1e-5);
      expect(maxAbsDiff(tight, want)).toBeGreaterThan(1e-2);
    }
    // The wrong variance is far off: the comparison can fail.
    if (variance !== 'learned') {
      const other = variance === 'beta' ? 'posterior' : 'beta';
      const off = readCsv(torch(['sample', '--model', path, '--n', String(n), '--noise', join(dir, 'noise.f32'),
        '--variance', other]).stdout).flat();
      expect(maxAbsDiff(off, want)).toBeGreaterThan(1e-2);
    }
  });

  it('Algorithm 2 in torch with its own generator: the same moments as the wasm sampler (4.5 standard errors)', async () => {
    const bytes = await modelFile({ steps: 300 });
    const path = save('moments.safetensors', bytes);
    const n = 4000;
    const ours = moments(readCsv(
      spawnSync(process.execPath, [cli, 'sample', '--model', path, '--n', String(n), '--seed', '1'], { encoding: 'utf8' }).stdout));
    const theirs = moments(readCsv(torch(['sample', '--model', path, '--n', String(n), '--seed', '1']).stdout));
    for (let j = 0; j < 2; j++) {
      const sd = (ours.sd[j] + theirs.sd[j]) / 2;
      expect(Math.abs(ours.mean[j] - theirs.mean[j]), `mean ${j}`).toBeLessThan(4.5 * sd * Math.sqrt(2 / n));
      expect(Math.abs(ours.sd[j] - theirs.sd[j]), `sd ${j}`).toBeLessThan(4.5 * sd * Math.sqrt(1 / n));
    }
  });

  it('a model re-saved by PyTorch loads in ddpm-wasm with the same weights, configuration and schedule, ' +
    'and samples through the CLI', async () => {
    const bytes = await modelFile({ variance: 'posterior' });
    const src = save('orig.safetensors', bytes), out = join(dir, 'resaved.safetensors');
    torch(['resave', '--model', src, '--out', out]);
    const a = decodeCheckpoint(bytes, 'orig'), b = decodeCheckpoint(new Uint8Array(readFileSync(out)), 'resaved');
    expect(b.kind).toBe('model');
    expect(b.config).toEqual(a.config);
    expect(b.standardization).toEqual(a.standardization);
    expect(Array.from(b.betas)).toEqual(Array.from(a.betas));
    expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
    for (const name of Object.keys(a.tensors)) {
      expect(Array.from(b.tensors[name].data as Float32Array), name).toEqual(Array.from(a.tensors[name].data as Float32Array));
    }
    const r = spawnSync(process.execPath, [cli, 'sample', '--model', out, '--n', '50', '--seed', '2'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const s = spawnSync(process.execPath, [cli, 'sample', '--model', src, '--n', '50', '--seed', '2'], { encoding: 'utf8' });
    expect(r.stdout).toBe(s.stdout); // the same model: the same bits
  });

  it('a model trained in PyTorch (from fresh weights) samples the data through `node dist/cli.js sample --model`', async () => {
    // The starting file carries configuration, betas and standardisation; --init throws its weights away.
    const start = join(dir, 'start');
    const r0 = spawnSync(process.execPath, [cli, 'train', '--dataset', 'moons', '--n-data', '2000', '--steps', '1', '--T', '40',
      '--width', '48', '--depth', '2', '--embed', '32', '--threads', '1', '--samples', '10', '--out', start, '-q'], { encoding: 'utf8' });
    expect(r0.status, r0.stderr).toBe(0);
    writeFileSync(join(dir, 'moons.csv'), toCsv(getDataset('moons', 2000, 9)));
    const out = join(dir, 'torch-trained.safetensors');
    const tr = torch(['train', '--model', join(start, 'model.safetensors'), '--data', join(dir, 'moons.csv'), '--init', '--steps', '1500',
      '--lr', '3e-3', '--batch', '128', '--out', out]);
    expect(tr.stderr).toMatch(/trained 1500 steps in PyTorch/);
    const ck = decodeCheckpoint(new Uint8Array(readFileSync(out)), 'torch');
    expect(ck.step).toBe(1500); // --init counts from zero
    const r = spawnSync(process.execPath, [cli, 'sample', '--model', out, '--n', '400', '--seed', '3'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const pts = readCsv(r.stdout);
    expect(pts).toHaveLength(400);
    // moons spans x in [-1, 1], y in [-0.5, 0.5]: a model that learned it puts nearly every sample near there; the
    // starting weights (one step of training) put about a quarter of them there.
    const inside = pts.filter(([x, y]) => Math.abs(x) < 1.3 && Math.abs(y) < 0.8).length;
    expect(inside).toBeGreaterThan(360);
  }, 180_000);

  it('the Python block of docs/interop.md runs as written, and the model it saves samples through the CLI', async () => {
    const doc = readFileSync(join(root, 'docs/interop.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## To PyTorch and back'));
    const block = /```python\n([\s\S]*?)```/.exec(section)![1];
    const work = mkdtempSync(join(dir, 'readme-'));
    mkdirSync(join(work, 'run'));
    writeFileSync(join(work, 'run/model.safetensors'), await modelFile());
    writeFileSync(join(work, 'block.py'), block);
    const r = spawnSync(python!, ['block.py'],
      { cwd: work, encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(root, 'python'), OMP_NUM_THREADS: '1' }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const s = spawnSync(process.execPath, [cli, 'sample', '--model', join(work, 'mine.safetensors'), '--n', '20'], { encoding: 'utf8' });
    expect(s.status, s.stderr).toBe(0);
    expect(readCsv(s.stdout)).toHaveLength(20);
  });

  it('refuses, with one line and exit 2, a corrupt file, a file that is not a model, and bad input', async () => {
    const bytes = await modelFile();
    const bad = bytes.slice();
    bad[bad.length - 5] ^= 0x40; // a weight's bit: the tensor checksum catches it
    const cases: [string[], RegExp][] = [
      [['sample', '--model', save('bad.safetensors', bad)], /corrupt: its checksum does not match its tensors/],
      [['sample', '--model', save('junk.safetensors', new TextEncoder().encode('not a model at all'))], /junk\.safetensors/],
      [['sample', '--model', join(dir, 'nope.safetensors')], /No such file/],
      [['sample', '--model', save('ok.safetensors', bytes), '--n', '0'], /--n must be at least 1/],
    ];
    for (const [args, re] of cases) {
      const r = torch(args, false);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toMatch(re);
    }
    expect(torch(['--help']).stdout).toMatch(/usage: ddpm_torch\.py/);
  });
});
