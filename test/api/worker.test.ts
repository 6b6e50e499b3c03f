/**
 * The worker protocol without a browser: serveDiffusionWorker (the worker's side) and DiffusionWorker (the page's
 * side) joined by a pair of fake endpoints that deliver each message as a structured clone with its transfer list,
 * as postMessage does. So every result is checked to be transferable (a view of the wasm memory would not be: its
 * buffer cannot be transferred), and the client's jobs, events, cancel and errors run in Node in milliseconds. The
 * real Worker, frame gaps and cross-origin isolation are test/web/browser.test.ts's.
 */
import '../../src/engine/wasm-embedded';
import { describe, expect, it } from 'vitest';
import { Diffusion } from '../../src/api/diffusion';
import { DiffusionWorker } from '../../src/api/worker-client';
import { type WorkerScope, serveDiffusionWorker } from '../../src/api/worker-host';
import type { FromWorker, ToWorker } from '../../src/api/worker-protocol';
import { standardize } from '../../src/data/points';
import { timeSubsequence } from '../../src/diffusion/samplers';

const tiny = { dataset: 'moons', nData: 400, T: 20, batch: 32, seed: 3, model: { width: 16, depth: 1, embedSize: 8 } };

/** A worker scope and a Worker-shaped client end, each message a structured clone delivered on a later task. */
function pair() {
  const seen: FromWorker[] = [];
  const deliver = <T>(to: () => ((e: MessageEvent<T>) => unknown) | null, m: T, transfer: Transferable[]) => {
    const copy = structuredClone(m, { transfer: transfer as Transferable[] as never });
    for (const t of transfer) if (t instanceof ArrayBuffer) expect(t.byteLength, 'transferred buffers are detached').toBe(0);
    setTimeout(() => to()?.({ data: copy } as MessageEvent<T>));
  };
  const worker = {
    onmessage: null as ((e: MessageEvent<FromWorker>) => unknown) | null,
    onerror: null,
    postMessage: (m: ToWorker, transfer: Transferable[] = []) => deliver(() => scope.onmessage, m, transfer),
    terminate() {},
  };
  const scope: WorkerScope = {
    onmessage: null,
    navigator: { hardwareConcurrency: 2 },
    postMessage: (m, transfer) => {
      seen.push(m as FromWorker);
      deliver(() => worker.onmessage, m as FromWorker, transfer);
    },
  };
  serveDiffusionWorker(scope);
  return { worker: worker as unknown as Worker, seen };
}

