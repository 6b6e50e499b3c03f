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
