// Buffers for the specs: the kernels take raw byte pointers into memory outside the GC heap. Not a spec (as-pect runs
// only *.spec.ts); each spec keeps its own seeded LCG and fill, so its data stay its own.

/** A 16-byte-aligned buffer of n f32 with 4 floats of slack after the end (for sentinels and SIMD tails). */
export function buf(n: i32): usize {
  return (heap.alloc(<usize>(n + 4) * 4 + 16) + 15) & ~(<usize>15);
}
export function get(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
export function set(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
