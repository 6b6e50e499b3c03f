// The lab's CLI surface end to end (dist/cli.js): eval --vlb, sample --sampler ddim, study; one-line errors.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCleanError, run } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'ddpm-lab-cli-'));
const model = join(dir, 'model.safetensors');

beforeAll(() => {
  const r = run(['train', '--dataset', 'moons', '--width', '32', '--embed', '16', '--depth', '2', '--T', '20', '--batch', '64',
    '--n-data', '2000', '--steps', '200', '--samples', '100', '--out', dir, '-q']);
  expect(r.code, r.err).toBe(0);
});

describe('eval --vlb', () => {
  it('prints the bound in nats and bits/dim and writes the report', () => {
    const report = join(dir, 'vlb.html');
    const r = run(['eval', '--model', model, '--vlb', '--vlb-n', '300', '--json', '--report', report, '-q']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.T).toBe(20);
    expect(j.terms).toHaveLength(20);
    expect(Number.isFinite(j.bitsPerDim)).toBe(true);
    expect(j.nats).toBeCloseTo(j.totalNats + j.logDet, 9);
    expect(j.bitsPerDim).toBeCloseTo(j.nats / (2 * Math.LN2), 9);
    expect(readFileSync(report, 'utf8')).toMatch(/Bound per t/);
    const text = run(['eval', '--model', model, '--vlb', '--vlb-n', '300', '--vlb-variance', 'beta', '-q']);
    expect(text.out).toMatch(/sigma_t\^2 = beta_t/);
    expect(text.out).toMatch(/bits\/dim/);
    expectCleanError(run(['eval', '--model', model, '--vlb', '--vlb-variance', 'huge']), /unknown variance/);
  });
});

describe('sample --sampler', () => {
  it('ddim with eta 0 repeats itself exactly for a seed; flags are checked', () => {
    const a = run(['sample', '--model', model, '--sampler', 'ddim', '--steps', '5', '--eta', '0', '--n', '50', '--seed', '3']);
    const b = run(['sample', '--model', model, '--sampler', 'ddim', '--steps', '5', '--n', '50', '--seed', '3']);
    expect(a.code, a.err).toBe(0);
    expect(a.out.trim().split('\n')).toHaveLength(51);
    expect(b.out).toBe(a.out);
    expectCleanError(run(['sample', '--model', model, '--eta', '0.5']), /ddim option/);
    expectCleanError(run(['sample', '--model', model, '--sampler', 'ddim', '--steps', '21']), /steps must be an integer in \[1, 20\]/);
    expectCleanError(run(['sample', '--model', model, '--sampler', 'ddim', '--eta', '2']), /eta must be in \[0, 1\]/);
    expectCleanError(run(['sample', '--model', model, '--sampler', 'pndm']), /unknown sampler/);
  });
});

describe('study', () => {
  it('one-line errors for a missing or unknown experiment and for unknown schedules', () => {
    expectCleanError(run(['study']), /needs an experiment/);
    expectCleanError(run(['study', 'bogus']), /unknown study "bogus"; choose .* or tour$/);
    expectCleanError(run(['study', 'schedules', '--schedules', 'linear,lerned']), /unknown schedule "lerned"/);
    expectCleanError(run(['study', 'T', '--Ts', '20,x']), /--Ts takes integers/);
    expect(run(['study', '--help']).out).toMatch(/study schedules\|T\|variance\|trajectories/);
  });

  it('study variance: beta_t, beta-tilde_t and a learned variance, with fewer steps (tiny budget)', () => {
    const out = join(dir, 'studyVar');
    const r = run(['study', 'variance', '--T', '20', '--fewer-steps', '5', '--steps', '30', '--width', '16', '--depth', '1', '--embed', '8',
      '--batch', '32', '--n-data', '500', '--vlb-n', '60', '--draws', '1', '--size', '60', '--test-n', '1500', '--out', out,
      '--json', '-q']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.steps).toEqual([20, 5]);
    // every row judged by the two-sample test, every pair of rows compared against the test's noise
    for (const v of j.variants) expect(v.test.n).toBe(1500);
    expect(j.differences).toHaveLength(3);
    for (const d of j.differences) expect(d.real).toBe(Math.abs(d.z) > 3);
    expect(j.variants.map((v: { label: string }) => v.label)).toEqual(['beta_t', 'beta-tilde_t', 'learned (hybrid)']);
    for (const v of j.variants) expect(v.w2AtSteps.every(Number.isFinite)).toBe(true);
    expectCleanError(run(['study', 'variance', '--loss', 'kl']), /unknown loss/);
  });

  it('study T writes a report and a summary with one row per T (tiny budget)', () => {
    const out = join(dir, 'studyT');
    const r = run(['study', 'T', '--Ts', '5,10', '--steps', '20', '--width', '16', '--depth', '1', '--embed', '8', '--batch', '32',
      '--n-data', '500', '--vlb-n', '60', '--draws', '1', '--size', '60', '--test-n', '1500', '--out', out, '--json', '-q']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.variants.map((v: { T: number }) => v.T)).toEqual([5, 10]);
    for (const v of j.variants) expect(v.test.accuracy).toBeGreaterThan(0.5); // 20 steps of training: far from the data
    expect(j.differences).toHaveLength(1);
    expect(j.columns).toContain('z');
    const text = run(['study', 'T', '--Ts', '5,10', '--steps', '20', '--width', '16', '--depth', '1', '--embed', '8', '--batch', '32',
      '--n-data', '500', '--vlb-n', '60', '--draws', '1', '--size', '60', '--test-n', '1500', '--out', out, '-q']);
    expect(text.out).toMatch(/differences between rows \(two-sample accuracy; real = \|z\| > 3\): \d of 1 real/);
    expect(text.out).toMatch(/T = 5 vs T = 10: accuracy [-+]0\.\d{4} ± 0\.\d{4} \(z = -?\d+\.\d\): (real|not significant)/);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
  });
});

