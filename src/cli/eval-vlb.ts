/**
 * `eval --vlb`: the variational bound of a saved model on held-out points (src/diffusion/bound.ts), printed as a
 * table of its parts, optionally with an HTML report charting the per-t terms. eval.ts's eval command hands
 * over to `runEvalVlb` when --vlb is given; the flags it reads are listed in `VLB_OPTS`.
 */
import { existsSync } from 'node:fs';
import { type Points } from '../data/points';
import { loadDataset } from '../data/datasets';
import { Diffusion } from '../api/diffusion';
import { UsageError } from '../util/errors';
import { FRESH_SEED_OFFSET } from '../eval/draws';
import { type Opt, int, str } from './options';
import { readFileChecked, readTextChecked, writeFileAtomic } from './fsutil';
import { progress } from './progress';
import { loadReportAssets } from './report-assets';
import { type ReportSection, renderReport } from '../report/render';
import { VARIANCES, type VarianceName } from '../schedule/schedule';
import { VERSION } from '../util/version';
import type { VlbResult } from '../diffusion/bound';

export const VLB_OPTS: Opt[] = [
  { name: 'vlb', type: 'boolean', help: 'compute the variational bound L_vlb (nats, bits/dim in data units) instead of sample distances' },
  { name: 'vlb-n', type: 'string', arg: 'N', help: 'held-out points for --vlb (default 2000)' },
  { name: 'vlb-variance', type: 'string', arg: VARIANCES.join('|'), help: 'sigma_t^2 of p_theta in the bound (default: the model\'s)' },
  { name: 'report', type: 'string', arg: 'FILE.html', help: 'with --vlb: also write an HTML report charting the per-t terms' },
];

const f = (x: number, digits = 4) =>
  (Number.isFinite(x) ? (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(2)) : 'n/a');

