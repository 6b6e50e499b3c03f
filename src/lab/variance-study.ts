/**
 * `study variance`: sigma_t^2 = beta_t vs beta-tilde_t (one network trained on L_simple, sampled and bounded with
 * each) vs a learned Sigma_theta (Nichol & Dhariwal 2021; a second network of the same size and budget trained on
 * the hybrid or the vlb objective, src/diffusion/learned-variance.ts). Per variant: the bound on held-out points, the sample
 * distances with all T steps, and the W2 ratio with fewer (respaced) steps; the learned variance drawn between
 * beta_t and beta-tilde_t. Browser-safe; the CLI lives in src/cli/study.ts.
 */
import type { Points } from '../data/points';
import { type DiffusionOptions, createDiffusion } from '../api/diffusion';
import { type Report, compareToData, makeDraws, planDraws } from '../eval/draws';
import { type TwoSampleResult, classifierTwoSampleTest, compareAccuracies } from '../eval/two-sample';
import { slicePoints } from '../data/points';
import type { ReportData, ReportSection } from '../report/render';
import { downsample, metricsTable, plane } from '../report/train-report';
import type { VarianceName } from '../schedule/schedule';
import { VERSION } from '../util/version';
import type { LearnedLoss } from '../diffusion/learned-variance';
import type { VlbResult } from '../diffusion/bound';

export interface VarianceResult {
  label: string;
  vlb: VlbResult;
  report: Report;
  /** W2 ratio per number of sampling steps (same order as `steps`). */
  w2AtSteps: number[];
  samples: Points;
  losses: Float32Array;
  lossLabel: string;
  /** The classifier two-sample test with all T steps, when the study was given test data. */
  test?: TwoSampleResult;
}

export interface VarianceStudy {
  results: VarianceResult[];
  steps: number[];
  T: number;
  beta: Float64Array;
  betaTilde: Float64Array;
}

export async function runVarianceStudy(o: {
  base: DiffusionOptions & { data: Points; dataset: string };
  heldOut: Points; vlbN: number; draws: number; size: number; seed: number;
  loss: LearnedLoss; lambda: number; fewerSteps: number[];
  /** Fresh data for the two-sample test (all T steps), or none. */
  testData?: Points;
  onPhase?: (what: string) => void; onTrain?: (step: number, steps: number, loss: number) => void;
}): Promise<VarianceStudy> {
  const d = o.heldOut.d;
  const vlbData: Points = { data: o.heldOut.data.subarray(0, o.vlbN * d), n: o.vlbN, d };
  const evalData: Points = { data: o.heldOut.data.subarray(o.vlbN * d), n: o.heldOut.n - o.vlbN, d };
  const plan = planDraws(o.draws * o.size, evalData.n, o.draws, o.size);
  o.onPhase?.('train: L_simple (fixed variances)');
  const fixed = await createDiffusion(o.base);
  await fixed.train({ progressEvery: 50, onProgress: (p) => o.onTrain?.(p.step, p.steps, p.loss) });
  o.onPhase?.(`train: learned variance (${o.loss})`);
  const learned = await createDiffusion({ ...o.base, variance: 'learned', loss: o.loss, lambda: o.lambda });
  await learned.train({ progressEvery: 50, onProgress: (p) => o.onTrain?.(p.step, p.steps, p.loss) });
  const T = fixed.schedule.T, steps = [T, ...o.fewerSteps.filter((k) => k < T).sort((a, b) => b - a)];
  const variants: { label: string; model: typeof fixed; variance?: VarianceName; lossLabel: string }[] = [
    { label: 'beta_t', model: fixed, variance: 'beta', lossLabel: 'L_simple' },
    { label: 'beta-tilde_t', model: fixed, variance: 'posterior', lossLabel: 'L_simple' },
    { label: `learned (${o.loss})`, model: learned, lossLabel: o.loss === 'hybrid' ? `L_simple + ${o.lambda} L_vlb` : 'L_vlb' },
  ];
  const results: VarianceResult[] = [];
  for (const v of variants) {
    o.onPhase?.(`measure: ${v.label}`);
    const vlb = v.model.bound(vlbData, { variance: v.variance, seed: o.seed });
    const w2AtSteps: number[] = [];
    let report: Report | undefined, samples: Points | undefined;
    let test: TwoSampleResult | undefined;
    for (const K of steps) {
      v.model.reseedSampling(o.seed);
      const m = K === T ? Math.max(plan.draws * plan.size, o.testData?.n ?? 0) : plan.draws * plan.size;
      const all = v.model.sample(m, { sampler: 'ddpm', steps: K, variance: v.variance }).points;
      if (K === T && o.testData) test = classifierTwoSampleTest(slicePoints(all, 0, o.testData.n), o.testData, { seed: o.seed });
      const pts = slicePoints(all, 0, plan.draws * plan.size);
      const { samplesDraws, dataDrawsA, dataDrawsB } = makeDraws(pts, evalData, plan, o.seed);
      const r = compareToData(samplesDraws, dataDrawsA, dataDrawsB, { seed: o.seed, exactW2: true });
      w2AtSteps.push(r.metrics.find((m) => m.name === 'w2')!.ratio);
      if (K === T) (report = r), (samples = pts);
    }
    results.push({
      label: v.label, vlb, report: report!, w2AtSteps, samples: samples!, losses: v.model.losses, lossLabel: v.lossLabel, test,
    });
  }
  fixed.close();
  learned.close();
  const s = fixed.schedule;
  return { results, steps, T, beta: s.beta, betaTilde: s.posteriorVariance };
}

