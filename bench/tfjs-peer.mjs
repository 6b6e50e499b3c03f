// The in-repo peer of `npm run bench` (issue 5): the default model of this project written in TensorFlow.js 4.22
// with raw ops (tf.variable, tf.matMul, ...), trained with optimizer.minimize and sampled with Algorithm 2, on
// TF.js's wasm backend (XNNPACK, SIMD build) and its cpu backend (plain JavaScript). Imported by bench/bench.mjs.
//
// The model is src/engine/model.ts's DEFAULT_MODEL: x in R^2 -> [emb(25 x_0) | emb(25 x_1) | emb(t - 1)] (3 x 128 = 384,
// emb(v) = [sin(v f_k) | cos(v f_k)], f_k = 10000^(-k/63), k < 64; not learned) -> Linear(384, 128) -> GELU ->
// 3 x (h = h + GELU(Linear(128, 128)(h))) -> Linear(128, 2); GELU is the tanh approximation, written
// as x * sigmoid(2u) like assembly/activation.ts. Loss: mean squared error against eps on
// x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t uniform. One training step = draw the batch (indices, t, eps,
// x_t, embeddings) + forward + backward + Adam update, all TF.js ops, ending with the loss read back (as our
// Engine.trainStep returns it). tf.train.adam (beta 0.9 / 0.999, eps 1e-8) is our AdamW at its default weight decay
// of 0; TF.js does no gradient clipping and no EMA (ours does both: the peer's step does slightly less work).
import { createRequire } from 'node:module';
import path from 'node:path';
import { embeddingFrequencies } from '../dist/lab/index.js';

const require = createRequire(import.meta.url);

/**
 * Load TF.js core with the wasm and cpu backends. Returns tf and the wasm binary that was actually read
 * (recorded by watching the file reads while the wasm backend initialises).
 */
export async function loadTfjs() {
  // The union package: its Node bundle is what registers the gradients (tfjs-core's own Node bundle has none) and
  // the cpu backend; tfjs-core and tfjs-backend-cpu are the same pinned copies the wasm backend uses.
  const tf = require('@tensorflow/tfjs');
  const wasmBackend = require('@tensorflow/tfjs-backend-wasm');
  tf.enableProdMode(); // no debug checks, and tfjs-core's log() stays off stdout (--json)
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep;
  wasmBackend.setWasmPaths(dir);
  const fs = require('node:fs');
  const readFileSync = fs.readFileSync, readFile = fs.readFile, read = [];
  const note = (f) => { if (String(f).endsWith('.wasm')) read.push(String(f)); };
  fs.readFileSync = function (f, ...rest) { note(f); return readFileSync.call(this, f, ...rest); };
  fs.readFile = function (f, ...rest) { note(f); return readFile.call(this, f, ...rest); };
  let ok;
  try {
    ok = await tf.setBackend('wasm');
    await tf.ready();
  } finally {
    fs.readFileSync = readFileSync;
    fs.readFile = readFile;
  }
  if (!ok || tf.getBackend() !== 'wasm') throw new Error(`TF.js wasm backend did not initialise (backend: ${tf.getBackend()})`);
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return {
    tf,
    info: {
      version: tf.version_core,
      wasmFile: read.length ? path.basename(read[read.length - 1]) : 'unknown',
      wasmPath: read[read.length - 1] ?? null,
      wasmSimd: simd,
      wasmMultithread: multithread,
      wasmThreads: wasmBackend.getThreadsCount(),
    },
  };
}

/**
 * The model's weights as tf.variables ([in, out] layout). `init`: PyTorch-named tensors ([out, in]) to start from.
 * `linear`: 'matMul' (default) is the plain tf.matMul + tf.add whose gradients tfjs-core derives (dx = dy W^T and
 * dW = x^T dy: tf.matMul with transposeB / transposeA). 'explicit' gives each layer a tf.customGrad that transposes
 * first and multiplies untransposed: the same arithmetic, but on the wasm backend only untransposed products go
 * through XNNPACK (a transposed 256x384x128 product takes ~10x longer), so this is the faster way to write it there.
 */
