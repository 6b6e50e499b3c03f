/**
 * What goes into a run's report.html: the data and the forward process, the reverse process, samples
 * against data, the loss curve and the schedule. Builds plain data (ReportData); src/report/render.ts renders it.
 */
import { gridPoints, pointRanges, roles } from './charts';
import { wheelIndices } from './colour';
import { type Points, standardize } from '../data/points';
import type { Diffusion } from '../api/diffusion';
import { epsField } from '../diffusion/field';
import type { Report } from '../eval/draws';
import { parameterCount } from '../engine/model';
import type { ReportData, ReportSection } from './render';
import { VERSION } from '../util/version';

/** First two coordinates (the plotted plane) of at most `max` points. */
export function plane(p: Points | Float32Array, d: number, max = 1000): { x: number[]; y: number[] } {
  const data = p instanceof Float32Array ? p : p.data;
  const n = Math.min(max, data.length / d);
  const x = new Array<number>(n), y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    x[i] = data[i * d];
    y[i] = d > 1 ? data[i * d + 1] : 0;
  }
  return { x, y };
}

/** At most `max` points of a long curve: the mean of each bucket (keeps the report small and the line readable). */
export function downsample(values: Float32Array | number[], max = 2000): { step: number[]; value: number[] } {
  const n = values.length, b = Math.max(1, Math.ceil(n / max));
  const step: number[] = [], value: number[] = [];
  for (let i = 0; i < n; i += b) {
    let s = 0, c = 0;
    for (let j = i; j < Math.min(n, i + b); j++, c++) s += values[j];
    step.push(Math.min(n, i + b));
    value.push(s / c);
  }
  return { step, value };
}

/**
 * The t in 1..T where the signal sqrt(abar_t) first falls to each level, plus T, ascending and distinct. Evenly
 * spaced t would waste the panels: with a linear schedule x_t is already noise by t = T/4, and the structure
 * dissolves (and, in reverse, appears) in the first few percent of the steps.
 */
function signalT(alphaBar: ArrayLike<number>, levels = [0.995, 0.97, 0.85]): number[] {
  const T = alphaBar.length, ts = new Set<number>();
  for (const level of levels) {
    let i = 0;
    while (i < T - 1 && Math.sqrt(alphaBar[i]) > level) i++;
    ts.add(i + 1);
  }
  ts.add(T);
  return [...ts].sort((a, b) => a - b);
}

/**
 * The learned field at a few t (where the signal sqrt(abar_t) falls to each level): arrows of -eps_theta on a G x G
 * grid over 1000 points of q(x_t), each panel scaled to its own cloud.
 */
export function fieldSection(model: Diffusion, data: Points, o: { levels?: number[]; grid?: number; title?: string } = {}): ReportSection {
  const d = data.d, n = Math.min(1000, data.n), G = o.grid ?? 19;
  const sub: Points = { data: data.data.subarray(0, n * d), n, d };
  const ts = signalT(model.schedule.alphaBar, o.levels ?? [0.99, 0.9, 0.5]).filter((t) => t < model.schedule.T).slice(0, 3);
  model.reseedSampling(model.config.seed + 515);
  const clouds = model.diffuse(sub, ts);
  return {
    kind: 'fieldRow', title: o.title ?? 'The learned field: -eps_theta(x, t) on a grid over q(x_t)',
    panels: ts.map((t, j) => {
      const pts = plane(clouds[j], d, n);
      const { xRange, yRange } = pointRanges([pts, plane(sub, d, n)], 0.04);
      const g = gridPoints(xRange, yRange, G);
      const f = epsField(model, g.x, g.y, t);
      let top = 0;
      for (const v of f.score) top = Math.max(top, v);
      return {
        title: `t = ${t} (signal ${Math.sqrt(model.schedule.alphaBar[t - 1]).toFixed(2)})`,
        grid: { x: Array.from(g.x), y: Array.from(g.y), u: Array.from(f.u), v: Array.from(f.v) }, points: pts,
        caption: `At t = ${t} the arrows show where a reverse step moves a point (the score's direction); ` +
          `the largest |score| on the grid is ${top.toFixed(1)}.`,
      };
    }),
    note: 'Arrows: -eps_theta(x, t) in data units (the score -eps_theta / sqrt(1 - abar_t) up to its per-t scale), ' +
      'length ~ sqrt|eps_theta|, scaled per panel; blue: 1000 points of q(x_t). ' +
      'At small t the arrows pull onto the data\'s thin shape; at large t they point to the centre of mass.',
  };
}

/**
 * "Does the start decide the end?" for a run's own samples: the recorded starts x_T coloured by position, the DDPM
 * endings (the run's sampler) and deterministic DDIM eta = 0 endings from the same x_T, in the starts' colours.
 */
