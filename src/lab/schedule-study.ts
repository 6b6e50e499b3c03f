/**
 * The schedule study (`study schedules`, `study T`): train one model per variant of the noise schedule (a beta_t
 * schedule, or a number of steps T) with the same seed, data, model and budget, then measure each the same way: the
 * variational bound on held-out points (src/diffusion/bound.ts), the sample distances of `eval`
 * (src/eval/draws.ts), and the three properties of a good schedule:
 *   small      every step's noise is small against the data: sqrt(beta_t) <= 0.5 data std (standardised units),
 *   isotropic  x_T is noise: abar_T <= 0.01, and L_T = KL(q(x_T|x_0) || N(0,I)) is reported per point,
 *   increasing beta_t does not decrease.
 * Builds one report (ReportData) and a terminal table. Browser-safe; the CLI is src/cli/study.ts.
 */
import type { RunConfig } from '../diffusion/config';
import type { Points } from '../data/points';
import { type Diffusion, type DiffusionOptions, createDiffusion } from '../api/diffusion';
import { type Report, compareToData, makeDraws, planDraws } from '../eval/draws';
import {
  type AccuracyDifference, type TwoSampleResult, classifierTwoSampleTest, compareAccuracies, formatDifferences,
} from '../eval/two-sample';
import { slicePoints } from '../data/points';
import { parameterCount } from '../engine/model';
import type { ReportData, ReportSection } from '../report/render';
import { downsample, metricsTable, plane } from '../report/train-report';
import type { Schedule } from '../schedule/schedule';
import { VERSION } from '../util/version';
import type { VlbResult } from '../diffusion/bound';

export interface Variant {
  label: string;
  /** Overrides of the shared configuration (schedule, T, ...). */
  config: Partial<DiffusionOptions>;
}

export interface StudyOptions {
  base: DiffusionOptions & { data: Points; dataset: string };
  /** Held-out points (data units) for the bound and the sample distances: at least 2 x draws x size + vlbN. */
  heldOut: Points;
  vlbN: number;
  draws: number;
  size: number;
  seed: number;
  /**
   * Fresh data for the classifier two-sample test (the CLI: 20,000 points), or none: each model is then judged on as
   * many of its samples, and the summary says which differences between rows are beyond the test's noise.
   */
  testData?: Points;
  onVariant?: (index: number, v: Variant) => void;
  onTrain?: (step: number, steps: number, loss: number, stepsPerSecond: number) => void;
  onPhase?: (what: string) => void;
  /** Sees each trained model after it has been judged and before it is closed (the tour draws its trajectories). */
  onModel?: (model: Diffusion, v: Variant, index: number) => void | Promise<void>;
}

export interface ScheduleProps {
  increasing: boolean;
  /** max_t sqrt(beta_t) in data standard deviations (standardised units), and how many t exceed 0.5. */
  maxNoiseStd: number;
  stepsOverHalf: number;
  small: boolean;
  alphaBarT: number;
  isotropic: boolean;
}

export interface VariantResult {
  label: string;
  config: RunConfig;
  schedule: Schedule;
  losses: Float32Array;
  trainSeconds: number;
  vlb: VlbResult;
  report: Report;
  samples: Points;
  props: ScheduleProps;
  test?: TwoSampleResult;
}

function scheduleProps(s: Schedule): ScheduleProps {
  let increasing = true, maxNoiseStd = 0, stepsOverHalf = 0;
  for (let i = 0; i < s.T; i++) {
    if (i > 0 && s.beta[i] < s.beta[i - 1] - 1e-15) increasing = false;
    const sd = Math.sqrt(s.beta[i]);
    maxNoiseStd = Math.max(maxNoiseStd, sd);
    if (sd > 0.5) stepsOverHalf++;
  }
  const alphaBarT = s.alphaBar[s.T - 1];
  return { increasing, maxNoiseStd, stepsOverHalf, small: stepsOverHalf === 0, alphaBarT, isotropic: alphaBarT <= 0.01 };
}

