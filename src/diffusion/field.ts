/**
 * The learned field: eps_theta(x, t) evaluated on a grid of the plotted plane, for the arrow charts of the reports
 * and the page. The network works in standardised units z = (x - mean) / std; the arrows are returned in data
 * units as the direction a reverse step moves x, -eps_theta * std per coordinate (the score is
 * -eps_theta / sqrt(1 - abar_t) in z, so the arrows are the score's direction mapped to the data's axes), with
 * |score| in z units beside them. Coordinates past the second are held at the data mean (z = 0).
 *
 * Not here: drawing (src/report/charts.ts fieldChart), the grid's layout (gridPoints there).
 */
import { engineEps } from './bound';
import type { TrainedModel } from './config';

export interface Field {
  t: number;
  /** Arrow vectors in data units: -eps_theta(x, t) * std, for the first two coordinates. */
  u: Float32Array;
  v: Float32Array;
  /** |score| = |eps_theta| / sqrt(1 - abar_t), standardised units. */
  score: Float32Array;
}

/** eps_theta at timestep t (1..T) on the points (gx, gy) of the plane, EMA weights. */
export function epsField(
  model: Pick<TrainedModel, 'engine' | 'standardization'>, gx: ArrayLike<number>, gy: ArrayLike<number>, t: number,
): Field {
  const e = model.engine, d = e.model.dim, T = e.schedule.T, s = model.standardization;
  if (!Number.isInteger(t) || t < 1 || t > T) throw new RangeError(`t must be an integer in [1, ${T}], got ${t}`);
  const n = Math.min(gx.length, gy.length), z = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    z[i * d] = (gx[i] - s.mean[0]) / s.std[0];
    if (d > 1) z[i * d + 1] = (gy[i] - s.mean[1]) / s.std[1];
  }
  const out = engineEps(e)(z, t - 1, n);
  const eps = out instanceof Float32Array ? out : out.eps;
  const u = new Float32Array(n), v = new Float32Array(n), score = new Float32Array(n);
  const k = 1 / e.schedule.sqrtOneMinusAlphaBar[t - 1];
  for (let i = 0; i < n; i++) {
    u[i] = -eps[i * d] * s.std[0];
    v[i] = d > 1 ? -eps[i * d + 1] * s.std[1] : 0;
    let m = 0;
    for (let j = 0; j < d; j++) m += eps[i * d + j] ** 2;
    score[i] = Math.sqrt(m) * k;
  }
  return { t, u, v, score };
}

