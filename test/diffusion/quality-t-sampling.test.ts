/**
 * How t is drawn (src/engine/t-sampling.ts, Engine.drawBatch): stratified t cover 1..T evenly; importance-sampled t
 * with weights 1 / (T p_t) estimate the uniform objective without bias (checked statistically against uniform t on
 * the same network); the option is validated, and --resume keeps it and its loss history bit for bit.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Diffusion } from '../../src/api/diffusion';
import { getDataset } from '../../src/data/datasets';
import { checkRunConfig, DEFAULT_IMPORTANCE_MIX, DEFAULT_RUN } from '../../src/diffusion/config';
import { runConfigFrom } from '../../src/cli/options';
import { HISTORY, LossSecondMoment, NICHOL_DHARIWAL_MIX, stratifiedT } from '../../src/engine/t-sampling';
import { UsageError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';
import { relativeMaxDiff } from '../reference';

const small = { model: { width: 32, embedSize: 16, depth: 1 }, T: 20, batch: 67, steps: 40, threads: 1, dataset: 'moons', nData: 500,
  stream: false };

/** Mean and standard error of xs. */
function meanSe(xs: number[]): { mean: number; se: number } {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, se: Math.sqrt(v / xs.length) };
}

/** A history whose p_t grows like (t + 1)^power: every t holds HISTORY losses of (t + 1)^power. */
function skewedHistory(T: number, power = 1): LossSecondMoment {
  const h = new LossSecondMoment(T);
  for (let t = 0; t < T; t++) for (let j = 0; j < HISTORY; j++) h.add(t, (t + 1) ** power);
  return h;
}

describe('stratified t', () => {
  test('each batch holds every t floor(n/T) or ceil(n/T) times, for every offset; n < T: distinct t', () => {
    for (const [n, T] of [[67, 20], [384, 200], [7, 20], [40, 40]]) {
      for (let r = 0; r < T; r++) {
        const t = new Int32Array(n), counts = new Array(T).fill(0);
        stratifiedT(t, n, T, r);
        for (const x of t) counts[x]++;
        expect(Math.min(...counts)).toBe(Math.floor(n / T));
        expect(Math.max(...counts)).toBe(Math.ceil(n / T));
      }
    }
  });

  test("the engine's batches: even counts within a batch, each t equally often over batches (offset uniform)", async () => {
    const m = await Diffusion.create({ ...small, tSampling: 'stratified' });
    const T = small.T, n = 7, batches = 4000, freq = new Array(T).fill(0);
    const t = m.engine.arena.t('batch', 't').view as Int32Array;
    for (let b = 0; b < batches; b++) {
      m.engine.drawBatch(n);
      for (let i = 0; i < n; i++) freq[t[i]]++;
      expect(new Set(t.subarray(0, n)).size).toBe(n);
    }
    // Each t: Binomial-like count with mean batches n / T; 5 sd of a binomial bounds it (the offsets are i.i.d.).
    const mean = (batches * n) / T, sd = Math.sqrt(batches * (n / T) * (1 - n / T));
    for (const f of freq) expect(Math.abs(f - mean)).toBeLessThan(5 * sd);
    m.close();
  });
});

