import { describe, expect, it } from 'vitest';
import { SCHEDULES, ddpmCoefficients, defaultBetaRange, makeSchedule, scheduleChecks } from '../../src/schedule/schedule';

describe('schedules against closed forms', () => {
  it('linear: endpoints rescaled by 1000/T, evenly spaced, abar the running product', () => {
    for (const T of [1, 2, 10, 50, 100, 1000]) {
      const s = makeSchedule('linear', T);
      const { betaStart, betaEnd } = defaultBetaRange(T);
      expect(s.beta[0]).toBeCloseTo(T === 1 ? betaEnd : betaStart, 15);
      expect(s.beta[T - 1]).toBeCloseTo(betaEnd, 15);
      for (let i = 1; i < T - 1; i++) expect(s.beta[i + 1] - s.beta[i]).toBeCloseTo(s.beta[1] - s.beta[0], 12);
      let prod = 1;
      for (let i = 0; i < T; i++) {
        prod *= 1 - s.beta[i];
        expect(s.alphaBar[i]).toBeCloseTo(prod, 14);
        expect(s.sqrtAlphaBar[i] ** 2 + s.sqrtOneMinusAlphaBar[i] ** 2).toBeCloseTo(1, 14);
      }
    }
  });

  it('at T = 1000 the linear schedule is exactly Ho et al.: 1e-4 .. 0.02', () => {
    const s = makeSchedule('linear', 1000);
    expect(s.beta[0]).toBeCloseTo(1e-4, 15);
    expect(s.beta[999]).toBeCloseTo(0.02, 15);
    expect(s.alphaBar[999]).toBeLessThan(1e-4);
  });

  it('abar_T is near zero for every schedule at every T >= 10 (x_T is close to N(0, I))', () => {
    for (const name of SCHEDULES) for (const T of [10, 20, 50, 100, 200, 1000]) {
      const s = makeSchedule(name, T);
      expect(scheduleChecks(s).alphaBarT, `${name} T=${T}`).toBeLessThan(0.01);
    }
  });

  it('the unscaled 1e-4..0.02 at T = 50 leaves abar_T ~ 0.60, which the checks flag', () => {
    const s = makeSchedule('linear', 50, { betaStart: 1e-4, betaEnd: 0.02 });
    expect(s.alphaBar[49]).toBeGreaterThan(0.55);
    expect(s.alphaBar[49]).toBeLessThan(0.65);
    expect(scheduleChecks(s).isotropicAtT).toBe(false);
  });

  it('cosine: abar_t = f(t)/f(0) with f(t) = cos^2(((t/T + s)/(1 + s)) pi/2) wherever beta is not capped', () => {
    const T = 100, s = makeSchedule('cosine', T), off = 0.008;
    const f = (t: number) => Math.cos(((t / T + off) / (1 + off)) * (Math.PI / 2)) ** 2;
    for (let i = 0; i < T - 1; i++) expect(s.alphaBar[i]).toBeCloseTo(f(i + 1) / f(0), 12);
    expect(s.beta[T - 1]).toBeLessThanOrEqual(0.999);
  });

  it('quadratic and sigmoid interpolate their endpoints monotonically', () => {
    for (const name of ['quadratic', 'sigmoid'] as const) {
      const s = makeSchedule(name, 200, { betaStart: 1e-3, betaEnd: 0.05 });
      expect(scheduleChecks(s).increasing).toBe(true);
      expect(s.beta[0]).toBeGreaterThanOrEqual(1e-3 - 1e-12);
      expect(s.beta[199]).toBeLessThanOrEqual(0.05 + 1e-12);
    }
    const q = makeSchedule('quadratic', 11, { betaStart: 0.01, betaEnd: 0.09 });
    expect(q.beta[5]).toBeCloseTo(((0.1 + 0.3) / 2) ** 2, 14); // (sqrt(b1) + (sqrt(bT) - sqrt(b1)) / 2)^2
  });

  it('posterior variance and mean coefficients match eq. 7', () => {
    const s = makeSchedule('linear', 50);
    expect(s.posteriorVariance[0]).toBe(0);
    for (let i = 1; i < 50; i++) {
      const ab = s.alphaBar[i], abp = s.alphaBar[i - 1];
      expect(s.posteriorVariance[i]).toBeCloseTo(((1 - abp) / (1 - ab)) * s.beta[i], 14);
      expect(s.posteriorVariance[i]).toBeLessThanOrEqual(s.beta[i]);
      // mu-tilde(x_t, x_0) with x_0 recovered from eps equals the eps-form of Algorithm 2's mean.
      const x0 = 0.7, eps = -1.3, xt = Math.sqrt(ab) * x0 + Math.sqrt(1 - ab) * eps;
      const mu = s.posteriorMeanCoefX0[i] * x0 + s.posteriorMeanCoefXt[i] * xt;
      const { cx, ceps } = ddpmCoefficients(s, i, 'beta');
      expect(cx * xt + ceps * eps).toBeCloseTo(mu, 12);
    }
  });

  it('rejects bad T and betas outside (0, 1) with a message naming the value', () => {
    expect(() => makeSchedule('linear', 0)).toThrow(/T must be an integer.*got 0/);
    expect(() => makeSchedule('linear', 10, { betaEnd: 1.5 })).toThrow(/beta end must be in \(0, 1\), got 1.5/);
    expect(() => makeSchedule('linear', 10, { betaStart: 0 })).toThrow(/beta start must be in \(0, 1\), got 0/);
    expect(() => makeSchedule('zigzag', 10)).toThrow(/unknown schedule "zigzag"/);
  });
});