const mean = (a: Float32Array, from: number) => {
  let s = 0;
  for (let i = from; i < a.length; i++) s += a[i];
  return s / Math.max(1, a.length - from);
};

export async function runStudy(variants: Variant[], o: StudyOptions): Promise<VariantResult[]> {
  const out: VariantResult[] = [];
  const d = o.heldOut.d;
  const vlbData: Points = { data: o.heldOut.data.subarray(0, o.vlbN * d), n: o.vlbN, d };
  const evalData: Points = { data: o.heldOut.data.subarray(o.vlbN * d), n: o.heldOut.n - o.vlbN, d };
  const plan = planDraws(o.draws * o.size, evalData.n, o.draws, o.size);
  for (let v = 0; v < variants.length; v++) {
    const variant = variants[v];
    o.onVariant?.(v, variant);
    const model: Diffusion = await createDiffusion({ ...o.base, ...variant.config });
    const t0 = performance.now();
    await model.train({ progressEvery: 50, onProgress: (p) => o.onTrain?.(p.step, p.steps, p.loss, p.stepsPerSecond) });
    const trainSeconds = (performance.now() - t0) / 1000;
    o.onPhase?.('bound');
    const vlb = model.bound(vlbData, { seed: o.seed });
    o.onPhase?.('samples');
    model.reseedSampling(o.seed);
    const all = model.sample(Math.max(plan.draws * plan.size, o.testData?.n ?? 0)).points;
    const samples = slicePoints(all, 0, plan.draws * plan.size);
    o.onPhase?.('distances');
    const { samplesDraws, dataDrawsA, dataDrawsB } = makeDraws(samples, evalData, plan, o.seed);
    const report = compareToData(samplesDraws, dataDrawsA, dataDrawsB, { seed: o.seed });
    const test = o.testData && classifierTwoSampleTest(slicePoints(all, 0, o.testData.n), o.testData, { seed: o.seed });
    await o.onModel?.(model, variant, v);
    model.close(); // its worker threads, if any
    out.push({
      label: variant.label, config: model.config, schedule: model.schedule, losses: model.losses, trainSeconds, vlb, report, samples,
      props: scheduleProps(model.schedule), test,
    });
  }
  return out;
}

const ratio = (r: VariantResult, name: string) => r.report.metrics.find((m) => m.name === name)?.ratio ?? NaN;

/** Curves on a shared x: t itself when every variant has the same T, else t/T on a grid (nearest t). */
function curves(
  results: VariantResult[], get: (r: VariantResult) => ArrayLike<number>,
): { x: number[]; xLabel: string; series: { label: string; y: number[] }[] } {
  const Ts = results.map((r) => r.schedule.T);
  if (Ts.every((T) => T === Ts[0])) {
    return {
      x: Array.from({ length: Ts[0] }, (_, i) => i + 1), xLabel: 't',
      series: results.map((r) => ({ label: r.label, y: Array.from(get(r)) })),
    };
  }
  const G = Math.min(200, Math.max(...Ts));
  const x = Array.from({ length: G }, (_, g) => (g + 1) / G);
  return {
    x, xLabel: 't / T',
    series: results.map((r) => {
      const a = get(r), T = r.schedule.T;
      return { label: r.label, y: x.map((u) => a[Math.max(1, Math.round(u * T)) - 1]) };
    }),
  };
}

