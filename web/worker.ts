/**
 * The lab's Web Worker: owns the one Diffusion (wasm memory and all) and does every heavy job, so the page's
 * main thread only draws. It trains (posting loss points in batches at most every ~50 ms and a sample
 * snapshot every few hundred steps), samples with every reverse step recorded, precomputes the forward
 * process, and reads and writes safetensors checkpoints.
 *
 * Everything posted is a copy (typed arrays transferred), never a view of the wasm memory.
 * Not here: drawing, DOM, chart options (web/main.ts, src/report/charts.ts).
 */
/// <reference lib="webworker" />
import '../src/engine/wasm-embedded';
import type { Points } from '../src/data/datasets';
import { Diffusion, type DiffusionOptions } from '../src/api/diffusion';
import { parameterCount } from '../src/engine/model';
import { simdSupported } from '../src/engine/wasm';

declare const self: DedicatedWorkerGlobalScope;

// train() yields with setImmediate when it exists, else setTimeout(0), which browsers clamp to >= 4 ms after a
// few nested calls: 4 ms every 20 steps would cost a third of the throughput. A MessageChannel task is not
// clamped, and still lets the page's messages (Stop) in between.
if (typeof (globalThis as { setImmediate?: unknown }).setImmediate !== 'function') {
  const ch = new MessageChannel();
  const queue: (() => void)[] = [];
  ch.port1.onmessage = () => queue.shift()?.();
  (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate = (f) => {
    queue.push(f);
    ch.port2.postMessage(0);
  };
}

export interface TrainRequest {
  type: 'train';
  options: Omit<DiffusionOptions, 'wasm' | 'data'> & { data?: Points };
  /** Steps between sample snapshots (0: none) and their size. */
  snapshotEvery: number;
  snapshotN: number;
  /** Points sampled at the end (their reverse paths are recorded). */
  sampleN: number;
}
export type ToWorker =
  | TrainRequest
  | { type: 'stop' }
  | { type: 'sample'; n: number }
  | { type: 'load'; bytes: ArrayBuffer; name: string; sampleN: number }
  | { type: 'save'; withTraining: boolean };

export interface ModelInfo {
  source: 'train' | 'load';
  name: string;
  config: Diffusion['config'];
  parameters: number;
  step: number;
  beta: Float64Array;
  alphaBar: Float64Array;
  /** Up to 2000 training points in data units (empty for a model file loaded without data). */
  data: Float32Array;
  d: number;
  /** Loss history (a loaded checkpoint's). */
  losses: Float32Array;
}
export type FromWorker =
  | { type: 'ready'; simd: boolean }
  | ({ type: 'model' } & ModelInfo)
  | { type: 'progress'; steps: Float64Array; loss: Float32Array; step: number; total: number; stepsPerSecond: number; lr: number }
  | { type: 'snapshot'; step: number; points: Float32Array; d: number }
  | { type: 'trained'; step: number; trainSeconds: number; stepsPerSecond: number; stopped: boolean }
  | {
      type: 'sampled';
      points: Float32Array;
      d: number;
      T: number;
      /** (T+1) frames of `frameN` points: frames[j] is x at t = T - j. */
      frames: Float32Array;
      frameN: number;
      /** Forward process of `forwardN` points at each t of `forwardT` (same noise for every t). */
      forward: Float32Array;
      forwardN: number;
      forwardT: Int32Array;
      x0: Float32Array;
      seconds: number;
    }
  | { type: 'file'; withTraining: boolean; bytes: ArrayBuffer; name: string; step: number }
  | { type: 'error'; message: string; during: string };

let model: Diffusion | undefined;
let modelName = 'model';
let busy = false;
const signal = { stop: false };

const post = (m: FromWorker, transfer: Transferable[] = []) => self.postMessage(m, transfer);

function info(source: ModelInfo['source']): ModelInfo {
  const m = model!;
  const d = m.config.model.dim;
  const n = Math.min(m.trainData.n, 2000);
  return {
    source, name: modelName, config: m.config, parameters: parameterCount(m.config.model), step: m.step,
    beta: m.schedule.beta.slice(), alphaBar: m.schedule.alphaBar.slice(),
    data: m.trainData.data.slice(0, n * d), d, losses: m.losses.slice(),
  };
}

/** Record the reverse process of a few hundred points and the forward process of the data; post both. */
function sampleAndPost(n: number): void {
  const m = model!;
  const t0 = performance.now();
  const d = m.config.model.dim, T = m.schedule.T;
  // Keep the recorded frames to ~16 MB whatever T is.
  const frameN = Math.max(1, Math.min(n, 600, Math.floor(4e6 / ((T + 1) * d))));
  const rec = m.sample(frameN, { record: true });
  const frames = new Float32Array((T + 1) * frameN * d);
  rec.frames!.forEach((f, j) => frames.set(f, j * frameN * d));
  const points = n > frameN ? m.sample(n).points.data : rec.points.data.slice();
  // Forward process: the same noise at every t (reseeded), so the slider moves each point continuously.
  const src: Points = m.trainData.n > 0 ? m.trainData : rec.points;
  const forwardN = Math.max(1, Math.min(src.n, 800, Math.floor(4e6 / ((T + 1) * d))));
  const x0: Points = { data: src.data.slice(0, forwardN * d), n: forwardN, d };
  const count = Math.min(T, 400);
  const forwardT = new Int32Array(count);
  for (let j = 0; j < count; j++) forwardT[j] = Math.max(1, Math.round(((j + 1) * T) / count));
  const forward = new Float32Array(count * forwardN * d);
  for (let j = 0; j < count; j++) {
    m.reseedSampling(m.config.seed + 7777);
    forward.set(m.diffuse(x0, [forwardT[j]])[0].data, j * forwardN * d);
  }
  const seconds = (performance.now() - t0) / 1000;
  post(
    { type: 'sampled', points, d, T, frames, frameN, forward, forwardN, forwardT, x0: x0.data, seconds },
    [points.buffer, frames.buffer, forward.buffer, forwardT.buffer, x0.data.buffer],
  );
}

/**
 * Training threads in the page: every core but one, so the page's own thread always has a core to draw on
 * (a 2-core machine trains on one thread). Threads also need a cross-origin-isolated page (`serve` sends the headers).
 */
const pageThreads = Math.max(1, Math.min(8, (self.navigator?.hardwareConcurrency ?? 2) - 1));

async function train(r: TrainRequest): Promise<void> {
  signal.stop = false;
  model?.close();
  model = await Diffusion.create({ ...r.options, threads: pageThreads });
  modelName = r.options.dataset ?? 'data';
  const total = model.config.steps;
  const m0 = info('train');
  post({ type: 'model', ...m0 }, [m0.beta.buffer, m0.alphaBar.buffer, m0.data.buffer, m0.losses.buffer]);
  let stepsBuf: number[] = [], lossBuf: number[] = [];
  let lastPost = performance.now(), snapSeconds = 0, nextSnap = r.snapshotEvery || Infinity;
  const t0 = performance.now();
  const sps = () => model!.step / Math.max(1e-9, (performance.now() - t0) / 1000 - snapSeconds);
  const flush = (lr: number) => {
    post({ type: 'progress', steps: Float64Array.from(stepsBuf), loss: Float32Array.from(lossBuf), step: model!.step, total, stepsPerSecond: sps(), lr });
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
        const pts = model!.sample(r.snapshotN).points.data;
        post({ type: 'snapshot', step: p.step, points: pts, d: model!.config.model.dim }, [pts.buffer]);
        snapSeconds += (performance.now() - s0) / 1000;
      }
      if (performance.now() - lastPost > 50 || p.step === total || signal.stop) flush(p.lr);
    },
  });
  if (stepsBuf.length) flush(NaN);
  const trainSeconds = (performance.now() - t0) / 1000 - snapSeconds;
  post({ type: 'trained', step: model.step, trainSeconds, stepsPerSecond: model.step / Math.max(trainSeconds, 1e-9), stopped: signal.stop });
  sampleAndPost(r.sampleN);
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'train':
      return train(m);
    case 'sample':
      if (!model) throw new Error('no model yet: train one or load a checkpoint');
      return sampleAndPost(m.n);
    case 'load': {
      model?.close();
      model = await Diffusion.load(new Uint8Array(m.bytes), { source: m.name, threads: pageThreads });
      modelName = m.name.replace(/\.safetensors$/i, '');
      const i = info('load');
      post({ type: 'model', ...i }, [i.beta.buffer, i.alphaBar.buffer, i.data.buffer, i.losses.buffer]);
      return sampleAndPost(m.sampleN);
    }
    case 'save': {
      if (!model) throw new Error('no model yet: train one or load a checkpoint');
      const b = model.save(m.withTraining);
      const bytes = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      return post({ type: 'file', withTraining: m.withTraining, bytes, name: modelName, step: model.step }, [bytes]);
    }
  }
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
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

post({ type: 'ready', simd: simdSupported() });