export function makeModel(tf, model, init, linear = 'matMul') {
  const { dim, embedSize: E, width: H, depth } = model;
  const inDim = E * dim + E;
  const variable = (make) => {
    const t = tf.tidy(make), v = tf.variable(t);
    t.dispose();
    return v;
  };
  const lin = (name, din, dout) => {
    const bound = 1 / Math.sqrt(din); // PyTorch nn.Linear's initialisation, as ours
    if (init) {
      const w = init.get(`${name}.weight`), b = init.get(`${name}.bias`);
      return { W: variable(() => tf.transpose(tf.tensor2d(w.data, [dout, din]))), b: variable(() => tf.tensor1d(b.data)) };
    }
    return { W: variable(() => tf.randomUniform([din, dout], -bound, bound)), b: variable(() => tf.randomUniform([dout], -bound, bound)) };
  };
  const layers = [lin('inp', inDim, H), ...Array.from({ length: depth }, (_, k) => lin(`blocks.${k}`, H, H)), lin('out', H, dim)];
  const freqs = tf.tensor3d(embeddingFrequencies(E), [1, 1, E / 2]);
  const vars = layers.flatMap((l) => [l.W, l.b]);
  const gelu = (x) => {
    // 0.5 x (1 + tanh u) = x sigmoid(2u), 2u = 2 sqrt(2/pi) (x + 0.044715 x^3)
    const c = 2 * Math.sqrt(2 / Math.PI);
    return tf.mul(x, tf.sigmoid(tf.mul(x, tf.add(c, tf.mul(c * 0.044715, tf.square(x))))));
  };
  /** Network input (n, 384) from x (n, dim) and the time-embedding rows tEmb (n, E). No gradient flows here. */
  const embed = (x, tEmb) => {
    const n = x.shape[0];
    const a = tf.mul(tf.reshape(tf.mul(x, model.inputScale), [n, dim, 1]), freqs); // (n, dim, E/2)
    const e = tf.reshape(tf.concat([tf.sin(a), tf.cos(a)], 2), [n, dim * E]); // per coordinate [sin | cos]
    return tf.concat([e, tEmb], 1);
  };
  // The first layer's input is the fixed embedding: its customGrad takes only (W, b), so no dx is computed for it.
  const firstExplicit = (x) => tf.customGrad((W, b, save) => {
    save([x]); // kept for the backward pass (the forward's own tensors are released once it has run)
    return { value: tf.add(tf.matMul(x, W), b), gradFunc: (dy, [xs]) => [tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)] };
  });
  const explicit = tf.customGrad((x, W, b, save) => {
    save([x, W]);
    return {
      value: tf.add(tf.matMul(x, W), b),
      gradFunc: (dy, [xs, Ws]) => [tf.matMul(dy, tf.transpose(Ws)), tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)],
    };
  });
  const affine = linear === 'explicit'
    ? (x, l, first = false) => (first ? firstExplicit(x)(l.W, l.b) : explicit(x, l.W, l.b))
    : (x, l) => tf.add(tf.matMul(x, l.W), l.b);
  const forward = (inp) => {
    const [first, ...rest] = layers, last = rest.pop();
    let h = gelu(affine(inp, first, true));
    for (const l of rest) h = tf.add(h, gelu(affine(h, l)));
    return affine(h, last);
  };
  return { layers, vars, embed, forward, freqs, dispose: () => { for (const v of vars) v.dispose(); freqs.dispose(); } };
}

/** Time-embedding table (T, E): row i is emb(i), i = t - 1 (as the engine's tEmb table). */
function timeTable(tf, T, E) {
  return tf.tidy(() => {
    const a = tf.mul(tf.reshape(tf.range(0, T, 1, 'float32'), [T, 1]), tf.tensor2d(embeddingFrequencies(E), [1, E / 2]));
    return tf.concat([tf.sin(a), tf.cos(a)], 1);
  });
}

/** A trainer for one backend: trainStep(B) runs one full step and returns the loss. */
export function makeTrainer(tf, { model, schedule, data, lr, init, linear }) {
  const d = model.dim, n = data.length / d, T = schedule.T;
  const m = makeModel(tf, model, init, linear);
  const x = tf.tensor2d(data, [n, d]);
  const sab = tf.tensor1d(Float32Array.from(schedule.sqrtAlphaBar));
  const s1mab = tf.tensor1d(Float32Array.from(schedule.sqrtOneMinusAlphaBar));
  const tEmb = timeTable(tf, T, model.embedSize);
  const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const trainStep = (B) => {
    const cost = tf.tidy(() => {
      const idx = tf.randomUniformInt([B], 0, n);
      const t = tf.randomUniformInt([B], 0, T);
      const eps = tf.randomNormal([B, d]);
      const x0 = tf.gather(x, idx);
      const xt = tf.add(tf.mul(tf.reshape(tf.gather(sab, t), [B, 1]), x0), tf.mul(tf.reshape(tf.gather(s1mab, t), [B, 1]), eps));
      const inp = m.embed(xt, tf.gather(tEmb, t));
      return opt.minimize(() => tf.mean(tf.squaredDifference(m.forward(inp), eps)), true, m.vars);
    });
    const loss = cost.dataSync()[0];
    cost.dispose();
    return loss;
  };
  const dispose = () => { m.dispose(); opt.dispose(); tf.dispose([x, sab, s1mab, tEmb]); };
  return { trainStep, model: m, dispose };
}

/**
 * Algorithm 2 (sigma_t^2 = beta_t, no noise at t = 1) for `count` points in one batch, over the first `steps` of the
 * schedule's T reverse steps (t = T .. T - steps + 1; all of them by default). Returns the points.
 */
