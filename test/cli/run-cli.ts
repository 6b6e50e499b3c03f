/** Running dist/cli.js from the CLI tests, and the one-line error every bad input must get. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');

export function run(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Exit code `code` (2: a usage error) and a single `error: ...` line on stderr matching `pattern`, no stack trace. */
export function expectCleanError(r: { code: number | null; err: string }, pattern: RegExp, code = 2): void {
  expect(r.code).toBe(code);
  const lines = r.err.trim().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}
