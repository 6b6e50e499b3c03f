/**
 * The quality grid's other `train` factors as options: --input-scale (the input embedding's scale) reaches the model
 * configuration, is checked with a one-line error, and a checkpoint keeps it (--resume takes the configuration from
 * the checkpoint).
 */
import { describe, expect, test } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Diffusion } from '../../src/api/diffusion';
import { checkRunConfig, DEFAULT_RUN } from '../../src/diffusion/config';
import { DEFAULT_MODEL } from '../../src/engine/model';
import { runConfigFrom } from '../../src/cli/options';
import { UsageError } from '../../src/util/errors';
import { getDataset } from '../../src/data/datasets';

describe('--input-scale', () => {
  test("a run defaults to 10 (the engine's model to 25); a value reaches model.inputScale; bad values are one-line UsageErrors", () => {
    expect(runConfigFrom({}).model.inputScale).toBe(DEFAULT_RUN.model.inputScale);
    expect(DEFAULT_RUN.model.inputScale).toBe(10);
    expect(DEFAULT_MODEL.inputScale).toBe(25);
    expect(runConfigFrom({ 'input-scale': '5' }).model.inputScale).toBe(5);
    expect(() => runConfigFrom({ 'input-scale': 'ten' })).toThrow(/--input-scale expects a number, got "ten"/);
    for (const bad of ['0', '-3']) {
      const c = runConfigFrom({ 'input-scale': bad });
      expect(() => checkRunConfig(c)).toThrow(UsageError);
      expect(() => checkRunConfig(c)).toThrow(`--input-scale must be a positive number, got ${Number(bad)}`);
    }
  });

  test('a checkpoint keeps it, and the embedding uses it (another scale, other outputs)', async () => {
    const small = { model: { width: 16, embedSize: 8, depth: 1, inputScale: 5 }, T: 10, batch: 32, steps: 5, threads: 1, dataset: 'moons',
      nData: 200, stream: false };
    const m = await Diffusion.create(small);
    await m.train();
    const back = await Diffusion.load(m.save(true), { data: m.trainData });
    expect(back.config.model.inputScale).toBe(5);
    const a = m.sample(50).points.data, b = back.sample(50).points.data;
    expect(Array.from(b)).toEqual(Array.from(a));
    const other = await Diffusion.create({ ...small, model: { ...small.model, inputScale: 25 } });
    await other.train();
    expect(Array.from(other.sample(50).points.data)).not.toEqual(Array.from(a));
    for (const x of [m, back, other]) x.close();
  });
});

describe('--min-snr (opt-in: another objective)', () => {
  const small = { model: { width: 16, embedSize: 8, depth: 1 }, T: 20, batch: 64, steps: 30, threads: 1, dataset: 'moons',
    nData: 300, stream: false, tSampling: 'uniform' as const };
  const params = (m: Diffusion) => Buffer.from(m.engine.arena.slabView('params').slice().buffer);

  test('each row weighted by min(SNR_t, gamma) / SNR_t; 0 is the default objective, bit for bit', async () => {
    const m = await Diffusion.create({ ...small, minSnr: 5 });
    m.engine.drawBatch(64);
    const w = m.engine.arena.f32('batch', 'w'), t = m.engine.arena.t('batch', 't').view as Int32Array, ab = m.schedule.alphaBar;
    let clipped = 0;
    for (let i = 0; i < 64; i++) {
      const snr = ab[t[i]] / (1 - ab[t[i]]);
      expect(w[i]).toBe(Math.fround(Math.min(snr, 5) / snr));
      if (snr > 5) clipped++;
    }
    expect(clipped).toBeGreaterThan(0); // the small t, where SNR > gamma, are down-weighted
    m.close();
    const run = async (o: Record<string, unknown>) => {
      const x = await Diffusion.create({ ...small, ...o });
      await x.train();
      const p = params(x);
      x.close();
      return p;
    };
    const base = await run({});
    expect((await run({ minSnr: 0 })).equals(base)).toBe(true);
    expect((await run({ minSnr: 5 })).equals(base)).toBe(false);
  });

  test('with importance t the weights multiply; a checkpoint keeps gamma and resumes bit for bit', async () => {
    const data = getDataset('moons', small.nData, 0);
    const whole = await Diffusion.create({ ...small, data, tSampling: 'importance', minSnr: 2, steps: 40 });
    await whole.train();
    const half = await Diffusion.create({ ...small, data, tSampling: 'importance', minSnr: 2, steps: 40 });
    await half.train({ steps: 20 });
    const resumed = await Diffusion.load(half.save(true), { data });
    expect(resumed.config.minSnr).toBe(2);
    await resumed.train({ steps: 40 }); // train until step 40
    expect(params(resumed).equals(params(whole))).toBe(true);
    for (const x of [whole, half, resumed]) x.close();
  });

  test('bad values and a learned variance: one-line UsageErrors naming them', () => {
    expect(() => runConfigFrom({ 'min-snr': 'five' })).toThrow(/--min-snr expects a number, got "five"/);
    expect(() => checkRunConfig(runConfigFrom({ 'min-snr': '-1' }))).toThrow('--min-snr must be a number in [0, 1000000], got -1');
    expect(runConfigFrom({ 'min-snr': '0' }).minSnr).toBeUndefined();
    const c = runConfigFrom({ 'min-snr': '5' });
    const learned = { ...c, variance: 'learned' as const, tSampling: 'uniform' as const, model: { ...c.model, learnSigma: true } };
    expect(() => checkRunConfig(learned)).toThrow(/--min-snr weights the L_simple step/);
  });
});
