/**
 * `study samplers`: quality per network evaluation. Per data set one model (trained with the run's options, or given),
 * then every sampler at every budget of network evaluations draws n points from the same sample-stream seed; each set
 * is judged against n fresh points by the classifier two-sample test (src/eval/two-sample.ts: accuracy and z) and the
 * sliced W2 over its floor (fresh data judged as samples, src/eval/sample-quality.ts), and its sampling time is
 * measured. Algorithm 2 at all T steps is the reference row. The verdict compares every row with the reference by the
 * test's own noise (compareAccuracies): "beyond noise" or "within noise", never a winner picked from noise.
 * Builds plain data (ReportData) and a terminal table; the CLI is src/cli/study.ts.
 */
import { type Points, slicePoints } from '../data/points';
import { getDataset } from '../data/datasets';
import { type Diffusion, type DiffusionOptions, createDiffusion } from '../api/diffusion';
import { SAMPLERS, type SamplerName } from '../diffusion/samplers';
import { type SolverCall, hybridSplit, solverEvaluations, solverStepsForBudget } from '../diffusion/solvers';
import { FRESH_SEED_OFFSET, PERFECT_SEED_OFFSET } from '../eval/draws';
import { type Judged, judge } from '../eval/sample-quality';
import { slicedDistances } from '../eval/sliced';
import { type AccuracyDifference, compareAccuracies } from '../eval/two-sample';
import type { ReportData, ReportSection } from '../report/render';
import { plane } from '../report/train-report';
import { Rng } from '../util/rng';
import { VERSION } from '../util/version';

export type StudySampler = SamplerName;
/** Every sampler of Diffusion.sample. */
export const STUDY_SAMPLERS: readonly StudySampler[] = SAMPLERS;
export const DEFAULT_BUDGETS = [5, 10, 20, 50, 100, 200];
const REFERENCE_LABEL = 'Algorithm 2';
/** Perfect-model draws for the sliced W2 floor (as `eval`). */
const FLOOR_DRAWS = 4;

/** The hybrid's own options for every hybrid row (each undefined: the sampler's default). */
export type HybridOptions = Pick<SolverCall, 'split' | 'tail' | 'coarse'>;

/**
 * The steps a sampler takes within `budget` network evaluations, or undefined when it cannot run in that budget
 * (or when it would be the reference itself: ddpm at all T steps).
 */
function stepsForBudget(sampler: StudySampler, budget: number, T: number, hybrid: HybridOptions = {}): number | undefined {
  let K: number;
  if (sampler === 'ddpm') K = budget < T ? budget : NaN;
  else if (sampler === 'ddim') K = budget;
  else if (sampler === 'ode') K = Math.floor((budget + 1) / 2);
  else K = solverStepsForBudget(sampler, budget, T, hybrid); // at least 1 step: the budget check below drops what overspends
  const max = sampler === 'hybrid' ? T - hybridSplit(T, hybrid.split) : T;
  return Number.isInteger(K) && K >= 1 && K <= max && evaluationsOf(sampler, K, T, hybrid) <= budget ? K : undefined;
}

/** Network evaluations of `sampler` with K steps on a T-step model. */
function evaluationsOf(sampler: StudySampler, K: number, T: number, hybrid: HybridOptions = {}): number {
  if (sampler === 'ode') return 2 * K - 1;
  if (sampler === 'ddpm' || sampler === 'ddim') return K;
  return solverEvaluations(callOf(sampler, K, hybrid), T);
}

/** The sample call of a row: K steps of `sampler`, with the hybrid's own options on a hybrid row. */
function callOf<S extends StudySampler>(sampler: S, K: number, hybrid: HybridOptions = {}) {
  return { sampler, steps: K, ...(sampler === 'hybrid' ? hybrid : {}) };
}

export interface SamplerRow {
  label: string;
  sampler: StudySampler | 'reference';
  budget: number;
  steps: number;
  evaluations: number;
  seconds: number;
  judged: Judged;
  sw2Ratio: number;
  /** Against the reference (absent on the reference row). */
  vsReference?: AccuracyDifference;
}

export interface DatasetResult {
  dataset: string;
  T: number;
  trainSeconds: number;
  /** Fresh data judged as samples: the perfect model's z and its sliced W2 (the floor's first draw). */
  perfect: Judged;
  sw2Floor: number;
  reference: SamplerRow;
  rows: SamplerRow[];
  samples: { label: string; points: Points }[];
  data: Points;
}

