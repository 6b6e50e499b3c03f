/**
 * `eval --nll`: the exact negative log-likelihood of a saved model's deterministic sampler, the probability-flow ODE
 * (src/diffusion/likelihood.ts), on held-out points, printed beside the variational bound of its stochastic sampler
 * on the same points (src/diffusion/bound.ts), so the bound's gap is a number with its standard error (paired over
 * the points). The eval command (eval.ts) hands over to `runEvalNll` when --nll is given; its flags are `NLL_OPTS`.
 */
import { type NllResult, boundGap } from '../diffusion/likelihood';
import type { VlbResult } from '../diffusion/bound';
import { modelAndHeldOut, vlbVariance } from './eval-vlb';
import { UsageError } from '../util/errors';
import { type Opt, int, str } from './options';
import { type ProgressSink, progress } from './progress';

export const NLL_OPTS: Opt[] = [
  { name: 'nll', type: 'boolean',
    help: 'exact -log p of the probability-flow ODE (nats, bits/dim in data units) beside the VLB on the same held-out points' },
  { name: 'nll-n', type: 'string', arg: 'N', help: 'held-out points for --nll (default 1000)' },
  { name: 'nll-steps', type: 'string', arg: 'K', help: "timesteps of the ODE's grid, 2K - 2 evaluations (default T)" },
  { name: 'probes', type: 'string', arg: 'P',
    help: 'Hutchinson estimate of the divergence with P Rademacher probes instead of d exact products (for large d; default 0 = exact)' },
];

const f = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** The likelihood, the bound and their gap as aligned text lines. */
function formatNll(r: NllResult, b: VlbResult): string {
  const gap = boundGap(r, b);
  const div = r.divergence === 'exact'
    ? `exact divergence, ${r.d} products each`
    : `Hutchinson, ${r.probes} probe${r.probes > 1 ? 's' : ''} each`;
  const rows: [string, string][] = [
    ['-log N(x_T; 0, I)  (prior)', `${f(r.prior)} nats`],
    ['- log-volume change of the flow', `${f(-r.logVolume)} nats`],
    ['NLL, standardised units', `${f(r.totalNats)} ± ${f(r.stderrNats)} nats`],
    ['+ sum_j log std_j', `${f(r.logDet)} nats`],
    ['NLL, data units', `${f(r.nats)} nats = ${f(r.bitsPerDim)} bits/dim`],
    [`L_vlb, data units (sigma_t^2 = ${b.variance === 'beta' ? 'beta_t' : 'beta-tilde_t'})`,
      `${f(b.nats)} ± ${f(b.stderrNats)} nats = ${f(b.bitsPerDim)} bits/dim`],
    ['gap L_vlb - NLL (paired)', `${f(gap.nats)} ± ${f(gap.stderr)} nats = ${f(gap.nats / (r.d * Math.LN2))} bits/dim`],
  ];
  const w = Math.max(...rows.map((x) => x[0].length));
  return [
    `exact likelihood of the probability-flow ODE on ${r.n} held-out points (d = ${r.d}, T = ${r.T}; K = ${r.steps} steps, ` +
      `${r.evaluations} evaluations, ${div}), beside the bound of the stochastic model on the same points:`,
    ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`),
  ].join('\n') + '\n';
}

export async function runEvalNll(v: Record<string, string | boolean | undefined>): Promise<number> {
  if (str(v, 'report')) throw new UsageError('--report charts the bound: use it with --vlb (--nll prints a table)');
  if (str(v, 'vlb-n')) throw new UsageError('--nll evaluates both on the same --nll-n points; drop --vlb-n');
  const n = int(v, 'nll-n', 2, 1e6) ?? 1000;
  const probes = int(v, 'probes', 0, 1000) ?? 0;
  const variance = vlbVariance(v);
  const { model, data, seed } = await modelAndHeldOut(v, n, 'nll');
  const T = model.schedule.T;
  const steps = int(v, 'nll-steps', 1, T);
  const quiet = !!v.quiet;
  let evals: ProgressSink | undefined; // made at the first evaluation, which knows the total
  const r = model.nll(data, {
    steps, probes, seed,
    onEval: (done, total) => (evals ??= progress('likelihood', total, { quiet, unit: 'evaluations' })).update(done),
  });
  evals?.stop();
  // sigma_1 |J_1| >= 1 somewhere: the sampler's last step is not invertible there and x_1 is only approximate.
  if (r.fixedPoint.residual > 1e-4) {
    process.stderr.write(`warning: the solve for x_1 did not converge (largest change ${r.fixedPoint.residual.toExponential(1)} ` +
      `after ${r.fixedPoint.iterations} iterations): the last step's inverse, and so the NLL, are approximate\n`);
  }
  const bar = progress('bound', T, { quiet, unit: 't' });
  const b = model.bound(data, { variance, seed, onT: (k) => bar.update(k) });
  bar.stop();
  if (v.json) {
    const gap = boundGap(r, b);
    process.stdout.write(JSON.stringify({
      n: r.n, d: r.d, T, steps: r.steps, evaluations: r.evaluations, divergence: r.divergence, probes: r.probes,
      nllNats: r.nats, nllBitsPerDim: r.bitsPerDim, nllStderrNats: r.stderrNats, nllStandardisedNats: r.totalNats,
      prior: r.prior, logVolume: r.logVolume, logDet: r.logDet,
      vlbNats: b.nats, vlbBitsPerDim: b.bitsPerDim, vlbStderrNats: b.stderrNats, vlbVariance: b.variance,
      gapNats: gap.nats, gapStderrNats: gap.stderr, fixedPoint: r.fixedPoint,
    }) + '\n');
  } else process.stdout.write(formatNll(r, b));
  return 0;
}