export function studyReport(kind: string, results: VariantResult[], o: { data: Points; dataset: string; seconds: number }): ReportData {
  const c = results[0].config;
  const sections: ReportSection[] = [];
  sections.push(summarySection(results));
  const sched = (title: string, get: (r: VariantResult) => ArrayLike<number>, logY = false, yLabel?: string): ReportSection => {
    const cv = curves(results, get);
    return { kind: 'lines', title, x: cv.x, series: cv.series, logY, xLabel: cv.xLabel, yLabel };
  };
  sections.push(
    sched('beta_t per schedule', (r) => r.schedule.beta, true, 'beta_t'),
    sched('abar_t per schedule', (r) => r.schedule.alphaBar, false, 'abar_t'),
    sched('Signal-to-noise ratio abar_t / (1 - abar_t)', (r) => r.schedule.snr, true, 'SNR'),
  );
  sections.push({
    kind: 'table', title: 'The seed\'s three properties of a schedule, checked',
    columns: [
      'variant', 'small: max sqrt(beta_t) / data std', 't with sqrt(beta_t) > 0.5', 'small?', 'abar_T', 'L_T (nats)', 'isotropic x_T?',
      'increasing?',
    ],
    rows: results.map((r) => [
      r.label, r.props.maxNoiseStd, r.props.stepsOverHalf, r.props.small ? 'yes' : 'no', r.props.alphaBarT, r.vlb.prior,
      r.props.isotropic ? 'yes' : 'no', r.props.increasing ? 'yes' : 'no',
    ]),
    note: 'small: every step adds noise of at most half the data\'s standard deviation (standardised units); isotropic: abar_T <= 0.01 ' +
      '(L_T is the KL of x_T from N(0, I) per point); increasing: beta_t never decreases.',
  });
  // Loss curves: the same budget for all, so one x.
  const ls = results.map((r) => downsample(r.losses, 200));
  sections.push({
    kind: 'lines', title: 'Training loss (L_simple, bucket means)', x: ls[0].step,
    series: results.map((r, i) => ({ label: r.label, y: ls[i].value })),
    logY: true, xLabel: 'step', yLabel: 'loss',
  });
  const lossT = curves(results, (r) => r.vlb.epsMse);
  sections.push({
    kind: 'lines', title: 'Loss per t on held-out points: E|eps - eps_theta(x_t, t)|^2 per coordinate', x: lossT.x, series: lossT.series,
    logY: true, xLabel: lossT.xLabel, yLabel: 'MSE',
  });
  const termsT = curves(results, (r) => Float64Array.from(r.vlb.terms, (v, i) => (i === 0 ? NaN : v)));
  sections.push({
    kind: 'lines', title: 'Bound per t: L_{t-1} (nats per point)', x: termsT.x, series: termsT.series, logY: true, xLabel: termsT.xLabel,
    yLabel: 'nats', note: 'L_0, the decoder NLL, is in the bound table (it can be negative).',
  });
  const idx = results.map((_, i) => i + 1);
  const key = `variants: ${results.map((r, i) => `${i + 1} = ${r.label}`).join(', ')}`;
  sections.push({
    kind: 'lines', title: 'Bound per variant (bits/dim, data units)', x: idx,
    series: [{ label: 'bits/dim', y: results.map((r) => r.vlb.bitsPerDim) }],
    bars: true, xLabel: 'variant', note: key,
  });
  sections.push({
    kind: 'table', title: 'Variational bound per variant',
    columns: ['variant', 'bits/dim', '± s.e.', 'nats (data units)', 'L_T', 'sum L_{t-1}', 'L_0'],
    rows: results.map((r) => [
      r.label, r.vlb.bitsPerDim, r.vlb.stderrNats / (r.vlb.d * Math.LN2), r.vlb.nats, r.vlb.prior,
      r.vlb.totalNats - r.vlb.prior - r.vlb.terms[0],
      r.vlb.terms[0],
    ]),
    note: `${results[0].vlb.n} held-out points; sigma_t^2 = ${results[0].vlb.variance === 'beta' ? 'beta_t' : 'beta-tilde_t'}; ` +
      'continuous Gaussian decoder; data-unit figures include sum_j log std_j.',
  });
  const names = ['w2', 'sw2', 'energy', 'mmd2'];
  sections.push({
    kind: 'lines', title: 'Sample distances per variant (ratio to the data-vs-data floor; 1 = as close as fresh data)', x: idx, bars: true,
    xLabel: 'variant',
    series: names.map((n) => ({
      label: results[0].report.metrics.find((m) => m.name === n)?.label ?? n, y: results.map((r) => ratio(r, n)),
    })),
    note: key,
  });
  for (const r of results)
    sections.push({
      ...metricsTable(r.report), title: `Sample distances: ${r.label} (${r.report.draws} draws of ${r.report.size} points)`,
    } as ReportSection);
  const d = o.data.d;
  sections.push({
    kind: 'scatterRow', title: 'Samples per variant',
    panels: [{ title: 'data', ...plane(o.data, d, 1000) }, ...results.map((r) => ({ title: r.label, ...plane(r.samples, d, 1000) }))],
  });
  return {
    title: `ddpm-wasm: ${kind} study on ${o.dataset}`,
    subtitle: `${results.length} models, ${c.steps} steps each, same seed, data and model; ` +
      `${o.seconds.toFixed(0)} s in all (ddpm-wasm ${VERSION})`,
    config: {
      dataset: o.dataset, points: o.data.n, variants: results.map((r) => r.label).join(', '), steps: c.steps, batch: c.batch, lr: c.lr,
      width: c.model.width, depth: c.model.depth, parameters: parameterCount(c.model), variance: c.variance, seed: c.seed,
      'held-out (bound)': results[0].vlb.n, 'eval draws': `${results[0].report.draws} x ${results[0].report.size}`,
    },
    sections,
  };
}