export interface SamplerStudyOptions {
  datasets: string[];
  /** A given model per data set (its own data set is used); else one is trained with `base`. */
  models?: Diffusion[];
  base: DiffusionOptions;
  samplers: readonly StudySampler[];
  budgets: number[];
  testN: number;
  seed: number;
  /** The hybrid rows' split, tail and coarse solver (default: the sampler's own). */
  hybrid?: HybridOptions;
  onPhase?: (what: string) => void;
  onTrain?: (step: number, steps: number, loss: number) => void;
  /** Called after each row with its count of rows done and the total. */
  onRow?: (done: number, total: number, row: SamplerRow) => void;
}

export async function runSamplerStudy(o: SamplerStudyOptions): Promise<DatasetResult[]> {
  const out: DatasetResult[] = [];
  const perSet = 1 + o.samplers.length * o.budgets.length;
  let done = 0;
  for (let di = 0; di < o.datasets.length; di++) {
    let model: Diffusion, trainSeconds = 0;
    const given = o.models?.[di];
    if (given) model = given;
    else {
      o.onPhase?.(`${o.datasets[di]}: train`);
      model = await createDiffusion({ ...o.base, dataset: o.datasets[di] });
      const t0 = performance.now();
      await model.train({ progressEvery: 50, onProgress: (p) => o.onTrain?.(p.step, p.steps, p.loss) });
      trainSeconds = (performance.now() - t0) / 1000;
    }
    const dataset = model.config.dataset, seed = model.config.seed, T = model.schedule.T, n = o.testN;
    o.onPhase?.(`${dataset}: samplers`);
    const fresh = getDataset(dataset, n, seed + FRESH_SEED_OFFSET);
    const perfectDraws = Array.from({ length: FLOOR_DRAWS }, (_, j) => getDataset(dataset, n, seed + PERFECT_SEED_OFFSET + j));
    const perfect = judge(perfectDraws[0], fresh, { seed: o.seed });
    const sw2Floor = [perfect.sw2, ...perfectDraws.slice(1).map((p) => slicedDistances(p, fresh, 256, new Rng(o.seed, 3)).sw2)]
      .reduce((a, b) => a + b, 0) / FLOOR_DRAWS;
    const samples: { label: string; points: Points }[] = [];
    const measure = (label: string, sampler: StudySampler | 'reference', budget: number, K: number, draw: () => Points): SamplerRow => {
      model.reseedSampling(o.seed);
      const t0 = performance.now();
      const points = draw();
      const seconds = (performance.now() - t0) / 1000;
      const judged = judge(points, fresh, { seed: o.seed });
      if (samples.length < 12) samples.push({ label, points: slicePoints(points, 0, Math.min(points.n, 1500)) });
      const evaluations = sampler === 'reference' ? T : evaluationsOf(sampler, K, T, o.hybrid);
      const row: SamplerRow = { label, sampler, budget, steps: K, evaluations, seconds, judged, sw2Ratio: judged.sw2 / sw2Floor };
      o.onRow?.(++done, perSet * o.datasets.length, row);
      return row;
    };
    const reference = measure(`${REFERENCE_LABEL} (T = ${T})`, 'reference', T, T, () => model.sample(n).points);
    const rows: SamplerRow[] = [];
    for (const sampler of o.samplers) {
      for (const budget of o.budgets) {
        const K = stepsForBudget(sampler, budget, T, o.hybrid);
        if (K === undefined) {
          done++;
          continue;
        }
        const row = measure(`${sampler} ${K} steps`, sampler, budget, K, () => model.sample(n, callOf(sampler, K, o.hybrid)).points);
        row.vsReference = compareAccuracies([
          { label: row.label, test: row.judged.test }, { label: reference.label, test: reference.judged.test },
        ])[0];
        rows.push(row);
      }
    }
    if (!given) model.close();
    out.push({ dataset, T, trainSeconds, perfect, sw2Floor, reference, rows, samples, data: slicePoints(fresh, 0, Math.min(n, 1500)) });
  }
  return out;
}

const f = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** "beyond noise, worse" / "beyond noise, better" / "within noise" against the reference. */
function verdictOf(r: SamplerRow): string {
  const v = r.vsReference;
  if (!v) return 'reference';
  return v.real ? `beyond noise, ${v.diff > 0 ? 'worse' : 'better'}` : 'within noise';
}

