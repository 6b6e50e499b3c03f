// The learned schedule (src/diffusion/learned-schedule.ts): the parametrisation stays monotone and finite for any
// parameters; it starts as the linear schedule; the closed-form bound from per-t errors agrees with vlb.ts;
// on a Gaussian (known density, known optimal eps) the learner lowers the bound without crossing the true NLL;
// and inside a real run it trains, checkpoints and resumes bit for bit, ending with a bound no worse than linear's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint';
import { getDataset } from '../../src/data/datasets';
import { Diffusion, createDiffusion } from '../../src/api/diffusion';
import {
  KNOTS, ScheduleLearner, boundFromErrors, gammaOf, gammaTable, initialLearnedSchedule, learnedSchedule, projectTheta, thetaFromSchedule,
} from '../../src/diffusion/learned-schedule';
import { type EpsFn, variationalBound } from '../../src/diffusion/bound';
import { Rng } from '../../src/util/rng';
import { makeSchedule } from '../../src/schedule/schedule';

const monotoneAndFinite = (theta: number[], T: number) => {
  const s = learnedSchedule(theta, T);
  for (let i = 0; i < T; i++) {
    expect(s.beta[i] > 0 && s.beta[i] < 1, `beta_${i + 1} = ${s.beta[i]}`).toBe(true);
    if (i > 0) expect(s.alphaBar[i]).toBeLessThanOrEqual(s.alphaBar[i - 1]); // ties only where beta < 1e-16
    for (const tab of [
      s.sqrtAlphaBar, s.sqrtOneMinusAlphaBar, s.posteriorLogVarianceClipped, s.posteriorMeanCoefX0, s.posteriorMeanCoefXt,
    ]) {
      expect(Number.isFinite(tab[i])).toBe(true);
    }
  }
  return s;
};

describe('parametrisation', () => {
  it('gives a strictly monotone log-SNR, betas in (0, 1) and abar_T <= 0.01 for any parameters within bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 400 }),
        fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: KNOTS + 2, maxLength: KNOTS + 2 }),
        (T, raw) => {
          const theta = raw.slice();
          projectTheta(theta);
          const g = gammaTable(theta, T);
          for (let i = 1; i < T; i++) expect(g[i]).toBeGreaterThan(g[i - 1]);
          const s = monotoneAndFinite(theta, T);
          expect(s.alphaBar[T - 1]).toBeLessThanOrEqual(0.01 + 1e-12); // x_T is noise: a constraint, not a preference
        },
      ),
      { numRuns: 200 },
    );
  });

  it('starts as the linear schedule: gamma equal at the knots, within 0.03 in abar elsewhere (T = 200)', () => {
    const T = 200, lin = makeSchedule('linear', T), init = initialLearnedSchedule(T);
    const gl = gammaOf(lin), gi = gammaOf(init);
    for (let k = 0; k <= KNOTS; k++) {
      const i = Math.round((k / KNOTS) * (T - 1));
      expect(Math.abs(gi[i] - gl[i]), `knot ${k}`).toBeLessThan(0.15);
    }
    expect(Math.abs(gi[0] - gl[0])).toBeLessThan(1e-9);
    expect(Math.abs(gi[T - 1] - gl[T - 1])).toBeLessThan(1e-9);
    for (let i = 0; i < T; i++) expect(Math.abs(init.alphaBar[i] - lin.alphaBar[i])).toBeLessThan(0.03);
  });

  it('round-trips theta -> schedule -> theta', () => {
    const rng = new Rng(3);
    for (let c = 0; c < 20; c++) {
      const theta = [-8 + 4 * rng.uniform(), Math.log(5 + 10 * rng.uniform()), ...Array.from({ length: KNOTS }, () => rng.normal())];
      projectTheta(theta);
      const again = thetaFromSchedule(learnedSchedule(theta, 401));
      projectTheta(again);
      for (let j = 0; j < theta.length; j++) expect(again[j]).toBeCloseTo(theta[j], 6);
    }
  });
});

describe('boundFromErrors', () => {
  it.each(['beta', 'posterior'] as const)('equals vlb.ts term by term given the errors measured on the same draws ' +
    '(sigma^2 = %s)', (variance) => {
    const s = initialLearnedSchedule(30), d = 2, n = 4000, rng = new Rng(9);
    const x0 = Float32Array.from({ length: n * d }, () => 0.9 * rng.normal() + 0.2);
    const eps: EpsFn = (x, i) => x.map((v) => 0.7 * Math.tanh(v) * s.sqrtOneMinusAlphaBar[i]);
    const r = variationalBound(eps, x0, d, s, { variance, seed: 2 });
    let m2 = 0;
    for (const v of x0) m2 += v * v;
    m2 /= x0.length;
    const b = boundFromErrors(s, variance, r.epsMse, m2);
    for (let i = 0; i < s.T; i++) expect(b.terms[i] * d, `t = ${i + 1}`).toBeCloseTo(r.terms[i], 4);
    expect(b.prior * d).toBeCloseTo(r.prior, 6);
    expect(b.total * d).toBeCloseTo(r.totalNats, 3);
  });
});