function startEndSection(model: Diffusion, frames: Float32Array[], o: { max?: number } = {}): ReportSection {
  const d = model.config.model.dim, T = model.schedule.T;
  const n = Math.min(o.max ?? 600, frames[0].length / d);
  const xT: Points = { data: frames[0].subarray(0, n * d), n, d };
  const starts = plane(xT, d, n), ddpm = plane(frames[T], d, n);
  model.reseedSampling(model.config.seed + 616);
  const ddim = plane(model.sample(n, { sampler: 'ddim', eta: 0, xT: standardize(xT, model.standardization).data }).points, d, n);
  const color = Array.from(wheelIndices(starts.x, starts.y));
  return {
    kind: 'wheelRow', title: 'Does the starting position decide the ending position?', key: true,
    panels: [
      { title: `x_T (${n} starts)`, ...starts, color, ownRange: true,
        caption: 'The starts: Gaussian noise, each point coloured by where it is.' },
      { title: 'x_0 after DDPM (this run)', ...ddpm, color,
        caption: 'DDPM draws fresh noise at every step: the colours mix, the start does not decide the end.' },
      { title: 'x_0 after DDIM eta = 0', ...ddim, color,
        caption: 'Deterministic DDIM from the same starts: the colours stay ordered, the start decides the end.' },
    ],
    note: '`study trajectories` measures the same with numbers (neighbourhood overlap against a random matching).',
  };
}

export function metricsTable(report: Report): ReportSection {
  return {
    kind: 'table',
    title: `Sample quality (${report.draws} draws of ${report.size} points; ratio ~1 = as close as fresh data)`,
    columns: ['metric', 'samples vs data', 'data vs data (floor)', 'ratio'],
    rows: report.metrics.map((m) => [m.label, m.value, m.floor, Number(m.ratio.toFixed(3))]),
  };
}

/** The forward process q(x_t | x_0) of up to 1000 data points at the t where the signal falls (signalT). */
export function forwardSection(model: Diffusion, data: Points, title = 'Forward process q(x_t | x_0)'): ReportSection {
  const d = data.d, n = Math.min(data.n, 1000);
  const sub: Points = { data: data.data.subarray(0, n * d), n, d };
  const fwdT = signalT(model.schedule.alphaBar);
  const forward = model.diffuse(sub, fwdT);
  return {
    kind: 'scatterRow', title,
    panels: [{ title: 'data x_0', ...plane(sub, d) }, ...forward.map((p, j) => ({
      title: `x_${fwdT[j]} (signal ${Math.sqrt(model.schedule.alphaBar[fwdT[j] - 1]).toFixed(2)})`, ...plane(p, d),
    }))],
    note: `The same ${n} data points noised to x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps at the t where the signal sqrt(abar_t) ` +
      'falls to 0.995, 0.97 and 0.85, and at T: the shape dissolves early, by t = T it is N(0, I).',
  };
}

/** The reverse process at the same t as forwardSection, from recorded frames (frames[j] = x at t = T - j). */
export function reverseSection(model: Diffusion, frames: Float32Array[], title = 'Reverse process p_theta(x_{t-1} | x_t)'): ReportSection {
  const d = model.config.model.dim, T = model.schedule.T;
  const revT = [...signalT(model.schedule.alphaBar)].reverse().concat(0);
  return {
    kind: 'scatterRow', title,
    panels: revT.map((t) => ({ title: t === 0 ? 'x_0 (samples)' : `x_${t}`, ...plane(frames[T - t], d), color: roles.samples })),
    note: 'The reverse chain at the same t, from noise x_T (left) to samples x_0 (right): ' +
      'the shape appears only in the last few percent of the steps.',
  };
}

export function trainReport(
  model: Diffusion,
  r: { data: Points; samples: Points; frames: Float32Array[]; report?: Report; trainSeconds: number; sampleSeconds: number },
): ReportData {
  const c = model.config, d = c.model.dim, T = model.schedule.T;
  const sections: ReportSection[] = [
    forwardSection(model, r.data),
    reverseSection(model, r.frames),
    {
      kind: 'scatterRow',
      title: 'Samples against data',
      panels: [{ title: 'data', ...plane(r.data, d) }, { title: 'samples', ...plane(r.samples, d) }],
    },
  ];
  if (d >= 2) sections.push(startEndSection(model, r.frames), fieldSection(model, r.data));
  const loss = downsample(model.losses);
  sections.push({ kind: 'loss', step: loss.step, loss: loss.value });
  const s = model.schedule;
  sections.push({
    kind: 'schedule', t: Array.from({ length: T }, (_, i) => i + 1), beta: Array.from(s.beta), alphaBar: Array.from(s.alphaBar),
  });
  if (r.report) sections.push(metricsTable(r.report));
  return {
    title: `ddpm-wasm: ${c.dataset}`,
    subtitle: `${model.step} steps in ${r.trainSeconds.toFixed(1)} s, ` +
      `${r.samples.n} samples in ${r.sampleSeconds.toFixed(1)} s (ddpm-wasm ${VERSION})`,
    config: {
      dataset: c.dataset, points: c.stream ? `streamed (${r.data.n} for the standardisation)` : r.data.n, dim: d, T, schedule: c.schedule,
      'abar_T': Number(s.alphaBar[T - 1].toExponential(3)), variance: c.variance, 'x0 clip': c.clipX0 ?? 0, steps: model.step,
      batch: c.batch, lr: c.lr, width: c.model.width, depth: c.model.depth,
      embedding: c.model.inputEmbedding ? c.model.embedSize : `t only (${c.model.embedSize})`, activation: c.model.activation,
      parameters: parameterCount(c.model), 'EMA decay': c.adam.emaDecay, seed: c.seed,
    },
    sections,
  };
}