/** The bound's parts as aligned text lines. */
function formatVlb(r: VlbResult): string {
  let kl = 0;
  for (let i = 1; i < r.T; i++) kl += r.terms[i];
  const rows: [string, string][] = [
    ['L_T  (prior KL)', `${f(r.prior)} nats`],
    [`sum L_{t-1}, t = 2..${r.T}`, `${f(kl)} nats`],
    ['L_0  (decoder NLL)', `${f(r.terms[0])} nats`],
    ['total, standardised units', `${f(r.totalNats)} ± ${f(r.stderrNats)} nats`],
    ['+ sum_j log std_j', `${f(r.logDet)} nats`],
    ['total, data units', `${f(r.nats)} nats = ${f(r.bitsPerDim)} bits/dim`],
  ];
  const w = Math.max(...rows.map((x) => x[0].length));
  return [
    `variational bound on ${r.n} held-out points (d = ${r.d}, T = ${r.T}, ` +
      `sigma_t^2 = ${r.variance === 'beta' ? 'beta_t' : 'beta-tilde_t'}):`,
    ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join('\n') + '\n';
}

/** Report sections for one or more bounds (one series each): per-t KL terms and eps MSE per t, log scale. */
function vlbSections(results: { label: string; r: VlbResult }[], x?: number[]): ReportSection[] {
  const T = results[0].r.T;
  const t = x ?? Array.from({ length: T - 1 }, (_, i) => i + 2);
  const pick = (a: Float64Array) => (x ? Array.from(a) : Array.from(a.subarray(1)));
  return [
    {
      kind: 'lines', title: 'Bound per t: L_{t-1} = KL(q(x_{t-1}|x_t,x_0) || p_theta(x_{t-1}|x_t)), nats per point',
      x: t, logY: true, xLabel: 't', yLabel: 'nats',
      series: results.map(({ label, r }) => ({ label, y: pick(r.terms) })),
      note: 'L_0 (the decoder NLL, which can be negative for a continuous density) and L_T are in the table.',
    },
    {
      kind: 'lines', title: 'Loss per t on held-out points: E|eps - eps_theta(x_t, t)|^2 per coordinate',
      x: x ?? Array.from({ length: T }, (_, i) => i + 1), logY: true, xLabel: 't', yLabel: 'MSE',
      series: results.map(({ label, r }) => ({ label, y: Array.from(r.epsMse) })),
    },
  ];
}

/** `--vlb-variance` checked (undefined: the model's). */
export function vlbVariance(v: Record<string, unknown>): VarianceName | undefined {
  const variance = str(v, 'vlb-variance');
  if (variance !== undefined && !(VARIANCES as readonly string[]).includes(variance)) {
    throw new UsageError(`unknown variance "${variance}"; choose one of ${VARIANCES.join(', ')}`);
  }
  return variance as VarianceName | undefined;
}

/** --model FILE and n held-out points of its data set (or --data): what `eval --vlb` and `eval --nll` judge. */
export async function modelAndHeldOut(
  v: Record<string, unknown>, n: number, flag: string,
): Promise<{ model: Diffusion; data: Points; seed: number }> {
  const modelPath = str(v, 'model');
  if (!modelPath) throw new UsageError(`eval --${flag} needs --model FILE`);
  const seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 1;
  const model = await Diffusion.load(readFileChecked(modelPath, 'model'), { source: modelPath });
  const spec = str(v, 'data') ?? model.config.dataset;
  if (!str(v, 'data') && spec.toLowerCase().endsWith('.csv') && !existsSync(spec)) {
    throw new UsageError(`the model was trained on ${spec}, which is gone; pass --data`);
  }
  // Held-out: a seed the training set never used (as eval does); a CSV is used whole.
  const data = loadDataset(spec, n, seed + FRESH_SEED_OFFSET, (p) => readTextChecked(p, 'data file'));
  if (data.d !== model.config.model.dim) throw new UsageError(`data have ${data.d} columns, the model ${model.config.model.dim}`);
  return { model, data, seed };
}

export async function runEvalVlb(v: Record<string, string | boolean | undefined>): Promise<number> {
  const n = int(v, 'vlb-n', 2, 1e6) ?? 2000;
  const variance = vlbVariance(v);
  const { model, data, seed } = await modelAndHeldOut(v, n, 'vlb');
  const T = model.schedule.T;
  const bar = progress('bound', T, { quiet: !!v.quiet, unit: 't' });
  const r = model.bound(data, { variance, seed, onT: (k) => bar.update(k) });
  bar.stop();
  const reportPath = str(v, 'report');
  if (reportPath) {
    const c = model.config;
    const sections: ReportSection[] = [
      { kind: 'table', title: 'Variational bound', columns: ['term', 'nats per point'], rows: [
        ['L_T (prior)', r.prior], ['sum L_{t-1}', r.totalNats - r.prior - r.terms[0]], ['L_0 (decoder)', r.terms[0]],
        ['total (standardised)', r.totalNats], ['standard error', r.stderrNats], ['sum log std_j', r.logDet],
        ['total (data units)', r.nats], ['bits/dim (data units)', r.bitsPerDim],
      ] },
      ...vlbSections([{ label: c.schedule, r }]),
    ];
    writeFileAtomic(reportPath, renderReport({
      title: `ddpm-wasm: variational bound, ${c.dataset}`, subtitle: `${r.n} held-out points (ddpm-wasm ${VERSION})`,
      config: { dataset: c.dataset, T, schedule: c.schedule, variance: r.variance, steps: model.step, points: r.n, seed }, sections,
    }, loadReportAssets()));
  }
  if (v.json) {
    process.stdout.write(JSON.stringify({
      n: r.n, d: r.d, T, variance: r.variance, prior: r.prior, decoder: r.terms[0], terms: Array.from(r.terms), totalNats: r.totalNats,
      stderrNats: r.stderrNats, logDet: r.logDet, nats: r.nats, bitsPerDim: r.bitsPerDim, report: reportPath,
    }) + '\n');
  } else {
    process.stdout.write(formatVlb(r));
    if (reportPath) process.stdout.write(`  report: ${reportPath}\n`);
  }
  return 0;
}
