/** `sample`: new points from a trained model through Diffusion.sample (Algorithm 2 or any other sampler of SAMPLERS). */
import { Diffusion } from '../api/diffusion';
import { toCsv } from '../data/csv';
import { checkNumber } from '../diffusion/config';
import { VARIANCES, type VarianceName } from '../schedule/schedule';
import { SAMPLERS, SAMPLER_SUMMARY, type SamplerName } from '../diffusion/samplers';
import { COARSE, type CoarseName, GRIDS, type GridName } from '../diffusion/solvers';
import { UsageError } from '../util/errors';
import { readFileChecked, writeFileAtomic } from './fsutil';
import { type Command, int, num, runOpts, str } from './options';
import { progress } from './progress';

export const sampleCommand: Command = {
  summary: 'draw new points from a trained model (Algorithm 2, DDIM, the probability-flow ODE or a few-step solver)',
  usage: `sample --model FILE [--n N] [--seed S] [--sampler ${SAMPLERS.join('|')}] [--steps K] [--eta E] ` +
    '[--variance beta|posterior] [--grid G] [--split T0] [--tail S] [--coarse S] [--churn S] [--out FILE.csv]',
  opts: [
    { name: 'model', type: 'string', arg: 'FILE', help: 'model.safetensors or checkpoint.safetensors written by train' },
    { name: 'n', type: 'string', arg: 'N', help: 'number of points (default 1000)' },
    { name: 'seed', type: 'string', arg: 'S', help: 'sampling seed (default: the model\'s)' },
    { name: 'variance', type: 'string', arg: VARIANCES.join('|'), help: 'sigma_t^2 (default: the model\'s)' },
    { name: 'clip-x0', type: 'string', arg: 'X',
      help: 'clamp of the predicted x_0 in standardised units, 0 = off (default: the model\'s)' },
    { name: 'out', type: 'string', arg: 'FILE.csv', help: 'write the points here (default: stdout)' },
    ...runOpts(['threads', 'threads sharing each reverse step (default: the model\'s)'],
      ['fma', 'the relaxed-SIMD build (fused multiply-add; results may differ between machines) (default: the model\'s)']),
    { name: 'sampler', type: 'string', arg: 'NAME', help: SAMPLERS.map((k) => `${k}: ${SAMPLER_SUMMARY[k]}`).join('; ') },
    { name: 'steps', type: 'string', arg: 'K',
      help: 'steps, evenly spaced over 1..T (default T; the solvers: their own few); ddpm with K < T samples the respaced chain' },
    { name: 'eta', type: 'string', arg: 'E',
      help: 'ddim: 0 = deterministic given x_T (default), 1 = ancestral noise (K = T: DDPM with beta-tilde_t)' },
    { name: 'grid', type: 'string', arg: GRIDS.join('|'),
      help: 'dpm2m, dpm3m, dpm2m-sde, hybrid, churn: timesteps uniform in log-SNR (default) or in t, rounded to integers' },
    { name: 'split', type: 'string', arg: 'T0', help: 'hybrid: the timestep where Algorithm 2 takes over (default T/20 up to 10)' },
    { name: 'tail', type: 'string', arg: 'S',
      help: 'hybrid: Algorithm 2\'s steps from --split to the data (default min(split, 15); fewer than split: respaced)' },
    { name: 'coarse', type: 'string', arg: COARSE.join('|'), help: 'hybrid: the solver down to --split (default dpm2m-sde)' },
    { name: 'churn', type: 'string', arg: 'S',
      help: 'churn: EDM\'s S_churn, the noise raised by gamma = min(S / K, sqrt(2) - 1) before each step (default 5)' },
  ],
  async run(v) {
    const path = str(v, 'model');
    if (!path) throw new UsageError('sample needs --model FILE');
    const n = int(v, 'n', 1, 1e7) ?? 1000;
    const variance = str(v, 'variance');
    if (variance !== undefined && !(VARIANCES as readonly string[]).includes(variance)) {
      throw new UsageError(`unknown variance "${variance}"; choose one of ${VARIANCES.join(', ')}`);
    }
    const model = await Diffusion.load(readFileChecked(path, 'model'),
      { source: path, threads: int(v, 'threads', 1, 64), fma: v.fma ? true : undefined });
    const seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER);
    if (seed !== undefined) model.reseedSampling(seed);
    const bar = progress('sample', n, { quiet: !!v.quiet || !str(v, 'out'), unit: 'points' });
    const clipX0 = num(v, 'clip-x0');
    if (clipX0 !== undefined) checkNumber('--clip-x0', clipX0, 0, 1e6, true);
    const sampler = (str(v, 'sampler') ?? 'ddpm') as SamplerName;
    const steps = int(v, 'steps', 1, model.schedule.T), eta = num(v, 'eta');
    const grid = str(v, 'grid') as GridName | undefined, split = int(v, 'split', 1, 100000);
    const tail = int(v, 'tail', 1, 100000);
    const coarse = str(v, 'coarse') as CoarseName | undefined, churn = num(v, 'churn');
    const pts = model.sample(n, {
      sampler, steps, eta, variance: variance as VarianceName | undefined, clipX0, grid, split, tail, coarse, churn,
      onChunk: (d) => bar.update(d),
    }).points;
    bar.stop();
    const out = str(v, 'out');
    if (out) {
      writeFileAtomic(out, toCsv(pts));
      if (v.json) process.stdout.write(JSON.stringify({ out, n }) + '\n');
      else process.stdout.write(`wrote ${n} points to ${out}\n`);
    } else process.stdout.write(toCsv(pts));
    return 0;
  },
};
