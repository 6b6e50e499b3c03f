import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Engine } from '../../src/engine/engine';
import { DEFAULT_MODEL, type ModelConfig } from '../../src/engine/model';
import { Rng } from '../../src/util/rng';
import { makeSchedule } from '../../src/schedule/schedule';

const model: ModelConfig = { ...DEFAULT_MODEL, width: 36, embedSize: 20, depth: 2 };
const rng = new Rng(4);
const data = Float32Array.from({ length: 3000 * 2 }, () => rng.normal());

async function run(threads: number, batch: number) {
  const e = await Engine.create({ model, schedule: makeSchedule('linear', 30), rows: 128, seed: 3, data, threads });
  const losses: number[] = [];
  for (let i = 0; i < 25; i++) losses.push(e.trainStep(2e-3, batch).loss);
  const samples = e.sample(300, { variance: 'posterior', clip: 4 });
  const bytes = e.memoryBytes();
  e.trainStep(2e-3, batch);
  expect(e.memoryBytes()).toBe(bytes);
  e.close();
  return { lanes: e.lanes, losses, w: e.arena.slabView('params').slice(), samples };
}

describe('threads', () => {
  // 67 and 128 rows: odd splits (34 + 33) and even ones; 300 samples = 128 + 128 + 44 over two lanes.
  for (const batch of [67, 128]) {
    it(`two threads train like one (summation-order tolerance) and repeat bit for bit (batch ${batch})`, async () => {
      const one = await run(1, batch), a = await run(2, batch), b = await run(2, batch);
      expect(a.lanes).toBe(2);
      expect(Buffer.from(b.w.buffer).equals(Buffer.from(a.w.buffer))).toBe(true);
      expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
      expect(b.losses).toEqual(a.losses);
      for (let i = 0; i < one.losses.length; i++) expect(a.losses[i]).toBeCloseTo(one.losses[i], 4);
      let wmax = 0, dmax = 0;
      for (let i = 0; i < one.w.length; i++) {
        wmax = Math.max(wmax, Math.abs(one.w[i]));
        dmax = Math.max(dmax, Math.abs(one.w[i] - a.w[i]));
      }
      expect(dmax / wmax).toBeLessThan(1e-4);
      let smax = 0;
      for (let i = 0; i < one.samples.length; i++) smax = Math.max(smax, Math.abs(one.samples[i] - a.samples[i]));
      expect(smax).toBeLessThan(1e-3);
    });
  }
});
