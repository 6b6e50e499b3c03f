/**
 * Checkpoints as safetensors (8-byte little-endian header length, JSON header, raw little-endian tensors).
 *
 * Two kinds, one format:
 *  - a model file: the EMA weights under PyTorch nn.Linear names (`inp.weight` [out, in], ...), loadable by
 *    `safetensors.torch.load_file`, with the whole configuration in `__metadata__`;
 *  - a training checkpoint: the same, plus `train.*` tensors (raw weights, Adam moments, EMA, random-number
 *    states, loss history) that let `train --resume` continue bit for bit.
 * `__metadata__` values are strings (the format requires it): JSON where structured.
 */
import { type RunConfig, checkRunConfig } from '../diffusion/config';
import type { Standardization } from '../data/points';
import { Engine } from '../engine/engine';
import { FormatError } from '../util/errors';
import { paramSpecs } from '../engine/model';
import { type Schedule, makeSchedule, scheduleFromBetas } from '../schedule/schedule';
import { crc32, decodeSafetensors, encodeSafetensors, type TensorEntry } from './safetensors';
import type { WasmSource } from '../engine/wasm';
import { type ScheduleLearnerState, checkLearnerState } from '../diffusion/learned-schedule';

export const FORMAT = 'ddpm-wasm';
export const FORMAT_VERSION = 1;

export interface CheckpointMeta {
  config: RunConfig;
  standardization: Standardization;
  step: number;
  /** `--schedule learned`: the schedule's parameters and optimiser state (the betas alone fix the sampler). */
  learnedSchedule?: ScheduleLearnerState;
}

export interface LoadedCheckpoint extends CheckpointMeta {
  kind: 'model' | 'checkpoint';
  tensors: Record<string, TensorEntry>;
  betas: Float64Array;
}

export function checksum(tensors: Record<string, TensorEntry>): string {
  // CRC-32 over the tensors' bytes in name order: the same bytes the data area holds.
  const names = Object.keys(tensors).sort();
  let total = 0;
  for (const n of names) total += tensors[n].data.byteLength;
  const all = new Uint8Array(total);
  let off = 0;
  for (const n of names) {
    const d = tensors[n].data;
    all.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), off);
    off += d.byteLength;
  }
  return crc32(all).toString(16).padStart(8, '0');
}

/**
 * CRC-32 of the metadata strings (all but this one, in key order). The tensor checksum alone would let a
 * flipped digit in "betas" or "standardization" load silently as a different model. Files written before
 * this field existed have no "metadata_checksum" and are still read.
 */
