/**
 * What goes into a run's report.html: the data and the forward process, the reverse process, samples
 * against data, the loss curve and the schedule. Builds plain data (ReportData); src/report/render.ts renders it.
 */
import type { Points } from '../data/datasets';
import type { Diffusion } from '../api/diffusion';
import type { Report } from '../eval/distances';
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
export function signalT(alphaBar: ArrayLike<number>, levels = [0.995, 0.97, 0.85]): number[] {
  const T = alphaBar.length, ts = new Set<number>();
  for (const level of levels) {
    let i = 0;
    while (i < T - 1 && Math.sqrt(alphaBar[i]) > level) i++;
    ts.add(i + 1);
  }
  ts.add(T);
  return [...ts].sort((a, b) => a - b);
}

export function metricsTable(report: Report): ReportSection {
  return {
    kind: 'table',
    title: `Sample quality (${report.draws} draws of ${report.size} points; ratio ~1 = as close as fresh data)`,
    columns: ['metric', 'samples vs data', 'data vs data (floor)', 'ratio'],
    rows: report.metrics.map((m) => [m.label, m.value, m.floor, Number(m.ratio.toFixed(3))]),
  };
}

export function trainReport(
  model: Diffusion,
  r: { data: Points; samples: Points; frames: Float32Array[]; report?: Report; trainSeconds: number; sampleSeconds: number },
): ReportData {
  const c = model.config, d = c.model.dim, T = model.schedule.T;
  const sub: Points = { data: r.data.data.subarray(0, Math.min(r.data.n, 1000) * d), n: Math.min(r.data.n, 1000), d };
  const fwdT = signalT(model.schedule.alphaBar);
  const forward = model.diffuse(sub, fwdT);
  const revT = [...fwdT].reverse().concat(0);
  const sections: ReportSection[] = [
    {
      kind: 'scatterRow',
      title: 'Forward process q(x_t | x_0)',
      panels: [{ title: 'data x_0', ...plane(sub, d) }, ...forward.map((p, j) => ({ title: `x_${fwdT[j]} (signal ${Math.sqrt(model.schedule.alphaBar[fwdT[j] - 1]).toFixed(2)})`, ...plane(p, d) }))],
    },
    {
      kind: 'scatterRow',
      title: 'Reverse process p_theta(x_{t-1} | x_t)',
      panels: revT.map((t) => ({ title: t === 0 ? 'x_0 (samples)' : `x_${t}`, ...plane(r.frames[T - t], d) })),
    },
    {
      kind: 'scatterRow',
      title: 'Samples against data',
      panels: [{ title: 'data', ...plane(r.data, d) }, { title: 'samples', ...plane(r.samples, d) }],
    },
  ];
  const loss = downsample(model.losses);
  sections.push({ kind: 'loss', step: loss.step, loss: loss.value });
  const s = model.schedule;
  sections.push({ kind: 'schedule', t: Array.from({ length: T }, (_, i) => i + 1), beta: Array.from(s.beta), alphaBar: Array.from(s.alphaBar) });
  if (r.report) sections.push(metricsTable(r.report));
  return {
    title: `ddpm-wasm: ${c.dataset}`,
    subtitle: `${model.step} steps in ${r.trainSeconds.toFixed(1)} s, ${r.samples.n} samples in ${r.sampleSeconds.toFixed(1)} s (ddpm-wasm ${VERSION})`,
    config: {
      dataset: c.dataset, points: r.data.n, dim: d, T, schedule: c.schedule, 'abar_T': Number(s.alphaBar[T - 1].toExponential(3)),
      variance: c.variance, 'x0 clip': c.clipX0 ?? 0, steps: model.step, batch: c.batch, lr: c.lr, width: c.model.width, depth: c.model.depth,
      embedding: c.model.inputEmbedding ? c.model.embedSize : `t only (${c.model.embedSize})`, activation: c.model.activation,
      parameters: parameterCount(c.model), 'EMA decay': c.adam.emaDecay, seed: c.seed,
    },
    sections,
  };
}
