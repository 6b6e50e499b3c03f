/**
 * The test set-up itself: the README's test command is what CI runs, and the searches for Chromium and PyTorch
 * (test/system.mjs) find what is there and, where nothing is, fail with one line naming what to install. A fresh
 * machine is simulated by searching an empty folder (DDPM_SEARCH_DIRS) and by variables pointing nowhere; this
 * machine's own Chromium and PyTorch stay installed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemError, aptUsable, chromiumCandidates, findChromium, pythonCandidates } from './system.mjs';

const root = new URL('..', import.meta.url).pathname;
const empty = mkdtempSync(join(tmpdir(), 'ddpm-empty-')); // stays empty: a machine with nothing installed
const fakes = mkdtempSync(join(tmpdir(), 'ddpm-fakes-'));
function fakeExecutable(name: string): string {
  const p = join(fakes, name);
  writeFileSync(p, '#!/bin/sh\n');
  chmodSync(p, 0o755);
  return p;
}
const node = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, CHROMIUM_PATH: '', TORCH_PYTHON: '', ...env } });
const oneLine = (s: string) => expect(s.trim().split('\n')).toHaveLength(1);

describe('the README test command and CI', () => {
  it('.ci/run runs exactly the README\'s test command and adds no set-up of its own', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme)![1].split('\n');
    const readmeCommand = block[1].replace(/\s+#.*$/, '').trim();
    expect(readmeCommand).toMatch(/npm test$/);
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    const m = /^TEST_COMMAND='([^']*)'$/m.exec(ci);
    expect(m, '.ci/run sets TEST_COMMAND').not.toBeNull();
    expect(m![1]).toBe(readmeCommand);
    // Only comments, the command and its summary: no apt-get, npm or browser set-up outside the command string.
    const code = ci.split('\n').filter((l) => !/^\s*#/.test(l) && !l.startsWith('TEST_COMMAND='));
    expect(code.join('\n')).not.toMatch(/apt-get|npm |chromium|torch|export /i);
    expect(code.join('\n')).toMatch(/sh -c "\$TEST_COMMAND"/);
  });
});

describe('finding Chromium', () => {
  it('takes CHROMIUM_PATH first, and a CHROMIUM_PATH pointing nowhere is a one-line error, not a fallback', () => {
    const fake = fakeExecutable('my-chrome');
    expect(findChromium({ env: { CHROMIUM_PATH: fake, PATH: '' } })).toBe(fake);
    expect(() => findChromium({ env: { CHROMIUM_PATH: join(empty, 'nowhere') } }))
      .toThrow(/^CHROMIUM_PATH=.*nowhere is not an executable file/);
  });

  it('searches the PATH, then the usual folders, for chromium, chromium-browser and google-chrome', () => {
    const c = chromiumCandidates({ env: { PATH: '/opt/x/bin' } });
    expect(c.slice(0, 2)).toEqual(['/opt/x/bin/chromium', '/opt/x/bin/chromium-browser']);
    for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) expect(c).toContain(p);
    expect(c.indexOf('/opt/x/bin/chromium')).toBeLessThan(c.indexOf('/usr/bin/chromium'));
  });

  it('with none found, fails with one line that says what to install', () => {
    let err: unknown;
    try {
      findChromium({ env: { PATH: empty }, dirs: [empty] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SystemError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^no Chromium found .*apt-get install chromium.*CHROMIUM_PATH/);
    oneLine(msg);
    expect((err as Error).stack).toBe(`Error: ${msg}`); // the line alone, no frames to scroll through
  });

  it('`node test/system.mjs chromium` on a machine without one: exit 1 and one line on stderr', () => {
    const r = node(['test/system.mjs', 'chromium'], { DDPM_SEARCH_DIRS: empty });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^error: no Chromium found .*install Chromium \(Debian: apt-get install chromium/);
  });
});

describe('finding PyTorch', () => {
  it('tries TORCH_PYTHON, then Debian\'s /usr/bin/python3, then python3 on the PATH', () => {
    expect(pythonCandidates({ TORCH_PYTHON: '/opt/py/bin/python' })).toEqual(['/opt/py/bin/python', '/usr/bin/python3', 'python3']);
    expect(pythonCandidates({})).toEqual(['/usr/bin/python3', 'python3']);
  });

  it('without one: exit 1 and one line naming what was tried and what to install; a bad TORCH_PYTHON: exit 2', () => {
    const r = node(['test/system.mjs', 'torch'], { DDPM_SEARCH_DIRS: empty });
    expect(r.status).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(
      /^error: no python imports torch \(tried .*\): install PyTorch \(Debian: apt-get install python3-torch libopenblas0-pthread/,
    );
    const bad = node(['test/system.mjs', 'torch'], { TORCH_PYTHON: join(empty, 'python-nowhere') });
    expect(bad.status).toBe(2);
    oneLine(bad.stderr);
    expect(bad.stderr).toMatch(/^error: TORCH_PYTHON=.* cannot import torch/);
  });
});

describe('the PyTorch tests\' skip policy (torchForTests)', () => {
  it('without torch: a failure where apt-get could install it (root on Debian), else a skip with one printed line', () => {
    const r = node(['-e', "import('./test/system.mjs').then((m) => console.log(JSON.stringify(m.torchForTests('the torch tests'))))"],
      { DDPM_SEARCH_DIRS: empty });
    if (aptUsable()) {
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/no python imports torch/);
    } else {
      expect(r.status, r.stderr).toBe(0);
      const [line, json] = r.stdout.trim().split('\n');
      expect(line).toMatch(/^the torch tests skipped: no python imports torch/);
      expect(JSON.parse(json).skip).toMatch(/install PyTorch/);
    }
  });
});

describe('test/setup-system.sh', () => {
  const setup = (env: Record<string, string>, ...args: string[]) =>
    spawnSync('sh', ['test/setup-system.sh', ...args],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CHROMIUM_PATH: '', TORCH_PYTHON: '', ...env } });

  it('on a fresh machine would install chromium and python3-torch with apt-get (dry run)', () => {
    const r = setup({ DDPM_SEARCH_DIRS: empty }, '--dry-run');
    expect(r.status).toBe(0);
    expect(r.stdout.trim())
      .toBe('setup-system: would run: apt-get update && apt-get install -y chromium python3-torch libopenblas0-pthread');
  });

  it('installs only what is missing (dry run with Chromium present)', () => {
    const fake = fakeExecutable('chromium');
    const r = setup({ CHROMIUM_PATH: fake, DDPM_SEARCH_DIRS: empty }, '--dry-run');
    expect(r.stdout.trim()).toBe('setup-system: would run: apt-get update && apt-get install -y python3-torch libopenblas0-pthread');
  });

  it('--help prints its usage; an unknown option is one line and exit 2', () => {
    expect(setup({}, '--help').stdout).toMatch(/--dry-run/);
    const r = setup({}, '--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('error: unknown option --bogus (try --help)');
  });

  it('stops with the one line when a variable points at nothing (installing would not help)', () => {
    const r = setup({ CHROMIUM_PATH: join(empty, 'nowhere') }, '--dry-run');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^error: CHROMIUM_PATH=/);
  });
});
