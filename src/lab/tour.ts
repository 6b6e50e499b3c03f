/**
 * `study tour`: the method shown end to end in one report, on three toy data sets of different shapes (swissroll, moons,
 * cross): the experiments of the slides this project implements. Per data set it trains one model per beta_t schedule
 * (src/lab/schedule-study.ts runStudy: same seed, data, model and budget) and takes the linear one as the data set's
 * model for everything else:
 *   - the data sets, the forward process q(x_t | x_0), the reverse process p_theta(x_{t-1} | x_t);
 *   - "does the starting position influence the ending position?": trajectories coloured by their start, DDPM
 *     against the deterministic DDIM eta = 0 and probability-flow ODE, with the neighbourhood-overlap figures
 *     (src/lab/trajectories.ts);
 *   - the learned field -eps_theta(x, t) at a few t;
 *   - the schedule: the three criteria of a good one (small against the data, x_T isotropic, increasing) and
 *     each model's sample quality (the classifier two-sample test of src/eval/two-sample.ts on the study's samples
 *     against as many fresh points, beside the study's W2 ratio) and bound;
 *   - the variational bound of the stochastic model against the exact NLL of the deterministic one (the probability-
 *     flow ODE's change of variables, src/diffusion/likelihood.ts) on the same held-out points, and their paired gap.
 * Builds plain data (ReportData) and a terminal summary; the CLI is src/cli/study-tour.ts.
 */
import { roles } from '../report/charts';
import type { Points } from '../data/points';
import type { DiffusionOptions } from '../api/diffusion';
import { type ReportData, type ReportSection, escapeHtml } from '../report/render';
import { fieldSection, forwardSection, plane, reverseSection } from '../report/train-report';
import type { ScheduleName } from '../schedule/schedule';
import type { VlbResult } from '../diffusion/bound';
import { type NllResult, boundGap } from '../diffusion/likelihood';
import { type TwoSampleResult, classifierTwoSampleTest } from '../eval/two-sample';
import { VERSION } from '../util/version';
import { type VariantResult, runStudy } from './schedule-study';
import { type SamplerSpec, type TrajectoryStudy, orderVerdict, trajectorySections, trajectoryStudy } from './trajectories';

export const TOUR_DATASETS = ['swissroll', 'moons', 'cross'];

/** The samplers of the start-decides-end question: the stochastic one, and the two deterministic ones. */
const TOUR_SAMPLERS: SamplerSpec[] = [
  { label: 'DDPM', sampler: 'ddpm' },
  { label: 'DDIM eta = 0', sampler: 'ddim', eta: 0 },
  { label: 'probability-flow ODE', sampler: 'ode' },
];

/** The exact NLL beside the bound on the same points: both in data units, and their paired gap. */
export interface TourNll {
  nll: NllResult;
  vlb: VlbResult;
  gap: { nats: number; stderr: number };
}

export interface TourOptions {
  datasets: string[];
  /** Shared configuration of every model (steps, T, batch, width, seed, nData, ...). */
  base: Omit<DiffusionOptions, 'dataset' | 'data' | 'schedule'>;
  schedules: ScheduleName[];
  /**
   * Training data per data set (data units) and held-out points: vlbN for the bound, then 2 x draws x size fresh
   * points for the W2 draws and the two-sample test (which judges the study's draws x size samples).
   */
  data: (name: string) => { train: Points; heldOut: Points };
  vlbN: number;
  draws: number;
  size: number;
  /** The trajectory study's sizes (src/lab/trajectories.ts). */
  trajectories: { nOverlap: number; starts: number; runs: number; fanRuns: number; lines: number; k: number };
  fieldGrid: number;
  /** Points whose reverse process is recorded for the reverse-process panels. */
  reverseN: number;
  seed: number;
  /** Held-out points (the bound's first ones) for the exact NLL and the bound beside it; 0: no NLL. */
  nllN: number;
  /** Progress in work units (training steps, evaluation counted as a share of them), with what runs now. */
  onProgress?: (done: number, total: number, what: string, info?: Record<string, string>) => void;
}

