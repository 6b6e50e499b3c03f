// The time embedding's share of the first layer, once per distinct t of a batch instead of once per row.
// The first layer's input is [emb(x) | e(t)], so a0 = emb(x) W_x^T + (W_t e(t) + b): the bracket depends on t
// alone. A batch of n rows has m <= min(n, T) distinct t (about 640 of 1024 rows at T = 1000, all 200 values at
// T = 200), so computing it per distinct t saves (n - m) E H multiply-adds forward and as many backward.
//   timeBiasForward:  distinct t in order of first appearance -> uniq (m), slot (n: row -> index into uniq),
//                     embU (m, E) = e(uniq), tb (m, H) = embU W_t^T + b; m stored at count.
//   the rows:         linear.ts linearForwardRowBias adds tb[slot[i]] in the x-columns' matmul store.
//   timeBiasBackward: dtb[u] = sum of da0 over the rows with slot u; dW_t += dtb^T embU; db += column sums of dtb.
// The count stays in memory between the two, so worker threads replay the same calls every step however many
// distinct t their rows have. Not here: the x-columns (linear.ts), the embedding table (engine: one per T).
import { addInPlace } from "./activation";
import { linearForwardStrided, linearForwardStridedScalar, linearBackwardWeight, linearBackwardWeightScalar } from "./linear";

// Distinct values of t[0..n) (each in [0, T)) in order of first appearance into uniq; slot[i] = position of t[i]
// in uniq. seen (T i32) must hold -1 everywhere on entry and does again on return. Returns m.
function distinct(uniq: usize, slot: usize, t: usize, n: i32, seen: usize): i32 {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const ti = load<i32>(t + (<usize>i << 2));
    const sp = seen + (<usize>ti << 2);
    let u = load<i32>(sp);
    if (u < 0) {
      u = m++;
      store<i32>(sp, u);
      store<i32>(uniq + (<usize>u << 2), ti);
    }
    store<i32>(slot + (<usize>i << 2), u);
  }
  for (let u = 0; u < m; u++) store<i32>(seen + (<usize>load<i32>(uniq + (<usize>u << 2)) << 2), -1);
  return m;
}

// embU[u] = table[uniq[u]] (rows of E floats).
function gatherEmb(embU: usize, table: usize, uniq: usize, m: i32, E: i32): void {
  const row = <usize>E << 2;
  for (let u = 0; u < m; u++) memory.copy(embU + <usize>u * row, table + <usize>load<i32>(uniq + (<usize>u << 2)) * row, row);
}

// The distinct t (uniq, slot, m stored at count) and their embeddings embU: the part both twins share.
function distinctEmb(embU: usize, uniq: usize, slot: usize, count: usize, t: usize, n: i32, seen: usize, table: usize, E: i32): i32 {
  const m = distinct(uniq, slot, t, n, seen);
  store<i32>(count, m);
  gatherEmb(embU, table, uniq, m, E);
  return m;
}

/**
 * tb (m, H) = e(t) W_t^T + b for the m distinct t of t[0..n); uniq (n), slot (n), count (1) as described above.
 * table (T, E): e(t) for every t; wt: W_t, the t-columns of the first layer's weight, rows of stride ldw.
 */
export function timeBiasForward(tb: usize, embU: usize, uniq: usize, slot: usize, count: usize, t: usize, n: i32, seen: usize,
                                table: usize, wt: usize, b: usize, E: i32, H: i32, ldw: i32): void {
  const m = distinctEmb(embU, uniq, slot, count, t, n, seen, table, E);
  linearForwardStrided(tb, embU, wt, b, m, E, H, E, ldw);
}

export function timeBiasForwardScalar(tb: usize, embU: usize, uniq: usize, slot: usize, count: usize, t: usize, n: i32, seen: usize,
                                      table: usize, wt: usize, b: usize, E: i32, H: i32, ldw: i32): void {
  const m = distinctEmb(embU, uniq, slot, count, t, n, seen, table, E);
  linearForwardStridedScalar(tb, embU, wt, b, m, E, H, E, ldw);
}

/**
 * The backward of timeBiasForward for da0 (n, H), the first layer's pre-activation gradient: dtb (m, H) = rows of
 * da0 summed per slot, dW_t (H rows of stride ldw) += dtb^T embU, db += column sums of dtb. m from count.
 */
export function timeBiasBackward(dwt: usize, db: usize, dtb: usize, da: usize, slot: usize, count: usize, n: i32, embU: usize,
                                 E: i32, H: i32, ldw: i32): void {
  const m = load<i32>(count);
  scatterRows(dtb, da, slot, n, m, H);
  linearBackwardWeight(dwt, db, dtb, embU, m, E, H, E, ldw);
}

export function timeBiasBackwardScalar(dwt: usize, db: usize, dtb: usize, da: usize, slot: usize, count: usize, n: i32, embU: usize,
                                       E: i32, H: i32, ldw: i32): void {
  const m = load<i32>(count);
  scatterRows(dtb, da, slot, n, m, H);
  linearBackwardWeightScalar(dwt, db, dtb, embU, m, E, H, E, ldw);
}

// out (m, H) = 0, then out[slot[i]] += src[i] for i < n, in row order (so the sums do not depend on anything but the batch).
function scatterRows(out: usize, src: usize, slot: usize, n: i32, m: i32, H: i32): void {
  const row = <usize>H << 2;
  memory.fill(out, 0, <usize>m * row);
  for (let i = 0; i < n; i++) addInPlace(out + <usize>load<i32>(slot + (<usize>i << 2)) * row, src + <usize>i * row, H);
}