/** Pairwise differences of the variants' two-sample accuracies (empty without the test). */
export function varianceDifferences(st: VarianceStudy) {
  return st.results.every((x) => x.test) ? compareAccuracies(st.results.map((x) => ({ label: x.label, test: x.test! }))) : [];
}

export function varianceReport(
  st: VarianceStudy, o: { data: Points; dataset: string; seconds: number; config: Record<string, string | number> },
): ReportData {
  const t = Array.from({ length: st.T }, (_, i) => i + 1);
  const r = st.results;
  const sections: ReportSection[] = [
    {
      kind: 'table', title: 'Summary',
      columns: [
        'variant', 'trained on', 'bound bits/dim', '± s.e.', 'accuracy', '± null sd', 'z', ...st.steps.map((k) => `W2 ratio, ${k} steps`),
      ],
      rows: r.map((x) => [
        x.label, x.lossLabel, x.vlb.bitsPerDim, x.vlb.stderrNats / (x.vlb.d * Math.LN2), x.test?.accuracy ?? NaN, x.test?.nullSd ?? NaN,
        x.test?.z ?? NaN, ...x.w2AtSteps,
      ]),
      note: 'beta_t and beta-tilde_t share one network (L_simple); the learned variance is a second network of the same size and budget. ' +
        'Fewer steps: the respaced chain (Nichol & Dhariwal sec. 4).' +
        (r[0].test ? ` accuracy: a ${r[0].test.k}-NN classifier telling ${r[0].test.n} samples (all ${st.T} steps) from fresh data, ` +
          '0.5 = indistinguishable. Differences: ' +
          `${varianceDifferences(st)
            .map((x) => `${x.a} vs ${x.b} ${x.real ? 'real' : 'not significant'} (z = ${x.z.toFixed(1)})`).join('; ')}.`
          : ''),
    },
    {
      kind: 'lines', title: 'sigma_t^2: beta_t, beta-tilde_t and the learned Sigma_theta (mean over held-out x_t)', x: t, logY: true,
      xLabel: 't', yLabel: 'sigma_t^2',
      series: [
        { label: 'beta_t', y: Array.from(st.beta) }, { label: 'beta-tilde_t', y: Array.from(st.betaTilde, (v, i) => (i === 0 ? NaN : v)) },
        { label: 'learned', y: Array.from(r[2].vlb.sigma2) },
      ],
    },
    {
      kind: 'lines', title: 'Bound per t: L_{t-1} (nats per point)', x: t.slice(1), logY: true, xLabel: 't', yLabel: 'nats',
      series: r.map((x) => ({ label: x.label, y: Array.from(x.vlb.terms.subarray(1)) })),
    },
    {
      kind: 'lines', title: 'W2 ratio against sampling steps', x: st.steps.slice().reverse(), xLabel: 'steps', yLabel: 'W2 ratio',
      series: r.map((x) => ({ label: x.label, y: x.w2AtSteps.slice().reverse() })),
    },
  ];
  for (const x of [r[0], r[2]]) {
    const l = downsample(x.losses, 200);
    sections.push({
      kind: 'lines', title: `Training loss: ${x.lossLabel}`, x: l.step, series: [{ label: x.label, y: l.value }], logY: true,
      xLabel: 'step', yLabel: 'loss',
    });
  }
  for (const x of r) sections.push({ ...metricsTable(x.report), title: `Sample distances: ${x.label} (${st.T} steps)` } as ReportSection);
  sections.push({
    kind: 'scatterRow', title: 'Samples per variant',
    panels: [
      { title: 'data', ...plane(o.data, o.data.d, 1000) }, ...r.map((x) => ({ title: x.label, ...plane(x.samples, o.data.d, 1000) })),
    ],
  });
  return {
    title: `ddpm-wasm: variance study on ${o.dataset}`, subtitle: `${o.seconds.toFixed(0)} s (ddpm-wasm ${VERSION})`,
    config: o.config, sections,
  };
}