describe('importance-sampled t', () => {
  test('uniform with weight 1 until every t has its history, then p_t proportional to sqrt(E[L_t^2]) mixed with uniform', () => {
    const T = 5, h = new LossSecondMoment(T), t = new Int32Array(3), w = new Float32Array(3);
    for (let k = 0; k < T * HISTORY - 1; k++) h.add(k % T, 1 + (k % T));
    expect(h.ready).toBe(false);
    h.draw(t, w, Float64Array.from([0, 0.5, 0.99]), 3);
    expect(Array.from(t)).toEqual([0, 2, 4]);
    expect(Array.from(w)).toEqual([1, 1, 1]);
    h.add(T - 1, T); // the last t's tenth loss
    expect(h.ready).toBe(true);
    const p = h.probabilities(), sum = 15; // sqrt(E[L^2]) = t + 1
    for (let k = 0; k < T; k++) expect(p[k]).toBeCloseTo((1 - NICHOL_DHARIWAL_MIX) * ((k + 1) / sum) + NICHOL_DHARIWAL_MIX / T, 12);
    // only the last HISTORY losses count
    for (let j = 0; j < HISTORY; j++) h.add(0, 5);
    expect(h.probabilities()[0]).toBeCloseTo(h.probabilities()[4], 12);
  });

  test('a larger mix: p_t = (1 - mix) q_t + mix / T, so every t keeps mix of its uniform share and w <= 1 / mix', () => {
    const T = 8, mix = 0.3, h = new LossSecondMoment(T, mix);
    for (let k = 0; k < T * HISTORY; k++) h.add(k % T, (k % T) === 0 ? 1000 : 1e-3); // q all but entirely on t = 0
    const p = h.probabilities(), q0 = 1000 / (1000 + (T - 1) * 1e-3);
    expect(p[0]).toBeCloseTo((1 - mix) * q0 + mix / T, 12);
    for (let k = 1; k < T; k++) expect(p[k]).toBeGreaterThanOrEqual(mix / T);
    const n = 4000, t = new Int32Array(n), w = new Float32Array(n), rng = new Rng(3, 1);
    h.draw(t, w, Float64Array.from({ length: n }, () => rng.uniform()), n);
    expect(Math.max(...w)).toBeLessThanOrEqual(Math.fround(1 / mix) * (1 + 1e-6));
  });

  test('draws follow p and E_p[w f(t)] is the uniform mean of f (statistically, 200,000 draws)', () => {
    const T = 50, h = skewedHistory(T), N = 200_000, rng = new Rng(7, 1);
    const u = Float64Array.from({ length: N }, () => rng.uniform());
    const t = new Int32Array(N), w = new Float32Array(N);
    h.draw(t, w, u, N);
    const p = h.probabilities(), freq = new Array(T).fill(0);
    for (const x of t) freq[x]++;
    for (let k = 0; k < T; k++) expect(Math.abs(freq[k] - N * p[k])).toBeLessThan(5 * Math.sqrt(N * p[k] * (1 - p[k])) + 1);
    let werr = 0;
    for (let i = 0; i < N; i++) werr = Math.max(werr, Math.abs(w[i] * T * p[t[i]] - 1));
    expect(werr).toBeLessThan(1e-6); // w = 1 / (T p_t) to f32 rounding
    // f with most of its mass where p is small: the weights must undo the skew.
    const f = (k: number) => Math.exp(-k / 5);
    let truth = 0;
    for (let k = 0; k < T; k++) truth += f(k) / T;
    const est = meanSe(Array.from(t, (k, i) => w[i] * f(k)));
    expect(Math.abs(est.mean - truth)).toBeLessThan(4 * est.se);
    const unweighted = meanSe(Array.from(t, (k) => f(k)));
    expect(Math.abs(unweighted.mean - truth)).toBeGreaterThan(10 * unweighted.se); // the skew is large enough to see
  });

  test("the engine's weighted loss is an unbiased estimate of the uniform objective (same network, 3,000 batches of 64)", async () => {
    const o = { ...small, batch: 64 };
    const uni = await Diffusion.create({ ...o, tSampling: 'uniform' });
    const imp = await Diffusion.create({ ...o, tSampling: 'importance' });
    // Train a little so the loss depends on t, then give both the same weights.
    await uni.train({ steps: 400 });
    imp.engine.arena.slabView('params').set(uni.engine.arena.slabView('params'));
    const skew = skewedHistory(o.T, 3).state();
    const n = 64, K = 3000;
    const uniform: number[] = [], weighted: number[] = [], plain: number[] = [];
    const w = imp.engine.arena.f32('batch', 'w');
    for (let b = 0; b < K; b++) {
      uni.engine.drawBatch(n);
      uniform.push(uni.engine.lossAndGrad(n));
      imp.engine.tHistory!.restore(skew); // hold p fixed (p_t grows like t^3) so the weights matter every batch
      imp.engine.drawBatch(n);
      const lw = imp.engine.lossAndGrad(n);
      weighted.push(lw);
      // the same rows unweighted: the loss p itself targets, which differs from the uniform objective
      let s = 0;
      for (let i = 0; i < n; i++) s += w[i];
      expect(s).toBeGreaterThan(0);
      plain.push(imp.engine.k.mseForward(imp.engine.arena.ptr('acts', 'out'), imp.engine.arena.ptr('batch', 'eps'), n * 2));
    }
    const a = meanSe(uniform), b = meanSe(weighted), c = meanSe(plain);
    const se = Math.sqrt(a.se ** 2 + b.se ** 2);
    expect(Math.abs(a.mean - b.mean)).toBeLessThan(4 * se);
    // The test has power: without the weights the same draws miss the uniform objective by many standard errors.
    expect(Math.abs(a.mean - c.mean)).toBeGreaterThan(6 * Math.sqrt(a.se ** 2 + c.se ** 2));
    uni.close();
    imp.close();
  });
});

