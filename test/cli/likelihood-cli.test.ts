// `eval --nll` and `sample --sampler ode` end to end (dist/cli.js): the JSON's bookkeeping, the text table, the
// determinism of the ODE sampler for a seed, --help, and one-line errors.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCleanError, run } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'ddpm-nll-cli-'));
const model = join(dir, 'model.safetensors');

beforeAll(() => {
  const r = run(['train', '--dataset', 'moons', '--width', '32', '--embed', '16', '--depth', '2', '--T', '40', '--batch', '64',
    '--n-data', '2000', '--steps', '300', '--samples', '100', '--threads', '1', '--out', dir, '-q']);
  expect(r.code, r.err).toBe(0);
});

describe('eval --nll', () => {
  it('prints the exact NLL beside the VLB on the same points, in nats and bits/dim, and their paired gap', () => {
    const r = run(['eval', '--model', model, '--nll', '--nll-n', '200', '--nll-steps', '20', '--json', '-q']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ n: 200, d: 2, T: 40, steps: 20, evaluations: 38, divergence: 'exact', probes: 0 });
    for (const k of ['nllNats', 'nllBitsPerDim', 'vlbNats', 'vlbBitsPerDim', 'gapNats', 'gapStderrNats']) {
      expect(Number.isFinite(j[k]), k).toBe(true);
    }
    expect(j.nllNats).toBeCloseTo(j.nllStandardisedNats + j.logDet, 9);
    expect(j.nllNats).toBeCloseTo(j.prior - j.logVolume + j.logDet, 9);
    expect(j.nllBitsPerDim).toBeCloseTo(j.nllNats / (2 * Math.LN2), 9);
    expect(j.gapNats).toBeCloseTo(j.vlbNats - j.nllNats, 9); // paired over the same points
    const text = run(['eval', '--model', model, '--nll', '--nll-n', '100', '--nll-steps', '10', '--probes', '2', '-q']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/Hutchinson, 2 probes/);
    expect(text.out).toMatch(/NLL, data units .* bits\/dim/);
    expect(text.out).toMatch(/gap L_vlb - NLL/);
  });

  it('--help lists it; bad values get one line', () => {
    expect(run(['eval', '--help']).out).toMatch(/--nll .*probability-flow ODE/);
    expectCleanError(run(['eval', '--nll']), /eval --nll needs --model FILE/);
    expectCleanError(run(['eval', '--model', model, '--nll', '--probes', '-1']), /--probes must be an integer in \[0, 1000\], got -1/);
    expectCleanError(run(['eval', '--model', model, '--nll', '--nll-steps', '41']), /--nll-steps must be an integer in \[1, 40\], got 41/);
    expectCleanError(run(['eval', '--model', model, '--nll', '--nll-n', '1']), /--nll-n must be an integer in \[2, 1000000\]/);
    expectCleanError(run(['eval', '--model', join(dir, 'none.safetensors'), '--nll']), /none\.safetensors/);
    expectCleanError(run(['eval', '--model', model, '--nll', '--report', join(dir, 'r.html')]), /--report charts the bound/);
    expectCleanError(run(['eval', '--model', model, '--nll', '--vlb-n', '10']), /same --nll-n points/);
  });
});

describe('sample --sampler ode', () => {
  it('repeats itself exactly for a seed, differs for another; flags that have no meaning for it are refused', () => {
    const a = run(['sample', '--model', model, '--sampler', 'ode', '--steps', '8', '--n', '50', '--seed', '3']);
    const b = run(['sample', '--model', model, '--sampler', 'ode', '--steps', '8', '--n', '50', '--seed', '3']);
    const c = run(['sample', '--model', model, '--sampler', 'ode', '--steps', '8', '--n', '50', '--seed', '4']);
    expect(a.code, a.err).toBe(0);
    expect(a.out.trim().split('\n')).toHaveLength(51);
    expect(b.out).toBe(a.out);
    expect(c.out).not.toBe(a.out);
    expect(run(['sample', '--help']).out).toMatch(/ode: the probability-flow ODE/);
    expectCleanError(run(['sample', '--model', model, '--sampler', 'ode', '--eta', '0.5']), /--eta is a ddim option/);
    expectCleanError(run(['sample', '--model', model, '--sampler', 'ode', '--variance', 'beta']), /--variance applies to ddpm/);
    const clamped = run(['sample', '--model', model, '--sampler', 'ode', '--steps', '8', '--n', '50', '--seed', '3', '--clip-x0', '0.5']);
    expect(clamped.code, clamped.err).toBe(0);
    expect(clamped.out).not.toBe(a.out);
    expectCleanError(run(['sample', '--model', model, '--sampler', 'ode', '--steps', '41']), /steps must be an integer in \[1, 40\]/);
  });
});

describe('sample --sampler hybrid', () => {
  it('--split and --tail: the help says their defaults, a respaced tail runs, bad values are one-line errors', () => {
    const help = run(['sample', '--help']).out;
    expect(help).toMatch(/--tail S +hybrid: Algorithm 2's steps from --split to the data \(default min\(split, 15\)/);
    const hybrid = ['sample', '--model', model, '--sampler', 'hybrid', '--steps', '4', '--split', '6', '--n', '50', '--seed', '3'];
    const a = run(hybrid), b = run([...hybrid, '--tail', '3']);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    expect(b.out.trim().split('\n')).toHaveLength(51);
    expect(b.out).not.toBe(a.out);
    // T = 40: the default split is t = 2
    const tail = (v: string) => run(['sample', '--model', model, '--sampler', 'hybrid', '--tail', v]);
    expectCleanError(tail('3'), /--tail must be an integer in \[1, 2\] \(the split\), got 3/);
    expectCleanError(tail('0'), /--tail must be an integer in \[1, 100000\], got 0/);
    expectCleanError(run(['sample', '--model', model, '--sampler', 'ode', '--tail', '2']), /--tail is an option of the solvers/);
  });
});
