import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { Engine } from '../../src/engine/engine';
import { DEFAULT_MODEL, type ModelConfig } from '../../src/engine/model';
import { Rng } from '../../src/util/rng';
import { makeSchedule } from '../../src/schedule/schedule';
import { ThreadPool } from '../../src/engine/threads';
import { compileKernels } from '../../src/engine/wasm';
import { relativeMaxDiff } from '../reference';

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

type Run = Awaited<ReturnType<typeof run>>;
/** Runs a and b of one thread count repeat each other bit for bit and train like one thread within summation order. */
function expectLikeOneThread(one: Run, a: Run, b: Run, lanes: number): void {
  expect(a.lanes).toBe(lanes);
  expect(Buffer.from(b.w.buffer).equals(Buffer.from(a.w.buffer))).toBe(true);
  expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
  expect(b.losses).toEqual(a.losses);
  for (let i = 0; i < one.losses.length; i++) expect(a.losses[i]).toBeCloseTo(one.losses[i], 4);
  expect(relativeMaxDiff(one.w, a.w)).toBeLessThan(1e-4);
}

describe('threads', () => {
  // 67 and 128 rows: odd splits (34 + 33) and even ones; 300 samples = 128 + 128 + 44 over two lanes.
  for (const batch of [67, 128]) {
    it(`two threads train like one (summation-order tolerance) and repeat bit for bit (batch ${batch})`, async () => {
      const one = await run(1, batch), a = await run(2, batch), b = await run(2, batch);
      expectLikeOneThread(one, a, b, 2);
      let smax = 0;
      for (let i = 0; i < one.samples.length; i++) smax = Math.max(smax, Math.abs(one.samples[i] - a.samples[i]));
      expect(smax).toBeLessThan(1e-3);
    });
  }
});

describe('three threads', () => {
  // Three lanes: the gradients' fold adds two worker slabs per parameter range, and on this 2-core CI machine the pool
  // has more threads than cores, so its threads park at once instead of spinning (threads.ts SPIN_MS).
  it('three threads train like one (summation-order tolerance) and repeat bit for bit (batch 67)', async () => {
    const one = await run(1, 67), a = await run(3, 67), b = await run(3, 67);
    expectLikeOneThread(one, a, b, 3);
  });
});

describe('thread pool', () => {
  it('a notify that arrives after the worker has run the program does not run it again', async () => {
    const module = await compileKernels(undefined, 'threads');
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const names = WebAssembly.Module.exports(module).filter((x) => x.kind === 'function').map((x) => x.name);
    const pool = await ThreadPool.create(module, memory, 1, names);
    // y += x once per run (reverseStep with cx = ceps = 1 and no noise), 7 floats (a SIMD iteration and a tail), half a
    // page up: above the kernels' static data.
    const n = 7, y = 32768, x = y + 64, f = new Float32Array(memory.buffer);
    f.fill(1, x / 4, x / 4 + n);
    pool.load([[[{ fn: 'reverseStep', args: [y, y, x, 0, n, 1, 1, 0] }]]]);
    pool.run(0, () => {});
    expect(Array.from(f.subarray(y / 4, y / 4 + n))).toEqual(Array(n).fill(1));
    // The race, on purpose: the caller's notify lands once the worker has run the program and parked on the same SEQ
    // (control word 0) again. Wait until the notify finds it parked, then give a second run time to count DONE (word 2).
    const c = (pool as unknown as { c: Int32Array }).c;
    let woken = 0;
    for (let i = 0; i < 1000 && !woken; i++) if (!(woken = Atomics.notify(c, 0))) await new Promise((r) => setTimeout(r, 1));
    expect(woken).toBe(1);
    expect(Atomics.wait(c, 2, 1, 200)).toBe('timed-out');
    expect(Array.from(f.subarray(y / 4, y / 4 + n))).toEqual(Array(n).fill(1));
    pool.close();
  });
});