describe('train --variance learned and --schedule learned', () => {
  const tiny = ['--dataset', 'moons', '--width', '16', '--embed', '8', '--depth', '1', '--T', '20', '--batch', '32', '--n-data', '500',
    '--steps', '80', '--samples', '60', '-q'];

  it('--variance learned --loss vlb trains, samples with its own Sigma_theta, and its bound reports a learned variance', () => {
    const out = join(dir, 'learnedVar');
    const r = run(['train', ...tiny, '--variance', 'learned', '--loss', 'vlb', '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.config.variance).toBe('learned');
    expect(j.config.loss).toBe('vlb');
    expect(j.config.model.learnSigma).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    const m = join(out, 'model.safetensors');
    const s = run(['sample', '--model', m, '--n', '40', '--seed', '3']);
    expect(s.code, s.err).toBe(0);
    const rows = s.out.trim().split('\n');
    expect(rows[0]).toBe('x,y');
    expect(rows.slice(1).every((l) => l.split(',').every((c) => Number.isFinite(Number(c))))).toBe(true);
    expect(rows).toHaveLength(41);
    const v = run(['eval', '--model', m, '--vlb', '--vlb-n', '100', '--json', '-q']);
    expect(v.code, v.err).toBe(0);
    expect(JSON.parse(v.out).variance).toBe('learned');
    expectCleanError(run(['sample', '--model', m, '--n', '5', '--variance', 'beta']), /learned its variance/);
  });

  it('--schedule learned trains and writes a checkpoint that resumes', () => {
    const out = join(dir, 'learnedSched');
    const r = run(['train', ...tiny, '--schedule', 'learned', '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).config.schedule).toBe('learned');
    const more = run(['train', '--resume', out, '--steps', '100', '--samples', '20', '-q']);
    expect(more.code, more.err).toBe(0);
  });

  it('refuses combinations that mean nothing, in one line', () => {
    expectCleanError(run(['train', ...tiny, '--loss', 'vlb']), /--loss vlb trains a learned variance: add --variance learned/);
    expectCleanError(run(['train', ...tiny, '--variance', 'learned', '--loss', 'simple']), /unknown loss "simple"/);
    expectCleanError(run(['train', ...tiny, '--variance', 'learned', '--schedule', 'learned']), /cannot be combined/);
    expectCleanError(run(['train', ...tiny, '--schedule', 'learned', '--T', '1']), /needs --T of at least 2/);
  });
});

describe('eval --repeats', () => {
  it('repeats the protocol over seeds beside a perfect model, and refuses it without --model', () => {
    const r = run(['eval', '--model', model, '--repeats', '3', '--draws', '2', '--size', '100', '--json', '-q']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.repeats).toBe(3);
    expect(j.metrics.map((m: { name: string }) => m.name)).toContain('w2');
    for (const m of j.metrics) {
      for (const s of [m.model, m.perfect]) {
        expect(s.min).toBeLessThanOrEqual(s.mean);
        expect(s.mean).toBeLessThanOrEqual(s.max);
        expect(s.sd).toBeGreaterThanOrEqual(0);
      }
    }
    // Fresh data judged as samples: its ratio is about 1 (two independent data draws), whatever the model does.
    const w2 = j.metrics.find((m: { name: string }) => m.name === 'w2');
    expect(w2.perfect.mean).toBeGreaterThan(0.6);
    expect(w2.perfect.mean).toBeLessThan(1.6);
    expectCleanError(run(['eval', '--samples', model, '--data', 'moons', '--repeats', '2']), /--repeats needs --model/);
  });
});

describe('study tour', () => {
  it('--help says what the tour runs and names its flags; bad input is one line and exit 2', () => {
    const h = run(['study', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/\n  tour +the forward process, the reverse process, trajectories and schedules on swissroll, moons and cross\n/);
    expect(h.out).toMatch(/--quick/);
    expect(h.out).toMatch(/--datasets/);
    expectCleanError(run(['study', 'tour', '--datasets', 'moons,nope', '--quick']), /unknown data set "nope"/);
    expectCleanError(run(['study', 'tour', '--schedules', 'linear,wobbly', '--quick']), /unknown schedule "wobbly"/);
    expectCleanError(run(['study', 'tour', '--steps', '0', '--quick']), /--steps/);
    expectCleanError(run(['study', 'deck', '--steps', '0', '--quick']), /--steps/); // the slides' name reaches the tour too
  });

  it('--quick on one data set writes report.html and summary.json with the figures, a progress bar on stderr', () => {
    const out = join(dir, 'tour');
    const r = run(['study', 'tour', '--quick', '--datasets', 'moons', '--schedules', 'linear,cosine', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/tour .*units/);
    expect(r.out).toMatch(/^moons:\n  start decides end\? after DDIM eta = 0 .*; after probability-flow ODE .*; after DDPM /m);
    expect(r.out).toMatch(/report: .*report\.html/);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.datasets).toHaveLength(1);
    const d = s.datasets[0];
    expect(d.schedules.map((x: { label: string }) => x.label)).toEqual(['linear', 'cosine']);
    for (const x of d.schedules) {
      expect(x.quality.accuracy).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(x.quality.z)).toBe(true);
      expect(typeof x.small).toBe('boolean');
    }
    expect(d.trajectories.samplers.map((x: { label: string }) => x.label)).toEqual(['DDPM', 'DDIM eta = 0', 'probability-flow ODE']);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});