const TABLE_COLUMNS = [
  'data set', 'sampler', 'budget', 'steps', 'evals', 'z', 'accuracy', '± null sd', 'SW2 ratio', 'seconds', 'vs Algorithm 2 (z of diff)',
];

function tableRows(res: DatasetResult[]): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const r of res) {
    for (const x of [r.reference, ...r.rows]) {
      rows.push([r.dataset, x.sampler === 'reference' ? REFERENCE_LABEL : x.sampler, x.budget, x.steps, x.evaluations, x.judged.test.z,
        x.judged.test.accuracy,
        x.judged.test.nullSd, x.sw2Ratio, x.seconds, x.vsReference ? `${verdictOf(x)} (${x.vsReference.z.toFixed(1)})` : 'reference']);
    }
  }
  return rows;
}

/**
 * Per data set and budget: the rows within the reference's noise, and the cheapest budget at which each sampler is
 * within 1.0 of the reference's z (the target's yardstick).
 */
function frontierNotes(res: DatasetResult[]): string[] {
  const lines: string[] = [];
  for (const r of res) {
    const within = r.rows.filter((x) => x.vsReference && !x.vsReference.real);
    const near = new Map<string, number>();
    for (const x of r.rows)
      if (x.judged.test.z <= r.reference.judged.test.z + 1 && !near.has(x.sampler)) near.set(x.sampler, x.evaluations);
    lines.push(`${r.dataset}: Algorithm 2 (T = ${r.T}) z = ${f(r.reference.judged.test.z, 1)}; ` +
      `perfect model z = ${f(r.perfect.test.z, 1)}; ` +
      'within the test\'s noise of Algorithm 2: ' +
      `${within.length ? within.map((x) => `${x.sampler} @${x.evaluations}`).join(', ') : 'none'}; ` +
      `z within 1.0 of Algorithm 2 from: ${near.size ? [...near].map(([s, e]) => `${s} @${e}`).join(', ') : 'none'}`);
  }
  return lines;
}

export function formatSamplerStudy(res: DatasetResult[]): string {
  // z and seconds to 1 decimal, the SW2 ratio to 2, accuracy and its sd to 4; counts as they are
  const digits: Record<number, number> = { 5: 1, 6: 4, 7: 4, 8: 2, 9: 1 };
  const body = tableRows(res).map((r) => r.map((v, c) => (typeof v === 'number' ? (c in digits ? f(v, digits[c]) : String(v)) : v)));
  const rows = [TABLE_COLUMNS, ...body];
  const w = TABLE_COLUMNS.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) =>
    r.map((v, c) => (c <= 1 || c === 10 ? String(v).padEnd(w[c]) : String(v).padStart(w[c]))).join('  ').trimEnd();
  return [line(rows[0]), w.map((x) => '-'.repeat(x)).join('  '), ...body.map(line), ...frontierNotes(res)].join('\n') + '\n';
}

/** The study's summary for --json and summary.json. */
export function samplerStudySummary(res: DatasetResult[], extra: Record<string, unknown>) {
  return {
    kind: 'samplers', ...extra,
    datasets: res.map((r) => ({
      dataset: r.dataset, T: r.T, trainSeconds: r.trainSeconds, perfectZ: r.perfect.test.z, sw2Floor: r.sw2Floor,
      rows: [r.reference, ...r.rows].map((x) => ({
        sampler: x.sampler === 'reference' ? 'ddpm' : x.sampler, reference: x.sampler === 'reference', budget: x.budget, steps: x.steps,
        evaluations: x.evaluations,
        z: x.judged.test.z, accuracy: x.judged.test.accuracy, nullSd: x.judged.test.nullSd, n: x.judged.test.n, sw2: x.judged.sw2,
        sw2Ratio: x.sw2Ratio,
        seconds: x.seconds,
        vsReference: x.vsReference &&
          { diff: x.vsReference.diff, sd: x.vsReference.sd, z: x.vsReference.z, beyondNoise: x.vsReference.real },
      })),
    })),
    notes: frontierNotes(res),
  };
}