describe('t sampling on two threads', () => {
  for (const mode of ['stratified', 'importance'] as const) {
    test(`${mode}: the lanes' weighted slices add up to one thread's step (same draws; within summation order)`, async () => {
      const run = async (threads: number) => {
        const m = await Diffusion.create({ ...small, batch: 96, threads, tSampling: mode });
        await m.train({ steps: 30 }); // past importance's warm-up (20 t x 10 losses over 96-row batches)
        const w = m.engine.arena.slabView('params').slice(), lanes = m.engine.lanes;
        const ready = m.engine.tHistory?.ready;
        m.close();
        return { w, lanes, losses: Array.from(m.losses), ready };
      };
      const one = await run(1), two = await run(2);
      expect(two.lanes).toBe(2);
      if (mode === 'importance') expect(two.ready).toBe(true);
      for (let i = 0; i < one.losses.length; i++) expect(two.losses[i]).toBeCloseTo(one.losses[i], 4);
      expect(relativeMaxDiff(one.w, two.w)).toBeLessThan(1e-4);
    });
  }
});

describe('the --t-sampling option', () => {
  test('unset by default (uniform t: the default bits); a bad value is a one-line UsageError naming it', () => {
    expect(DEFAULT_RUN.tSampling).toBeUndefined();
    expect(runConfigFrom({}).tSampling).toBeUndefined();
    expect(runConfigFrom({ 't-sampling': 'stratified' }).tSampling).toBe('stratified');
    expect(() => runConfigFrom({ 't-sampling': 'sobol' })).toThrow(/unknown t sampling "sobol"/);
    expect(() => checkRunConfig({ ...structuredClone(DEFAULT_RUN), tSampling: 'x' as never })).toThrow(UsageError);
    const learned = { ...structuredClone(DEFAULT_RUN), variance: 'learned' as const, tSampling: 'importance' as const };
    learned.model = { ...learned.model, learnSigma: true };
    expect(() => checkRunConfig(learned)).toThrow(/--t-sampling importance/);
  });

  test('importance given explicitly trains the same bits as the default; a learned variance defaults to uniform', async () => {
    const run = async (o: Record<string, unknown>) => {
      const m = await Diffusion.create({ ...small, ...o });
      await m.train({ steps: 10 });
      const w = m.engine.arena.slabView('params').slice();
      m.close();
      return w;
    };
    expect(Buffer.from((await run({})).buffer).equals(Buffer.from((await run({ tSampling: 'importance' })).buffer))).toBe(true);
    expect(Buffer.from((await run({})).buffer).equals(Buffer.from((await run({ tSampling: 'uniform' })).buffer))).toBe(false);
    const plain = await Diffusion.create({ ...small });
    expect(plain.config.tSampling).toBe('importance'); // written into the configuration a checkpoint keeps
    plain.close();
    const learned = await Diffusion.create({ ...small, variance: 'learned' });
    expect(learned.config.tSampling).toBe('uniform');
    learned.close();
  });

  test('--importance-mix: a new importance run writes the default into its configuration; a file without it is 0.001; '
    + 'bad values and other t samplings are one-line UsageErrors; another mix, other bits; a checkpoint keeps it', async () => {
    const plain = await Diffusion.create({ ...small });
    expect(plain.config.importanceMix).toBe(DEFAULT_IMPORTANCE_MIX);
    expect(plain.engine.tHistory!.mix).toBe(DEFAULT_IMPORTANCE_MIX);
    plain.close();
    const uniform = await Diffusion.create({ ...small, tSampling: 'uniform' });
    expect(uniform.config.importanceMix).toBeUndefined();
    uniform.close();
    expect(runConfigFrom({ 'importance-mix': '0.3' }).importanceMix).toBe(0.3);
    for (const [x, msg] of [['0', '--importance-mix must be in (0, 1], got 0'], ['1.5', '--importance-mix must be in (0, 1], got 1.5']]) {
      expect(() => checkRunConfig(runConfigFrom({ 'importance-mix': x }))).toThrow(msg);
    }
    expect(() => runConfigFrom({ 'importance-mix': 'most' })).toThrow(/--importance-mix expects a number, got "most"/);
    expect(() => checkRunConfig(runConfigFrom({ 'importance-mix': '0.3', 't-sampling': 'stratified' })))
      .toThrow('--importance-mix applies to --t-sampling importance, not stratified');
    const data = getDataset('moons', small.nData, 0);
    const train = async (o: Record<string, unknown>, steps: number) => {
      const m = await Diffusion.create({ ...small, data, ...o });
      await m.train({ steps });
      return m;
    };
    const params = (m: Diffusion) => Buffer.from(m.engine.arena.slabView('params').slice().buffer);
    const whole = await train({ importanceMix: 0.3 }, 40), other = await train({ importanceMix: 0.1 }, 40);
    expect(params(whole).equals(params(other))).toBe(false);
    const half = await train({ importanceMix: 0.3 }, 20);
    const bytes = half.save(true);
    half.close();
    const resumed = await Diffusion.load(bytes, { data });
    expect(resumed.config.importanceMix).toBe(0.3);
    await resumed.train({ steps: 40 });
    expect(params(resumed).equals(params(whole))).toBe(true);
    // A checkpoint written before the option (no field): the engine mixes Nichol & Dhariwal's 0.001.
    const old = await Diffusion.create({ ...small, data });
    delete (old.config as { importanceMix?: number }).importanceMix;
    const legacy = await Diffusion.load(old.save(true), { data });
    expect(legacy.engine.tHistory!.mix).toBe(NICHOL_DHARIWAL_MIX);
    for (const m of [whole, other, resumed, old, legacy]) m.close();
  });

  for (const mode of ['stratified', 'importance'] as const) {
    test(`${mode}: a checkpoint keeps the option (and the loss history) and resumes bit for bit`, async () => {
      const data = getDataset('moons', small.nData, 0);
      const whole = await Diffusion.create({ ...small, data, tSampling: mode });
      await whole.train({ steps: 40 });
      const half = await Diffusion.create({ ...small, data, tSampling: mode });
      await half.train({ steps: 20 });
      const resumed = await Diffusion.load(half.save(true), { data });
      half.close();
      expect(resumed.config.tSampling).toBe(mode);
      if (mode === 'importance') expect(resumed.engine.tHistory!.ready).toBe(true);
      await resumed.train({ steps: 40 });
      const a = whole.engine.arena.slabView('params'), b = resumed.engine.arena.slabView('params');
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
      whole.close();
      resumed.close();
    });
  }
});