describe('ScheduleLearner on a Gaussian (known density and optimal error)', () => {
  // x_0 ~ N(0, v): x_t has variance V_t = abar_t v + 1 - abar_t, the best eps predictor is sqrt(1 - abar_t) x_t / V_t
  // and its error per element is e_t = 1 - (1 - abar_t) / V_t. (With v = 1 and sigma^2 = beta_t the reverse chain is
  // exact and the bound equals the NLL at every schedule: nothing to learn. v = 0.25 leaves room.)
  const v = 0.25, nll = 0.5 * Math.log(2 * Math.PI * Math.E * v); // true NLL per dimension, nats
  const err = (ab: Float64Array) => ab.map((a) => 1 - (1 - a) / (a * v + 1 - a));
  it.each(['beta', 'posterior'] as const)('lowers the bound, never below the true NLL, and stays monotone (sigma^2 = %s)', (variance) => {
    const T = 20, learner = new ScheduleLearner(T, variance, 1000,
      { settings: { every: 1, startFraction: 0, lr: 0.03, rate: 0.5, bins: 20 }, m2: v });
    const exact = () => boundFromErrors(learner.schedule, variance, err(learner.schedule.alphaBar), v).total;
    const t = Int32Array.from({ length: T }, (_, i) => i);
    const start = exact();
    for (let k = 0; k < 600; k++) {
      learner.observe(t, err(learner.schedule.alphaBar), T);
      learner.update();
      expect(exact(), `update ${k}`).toBeGreaterThanOrEqual(nll - 1e-9);
    }
    monotoneAndFinite(learner.theta, T);
    const end = exact();
    expect(start).toBeGreaterThan(nll + 0.02);
    expect(end, `start ${start}, end ${end}, NLL ${nll}`).toBeLessThan(start - 0.01);
  });

  it('has a central-difference gradient that agrees with a coarser step (no kinks at the knots)', () => {
    const T = 50, learner = new ScheduleLearner(T, 'beta', 1000);
    learner.observe(Int32Array.from({ length: T }, (_, i) => i), learner.schedule.alphaBar, T);
    const th = learner.theta, g = learner.gradient(th);
    for (let j = 0; j < th.length; j++) {
      const h = 1e-4, p = th.slice(), q = th.slice();
      p[j] += h;
      q[j] -= h;
      const coarse = (learner.objective(p) - learner.objective(q)) / (2 * h);
      expect(Math.abs(coarse - g[j]), `theta_${j}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(g[j])));
    }
  });
});

describe('--schedule learned in a run', () => {
  const base = {
    dataset: 'moons', nData: 4000, T: 40, steps: 400, batch: 64, threads: 1, model: { width: 32, depth: 1, embedSize: 16 },
  } as const;

  it('moves the schedule, keeps it monotone and finite, and resumes bit for bit from a checkpoint', async () => {
    const full = await createDiffusion({ ...base, schedule: 'learned' });
    const before = Float64Array.from(full.schedule.alphaBar);
    await full.train();
    const moved = Math.max(...Array.from(full.schedule.alphaBar, (v, i) => Math.abs(v - before[i])));
    expect(moved).toBeGreaterThan(1e-4);
    monotoneAndFinite(full.scheduleLearner!.theta, base.T);
    expect(full.schedule.alphaBar[base.T - 1]).toBeLessThanOrEqual(0.01);

    // The run's own periodic checkpoint at step 250, as `train --resume` would find it after a crash.
    const again = await createDiffusion({ ...base, schedule: 'learned' });
    let saved: Uint8Array | undefined;
    await again.train({ checkpointEvery: 250, onCheckpoint: () => void (saved = again.save(true)) });
    const data = getDataset('moons', base.nData, 0);
    const resumed = await Diffusion.load(saved!, { data });
    expect(resumed.step).toBe(250);
    await resumed.train();
    expect(Array.from(resumed.schedule.beta)).toEqual(Array.from(full.schedule.beta));
    expect(Array.from(resumed.losses)).toEqual(Array.from(full.losses));
    expect(Array.from(resumed.engine.arena.slabView('ema'))).toEqual(Array.from(full.engine.arena.slabView('ema')));

    // A model file carries the final betas (what sampling needs) and the learner's parameters.
    const sampler = await Diffusion.load(full.save(false));
    expect(Array.from(sampler.schedule.beta)).toEqual(Array.from(full.schedule.beta));
    expect(sampler.scheduleLearner!.theta).toEqual(full.scheduleLearner!.theta);
    // A file that says "learned" but lost the parameters is refused when read, not when training reaches them.
    const bare = encodeCheckpoint(full.engine, { config: full.config, standardization: full.standardization, step: full.step }, false);
    expect(() => decodeCheckpoint(bare, 'bare.safetensors')).toThrow(/learned schedule without its parameters/);
  }, 60_000);

  it('ends with a bound no worse than the linear schedule on the same budget (moons, 1500 steps)', async () => {
    const o = { ...base, steps: 1500, batch: 128, T: 50, model: { width: 64, depth: 2, embedSize: 32 } };
    const heldOut = getDataset('moons', 3000, 99);
    const bound = async (schedule: 'linear' | 'learned') => {
      const m = await createDiffusion({ ...o, schedule });
      await m.train();
      const r = m.bound(heldOut, { seed: 3 });
      m.close();
      return r;
    };
    const lin = await bound('linear'), learned = await bound('learned');
    // Same held-out points and seed: the difference is judged against the two estimates' standard errors.
    const margin = 2 * Math.hypot(lin.stderrNats, learned.stderrNats);
    expect(learned.nats, `learned ${learned.nats} vs linear ${lin.nats} (+- ${margin})`).toBeLessThan(lin.nats + margin);
  }, 120_000);
});