export function samplerStudyReport(res: DatasetResult[], o: {
  samplers: readonly StudySampler[]; budgets: number[]; testN: number; seconds: number; config: Record<string, string | number>;
}): ReportData {
  const sections: ReportSection[] = [];
  sections.push({
    kind: 'text', title: 'How to read this',
    html: '<p>Each row: one sampler at a budget of network evaluations (the steps it takes within that budget), ' +
      `${o.testN} points from the same ` +
      'sample-stream seed, judged against as many fresh points by a k-NN classifier two-sample test: ' +
      'z is its accuracy over chance in null ' +
      'standard deviations (a perfect model reads z ~ N(0, 1): the grey band is z in [-2, 2]; the red line is z = 3). The dashed line is ' +
      'Algorithm 2 with all T steps, the reference. "beyond noise" compares a row with the reference by the two tests\' own noise ' +
      '(|z of the accuracy difference| > 3); differences within it are not findings. Times are wall times of sampling on the machine ' +
      'that ran the study, shared with other work, so only their order of magnitude means something.</p>',
  });
  for (const r of res) {
    const x = o.budgets;
    const series: { label: string; y: number[]; dash?: number[]; color?: string }[] = o.samplers.map((s) => ({
      label: s, y: x.map((b) => r.rows.find((row) => row.sampler === s && row.budget === b)?.judged.test.z ?? NaN),
    }));
    const flat = (label: string, v: number, color: string, dash?: number[]) => ({ label, y: x.map(() => v), color, dash });
    series.push(flat(`${REFERENCE_LABEL} (T = ${r.T})`, r.reference.judged.test.z, '#000000', [8, 4]), flat('z = 3', 3, '#d62728', [2, 3]),
      flat('perfect model z = 2', 2, '#9a9a9a', [1, 2]), flat('perfect model z = -2', -2, '#9a9a9a', [1, 2]));
    sections.push({
      kind: 'lines', title: `${r.dataset}: two-sample z against network evaluations`, x, series, logX: true,
      xLabel: 'network evaluations (budget)', yLabel: 'z',
      note: 'Each sampler at the most steps its budget allows (the table gives the exact counts); a missing point: the sampler cannot ' +
        `run in that budget. Perfect model (fresh data as samples): z = ${f(r.perfect.test.z, 1)}.`,
    });
    const zoom = 25;
    sections.push({
      kind: 'lines', title: `${r.dataset}: the same, rows with z <= ${zoom} only`, x, logX: true,
      xLabel: 'network evaluations (budget)', yLabel: 'z',
      series: series.map((q) => ({ ...q, y: q.y.map((z) => (z <= zoom ? z : NaN)) })),
      note: 'The region where samplers approach Algorithm 2, drawn on its own scale: a sampler\'s line starts at the first budget ' +
        `where its z is at most ${zoom}.`,
    });
    sections.push({
      kind: 'lines', title: `${r.dataset}: sliced W2 over its floor against network evaluations`, x, logX: true, logY: true,
      xLabel: 'network evaluations (budget)', yLabel: 'SW2 ratio',
      series: [
        ...o.samplers.map((s) => ({
          label: s, y: x.map((b) => r.rows.find((row) => row.sampler === s && row.budget === b)?.sw2Ratio ?? NaN),
        })),
        flat(`${REFERENCE_LABEL} (T = ${r.T})`, r.reference.sw2Ratio, '#000000', [8, 4])],
    });
    sections.push({
      kind: 'table', title: `${r.dataset}: every row`, columns: TABLE_COLUMNS.slice(1),
      rows: tableRows([r]).map((row) => row.slice(1)),
      note: frontierNotes([r])[0],
    });
    sections.push({
      kind: 'scatterRow', title: `${r.dataset}: samples (first rows)`,
      panels: [
        { title: 'fresh data', ...plane(r.data, r.data.d, 1500) },
        ...r.samples.slice(0, 5).map((s) => ({ title: s.label, ...plane(s.points, s.points.d, 1500) })),
      ],
    });
  }
  return {
    title: `ddpm-wasm: samplers against network evaluations on ${res.map((r) => r.dataset).join(', ')}`,
    subtitle: `${o.samplers.length} samplers x ${o.budgets.length} budgets, ${o.testN} points each; ` +
      `${o.seconds.toFixed(0)} s in all (ddpm-wasm ${VERSION})`,
    config: { ...o.config, samplers: o.samplers.join(', '), budgets: o.budgets.join(', '), 'test points': o.testN },
    sections,
  };
}