export interface TourDataset {
  name: string;
  train: Points;
  results: VariantResult[];
  /** The classifier two-sample test per schedule, by label. */
  tests: Map<string, TwoSampleResult>;
  /** The linear schedule's model (or the first schedule's): everything but the schedule comparison. */
  mainLabel: string;
  forward: ReportSection;
  reverse: ReportSection;
  trajectories: TrajectoryStudy;
  field: ReportSection;
  nll?: TourNll;
}

export interface TourResult {
  datasets: TourDataset[];
  seconds: number;
  options: TourOptions;
}

/** Work units per model: its training steps, plus a share of them for judging it and for the main model's extras. */
const JUDGE_SHARE = 0.15, MAIN_SHARE = 0.4;

export async function runTour(o: TourOptions): Promise<TourResult> {
  const t0 = performance.now(), steps = o.base.steps ?? 1;
  const main = o.schedules.includes('linear') ? 'linear' : o.schedules[0];
  const perSet = o.schedules.length * steps * (1 + JUDGE_SHARE) + MAIN_SHARE * steps;
  const total = Math.round(o.datasets.length * perSet);
  const out: TourDataset[] = [];
  for (let di = 0; di < o.datasets.length; di++) {
    const name = o.datasets[di];
    const { train, heldOut } = o.data(name);
    // Work units done: this data set's start, the variant's start within it, and how far into the variant.
    const base = di * perSet, mainAt = o.schedules.indexOf(main);
    let start = 0, within = 0, current = '';
    const tell = (what: string, info?: Record<string, string>) => o.onProgress?.(Math.round(base + start + within), total, what, info);
    let extras: Omit<TourDataset, 'name' | 'train' | 'results' | 'mainLabel' | 'tests'> | undefined;
    const tests = new Map<string, TwoSampleResult>();
    const fresh: Points = { data: heldOut.data.subarray(o.vlbN * heldOut.d), n: heldOut.n - o.vlbN, d: heldOut.d };
    const results = await runStudy(o.schedules.map((s) => ({ label: s, config: { schedule: s } })), {
      base: { ...o.base, dataset: name, data: train }, heldOut, vlbN: o.vlbN, draws: o.draws, size: o.size, seed: o.seed,
      onVariant: (i, v) => {
        start = i * steps * (1 + JUDGE_SHARE) + (i > mainAt ? MAIN_SHARE * steps : 0);
        within = 0;
        current = `${name} ${v.label}`;
        tell(`${current}: train`);
      },
      onTrain: (step, _s, loss) => {
        within = step;
        tell(`${current}: train`, { loss: loss.toFixed(4) });
      },
      onPhase: (what) => {
        within = steps * (1 + JUDGE_SHARE / 2);
        tell(`${current}: ${what}`);
      },
      onModel: (model, v) => {
        within = steps * (1 + JUDGE_SHARE);
        if (v.label !== main) return;
        const extra = (share: number) => (within = steps * (1 + JUDGE_SHARE) + share * MAIN_SHARE * steps);
        tell(`${name}: forward and reverse process`);
        model.reseedSampling(o.seed + 11);
        const rec = model.sample(o.reverseN, { record: true });
        const forward = forwardSection(model, train, `Forward process q(x_t | x_0): ${name}`);
        const reverse = reverseSection(model, rec.frames!, `Reverse process p_theta(x_{t-1} | x_t): ${name}`);
        extra(0.2);
        tell(`${name}: trajectories`);
        const tr = o.trajectories;
        const trajectories = trajectoryStudy(model, heldOut, {
          samplers: TOUR_SAMPLERS, nOverlap: tr.nOverlap, starts: tr.starts, runs: tr.runs, fanRuns: tr.fanRuns, lines: tr.lines, k: tr.k,
          paths: 1, seed: o.seed,
        });
        extra(0.8);
        tell(`${name}: learned field`);
        const field = fieldSection(model, train,
          { grid: o.fieldGrid, title: `The learned field: -eps_theta(x, t) on a grid over q(x_t): ${name}` });
        let nll: TourDataset['nll'];
        if (o.nllN > 0) {
          extra(0.85);
          tell(`${name}: exact NLL`);
          const n = Math.min(o.nllN, o.vlbN), pts: Points = { data: heldOut.data.subarray(0, n * heldOut.d), n, d: heldOut.d };
          const exact = model.nll(pts, { seed: o.seed });
          const vlb = model.bound(pts, { seed: o.seed });
          nll = { nll: exact, vlb, gap: boundGap(exact, vlb) };
        }
        extras = { forward, reverse, trajectories, field, nll };
      },
    });
    // The two-sample test on the samples the study judged with W2 (drawing more would cost more than the training).
    for (const r of results) tests.set(r.label, classifierTwoSampleTest(r.samples, fresh, { seed: o.seed }));
    out.push({ name, train, results, tests, mainLabel: main, ...extras! });
  }
  o.onProgress?.(total, total, 'done');
  return { datasets: out, seconds: (performance.now() - t0) / 1000, options: o };
}

