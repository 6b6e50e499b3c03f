// bench/sw2-noise.mjs (the sliced-W2 ratio at several eval seeds): its first row is exactly `eval --model`'s figure at
// that seed, every row is finite, and bad arguments get one line and exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { root, run } from '../cli/run-cli';

const dir = mkdtempSync(join(tmpdir(), 'ddpm-sw2-noise-'));
const model = join(dir, 'model.safetensors');
const script = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bench', 'sw2-noise.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

beforeAll(() => {
  const r = run(['train', '--dataset', 'moons', '--width', '16', '--embed', '8', '--depth', '1', '--T', '20', '--batch', '64',
    '--steps', '60', '--samples', '10', '--threads', '1', '--out', dir, '-q']);
  expect(r.code, r.err).toBe(0);
});

describe('bench/sw2-noise.mjs', () => {
  it('the row at eval seed S is eval --model\'s own figure at S; the summary is over every seed', () => {
    const r = script('--model', model, '--n', '400', '--seeds', '3', '--seed', '2', '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.seeds).toEqual([2, 3, 4]);
    for (const row of s.rows) {
      for (const k of ['sw2Ratio', 'z', 'perfectSw2Ratio', 'perfectZ']) expect(Number.isFinite(row[k]), k).toBe(true);
    }
    expect(s.sw2Ratio.model.mean).toBeCloseTo(s.rows.reduce((a: number, x: { sw2Ratio: number }) => a + x.sw2Ratio, 0) / 3, 12);
    const e = run(['eval', '--model', model, '--n', '400', '--seed', '2', '--draws', '2', '--size', '100', '--json', '-q']);
    expect(e.code, e.err).toBe(0);
    const q = JSON.parse(e.out).quality;
    expect(s.rows[0].sw2Ratio).toBe(q.sw2Ratio);
    expect(s.rows[0].z).toBe(q.model.test.z);
  });

  it('--help; bad arguments: one line, exit 2', () => {
    expect(script('--help').out).toMatch(/^usage: node bench\/sw2-noise.mjs --model FILE/);
    for (const [args, msg] of [
      [[], /^sw2-noise: --model FILE is required/],
      [['--model', model, '--seeds', '0'], /^sw2-noise: --seeds must be an integer >= 1, got 0/],
      [['--model', model, '--bar', 'x'], /^sw2-noise: --bar must be a positive number, got x/],
      [['--bogus'], /^sw2-noise: Unknown option '--bogus'/],
    ] as const) {
      const r = script(...args);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
  });
});