export function summaryRows(results: VariantResult[]): (string | number)[][] {
  return results.map((r) => [
    r.label, mean(r.losses, Math.max(0, r.losses.length - 100)), r.vlb.bitsPerDim, r.vlb.stderrNats / (r.vlb.d * Math.LN2), r.vlb.prior,
    r.test?.accuracy ?? NaN, r.test?.nullSd ?? NaN, r.test?.z ?? NaN,
    ratio(r, 'w2'), ratio(r, 'sw2'), r.props.small ? 'yes' : 'no', r.props.isotropic ? 'yes' : 'no', r.props.increasing ? 'yes' : 'no',
    r.trainSeconds,
  ]);
}
export const SUMMARY_COLUMNS = [
  'variant', 'final loss', 'bound bits/dim', '± s.e.', 'L_T nats', 'accuracy', '± null sd', 'z', 'W2 ratio', 'SW2 ratio', 'small',
  'isotropic',
  'increasing', 'train s',
];

/** Pairwise differences of the rows' two-sample accuracies (empty when the study ran without the test). */
export function studyDifferences(results: VariantResult[]): AccuracyDifference[] {
  return results.every((r) => r.test) ? compareAccuracies(results.map((r) => ({ label: r.label, test: r.test! }))) : [];
}

function summarySection(results: VariantResult[]): ReportSection {
  const diffs = studyDifferences(results);
  const t = results[0].test;
  const verdicts = diffs.length
    ? ` Differences: ${diffs.map((x) => `${x.a} vs ${x.b} ${x.real ? 'real' : 'not significant'} (z = ${x.z.toFixed(1)})`).join('; ')}.`
    : '';
  return {
    kind: 'table', title: 'Summary', columns: SUMMARY_COLUMNS, rows: summaryRows(results),
    note: 'final loss: mean of the last 100 steps; ratios: samples vs data over data vs data (1 = as good as fresh data).' +
      (t ? ` accuracy: a ${t.k}-NN classifier telling ${t.n} samples from ${t.n} fresh points (0.5 = indistinguishable), ` +
        'z = (accuracy - 0.5) / null sd.' : '') + verdicts,
  };
}

/** The summary as an aligned plain-text table for the terminal. */
export function formatSummary(results: VariantResult[]): string {
  const f = (v: string | number) => (typeof v === 'number'
    ? (Number.isNaN(v) ? 'n/a' : Number.isInteger(v) ? String(v)
      : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(Math.abs(v) >= 100 ? 0 : 3))
    : v);
  const rows = [SUMMARY_COLUMNS, ...summaryRows(results).map((r) => r.map(f))];
  const w = SUMMARY_COLUMNS.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) => r.map((v, c) => (c === 0 ? String(v).padEnd(w[c]) : String(v).padStart(w[c]))).join('  ');
  return [line(rows[0]), w.map((x) => '-'.repeat(x)).join('  '), ...rows.slice(1).map(line)].join('\n') + '\n' +
    formatDifferences(studyDifferences(results));
}