export function metadataChecksum(metadata: Record<string, string>): string {
  const entries = Object.keys(metadata).filter((k) => k !== 'metadata_checksum').sort().map((k) => [k, metadata[k]]);
  return crc32(new TextEncoder().encode(JSON.stringify(entries))).toString(16).padStart(8, '0');
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Encode the engine's state. `withTraining` adds everything `--resume` needs. */
export function encodeCheckpoint(engine: Engine, meta: CheckpointMeta, withTraining: boolean, losses?: Float32Array): Uint8Array {
  const tensors: Record<string, TensorEntry> = {};
  for (const [name, t] of engine.namedTensors('ema')) tensors[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  if (withTraining) {
    const a = engine.arena;
    for (const slab of ['params', 'adamM', 'adamV', 'ema'] as const) {
      const v = a.slabView(slab).slice();
      tensors[`train.${slab}`] = { dtype: 'F32', shape: [v.length], data: v };
    }
    const rng = new Uint32Array(12);
    rng.set(a.t('rng', 'train').view as Uint32Array, 0);
    rng.set(a.t('rng', 'sample').view as Uint32Array, 4);
    rng.set(a.t('rng', 'init').view as Uint32Array, 8);
    tensors['train.rng'] = { dtype: 'U32', shape: [12], data: rng };
    // Importance-sampled t: each t's loss history, which p_t is drawn from.
    if (engine.tHistory) {
      const h = engine.tHistory.state();
      tensors['train.tHistory'] = { dtype: 'F32', shape: [h.length], data: h };
    }
    const l = losses ?? new Float32Array(0);
    tensors['train.loss'] = { dtype: 'F32', shape: [l.length], data: l };
  }
  const metadata: Record<string, string> = {
    format: FORMAT,
    format_version: String(FORMAT_VERSION),
    kind: withTraining ? 'checkpoint' : 'model',
    weights: 'ema',
    step: String(meta.step),
    config: JSON.stringify(meta.config),
    standardization: JSON.stringify(meta.standardization),
    betas: JSON.stringify(Array.from(engine.schedule.beta)),
    timestep_input: 'the time embedding takes t - 1 for t = 1..T',
    ...(meta.learnedSchedule ? { learned_schedule: JSON.stringify(meta.learnedSchedule) } : {}),
    checksum: checksum(tensors),
  };
  metadata.metadata_checksum = metadataChecksum(metadata);
  return encodeSafetensors(tensors, metadata);
}

/** Decode and validate a model file or a training checkpoint (every failure a one-line FormatError). */
export function decodeCheckpoint(bytes: Uint8Array, source: string): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format !== FORMAT) {
    throw new FormatError(`${source} is a safetensors file but not a ddpm-wasm checkpoint (no format "${FORMAT}" in its metadata)`);
  }
  if (metadata.format_version !== String(FORMAT_VERSION)) {
    throw new FormatError(
      `${source} has checkpoint format version ${metadata.format_version}; this ddpm-wasm reads version ${FORMAT_VERSION}`,
    );
  }
  if (metadata.checksum !== checksum(tensors)) throw new FormatError(`${source} is corrupt: its checksum does not match its tensors`);
  if (metadata.metadata_checksum !== undefined && metadata.metadata_checksum !== metadataChecksum(metadata)) {
    throw new FormatError(`${source} is corrupt: its metadata checksum does not match its metadata`);
  }
  const parse = <T>(key: string): T => {
    try {
      return JSON.parse(metadata[key] ?? '') as T;
    } catch {
      throw new FormatError(`${source}: metadata "${key}" is missing or not JSON`);
    }
  };
  // The metadata is trusted no more than the tensors: every field is checked before anything uses it, so a
  // hand-edited or foreign file is a FormatError here rather than a TypeError deep in the engine.
  const config = parse<RunConfig>('config');
  if (!isObject(config) || !isObject(config.model) || !isObject(config.adam)) {
    throw new FormatError(`${source}: metadata "config" is not a ddpm-wasm run configuration`);
  }
  try {
    checkRunConfig({ ...config, threads: config.threads ?? 1 }); // files from before --threads have none: one thread
  } catch (e) {
    throw new FormatError(`${source}: metadata "config" is invalid: ${(e as Error).message}`);
  }
  const standardization = parse<Standardization>('standardization');
  const finiteList = (x: unknown, n: number) =>
    Array.isArray(x) && x.length === n && x.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (
    !isObject(standardization) || !finiteList(standardization.mean, config.model.dim) ||
    !finiteList(standardization.std, config.model.dim) || !standardization.std.every((v) => v > 0)
  ) {
    throw new FormatError(`${source}: metadata "standardization" is not ${config.model.dim} finite means and positive standard deviations`);
  }
  const rawBetas = parse<unknown>('betas');
  if (!Array.isArray(rawBetas) || !rawBetas.every((b) => typeof b === 'number' && b > 0 && b < 1)) {
    throw new FormatError(`${source}: metadata "betas" is not a list of numbers in (0, 1)`);
  }
  const betas = Float64Array.from(rawBetas as number[]);
  const step = Number(metadata.step);
  if (!/^\d+$/.test(metadata.step ?? '') || !Number.isSafeInteger(step)) {
    throw new FormatError(`${source}: metadata "step" is not a step count`);
  }
  if (betas.length !== config.T) throw new FormatError(`${source}: ${betas.length} betas for T = ${config.T}`);
  for (const s of paramSpecs(config.model)) {
    const t = tensors[s.name];
    if (!t) throw new FormatError(`${source} has no tensor "${s.name}"`);
    if (t.dtype !== 'F32' || t.shape.join(',') !== s.shape.join(',')) {
      throw new FormatError(`${source}: tensor "${s.name}" is ${t.dtype} [${t.shape}], expected F32 [${s.shape}]`);
    }
    const w = t.data as Float32Array;
    for (let i = 0; i < w.length; i++) {
      if (!Number.isFinite(w[i])) {
        throw new FormatError(
          `${source}: tensor "${s.name}" holds ${w[i]} at index ${i}; the weights diverged before this file was written`,
        );
      }
    }
  }
  const kind = metadata.kind === 'checkpoint' ? 'checkpoint' : 'model';
  let learnedSchedule: ScheduleLearnerState | undefined;
  if (config.schedule === 'learned' && metadata.learned_schedule === undefined) {
    throw new FormatError(`${source}: a learned schedule without its parameters (metadata "learned_schedule")`);
  }
  if (metadata.learned_schedule !== undefined) {
    try {
      learnedSchedule = checkLearnerState(parse<unknown>('learned_schedule'), config.T);
    } catch (e) {
      throw new FormatError(`${source}: metadata "learned_schedule" is invalid: ${(e as Error).message}`);
    }
  }
  return { kind, tensors, config, standardization, step, betas, learnedSchedule };
}