/**
 * The sample-quality judgement of one model: the classifier two-sample test (can a 25-NN classifier tell the samples
 * from fresh data? accuracy 0.5 = no; z in null sds), with the study's W2 ratio to fresh data's floor beside it.
 */
export function judge(
  ds: TourDataset, r: VariantResult,
): { test: string; accuracy: number; z: number; p: number; w2: number; text: string } {
  const t = ds.tests.get(r.label)!;
  const w2 = r.report.metrics.find((m) => m.name === 'w2')?.ratio ?? NaN;
  return {
    test: `classifier two-sample test (${t.k}-NN, ${t.n} samples against ${t.n} fresh points)`, accuracy: t.accuracy, z: t.z, p: t.p, w2,
    text: `accuracy ${t.accuracy.toFixed(3)}, z ${t.z.toFixed(1)}${t.z <= 3 ? ': indistinguishable from fresh data at this n' : ''}`,
  };
}

const yes = (b: boolean) => (b ? 'yes' : 'no');

function mainOf(ds: TourDataset): VariantResult {
  return ds.results.find((r) => r.label === ds.mainLabel) ?? ds.results[0];
}

/** The table that answers the schedule question: the three criteria, sample quality and bound per schedule. */
function scheduleRows(ds: TourDataset): (string | number)[][] {
  return ds.results.map((r) => {
    const j = judge(ds, r);
    return [
      r.label, r.props.maxNoiseStd, yes(r.props.small), r.props.alphaBarT, r.vlb.prior, yes(r.props.isotropic), yes(r.props.increasing),
      j.accuracy, j.z, j.w2, r.vlb.bitsPerDim, r.vlb.stderrNats / (r.vlb.d * Math.LN2),
    ];
  });
}
const SCHEDULE_COLUMNS = [
  'schedule', 'max sqrt(beta_t) / data sd', 'small?', 'abar_T', 'L_T (nats)', 'isotropic x_T?', 'increasing?', 'two-sample accuracy', 'z',
  'W2 ratio', 'bound bits/dim', '± s.e.',
];

function nllRow(ds: TourDataset): (string | number)[] {
  const r = mainOf(ds), x = ds.nll;
  if (!x) return [ds.name, r.label, r.vlb.n, r.vlb.bitsPerDim, r.vlb.nats, 'not measured', '', '', ''];
  const bits = (nats: number) => nats / (x.nll.d * Math.LN2);
  return [
    ds.name, r.label, x.nll.n, x.vlb.bitsPerDim, x.vlb.nats, x.nll.bitsPerDim, x.nll.nats, x.gap.nats, x.gap.stderr, bits(x.gap.nats),
  ];
}
const NLL_COLUMNS = [
  'data set', 'schedule', 'points', 'L_vlb bits/dim', 'L_vlb nats', 'exact NLL bits/dim', 'exact NLL nats', 'gap L_vlb - NLL (nats)',
  '± s.e.', 'gap bits/dim',
];

