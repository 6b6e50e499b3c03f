/**
 * The worker side of src/api/worker-protocol.ts: one Diffusion (wasm memory and all) living in a Web Worker, doing
 * every heavy job so the page's main thread only draws. It trains (posting loss points in batches at most every
 * ~50 ms and a sample snapshot every few hundred steps), samples through the sampler a request names (Diffusion.sample:
 * every reverse step recorded when asked, every chain from one start given in data units when asked), precomputes
 * the forward process, and reads and writes safetensors checkpoints.
 *
 * Everything posted is a copy with its buffer transferred, never a view of the wasm memory.
 * The entry that starts it is web/worker.ts (bundled as dist/web/worker.js and dist/worker.js).
 * Not here: drawing, DOM, chart options (web/, src/report/charts.ts), the client (worker-client.ts).
 */
import { type Points, standardize } from '../data/points';
import { parameterCount } from '../engine/model';
import { threadsAvailable } from '../engine/threads';
import { simdSupported } from '../engine/wasm';
import { UsageError } from '../util/errors';
import { Diffusion } from './diffusion';
import type { FromWorker, LoadRequest, ModelInfo, SampleRequest, SamplerChoice, ToWorker, TrainRequest } from './worker-protocol';

/**
 * n chains all starting at one x_T given in data units (`start`, d values), in the model's standardised coordinates
 * (Diffusion.sample's xT): the page places starts where it draws x_T, the sampler wants them where x_T ~ N(0, I).
 */
export function startsAt(model: Diffusion, start: ArrayLike<number>, n: number): Float32Array {
  const d = model.config.model.dim, values = Array.from(start);
  if (values.length !== d || !values.every(Number.isFinite)) {
    throw new UsageError(`start must be ${d} finite numbers (one point in data units), got [${values.join(', ')}]`);
  }
  const z = standardize({ data: Float32Array.from(values), n: 1, d }, model.standardization).data;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) out.set(z, i * d);
  return out;
}

/** What the host needs of a DedicatedWorkerGlobalScope. */
export interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent) => unknown) | null;
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
}

/**
 * train() yields with setImmediate when it exists, else setTimeout(0), which browsers clamp to >= 4 ms after a
 * few nested calls: 4 ms every 20 steps would cost a third of the throughput. A MessageChannel task is not
 * clamped, and still lets the page's messages (stop) in between.
 */
