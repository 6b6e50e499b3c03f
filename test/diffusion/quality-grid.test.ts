/**
 * bench/quality.mjs --quick (the quality grid's smoke form, through the built CLI): two cells (the default and one
 * value) each write their JSON, the table goes to stdout and into the doc's marked section, and a second run skips
 * the finished cells. Bad arguments: a one-line error, exit 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'bench', 'quality.mjs');
const dir = mkdtempSync(join(tmpdir(), 'ddpm-quality-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('the quality grid (--quick)', () => {
  test('two cells: their JSON, the table, the doc section; a second run skips them', () => {
    const args = ['--factor', 't-sampling', '--values', 'stratified', '--quick', '--threads', '1', '--out', dir];
    const first = run(...args);
    expect(first.code, first.err).toBe(0);
    const cells = ['default', 'stratified'].map((v) => join(dir, 't-sampling', v, 'swissroll-s0.json'));
    for (const file of cells) {
      const c = JSON.parse(readFileSync(file, 'utf8'));
      expect(c.dataset).toBe('swissroll');
      expect(c.steps).toBe(60);
      expect(c.n).toBe(500);
      for (const k of ['z', 'accuracy', 'sw2Ratio', 'trainSeconds', 'perfectZ']) expect(Number.isFinite(c[k]), k).toBe(true);
      expect(c.accuracy).toBeGreaterThanOrEqual(0);
      expect(c.accuracy).toBeLessThanOrEqual(1);
      expect(c.config.tSampling).toBe(c.value === 'default' ? 'importance' : 'stratified');
    }
    expect(first.out).toMatch(/^\| value \| swissroll z/m);
    expect(first.out).toMatch(/^\| stratified \|/m);
    expect(first.out).toContain('npm run quality -- --factor t-sampling --values stratified --quick --threads 1');
    expect(first.err).toMatch(/2\/2 cells/);
    const doc = readFileSync(join(dir, 'quality.md'), 'utf8');
    expect(doc).toContain('<!-- grid:t-sampling -->');
    expect(doc).toContain('| default |');
    const before = cells.map((f) => statSync(f).mtimeMs);
    const second = run(...args);
    expect(second.code, second.err).toBe(0);
    expect(second.err).toContain('2 cells (2 done)');
    expect(cells.map((f) => statSync(f).mtimeMs)).toEqual(before);
    // the doc's section is replaced, not appended again
    expect(readFileSync(join(dir, 'quality.md'), 'utf8').split('<!-- grid:t-sampling -->').length).toBe(2);
  });

  test('bad arguments: one line naming the value, exit 2', () => {
    for (const [args, msg] of [
      [[], /--factor NAME is required/],
      [['--factor', 'width'], /no preset values for --factor width/],
      [['--factor', 't-sampling', '--threads', '0'], /--threads must be an integer in \[1, 64\], got 0/],
      [['--factor', 'a b'], /--factor must be a train flag name \(or names joined by \+\), got "a b"/],
      [['--factor', 't-sampling+input-scale', '--values', 'importance'], /--values importance: .* needs 2 parts joined by \+/],
      [['--factor', 't-sampling', '--ode', '1'], /--ode must be an integer in \[2, 1000\], got 1/],
      [['--factor', 't-sampling', '--with= '], /--with needs train flags, got " "/],
    ] as const) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
    expect(existsSync(join(root, 'runs', 'quality', 'width'))).toBe(false);
  });
});