/** One-line answers, per data set, for the report's top and the terminal. */
function tourAnswers(ds: TourDataset): { decides: string; schedule: string; bound: string } {
  const tr = ds.trajectories, r = tr.randomExpected;
  const [ddpm, ...deterministic] = tr.figures;
  const v = mainOf(ds).vlb;
  // The three criteria per schedule, and the two-sample test: z <= 3 cannot be told from fresh data at this n;
  // two independent z's differ by noise of sd sqrt(2), so a gap under ~3 between two schedules is not a finding.
  const all = ds.results.filter((x) => x.props.small && x.props.isotropic && x.props.increasing).map((x) => x.label);
  const broken = ds.results.filter((x) => !all.includes(x.label)).map((x) => {
    const miss = [!x.props.small && 'not small', !x.props.isotropic && 'x_T not isotropic', !x.props.increasing && 'not increasing']
      .filter(Boolean);
    return `${x.label}: ${miss.join(', ')}`;
  });
  const zs = ds.results.map((x) => ({ label: x.label, z: judge(ds, x).z }));
  const pass = zs.filter((x) => x.z <= 3).map((x) => x.label), fail = zs.filter((x) => x.z > 3);
  const n = ds.tests.values().next().value?.n ?? 0;
  return {
    decides: [...deterministic, ddpm].map((f) => `after ${f.label} ${orderVerdict(f.colorOverlap, r)}`).join('; '),
    schedule: `the three criteria hold for ${all.join(', ') || 'none'}${broken.length ? ` (${broken.join('; ')})` : ''}; ` +
      `two-sample test at n = ${n}: ${zs.map((x) => `${x.label} z ${x.z.toFixed(1)}`).join(', ')}; ` +
      (pass.length ? `indistinguishable from fresh data (z <= 3): ${pass.join(', ')}` : 'every schedule is told from fresh data (z > 3)') +
      (fail.length ? `; told apart: ${fail.map((x) => x.label).join(', ')}` : ''),
    bound: ds.nll
      ? `on ${ds.nll.nll.n} held-out points the bound L_vlb is ${ds.nll.vlb.bitsPerDim.toFixed(3)} bits/dim ` +
        `and the ODE's exact NLL ${ds.nll.nll.bitsPerDim.toFixed(3)}: ` +
        `gap L_vlb - NLL ${ds.nll.gap.nats.toFixed(3)} ± ${ds.nll.gap.stderr.toFixed(3)} nats per point` +
        (ds.nll.gap.nats + 2 * ds.nll.gap.stderr < 0
          ? ' (below zero: the deterministic model fits these points worse than the stochastic one\'s bound; ' +
            'they are two models of one network)'
          : '')
      : `bound ${v.bitsPerDim.toFixed(3)} bits/dim on ${v.n} held-out points (exact NLL not measured)`,
  };
}

