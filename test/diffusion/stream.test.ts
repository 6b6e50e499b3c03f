/**
 * Streamed training data (issue 11): each batch is the generator's output on the per-step stream (seed, 1 + step),
 * standardised like the training set; runs are seeded (same seed, same bits; another seed or a finite set, other
 * bits); a CSV cannot stream. The SIGKILL-and-resume check is in test/cli/reliability.test.ts.
 */
import { describe, expect, test } from 'vitest';
import '../../src/engine/wasm-embedded';
import { DATASETS } from '../../src/data/datasets';
import { standardize } from '../../src/data/points';
import { Diffusion } from '../../src/api/diffusion';
import { UsageError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

const small = { model: { width: 32, embedSize: 16, depth: 1 }, T: 20, batch: 67, steps: 150, threads: 1, dataset: 'moons', nData: 500 };

async function trained(o: Record<string, unknown>): Promise<Float32Array> {
  const m = await Diffusion.create({ ...small, ...o });
  await m.train();
  const w = m.engine.arena.f32('params', 'out.weight').slice();
  m.close();
  return w;
}

describe('streamed training data', () => {
  test('each step draws fresh generator rows, standardised by the training set', async () => {
    const m = await Diffusion.create({ ...small, stream: true, seed: 3 });
    const f = m.engine.streamBatch!;
    const want = standardize(DATASETS.moons.generate(67, new Rng(3, 1 + 41)), m.standardization).data;
    expect(Array.from(f(67, 41))).toEqual(Array.from(want));
    expect(Array.from(f(67, 41))).toEqual(Array.from(f(67, 41))); // a pure function of the step
    expect(Array.from(f(67, 42))).not.toEqual(Array.from(f(67, 41)));
    // the batch the engine trains on is that step's rows
    m.engine.drawBatch(67);
    expect(Array.from(m.engine.arena.f32('batch', 'x0').subarray(0, 134))).toEqual(Array.from(f(67, 0)));
    m.close();
  });

  test('seeded: the same seed gives the same weights; another seed, or the finite set, other weights', async () => {
    const a = await trained({ stream: true, seed: 5 });
    const b = await trained({ stream: true, seed: 5 });
    const c = await trained({ stream: true, seed: 6 });
    const finite = await trained({ seed: 5, stream: false });
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(Buffer.from(c.buffer).equals(Buffer.from(a.buffer))).toBe(false);
    expect(Buffer.from(finite.buffer).equals(Buffer.from(a.buffer))).toBe(false);
  });

  test('points handed in are a finite training set unless streaming is asked for', async () => {
    const data = DATASETS.moons.generate(300, new Rng(1, 0));
    const m = await Diffusion.create({ ...small, data });
    expect(m.config.stream).toBe(false);
    expect(m.engine.streamBatch).toBeUndefined();
    m.close();
    const s = await Diffusion.create({ ...small, data, stream: true });
    expect(s.engine.streamBatch).toBeDefined();
    s.close();
  });

  test('a CSV is a finite training set', async () => {
    await expect(Diffusion.create({ ...small, dataset: 'points.csv', stream: true, data: { data: new Float32Array(20), n: 10, d: 2 } }))
      .rejects.toThrow(UsageError);
  });
});
