/**
 * `sample --sampler ddpm|ddim|ode --steps K --eta E`: the flags the sample command (sample.ts) adds from here, and the
 * dispatch between Diffusion.sample (plain DDPM, the default) and the reverse samplers (src/diffusion/samplers.ts).
 */
import type { Points } from '../data/points';
import type { Diffusion, SampleOptions } from '../api/diffusion';
import { UsageError } from '../util/errors';
import { type Opt, int, num, str } from './options';
import { SAMPLERS, type SamplerName, labSample } from '../diffusion/samplers';

export const SAMPLER_OPTS: Opt[] = [
  { name: 'sampler', type: 'string', arg: SAMPLERS.join('|'), help: 'ddpm: ancestral sampling, all T steps (default); ddim: Song et al. 2021 on K <= T steps; ode: the probability-flow ODE, deterministic given x_T, second order (2K - 1 evaluations)' },
  { name: 'steps', type: 'string', arg: 'K', help: 'steps, evenly spaced over 1..T (default T); ddpm with K < T samples the respaced chain' },
  { name: 'eta', type: 'string', arg: 'E', help: 'ddim: 0 = deterministic given x_T (default), 1 = ancestral noise (K = T: DDPM with beta-tilde_t)' },
];

export function sampleWithFlags(model: Diffusion, n: number, v: Record<string, unknown>, o: SampleOptions): Points {
  const sampler = str(v, 'sampler') ?? 'ddpm';
  if (!(SAMPLERS as readonly string[]).includes(sampler)) throw new UsageError(`unknown sampler "${sampler}"; choose one of ${SAMPLERS.join(', ')}`);
  const T = model.schedule.T;
  const steps = int(v, 'steps', 1, T);
  const eta = num(v, 'eta');
  if (sampler === 'ddpm') {
    if (eta !== undefined) throw new UsageError('--eta is a ddim option; add --sampler ddim');
    if (steps === undefined || steps === T) return model.sample(n, o).points;
    // fewer steps: the respaced chain (Nichol & Dhariwal sec. 4)
    return labSample(model, n, { sampler: 'ddpm', steps, variance: o.variance, clipX0: o.clipX0, onChunk: o.onChunk }).points;
  }
  if (sampler === 'ode') {
    if (eta !== undefined) throw new UsageError('--eta is a ddim option: the ode sampler has no noise');
    if (o.variance !== undefined) throw new UsageError('--variance applies to ddpm: the ode sampler has no noise');
    return labSample(model, n, { sampler: 'ode', steps, clipX0: o.clipX0, onChunk: o.onChunk }).points;
  }
  if (eta !== undefined && !(eta >= 0 && eta <= 1)) throw new UsageError(`--eta must be in [0, 1], got ${eta}`);
  if (o.variance !== undefined) throw new UsageError('--variance applies to ddpm; ddim sets its noise with --eta');
  return labSample(model, n, { sampler: sampler as SamplerName, steps, eta, clipX0: o.clipX0, onChunk: o.onChunk }).points;
}