function scheduleOf(c: LoadedCheckpoint): Schedule {
  try {
    return scheduleFromBetas(c.config.schedule, c.betas, c.config.betaStart, c.config.betaEnd);
  } catch {
    return makeSchedule(c.config.schedule, c.config.T, { betaStart: c.config.betaStart, betaEnd: c.config.betaEnd });
  }
}

/** An engine holding a checkpoint's EMA weights (for sampling) or, with `data`, its whole training state. */
export async function engineFromCheckpoint(
  c: LoadedCheckpoint,
  o: { rows: number; data?: Float32Array; wasm?: WasmSource; flavor?: 'simd' | 'scalar'; threads?: number; fma?: boolean },
): Promise<Engine> {
  const engine = await Engine.create({
    model: c.config.model, schedule: scheduleOf(c), rows: o.rows, seed: c.config.seed, adam: c.config.adam,
    data: o.data, wasm: o.wasm, flavor: o.flavor, threads: o.threads, fma: o.fma, tSampling: c.config.tSampling,
    importanceMix: c.config.importanceMix, minSnr: c.config.minSnr,
  });
  const named: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
  for (const s of paramSpecs(c.config.model)) {
    named[s.name] = { shape: c.tensors[s.name].shape, data: c.tensors[s.name].data as Float32Array };
  }
  engine.loadNamed('ema', named);
  engine.loadNamed('params', named);
  if (c.kind === 'checkpoint') restoreTraining(engine, c);
  return engine;
}

function restoreTraining(engine: Engine, c: LoadedCheckpoint): void {
  const a = engine.arena;
  for (const slab of ['params', 'adamM', 'adamV', 'ema'] as const) {
    const t = c.tensors[`train.${slab}`];
    if (!t || t.dtype !== 'F32' || t.data.length !== a.slabLength(slab)) {
      throw new FormatError(`checkpoint tensor "train.${slab}" is missing or has the wrong size`);
    }
    a.slabView(slab).set(t.data as Float32Array);
  }
  const rng = c.tensors['train.rng'];
  if (!rng || rng.dtype !== 'U32' || rng.data.length !== 12) {
    throw new FormatError('checkpoint tensor "train.rng" is missing or has the wrong size');
  }
  const r = rng.data as Uint32Array;
  (a.t('rng', 'train').view as Uint32Array).set(r.subarray(0, 4));
  (a.t('rng', 'sample').view as Uint32Array).set(r.subarray(4, 8));
  (a.t('rng', 'init').view as Uint32Array).set(r.subarray(8, 12));
  if (engine.tHistory) {
    const h = c.tensors['train.tHistory'];
    if (!h || h.dtype !== 'F32') throw new FormatError('checkpoint tensor "train.tHistory" (importance-sampled t) is missing or not F32');
    try {
      engine.tHistory.restore(h.data as Float32Array);
    } catch (e) {
      throw new FormatError(`checkpoint tensor "train.tHistory": ${(e as Error).message}`);
    }
  }
  engine.step = c.step;
}

export function lossHistory(c: LoadedCheckpoint): Float32Array {
  const t = c.tensors['train.loss'];
  return t ? (t.data as Float32Array) : new Float32Array(0);
}
