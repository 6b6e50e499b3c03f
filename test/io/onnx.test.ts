/**
 * ONNX export: the exported graph, run by onnxruntime (onnxruntime-node 1.16.3, whose npm package ships its
 * linux/darwin/win32 binaries: no download at install), gives the wasm forward pass's eps within 1e-5 for
 * every activation, with and without the input embedding, over t = 1..T and x well beyond the data's range.
 * The graph takes raw (x, t): the sinusoidal embeddings and t - 1 are inside it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../src/engine/wasm-embedded';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, engineFromCheckpoint } from '../../src/io/checkpoint';
import { Diffusion } from '../../src/api/diffusion';
import { getDataset } from '../../src/data/datasets';
import type { Activation } from '../../src/engine/model';
import { exportOnnx } from '../../src/io/onnx';
import { Rng } from '../../src/util/rng';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');

/** A briefly trained model file (trained so the weights are not the initialisation's). */
async function modelFile(activation: Activation, inputEmbedding: boolean, dim = 2): Promise<Uint8Array> {
  const rng = new Rng(3);
  const data = dim === 2
    ? getDataset('moons', 1000, 3)
    : { data: Float32Array.from({ length: 1000 * dim }, (_, i) => rng.uniform() * (1 + (i % dim))), n: 1000, d: dim };
  const m = await Diffusion.create({
    threads: 1, data, dataset: 'custom', T: 37, batch: 32, steps: 60, lr: 3e-3, warmup: 0, seed: 5,
    model: { width: 19, depth: 2, embedSize: 14, activation, inputEmbedding },
  });
  await m.train();
  return m.save(false);
}

/** Rows covering every t in 1..T and x from -6 to 6 standardised units (training sees about -3..3). */
function inputs(n: number, dim: number, T: number) {
  const rng = new Rng(11);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(rng.uniform() * 12 - 6);
  const t = new BigInt64Array(n);
  for (let i = 0; i < n; i++) t[i] = BigInt(1 + (i % T));
  return { x, t };
}

async function wasmEps(bytes: Uint8Array, x: Float32Array, t: BigInt64Array): Promise<Float32Array> {
  const ck = decodeCheckpoint(bytes, 'm');
  const n = t.length, d = ck.config.model.dim;
  const e = await engineFromCheckpoint(ck, { rows: n });
  const a = e.arena;
  a.f32('batch', 'xt').set(x);
  (a.t('batch', 't').view as Int32Array).set(Array.from(t, (v) => Number(v) - 1));
  e.forward(n, a.ptr('batch', 'xt'), 'ema');
  return a.f32('acts', 'out').slice(0, n * d);
}

async function onnxEps(model: Uint8Array, x: Float32Array, t: BigInt64Array, d: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  expect(session.inputNames).toEqual(['x', 't']);
  expect(session.outputNames).toEqual(['eps']);
  const r = await session.run({ x: new ort.Tensor('float32', x, [t.length, d]), t: new ort.Tensor('int64', t, [t.length]) });
  return r.eps.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ONNX export matches the wasm forward pass', () => {
  const cases: [Activation, boolean, number][] = [
    ['gelu', true, 2],
    ['silu', true, 2],
    ['relu', true, 2],
    ['gelu', false, 2],
    ['gelu', true, 3],
  ];
  it.each(cases)('%s, input embedding %s, dim %i: |eps_onnx - eps_wasm| <= 1e-5', async (act, emb, dim) => {
    const bytes = await modelFile(act, emb, dim);
    const { x, t } = inputs(4 * 37 + 3, dim, 37);
    const want = await wasmEps(bytes, x, t);
    const got = await onnxEps(exportOnnx(decodeCheckpoint(bytes, 'm')), x, t, dim);
    const diff = maxAbsDiff(got, want);
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    console.log(
      `onnx vs wasm (${act}, embedding ${emb}, dim ${dim}): max |diff| ${diff.toExponential(2)} on outputs up to ${scale.toFixed(2)}`,
    );
    expect(scale).toBeGreaterThan(0.1); // a real signal, not zeros matching zeros
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  it('would notice a wrong time embedding: t instead of t - 1 changes eps by far more than 1e-5', async () => {
    const bytes = await modelFile('gelu', true);
    const { x, t } = inputs(64, 2, 37);
    const shifted = t.map((v) => (v < 37n ? v + 1n : v));
    const a = await onnxEps(exportOnnx(decodeCheckpoint(bytes, 'm')), x, shifted, 2);
    const b = await wasmEps(bytes, x, t);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
  });
});

describe('export command', () => {
  it('writes an ONNX file onnxruntime loads, with the schedule and standardisation as metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddpm-onnx-'));
    const bytes = await modelFile('gelu', true);
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const r = spawnSync(process.execPath, [cli, 'export', '--model', join(dir, 'model.safetensors'), '--onnx', join(dir, 'eps.onnx'),
      '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.opset).toBe(13);
    const onnxBytes = new Uint8Array(readFileSync(join(dir, 'eps.onnx')));
    expect(onnxBytes.length).toBe(res.bytes);
    const { x, t } = inputs(50, 2, 37);
    expect(maxAbsDiff(await onnxEps(onnxBytes, x, t, 2), await wasmEps(bytes, x, t))).toBeLessThanOrEqual(1e-5);
    // The metadata strings are in the file (ModelProto.metadata_props): sampling needs betas and standardisation.
    const text = Buffer.from(onnxBytes).toString('latin1');
    for (const key of ['betas', 'standardization', 'config']) expect(text).toContain(key);
  });

  it('refuses a missing flag, a missing file and a corrupt model with one line and exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddpm-onnx-'));
    writeFileSync(join(dir, 'junk.safetensors'), 'not a model');
    for (const [args, re] of [
      [['export', '--onnx', join(dir, 'a.onnx')], /export needs --model FILE/],
      [['export', '--model', join(dir, 'junk.safetensors')], /export needs --onnx/],
      [['export', '--model', join(dir, 'nope.safetensors'), '--onnx', join(dir, 'a.onnx')], /no such file/],
      [['export', '--model', join(dir, 'junk.safetensors'), '--onnx', join(dir, 'a.onnx')], /junk\.safetensors/],
    ] as [string[], RegExp][]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});