describe('DiffusionWorker over the worker protocol', () => {
  it('trains with progress events, then samples, saves and loads; results match the library on this thread', async () => {
    const { worker, seen } = pair();
    const w = await DiffusionWorker.start({ worker });
    expect(w.simd).toBe(true);
    const progress: number[] = [];
    let modelSeen = 0;
    const run = await w.train({ ...tiny, steps: 120, threads: 1 },
      { sampleN: 64, onProgress: (p) => progress.push(...p.steps), onModel: () => modelSeen++ });
    expect(modelSeen).toBe(1);
    expect(run.stopped).toBe(false);
    expect(run.step).toBe(120);
    expect(progress.at(-1)).toBe(120);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(run.model.threads).toBe(1);
    expect(run.samples.points).toMatchObject({ n: 64, d: 2 });
    expect(run.samples.recorded).toBeUndefined(); // record: false by default for embedders
    // The same run on this thread gives the same model bits.
    const here = await Diffusion.create({ ...tiny, steps: 120, threads: 1 });
    await here.train();
    expect(await w.save()).toEqual(here.save());
    here.reseedSampling(5);
    const a = await w.sample(50, { seed: 5 });
    expect(Array.from(a.points.data)).toEqual(Array.from(here.sample(50).points.data));
    const rec = await w.sample(30, { record: true });
    expect(rec.recorded?.frameN).toBe(30);
    expect(rec.recorded?.frames.length).toBe(21 * 30 * 2);
    const loaded = await w.load(here.save(), { name: 'here.safetensors', sampleN: 10 });
    expect(loaded.model.name).toBe('here');
    expect(loaded.model.source).toBe('load');
    expect(seen.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('cancel (or an aborted signal) stops a run, which resolves with stopped: true and samples', async () => {
    const { worker } = pair();
    const w = await DiffusionWorker.start({ worker });
    let n = 0;
    const run = await w.train({ ...tiny, steps: 1_000_000, threads: 1 }, { sampleN: 20, onProgress: () => ++n === 2 && w.cancel() });
    expect(run.stopped).toBe(true);
    expect(run.step).toBeLessThan(1_000_000);
    expect(run.samples.points.n).toBe(20);
    const ac = new AbortController();
    const run2 = await w.train({ ...tiny, steps: 1_000_000, threads: 1 }, { sampleN: 5, signal: ac.signal, onProgress: () => ac.abort() });
    expect(run2.stopped).toBe(true);
  });

  it('jobs queue in call order; a failed job rejects with the worker\'s one line and the next job still runs', async () => {
    const { worker } = pair();
    const w = await DiffusionWorker.start({ worker });
    const noModel = w.sample(5);
    const bad = w.train({ ...tiny, steps: 10, T: 0 });
    const good = w.train({ ...tiny, steps: 10, threads: 1 }, { sampleN: 3 });
    const after = w.sample(4);
    await expect(noModel).rejects.toThrow(/no model yet/);
    await expect(bad).rejects.toThrow(/T must be an integer/);
    expect((await good).step).toBe(10);
    expect((await after).points.n).toBe(4);
    await expect(w.load(new Uint8Array(3), { name: 'junk.safetensors' })).rejects.toThrow(/junk\.safetensors/);
    w.terminate();
    await expect(w.sample(1)).rejects.toThrow(/terminated/);
  });

  it('keeps the caller\'s training points: they are copied, and the copy is transferred', async () => {
    const { worker } = pair();
    const w = await DiffusionWorker.start({ worker });
    const data = { data: Float32Array.from({ length: 600 }, (_, i) => Math.sin(i)), n: 300, d: 2 };
    const run = await w.train({ ...tiny, data, steps: 5, threads: 1 }, { sampleN: 2 });
    expect(data.data.length).toBe(600);
    expect(run.model.config.nData).toBe(300);
  });

  it('samples through the requested sampler and steps, and from one start given in data units', async () => {
    const { worker } = pair();
    const w = await DiffusionWorker.start({ worker });
    const run = await w.train({ ...tiny, steps: 60, threads: 1 }, { sampleN: 12, record: true, sampling: { sampler: 'ddim', steps: 4 } });
    // K + 1 frames for K steps, each with its timestep: x_T at T, then the subsequence downwards, then the data at 0.
    const times = (K: number) => [...timeSubsequence(20, K)].reverse().concat(0);
    expect(Array.from(run.samples.recorded!.frameTimes)).toEqual(times(4));
    expect(run.samples.recorded!.frames.length).toBe(5 * 12 * 2);
    const here = await Diffusion.create({ ...tiny, steps: 60, threads: 1 });
    await here.train();
    const rec = await w.sample(40, { sampler: 'ddim', steps: 5, eta: 0.5, seed: 2, record: true });
    expect(Array.from(rec.recorded!.frameTimes)).toEqual(times(5));
    expect(rec.recorded!.forwardN).toBeGreaterThan(0);
    here.reseedSampling(2);
    expect(Array.from(rec.points.data)).toEqual(Array.from(here.sample(40, { sampler: 'ddim', steps: 5, eta: 0.5 }).points.data));
    // One start for every chain: frames[0] is that start (back in data units); deterministic DDIM ends every chain on
    // one point (as the library does from the same standardised x_T), DDPM's fresh noise spreads them.
    const start = [0.3, -0.2], n = 30;
    const det = await w.sample(n, { sampler: 'ddim', steps: 10, start, record: true });
    const x0 = det.recorded!.frames.subarray(0, 2 * n);
    for (let i = 0; i < n; i++) (expect(x0[2 * i]).toBeCloseTo(0.3, 5), expect(x0[2 * i + 1]).toBeCloseTo(-0.2, 5));
    expect(det.recorded!.forwardN).toBe(0); // no forward process for a placed start
    const zT = standardize({ data: Float32Array.from({ length: 2 * n }, (_, i) => start[i % 2]), n, d: 2 }, here.standardization).data;
    const lib = here.sample(n, { sampler: 'ddim', steps: 10, xT: zT }).points.data;
    const spread = (p: Float32Array) => Math.max(...Array.from(p, (v, i) => Math.abs(v - p[i % 2])));
    expect(spread(det.points.data)).toBeLessThan(1e-5);
    for (let i = 0; i < 2 * n; i++) expect(det.points.data[i]).toBeCloseTo(lib[i], 5);
    const sto = await w.sample(n, { sampler: 'ddpm', start, seed: 4 });
    expect(spread(sto.points.data)).toBeGreaterThan(0.05);
    expect(sto.points.n).toBe(n);
  });

  it('a bad sampler, steps, eta or start is one line naming it, and the next job still runs', async () => {
    const { worker } = pair();
    const w = await DiffusionWorker.start({ worker });
    await w.train({ ...tiny, steps: 10, threads: 1 }, { sampleN: 3 });
    const oneLine = async (p: Promise<unknown>, re: RegExp) => {
      const msg = await p.then(() => 'resolved', (e: Error) => e.message);
      expect(msg).toMatch(re);
      expect(msg).not.toMatch(/\n/);
    };
    await oneLine(w.sample(5, { sampler: 'euler' as never }), /^unknown sampler "euler"; choose one of ddpm, ddim, ode/);
    await oneLine(w.sample(5, { sampler: 'ddim', steps: 21 }), /steps must be an integer in \[1, 20\].*got 21/);
    await oneLine(w.sample(5, { sampler: 'ddpm', eta: 0.5 }), /eta is a ddim option/);
    await oneLine(w.sample(5, { start: [1] }), /^start must be 2 finite numbers .*got \[1\]/);
    await oneLine(w.sample(5, { start: [1, Number.NaN] }), /^start must be 2 finite numbers/);
    expect((await w.sample(4, { sampler: 'ode', steps: 3 })).points.n).toBe(4);
  });
});
