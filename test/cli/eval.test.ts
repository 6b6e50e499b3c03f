/**
 * `eval`'s large-sample judgement through the CLI (issue 11): --json carries the two-sample test and the sliced
 * figures with their floors, fresh data judged as samples sits at the floor, `train --eval` prints the same table,
 * and bad input (another dimension, --n beyond the file, NaN, a reference too small) gets one line and exit != 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanError } from './run-cli';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'ddpm-eval-'));

describe('eval: the large-sample judgement', () => {
  it('fresh data judged as samples: --json carries the test and both floors; z is at chance, the ratios near 1', () => {
    const dir = tmp();
    const s = join(dir, 's.csv');
    expect(run(['data', '--dataset', 'moons', '--n', '6000', '--seed', '123', '--out', s]).code).toBe(0);
    const r = run(['eval', '--samples', s, '--data', 'moons', '--n', '6000', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.metrics.map((m: { name: string }) => m.name)).toEqual(['w2', 'sw2', 'energy', 'mmd2']);
    const q = j.quality;
    expect(q.model.test.n).toBe(6000);
    expect(q.model.test.k).toBe(25);
    expect(Math.abs(q.model.test.z)).toBeLessThan(4);
    expect(q.perfect.test.n).toBe(6000);
    expect(q.sw2Floor.perDraw).toHaveLength(4);
    // a perfect model's sliced W2 is one more floor draw: within the floor's own spread (4 sd) of its mean
    expect(Math.abs(q.model.sw2 - q.sw2Floor.mean)).toBeLessThan(4 * q.sw2Floor.sd + 1e-12);
    expect(q.train).toBeUndefined(); // samples from a file: no training set to compare with
  });

  it('--n 0 skips it; the text output has the table and the verdict', () => {
    const dir = tmp();
    const s = join(dir, 's.csv');
    expect(run(['data', '--dataset', 'cross', '--n', '5000', '--seed', '5', '--out', s]).code).toBe(0);
    const off = run(['eval', '--samples', s, '--data', 'cross', '--n', '0', '--json']);
    expect(off.code, off.err).toBe(0);
    expect(JSON.parse(off.out).quality).toBeUndefined();
    const txt = run(['eval', '--samples', s, '--data', 'cross', '--n', '3000']);
    expect(txt.code, txt.err).toBe(0);
    expect(txt.out).toMatch(/model samples\s+3000/);
    expect(txt.out).toMatch(/fresh data \(perfect model\)/);
    expect(txt.out).toMatch(/indistinguishable|distinguishable/);
    expect(txt.out).toMatch(/5 draws x 1000 points/);
  });

  it('train --eval prints the same judgement, with the training set as a floor', () => {
    const dir = tmp();
    const r = run(['train', '--dataset', 'moons', '--width', '32', '--embed', '16', '--depth', '1', '--T', '10', '--batch', '64',
      '--n-data', '3000', '--steps', '200', '--samples', '200', '--threads', '1', '--eval', '--json', '-q', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(j.quality.model.test.n).toBe(20000);
    expect(j.quality.train.test.n).toBe(3000);
    expect(j.quality.model.test.z).toBeGreaterThan(5); // 200 steps of a tiny model are far from the data
  });

  it('bad input: another dimension, --n beyond the file, NaN, a CSV reference too small', () => {
    const dir = tmp();
    const three = join(dir, 'three.csv');
    writeFileSync(three, 'a,b,c\n' + Array.from({ length: 300 }, (_, i) => `${i},${i % 7},${i % 3}`).join('\n') + '\n');
    expectCleanError(run(['eval', '--samples', three, '--data', 'moons']), /samples have 3 columns but the data 2/);
    const two = join(dir, 'two.csv');
    expect(run(['data', '--dataset', 'moons', '--n', '1200', '--seed', '1', '--out', two]).code).toBe(0);
    expectCleanError(run(['eval', '--samples', two, '--data', 'moons', '--n', '5000']),
      /--n 5000 is more than the 1200 rows of .*two\.csv/);
    expectCleanError(run(['eval', '--samples', two, '--data', two, '--n', '1000']), /--n 1000 needs 2000 rows of .*two\.csv.*it has 1200/);
    const nan = join(dir, 'nan.csv');
    writeFileSync(nan, 'x,y\n' + Array.from({ length: 1200 }, (_, i) => (i === 50 ? 'NaN,1' : `${i / 1200},0.5`)).join('\n') + '\n');
    expectCleanError(run(['eval', '--samples', nan, '--data', 'moons']), /NaN/);
    expectCleanError(run(['eval', '--samples', two, '--data', 'moons', '--n', 'lots']), /--n expects a number/);
  });
});