export function tourReport(res: TourResult): ReportData {
  const o = res.options, sets = res.datasets;
  const c = sets[0].results[0].config;
  const sections: ReportSection[] = [];
  const answers = sets.map((ds) => ({ name: ds.name, ...tourAnswers(ds) }));
  sections.push({
    kind: 'text', title: 'The questions, answered',
    html: '<p>This report asks of three toy data sets what the forward and reverse processes look like, ' +
      '"what is the evolution of position of the data during forward and reverse process? ' +
      'Does the starting position influence the ending ' +
      'position?", and what makes a good beta_t schedule (small compared to the data, not so small that x_T is not yet isotropic noise, ' +
      'increasing). ' +
      'The answers measured here:</p><ul>' +
      answers.map((a) => `<li><b>${escapeHtml(a.name)}</b>: ${escapeHtml(a.decides)}. Schedule: ${escapeHtml(a.schedule)}. ` +
        `${escapeHtml(a.bound)}.</li>`).join('') + '</ul>',
  });
  sections.push({
    kind: 'scatterRow', title: 'The three data sets',
    panels: sets.map((ds) => ({ title: ds.name, ...plane(ds.train, ds.train.d, 2000), color: roles.data })),
    note: 'Different characteristics: a thin spiral, two interleaved arcs, two crossing bars.',
  });
  for (const ds of sets) sections.push(ds.forward);
  for (const ds of sets) sections.push(ds.reverse);
  const r0 = sets[0].trajectories;
  sections.push({
    kind: 'table', title: 'Does the starting position influence the ending position?',
    columns: [
      'data set', 'process', 'colour overlap (start colour vs x_0 neighbours)', 'x random', 'position overlap', 'x random',
      'spread of one start\'s endings / data radius',
    ],
    rows: sets.flatMap((ds) => {
      const t = ds.trajectories, r = t.randomExpected;
      return [
        ...t.figures.map((f) => [ds.name, f.label, f.colorOverlap, f.colorOverlap / r, f.overlap, f.overlap / r, f.spread]),
        [ds.name, 'forward q', t.forwardColorOverlap, t.forwardColorOverlap / r, t.forwardOverlap, t.forwardOverlap / r, ''],
      ];
    }),
    note: `${r0.nOverlap} starts per data set, ${r0.k} nearest neighbours; ` +
      `a random matching gives k/(N-1) = ${r0.randomExpected.toFixed(4)} (x random = 1). ` +
      `Spread: ${r0.starts} starts run ${r0.runs} times each. ` +
      'The deterministic samplers (DDIM eta = 0, the probability-flow ODE) keep the start\'s neighbourhood (and spread 0); ' +
      'DDPM\'s fresh noise at every step forgets it.',
  });
  for (const ds of sets) sections.push(...trajectorySections(ds.trajectories, ds.train, { table: false, paths: 0, name: ds.name }));
  for (const ds of sets) sections.push(ds.field);
  // The schedule: curves once per data set (the learned schedule differs between them), then the criteria.
  for (const ds of sets) {
    const T = ds.results[0].schedule.T;
    const x = Array.from({ length: T }, (_, i) => i + 1);
    sections.push({
      kind: 'lines', title: `beta_t per schedule: ${ds.name}`, x,
      series: ds.results.map((r) => ({ label: r.label, y: Array.from(r.schedule.beta) })), logY: true, xLabel: 't', yLabel: 'beta_t',
      note: 'The variance of the noise each forward step adds (log axis): a good schedule keeps it small against the data and increasing.',
    });
    sections.push({
      kind: 'lines', title: `abar_t per schedule: ${ds.name}`, x,
      series: ds.results.map((r) => ({ label: r.label, y: Array.from(r.schedule.alphaBar) })), xLabel: 't', yLabel: 'abar_t',
      note: 'How much of x_0 is left at t (x_t = sqrt(abar_t) x_0 + noise): ' +
        'it must reach ~0 by T, or x_T is not yet the isotropic noise sampling starts from.',
    });
    sections.push({
      kind: 'table', title: `The three criteria of a good schedule and the models' quality per schedule: ${ds.name}`,
      columns: SCHEDULE_COLUMNS, rows: scheduleRows(ds),
      note: 'small: every step\'s noise sqrt(beta_t) is at most half the data\'s sd (standardised units); ' +
        'isotropic: abar_T <= 0.01 (L_T: the KL of q(x_T|x_0) from N(0, I) per point); ' +
        `increasing: beta_t never decreases. Quality: ${judge(ds, ds.results[0]).test}: accuracy 0.5 = it cannot tell them apart, ` +
        'z = (accuracy - 0.5) / null sd (z <= 3: not distinguishable); ' +
        `W2 ratio: exact W2 to fresh data over fresh data's own (${ds.results[0].report.draws} draws of ${ds.results[0].report.size}; ` +
        '1 = as close as fresh data, noisy at this size). ' +
        `Bound on ${ds.results[0].vlb.n} held-out points, data units.`,
    });
    sections.push({
      kind: 'scatterRow', title: `Samples per schedule: ${ds.name}`,
      panels: [
        { title: 'data', ...plane(ds.train, ds.train.d, 1000) },
        ...ds.results.map((r) => ({ title: r.label, ...plane(r.samples, r.samples.d, 1000) })),
      ],
      note: '1000 samples of each schedule\'s model beside the data (grey): same seed, data, network and budget; only beta_t differs.',
    });
  }
  const nx = sets.find((ds) => ds.nll)?.nll;
  sections.push({
    kind: 'table', title: 'The variational bound L_vlb against the exact NLL', columns: NLL_COLUMNS, rows: sets.map(nllRow),
    note: 'L_vlb = L_T + sum L_{t-1} + L_0 (Ho et al. eq. 5) of the stochastic model (its own sigma_t^2), ' +
      'an upper bound on its -log p_theta(x_0); ' +
      'the exact NLL is that of the same network\'s deterministic sampler, the probability-flow ODE, ' +
      'by the change of variables along its path ' +
      (nx ? `(K = ${nx.nll.steps} steps, ${nx.nll.evaluations} evaluations, ${nx.nll.divergence} divergence)` : '') +
      ', on the same held-out points, data units; the gap is paired over the points. ' +
      'The two are different models of one network, so the gap says how much the ' +
      'bound gives away plus how the two samplers differ; it is not negative by theorem. ' +
      'Negative bits/dim are no error: a density on thin curves is above 1 per unit area.',
  });
  sections.push({
    kind: 'table', title: 'The bound\'s terms (linear schedule, the schedule table\'s held-out points)',
    columns: ['data set', 'points', 'L_vlb bits/dim', '± s.e.', 'L_T', 'sum L_{t-1}', 'L_0'],
    rows: sets.map((ds) => {
      const v = mainOf(ds).vlb;
      return [ds.name, v.n, v.bitsPerDim, v.stderrNats / (v.d * Math.LN2), v.prior, v.totalNats - v.prior - v.terms[0], v.terms[0]];
    }),
    note: 'nats per point, standardised units for the terms (their sum plus sum_j log std_j is the bound in data units).',
  });
  return {
    title: 'ddpm-wasm: the forward and reverse processes, trajectories and schedules',
    subtitle: `${sets.map((d) => d.name).join(', ')}; ${o.schedules.length} schedules each, ${c.steps} steps of batch ${c.batch}; ` +
      `${res.seconds.toFixed(0)} s in all (ddpm-wasm ${VERSION})`,
    config: {
      'data sets': sets.map((d) => d.name).join(', '), points: sets[0].train.n, schedules: o.schedules.join(', '), T: c.T, steps: c.steps,
      batch: c.batch, lr: c.lr,
      width: c.model.width, depth: c.model.depth, variance: c.variance, seed: c.seed, 'held-out (bound)': o.vlbN,
      'eval draws': `${o.draws} x ${o.size}`,
      'trajectory starts': o.trajectories.nOverlap,
    },
    sections,
  };
}