function installSetImmediate(): void {
  if (typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function') return;
  const ch = new MessageChannel();
  const queue: (() => void)[] = [];
  ch.port1.onmessage = () => queue.shift()?.();
  (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate = (f) => {
    queue.push(f);
    ch.port2.postMessage(0);
  };
}

/**
 * Messages a page adds for its own views of the trained model (the lab's deck panels: web/worker-views.ts). Called
 * for any message the protocol does not know, as one more job (one at a time, errors answered as for the others):
 * the answer to post, or undefined when the message is not one of its own either.
 */
export type ExtraHandler = (model: Diffusion | undefined, m: { type: string }) => { msg: unknown; transfer: Transferable[] } | undefined;

/** Answer the protocol's messages on `scope` (a worker's `self`), and `extra`'s, then post `ready`. */
export function serveDiffusionWorker(scope: WorkerScope, o: { extra?: ExtraHandler } = {}): void {
  installSetImmediate();
  let model: Diffusion | undefined;
  let modelName = 'model';
  let busy = false;
  const signal = { stop: false };
  const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  /**
   * Training threads: every core but one, so the page's own thread always has a core to draw on (a 2-core machine
   * trains on one thread). Threads also need a cross-origin-isolated page (`serve` sends the headers); elsewhere the
   * engine runs on one.
   */
  const pageThreads = Math.max(1, Math.min(8, (scope.navigator?.hardwareConcurrency ?? 2) - 1));

  const info = (source: ModelInfo['source']): ModelInfo => {
    const m = model!;
    const d = m.config.model.dim;
    const n = Math.min(m.trainData.n, 2000);
    return {
      source, name: modelName, config: m.config, parameters: parameterCount(m.config.model), step: m.step,
      beta: m.schedule.beta.slice(), alphaBar: m.schedule.alphaBar.slice(),
      data: m.trainData.data.slice(0, n * d), d, losses: m.losses.slice(), threads: m.engine.lanes,
    };
  };
  const postInfo = (source: ModelInfo['source']) => {
    const i = info(source);
    post({ type: 'model', ...i }, [i.beta.buffer, i.alphaBar.buffer, i.data.buffer, i.losses.buffer]);
  };

  /**
   * n samples from `choice`'s sampler, all starting at `start` when it is given; with `record`, the reverse process of
   * a few hundred of them, and (without `start`) the forward process of the data too.
   */
  const sampleAndPost = (n: number, record = true, choice: SamplerChoice = {}, start?: number[]): void => {
    const m = model!;
    const t0 = performance.now();
    const d = m.config.model.dim, T = m.schedule.T;
    const opts = (count: number) => ({
      sampler: choice.sampler, steps: choice.steps, eta: choice.eta, xT: start && startsAt(m, start, count),
    });
    const empty = () => new Float32Array(0);
    if (!record) {
      const points = m.sample(n, opts(n)).points.data;
      const seconds = (performance.now() - t0) / 1000;
      post({
        type: 'sampled', points, d, T, frames: empty(), frameN: 0, frameTimes: new Int32Array(0), forward: empty(), forwardN: 0,
        forwardT: new Int32Array(0), x0: empty(), seconds,
      }, [points.buffer]);
      return;
    }
    // Keep the recorded frames to ~16 MB whatever T is.
    const frameN = Math.max(1, Math.min(n, 600, Math.floor(4e6 / ((T + 1) * d))));
    const rec = m.sample(frameN, { ...opts(frameN), record: true });
    const frames = new Float32Array(rec.frames!.length * frameN * d), frameTimes = Int32Array.from(rec.times!);
    rec.frames!.forEach((f, j) => frames.set(f, j * frameN * d));
    const points = n > frameN ? m.sample(n, opts(n)).points.data : rec.points.data.slice();
    // Forward process: the same noise at every t (reseeded), so the slider moves each point continuously.
    const src: Points = m.trainData.n > 0 ? m.trainData : rec.points;
    const forwardN = start ? 0 : Math.max(1, Math.min(src.n, 800, Math.floor(4e6 / ((T + 1) * d))));
    const x0: Points = { data: src.data.slice(0, forwardN * d), n: forwardN, d };
    const count = forwardN ? Math.min(T, 400) : 0;
    const forwardT = new Int32Array(count);
    for (let j = 0; j < count; j++) forwardT[j] = Math.max(1, Math.round(((j + 1) * T) / count));
    const forward = new Float32Array(count * forwardN * d);
    for (let j = 0; j < count; j++) {
      m.reseedSampling(m.config.seed + 7777);
      forward.set(m.diffuse(x0, [forwardT[j]])[0].data, j * forwardN * d);
    }
    const seconds = (performance.now() - t0) / 1000;
    post(
      { type: 'sampled', points, d, T, frames, frameN, frameTimes, forward, forwardN, forwardT, x0: x0.data, seconds },
      [points.buffer, frames.buffer, frameTimes.buffer, forward.buffer, forwardT.buffer, x0.data.buffer],
    );
  };

  const train = async (r: TrainRequest): Promise<void> => {
    signal.stop = false;
    model?.close();
    model = await Diffusion.create({ ...r.options, threads: r.options.threads ?? pageThreads });
    modelName = r.options.dataset ?? 'data';
    const total = model.config.steps;
    postInfo('train');
    let stepsBuf: number[] = [], lossBuf: number[] = [];
    let lastPost = performance.now(), snapSeconds = 0, nextSnap = r.snapshotEvery || Infinity;
    const t0 = performance.now();
    const sps = () => model!.step / Math.max(1e-9, (performance.now() - t0) / 1000 - snapSeconds);
    const flush = (lr: number) => {
      const steps = Float64Array.from(stepsBuf), loss = Float32Array.from(lossBuf);
      post({ type: 'progress', steps, loss, step: model!.step, total, stepsPerSecond: sps(), lr }, [steps.buffer, loss.buffer]);
      stepsBuf = [];
      lossBuf = [];
      lastPost = performance.now();
    };
    await model.train({
      progressEvery: 10,
      yieldEvery: 20,
      signal,
      onProgress: (p) => {
        stepsBuf.push(p.step);
        lossBuf.push(p.loss);
        if (p.step >= nextSnap && p.step < total) {
          const s0 = performance.now();
          nextSnap += r.snapshotEvery;
          model!.reseedSampling(model!.config.seed + 4242); // same noise every snapshot: the cloud visibly converges
          const pts = model!.sample(r.snapshotN, r.sampling).points.data;
          post({ type: 'snapshot', step: p.step, points: pts, d: model!.config.model.dim }, [pts.buffer]);
          snapSeconds += (performance.now() - s0) / 1000;
        }
        if (performance.now() - lastPost > 50 || p.step === total || signal.stop) flush(p.lr);
      },
    });
    if (stepsBuf.length) flush(NaN);
    const trainSeconds = (performance.now() - t0) / 1000 - snapSeconds;
    post({
      type: 'trained', step: model.step, trainSeconds, stepsPerSecond: model.step / Math.max(trainSeconds, 1e-9), stopped: signal.stop,
    });
    sampleAndPost(r.sampleN, r.record ?? true, r.sampling);
  };

  const sample = (m: SampleRequest): void => {
    if (!model) throw new Error('no model yet: train one or load a checkpoint');
    if (m.seed !== undefined) model.reseedSampling(m.seed);
    sampleAndPost(m.n, m.record ?? true, m, m.start);
  };

  const load = async (m: LoadRequest): Promise<void> => {
    model?.close();
    model = await Diffusion.load(new Uint8Array(m.bytes), { source: m.name, threads: m.threads ?? pageThreads });
    modelName = m.name.replace(/\.safetensors$/i, '');
    postInfo('load');
    sampleAndPost(m.sampleN, m.record ?? true, m.sampling);
  };

  const handle = async (m: ToWorker): Promise<void> => {
    switch (m.type) {
      case 'train':
        return train(m);
      case 'sample':
        return sample(m);
      case 'load':
        return load(m);
      case 'save': {
        if (!model) throw new Error('no model yet: train one or load a checkpoint');
        const b = model.save(m.withTraining);
        const bytes = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        return post({ type: 'file', withTraining: m.withTraining, bytes, name: modelName, step: model.step }, [bytes]);
      }
      default: {
        const own = o.extra?.(model, m as { type: string });
        if (!own) throw new Error(`unknown message "${(m as { type: string }).type}"`);
        return scope.postMessage(own.msg, own.transfer);
      }
    }
  };

  scope.onmessage = async (e: MessageEvent<ToWorker>) => {
    const m = e.data;
    if (m.type === 'stop') {
      signal.stop = true;
      return;
    }
    if (busy) return post({ type: 'error', message: 'busy: wait for the current job to finish', during: m.type });
    busy = true;
    try {
      await handle(m);
    } catch (err) {
      post({ type: 'error', message: (err as Error)?.message ?? String(err), during: m.type });
    } finally {
      busy = false;
    }
  };

  post({
    type: 'ready', simd: simdSupported(), crossOriginIsolated: scope.crossOriginIsolated ?? false,
    threads: threadsAvailable() ? pageThreads : 1,
  });
}
