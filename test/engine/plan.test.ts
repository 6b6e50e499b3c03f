/**
 * The engine's memory plan (src/engine/plan.ts) as a pure function: the slabs in their layout order, one parameter
 * layout shared by the optimiser's slabs, row-major activations sized for the chunk (what Arena.zeroRows relies
 * on), extra lanes sized for their share of the rows, and the offsets planSlabs gives them aligned and disjoint.
 */
import { describe, expect, it } from 'vitest';
import { planSlabs } from '../../src/engine/arena';
import { DEFAULT_MODEL, paramSpecs } from '../../src/engine/model';
import { planEngine } from '../../src/engine/plan';

const model = { ...DEFAULT_MODEL, width: 48, depth: 2, embedSize: 16 };

describe('planEngine', () => {
  it('one lane: the fixed slabs in layout order, parameters, gradients, moments and EMA in one layout', () => {
    const slabs = planEngine(model, 23, 40, 1, 1003);
    expect(slabs.map((s) => s.name)).toEqual([
      'params', 'grads', 'adamM', 'adamV', 'ema', 'tables', 'data', 'rng', 'batch', 'split', 'acts', 'tShare', 'actGrads', 'inputGrad',
    ]);
    for (const s of slabs.slice(0, 5)) expect(s.tensors).toEqual(paramSpecs(model));
    expect(slabs.find((s) => s.name === 'data')!.tensors[0].shape).toEqual([1003, model.dim]);
    for (const s of slabs) expect(new Set(s.tensors.map((t) => t.name)).size).toBe(s.tensors.length);
  });

  it('row-major per-row slabs have the chunk as first dimension; the hidden layers one h_k and d_k each', () => {
    const slabs = planEngine(model, 23, 40, 1, 0);
    for (const name of ['acts', 'actGrads', 'batch', 'inputGrad']) {
      for (const t of slabs.find((s) => s.name === name)!.tensors) expect(t.shape[0], `${name}/${t.name}`).toBe(23);
    }
    const acts = slabs.find((s) => s.name === 'acts')!.tensors.map((t) => t.name);
    expect(acts).toEqual(['inp', 'd0', 'h0', 'd1', 'h1', 'd2', 'h2', 'out']);
  });

  it('three lanes: lanes 1 and 2 get gradients, activations and a t-share for ceil(rows / lanes) rows', () => {
    const slabs = planEngine(model, 23, 40, 3, 0);
    expect(slabs.slice(-8).map((s) => s.name)).toEqual([
      'grads1', 'acts1', 'actGrads1', 'tShare1', 'grads2', 'acts2', 'actGrads2', 'tShare2',
    ]);
    for (const s of slabs.filter((x) => /^(acts|actGrads)\d$/.test(x.name))) for (const t of s.tensors) expect(t.shape[0]).toBe(8);
    expect(slabs.find((s) => s.name === 'tShare2')!.tensors.find((t) => t.name === 'seen')!.shape).toEqual([40]);
    expect(slabs.find((s) => s.name === 'tables')!.tensors.find((t) => t.name === 'normParts')!.shape).toEqual([6]);
  });

  it('planSlabs lays the plan out 16-byte aligned, in order, without overlap, from the base', () => {
    const { slabs, end } = planSlabs(1000, planEngine(model, 23, 40, 3, 77));
    let at = 1008;
    for (const s of slabs) {
      expect(s.offset).toBe(at);
      for (const t of s.tensors) {
        expect(t.offset % 16).toBe(0);
        expect(t.offset).toBeGreaterThanOrEqual(at);
        at = t.offset + 4 * t.size;
      }
      at = s.offset + s.bytes;
    }
    expect(end).toBe(at);
  });
});