/** Aligned plain-text summary for the terminal: per data set the answers, then the schedule table. */
export function formatTour(res: TourResult): string {
  const lines: string[] = [];
  const f = (v: string | number) => (typeof v === 'number'
    ? (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(3)) : v);
  for (const ds of res.datasets) {
    const a = tourAnswers(ds);
    lines.push(`${ds.name}:`, `  start decides end? ${a.decides}`, `  schedule: ${a.schedule}`, `  ${a.bound}`);
    const rows = [SCHEDULE_COLUMNS, ...scheduleRows(ds).map((r) => r.map(f))];
    const w = SCHEDULE_COLUMNS.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
    for (const r of rows) lines.push('  ' + r.map((v, c) => (c === 0 ? String(v).padEnd(w[c]) : String(v).padStart(w[c]))).join('  '));
  }
  return lines.join('\n') + '\n';
}

/** The figures as JSON (summary.json and --json). */
export function tourSummary(res: TourResult, report: string): unknown {
  return {
    kind: 'tour', seconds: res.seconds, report,
    datasets: res.datasets.map((ds) => {
      const t = ds.trajectories, r = t.randomExpected;
      return {
        name: ds.name, answers: tourAnswers(ds),
        trajectories: {
          randomExpected: r, k: t.k, n: t.nOverlap, forwardColorOverlap: t.forwardColorOverlap, forwardOverlap: t.forwardOverlap,
          samplers: t.figures.map((f) => ({ label: f.label, colorOverlap: f.colorOverlap, overlap: f.overlap, spread: f.spread })),
        },
        schedules: ds.results.map((x) => ({
          label: x.label, small: x.props.small, maxNoiseStd: x.props.maxNoiseStd, alphaBarT: x.props.alphaBarT,
          isotropic: x.props.isotropic,
          increasing: x.props.increasing,
          quality: judge(ds, x), bitsPerDim: x.vlb.bitsPerDim, stderrBits: x.vlb.stderrNats / (x.vlb.d * Math.LN2), priorNats: x.vlb.prior,
          trainSeconds: x.trainSeconds,
        })),
        nll: ds.nll ? {
          n: ds.nll.nll.n, nllNats: ds.nll.nll.nats, nllBitsPerDim: ds.nll.nll.bitsPerDim, vlbNats: ds.nll.vlb.nats,
          vlbBitsPerDim: ds.nll.vlb.bitsPerDim, gapNats: ds.nll.gap.nats, gapStderrNats: ds.nll.gap.stderr,
        } : null,
      };
    }),
  };
}
