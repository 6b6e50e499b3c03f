/**
 * How a training batch's timesteps are drawn. Every mode estimates the same objective, Algorithm 1's
 * E_{t ~ U{1..T}} E_{x_0, eps} ||eps - eps_theta(x_t, t)||^2; they differ only in its variance:
 *  - 'uniform': t i.i.d. uniform (Ho et al. 2020), drawn in wasm (rngIntBelow).
 *  - 'stratified': the batch's t spread evenly over 1..T, t_i = (floor(i T / n) + r) mod T with one uniform offset r
 *    per batch. Every t has probability n/T of a row in expectation (rotation by r), so the batch mean is unbiased;
 *    the batch sees every stretch of the schedule every step instead of a multinomial's clumps.
 *  - 'importance': t ~ p_t proportional to sqrt(E[L_t^2]) over each t's last HISTORY losses, each row weighted by
 *    1 / (T p_t), so E[w L] is the uniform objective (Nichol & Dhariwal 2021, sec. 3.3). Until every t has HISTORY
 *    losses, p is uniform (weights 1). p keeps a share `mix` of uniform mass, so no weight exceeds 1 / mix and every
 *    t keeps at least `mix` of its uniform share of the rows.
 * Not here: the random numbers (the engine's training stream, so a seed fixes the run) and the weighted backward
 * (assembly/loss.ts mseBackwardWeighted).
 */
import { UsageError } from '../util/errors';

export const T_SAMPLINGS = ['uniform', 'stratified', 'importance'] as const;
export type TSampling = (typeof T_SAMPLINGS)[number];

export function checkTSampling(s: string): TSampling {
  if (!(T_SAMPLINGS as readonly string[]).includes(s)) {
    throw new UsageError(`unknown t sampling "${s}"; choose one of ${T_SAMPLINGS.join(', ')}`);
  }
  return s as TSampling;
}

/** Losses kept per t (Nichol & Dhariwal's 10). */
export const HISTORY = 10;
/** Nichol & Dhariwal's share of uniform probability mixed into p (0.001, weights at most 1000): a model file without one. */
export const NICHOL_DHARIWAL_MIX = 0.001;

/** Stratified table indices 0..T-1 for n rows with offset r in [0, T): t_i = (floor(i T / n) + r) mod T. */
export function stratifiedT(out: Int32Array, n: number, T: number, r: number): void {
  for (let i = 0; i < n; i++) out[i] = (Math.floor((i * T) / n) + r) % T;
}

/**
 * The loss-second-moment history: per t the last HISTORY per-row losses (a ring), in f32 so a checkpoint holds it
 * exactly. State layout (state()/restore()): per t [filled, next, v_0 .. v_{HISTORY-1}].
 */
export class LossSecondMoment {
  private readonly s: Float32Array;
  private readonly p: Float64Array;
  private readonly cdf: Float64Array;
  private warm = false;
  private dirty = true;

  constructor(readonly T: number, readonly mix = NICHOL_DHARIWAL_MIX) {
    this.s = new Float32Array(T * (HISTORY + 2));
    this.p = new Float64Array(T);
    this.cdf = new Float64Array(T);
  }

  /** Every t has HISTORY losses: p is no longer uniform. */
  get ready(): boolean {
    if (this.warm) return true;
    for (let t = 0; t < this.T; t++) if (this.s[t * (HISTORY + 2)] < HISTORY) return false;
    return (this.warm = true);
  }

  /** Record one row's loss at table index t. */
  add(t: number, loss: number): void {
    const o = t * (HISTORY + 2), next = this.s[o + 1];
    this.s[o + 2 + next] = loss;
    this.s[o + 1] = (next + 1) % HISTORY;
    if (this.s[o] < HISTORY) this.s[o]++;
    this.dirty = true;
  }

  /** p_t (uniform until ready): one buffer, recomputed with its CDF only after add() or restore(). */
  probabilities(): Float64Array {
    const T = this.T, p = this.p;
    if (!this.ready) return p.fill(1 / T);
    if (!this.dirty) return p;
    let sum = 0;
    for (let t = 0; t < T; t++) {
      let m2 = 0;
      for (let j = 0; j < HISTORY; j++) m2 += this.s[t * (HISTORY + 2) + 2 + j] ** 2;
      p[t] = Math.sqrt(m2 / HISTORY);
      sum += p[t];
    }
    for (let t = 0; t < T; t++) p[t] = sum > 0 ? (1 - this.mix) * (p[t] / sum) + this.mix / T : 1 / T;
    let c = 0;
    for (let k = 0; k < T; k++) this.cdf[k] = c += p[k];
    this.dirty = false;
    return p;
  }

  /**
   * Table indices and weights 1 / (T p_t) for n rows from n uniforms u in [0, 1) (inverse CDF). Before the history is
   * ready: t = floor(u T), weight 1.
   */
  draw(t: Int32Array, w: Float32Array, u: Float64Array, n: number): void {
    const T = this.T;
    if (!this.ready) {
      for (let i = 0; i < n; i++) {
        t[i] = Math.min(T - 1, Math.floor(u[i] * T));
        w[i] = 1;
      }
      return;
    }
    const p = this.probabilities();
    const total = this.cdf[T - 1];
    for (let i = 0; i < n; i++) {
      const x = u[i] * total;
      let lo = 0, hi = T - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.cdf[mid] > x) hi = mid;
        else lo = mid + 1;
      }
      t[i] = lo;
      w[i] = 1 / (T * p[lo]);
    }
  }

  state(): Float32Array {
    return this.s.slice();
  }

  restore(s: ArrayLike<number>): void {
    if (s.length !== this.s.length) throw new UsageError(`t-sampling history has ${s.length} values, expected ${this.s.length}`);
    this.s.set(s);
    this.warm = false;
    this.dirty = true;
  }
}
