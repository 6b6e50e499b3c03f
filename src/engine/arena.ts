/**
 * The memory plan: every tensor the engine touches gets a 16-byte-aligned offset in one wasm memory,
 * planned once, grown once, before any view is made (growing a memory detaches its views). Nothing is
 * allocated after that: training and sampling run inside this plan.
 *
 * Tensors are grouped in slabs; tensors of one slab are contiguous, so a slab is also one flat tensor
 * (the optimiser, zeroing and EMA run over the parameter slab as a single array).
 */
import { UsageError } from '../util/errors';
import { WASM_PAGE } from './wasm';

export interface TensorSpec {
  name: string;
  shape: number[];
  dtype?: 'f32' | 'i32' | 'u32';
}

export interface Tensor {
  name: string;
  shape: number[];
  size: number; // elements
  offset: number; // bytes
  view: Float32Array | Int32Array | Uint32Array;
}

/** A slab before planning: a name and its tensors, in layout order. */
export interface SlabSpec {
  name: string;
  tensors: TensorSpec[];
}

export interface SlabPlan {
  name: string;
  offset: number;
  bytes: number;
  tensors: { spec: TensorSpec; offset: number; size: number }[];
}

const ALIGN = 16;
const alignUp = (x: number) => Math.ceil(x / ALIGN) * ALIGN;
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function planSlabs(base: number, slabs: SlabSpec[]): { slabs: SlabPlan[]; end: number } {
  let cursor = alignUp(base);
  const out: SlabPlan[] = [];
  for (const slab of slabs) {
    const start = cursor;
    const tensors = slab.tensors.map((spec) => {
      const size = numel(spec.shape);
      const t = { spec, offset: cursor, size };
      cursor = alignUp(cursor + size * 4);
      return t;
    });
    out.push({ name: slab.name, offset: start, bytes: cursor - start, tensors });
  }
  return { slabs: out, end: cursor };
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly slabs = new Map<string, SlabPlan>();
  private readonly tensors = new Map<string, Tensor>();
  readonly bytes: number;

  constructor(memory: WebAssembly.Memory, plan: { slabs: SlabPlan[]; end: number }) {
    this.memory = memory;
    this.bytes = plan.end;
    const have = memory.buffer.byteLength;
    if (plan.end > have) {
      try {
        memory.grow(Math.ceil((plan.end - have) / WASM_PAGE));
      } catch {
        // Past wasm32's 4 GiB, or more than this machine will give: a configuration problem, not a bug.
        throw new UsageError(
          `this model and batch need ${(plan.end / 2 ** 20).toFixed(0)} MiB of wasm memory, more than can be allocated ` +
            '(wasm32 allows 4096 MiB); lower --batch, --width, --depth or --embed',
        );
      }
    }
    const buf = memory.buffer;
    for (const slab of plan.slabs) {
      this.slabs.set(slab.name, slab);
      for (const t of slab.tensors) {
        const Ctor = t.spec.dtype === 'i32' ? Int32Array : t.spec.dtype === 'u32' ? Uint32Array : Float32Array;
        const key = `${slab.name}/${t.spec.name}`;
        this.tensors.set(key, {
          name: t.spec.name, shape: t.spec.shape, size: t.size, offset: t.offset, view: new Ctor(buf, t.offset, t.size),
        });
      }
    }
  }

  /** A tensor by slab and name, e.g. `t('params', 'inp.weight')`. */
  t(slab: string, name: string): Tensor {
    const x = this.tensors.get(`${slab}/${name}`);
    if (!x) throw new Error(`no tensor ${slab}/${name} in the arena plan`);
    return x;
  }
  f32(slab: string, name: string): Float32Array {
    return this.t(slab, name).view as Float32Array;
  }
  ptr(slab: string, name: string): number {
    return this.t(slab, name).offset;
  }
  /** The whole slab as one float array (its tensors are contiguous up to alignment padding, which stays 0). */
  slabView(slab: string): Float32Array {
    const s = this.slabs.get(slab)!;
    return new Float32Array(this.memory.buffer, s.offset, s.bytes / 4);
  }
  slabPtr(slab: string): number {
    return this.slabs.get(slab)!.offset;
  }
  slabLength(slab: string): number {
    return this.slabs.get(slab)!.bytes / 4;
  }
  zero(slab: string): void {
    this.slabView(slab).fill(0);
  }

  /**
   * Zero the first `rows` rows of every tensor of a slab of row-major (rows, ...) tensors. Activation slabs are
   * sized for the largest chunk (sampling's); a training step zeroes only the batch's rows: zeroing all of a
   * 1024-row slab every step (4 MB) cost more than the step's backward pass for a batch of 256.
   */
  zeroRows(slab: string, rows: number): void {
    for (const t of this.slabs.get(slab)!.tensors) {
      const width = t.spec.shape.slice(1).reduce((a, b) => a * b, 1);
      this.tensors.get(`${slab}/${t.spec.name}`)!.view.fill(0, 0, Math.min(t.size, rows * width));
    }
  }
}