describe('train --t-sampling (the built CLI)', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'dist', 'cli.js'), ...args],
      { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  test('--help lists it; a bad value is one line, exit 2; --resume keeps it from the checkpoint and refuses a new one', () => {
    expect(cli('train', '--help').out).toMatch(/--t-sampling uniform\|stratified\|importance/);
    expect(cli('train', '--help').out).toMatch(/--importance-mix X +importance t: the share of uniform probability mixed into p_t/);
    const badMix = cli('train', '--importance-mix', '0', '--steps', '1');
    expect(badMix.code).toBe(2);
    expect(badMix.err.trim().split('\n')).toEqual(['error: --importance-mix must be in (0, 1], got 0']);
    const bad = cli('train', '--t-sampling', 'sobol', '--steps', '1');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toEqual(['error: unknown t sampling "sobol"; choose one of uniform, stratified, importance']);
    const dir = mkdtempSync(join(tmpdir(), 'ddpm-tsampling-'));
    try {
      const small = ['--width', '16', '--embed', '8', '--depth', '1', '--T', '20', '--batch', '32', '--samples', '20', '--threads', '1',
        '--quiet', '--json'];
      const first = cli('train', ...small, '--t-sampling', 'importance', '--steps', '20', '--out', dir);
      expect(first.code, first.err).toBe(0);
      expect(JSON.parse(first.out).config.tSampling).toBe('importance');
      const resumed = cli('train', '--resume', dir, '--steps', '30', '--quiet', '--json');
      expect(resumed.code, resumed.err).toBe(0);
      expect(JSON.parse(resumed.out).config.tSampling).toBe('importance');
      expect(JSON.parse(resumed.out).steps).toBe(30);
      const clash = cli('train', '--resume', dir, '--t-sampling', 'uniform');
      expect(clash.code).toBe(2);
      expect(clash.err).toMatch(/--t-sampling cannot be combined with --resume/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