export function sampleWith(tf, m, schedule, count, steps = schedule.T) {
  const T = schedule.T, d = m.layers[m.layers.length - 1].b.shape[0];
  const E = m.freqs.shape[2] * 2;
  const tEmb = timeTable(tf, T, E);
  let x = tf.randomNormal([count, d]);
  for (let i = T - 1; i >= T - steps; i--) {
    const next = tf.tidy(() => {
      const eps = m.forward(m.embed(x, tf.tile(tf.slice(tEmb, [i, 0], [1, E]), [count, 1])));
      const mean = tf.mul(tf.sub(x, tf.mul(eps, schedule.beta[i] / Math.sqrt(1 - schedule.alphaBar[i]))), 1 / Math.sqrt(schedule.alpha[i]));
      return i > 0 ? tf.add(mean, tf.mul(tf.randomNormal([count, d]), Math.sqrt(schedule.beta[i]))) : mean;
    });
    x.dispose();
    x = next;
  }
  const out = x.dataSync();
  x.dispose();
  tEmb.dispose();
  return out;
}

/**
 * The peer's figures. `time` and `log` are bench.mjs's helpers (warm-up, then the median of repeated timings).
 * opts: { model, makeSchedule, data (standardised, n x dim), lr, batches, quick }.
 * Cases: 'wasm' (the plain model: tf.matMul, tfjs-core's own gradients; trained and sampled), 'wasm-explicit'
 * (the same model with explicit transposes in the backward pass, see makeModel; trained only: sampling runs the
 * forward pass alone, which is the same) and 'cpu' (the plain model; its sampling is measured on 1,000 points and scaled).
 */
export async function runPeer({ time, log, model, makeSchedule, data, lr = 1e-3, batches = [32, 256, 1024], quick = false }) {
  const { tf, info } = await loadTfjs();
  log(`TF.js ${info.version}: wasm backend from ${info.wasmFile} (SIMD ${info.wasmSimd}, multithread ${info.wasmMultithread}, ` +
    `XNNPACK threads ${info.wasmThreads}); cpu backend`);
  const result = { ...info, train: [], sample: [] };
  const cases = [
    { name: 'wasm', backend: 'wasm', linear: 'matMul',
      sample: [{ T: 50, points: 10000, steps: 50 }, ...(quick ? [] : [{ T: 1000, points: 10000, steps: 100 }])] },
    { name: 'wasm-explicit', backend: 'wasm', linear: 'explicit', sample: [] },
    { name: 'cpu', backend: 'cpu', linear: 'matMul', sample: [{ T: 50, points: 1000, steps: 50 }] },
  ];
  for (const c of cases) {
    if (!(await tf.setBackend(c.backend)) || tf.getBackend() !== c.backend) {
      throw new Error(`TF.js backend ${c.backend} did not initialise`);
    }
    const before = tf.memory().numTensors;
    const tr = makeTrainer(tf, { model, schedule: makeSchedule('linear', 1000), data, lr, linear: c.linear });
    for (const B of batches) {
      // Fewer repetitions on the slow backend: the cpu backend's B = 1024 step takes about a second.
      const slow = c.backend === 'cpu';
      const s = time(() => tr.trainStep(B), {
        warm: slow ? 2 : Math.max(60, Math.round(16384 / B)), reps: slow ? 5 : 7,
        inner: Math.max(1, Math.round((slow ? 64 : 256) / B) * (slow ? 1 : 4)),
      });
      result.train.push({ peer: c.name, backend: c.backend, linear: c.linear, batch: B, ms: s * 1000, stepsPerSecond: 1 / s });
      log(`TF.js ${c.name} train step B=${B}: ${(s * 1000).toFixed(2)} ms (${(1 / s).toFixed(1)} steps/s)`);
    }
    // Sampling, as ours: a warm-up on 1024 points, then one timed run. Long cases are run on fewer points or on the
    // first steps of the reverse process and scaled linearly (the cost of a reverse step does not depend on t).
    for (const p of c.sample) {
      const sched = makeSchedule('linear', p.T);
      sampleWith(tf, tr.model, sched, 1024, Math.min(p.steps, 10));
      const t0 = performance.now();
      sampleWith(tf, tr.model, sched, p.points, p.steps);
      const measured = (performance.now() - t0) / 1000;
      const factor = (10000 / p.points) * (p.T / p.steps);
      const row = { peer: c.name, backend: c.backend, points: 10000, T: p.T, seconds: measured * factor, scaled: factor !== 1 };
      if (row.scaled) row.measured = { points: p.points, steps: p.steps, seconds: measured, factor };
      result.sample.push(row);
      log(`TF.js ${c.name} sample 10,000 points T=${p.T}: ${row.seconds.toFixed(2)} s` +
        (row.scaled
          ? ` (SCALED x${factor}: measured ${measured.toFixed(2)} s for ${p.points} points over ${p.steps} of the ${p.T} steps)`
          : ''));
    }
    tr.dispose();
    if (tf.memory().numTensors !== before) log(`warning: TF.js ${c.name}: live tensors went from ${before} to ${tf.memory().numTensors}`);
  }
  return result;
}
