// Runs every suite (as-pect for the kernels, vitest for the host) and ends with one line adding up both:
// `N passed, N failed`. Exit status is non-zero if anything failed or a runner died before reporting.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, extra = {}) =>
  spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28, ...extra });

if (!existsSync(join(root, 'dist/cli.js')) || !existsSync(join(root, 'dist/ddpm.wasm'))) {
  console.log('dist/ is missing: building first (npm run build)');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

let passed = 0, failed = 0, broken = false;

// as-pect: the summary reporter prints "[Tests]: <passed> / <total>".
const as = run('npx', ['asp', '--config', 'as-pect.config.js', '--no-logo']);
process.stdout.write(as.stdout ?? '');
const plain = (as.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(plain);
if (m) {
  passed += Number(m[1]);
  failed += Number(m[2]) - Number(m[1]);
  if (as.status !== 0 && Number(m[2]) === Number(m[1])) failed += 1; // a file failed to compile
} else {
  broken = true;
  failed += 1;
}

// vitest: the json reporter gives exact counts; the default reporter stays for people. The browser test runs
// last and alone: it measures the page's frame gaps, which other test files running beside it would distort.
const dir = mkdtempSync(join(tmpdir(), 'ddpm-test-'));
const ALONE = 'test/web/browser.test.ts';
const extra = process.argv.slice(2);
const runs = extra.length ? [extra] : [['--exclude', ALONE], [ALONE]];
runs.forEach((args, i) => {
  const out = join(dir, `vitest-${i}.json`);
  const vt = spawnSync('npx', ['vitest', 'run', '--config', 'test/vitest.config.ts', '--reporter=default', '--reporter=json',
    `--outputFile.json=${out}`, ...args], { cwd: root, stdio: 'inherit' });
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (vt.status !== 0 && r.numFailedTests === 0) failed += 1; // a suite failed to load
  } else {
    broken = true;
    failed += 1;
  }
});
rmSync(dir, { recursive: true, force: true });

if (broken) console.log('a test runner exited without reporting its counts (counted as a failure)');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
