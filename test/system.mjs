// The system programs the tests and benches drive, found the same way everywhere: a Chromium for the browser
// tests (playwright-core, which downloads no browser) and a Python that imports torch for the PyTorch tests.
// test/setup-system.sh asks this file what is missing (`node test/system.mjs chromium|torch`) before it installs.
// Not here: installing anything (the setup script's job) or the tests themselves.
//
//   Chromium: $CHROMIUM_PATH, else chromium, chromium-browser, google-chrome(-stable) on $PATH and in /usr/bin,
//             /usr/local/bin, /snap/bin, /opt/google/chrome, else the macOS app bundles.
//   PyTorch:  $TORCH_PYTHON, else /usr/bin/python3 (Debian's python3-torch), else python3 on $PATH
//             (often a pyenv or venv python without torch, hence last).
// DDPM_SEARCH_DIRS (folders, ':'-separated) replaces every folder searched after the two variables: with an empty
// folder it shows, on a machine that has both, what a fresh machine sees (test/system.test.ts does).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const USUAL_DIRS = ['/usr/bin', '/usr/local/bin', '/snap/bin', '/opt/google/chrome'];
const MAC_APPS = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** The install line for what is missing, for the one-line failures. */
export const INSTALL = {
  chromium: 'install Chromium (Debian: apt-get install chromium; or run sh test/setup-system.sh as root) ' +
    'or set CHROMIUM_PATH to a Chromium or Chrome executable',
  torch: 'install PyTorch (Debian: apt-get install python3-torch libopenblas0-pthread; or run sh test/setup-system.sh as root) ' +
    'or set TORCH_PYTHON to a python that imports torch',
};

/** A one-line error: its stack is its message, so a test runner prints the line and no frames of this file. */
export class SystemError extends Error {
  constructor(message, kind) {
    super(message);
    this.kind = kind; // 'missing': nothing found; 'misconfigured': the environment variable points at nothing usable
    this.stack = `${this.name}: ${message}`;
  }
}

/** DDPM_SEARCH_DIRS as a list, or undefined when unset. */
function searchDirs(env) {
  return env.DDPM_SEARCH_DIRS === undefined ? undefined : env.DDPM_SEARCH_DIRS.split(delimiter).filter(Boolean);
}

function executable(p) {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where Chromium is looked for, in order (env: the environment to read; dirs: replaces $PATH + the usual folders). */
export function chromiumCandidates({ env = process.env, dirs } = {}) {
  const only = dirs ?? searchDirs(env);
  const searched = only ?? [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...USUAL_DIRS];
  const out = [];
  for (const d of searched) for (const n of NAMES) out.push(join(d, n));
  if (!only && process.platform === 'darwin') out.push(...MAC_APPS);
  return [...new Set(out)];
}

/** The Chromium to launch, or a SystemError with one line saying what to install. */
export function findChromium(o = {}) {
  const env = o.env ?? process.env;
  if (env.CHROMIUM_PATH) {
    if (executable(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH;
    throw new SystemError(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file: point it at a Chromium or unset it`,
      'misconfigured');
  }
  const found = chromiumCandidates(o).find(executable);
  if (found) return found;
  const only = o.dirs ?? searchDirs(env);
  const where = only ? `in ${only.join(', ') || 'no folder'}` : `on PATH and in ${USUAL_DIRS.join(', ')}`;
  throw new SystemError(`no Chromium found (looked for ${NAMES.join(', ')} ${where}): ${INSTALL.chromium}`, 'missing');
}

/** Headless Chromium with a fresh profile, the flags every browser test and bench uses (no sandbox: CI runs as root). */
export async function launchChromium(options = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ddpm-chromium-')), {
    executablePath: findChromium(),
    headless: true,
    ...options,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...(options.args ?? [])],
  });
}

/** Pythons to try for torch, in order. */
export function pythonCandidates(env = process.env) {
  const only = searchDirs(env);
  const rest = only ? only.map((d) => join(d, 'python3')) : ['/usr/bin/python3', 'python3'];
  return [...new Set([env.TORCH_PYTHON, ...rest].filter(Boolean))];
}

/** A python that imports torch: { python, torch: version }, or a SystemError naming what was tried. */
export function findTorchPython(env = process.env) {
  const tried = [];
  for (const py of pythonCandidates(env)) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env, timeout: 120_000 });
    if (r.status === 0) return { python: py, torch: r.stdout.trim() };
    tried.push(r.error ? `${py} (not found)` : `${py} (no torch)`);
    if (py === env.TORCH_PYTHON)
      throw new SystemError(`TORCH_PYTHON=${py} cannot import torch: point it at a python with torch or unset it`, 'misconfigured');
  }
  throw new SystemError(`no python imports torch (tried ${tried.join(', ')}): ${INSTALL.torch}`, 'missing');
}

/**
 * For a test file that needs torch: { python } or, only where torch cannot be installed (not root on Debian),
 * { skip: one-line reason } (printed). Where apt-get could install it, or a variable points nowhere, it throws.
 */
export function torchForTests(label) {
  try {
    return { python: findTorchPython().python };
  } catch (e) {
    if (!(e instanceof SystemError) || e.kind !== 'missing' || aptUsable()) throw e;
    console.log(`${label} skipped: ${e.message}`);
    return { skip: e.message };
  }
}

/** Whether this machine could install system packages itself: root on Debian (or a derivative) with apt-get. */
export function aptUsable() {
  return process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/etc/debian_version') && executable('/usr/bin/apt-get');
}

// `node test/system.mjs chromium|torch`: prints what was found (exit 0), or one line on stderr: exit 1 when it is
// missing, 2 when an environment variable points at something unusable (installing would not help).
if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2];
  try {
    if (what === 'chromium') console.log(findChromium());
    else if (what === 'torch') {
      const r = findTorchPython();
      console.log(`${r.python} (torch ${r.torch})`);
    } else if (what === 'apt') process.exit(aptUsable() ? 0 : 1);
    else {
      console.error('usage: node test/system.mjs chromium|torch|apt');
      process.exit(2);
    }
  } catch (e) {
    if (!(e instanceof SystemError)) throw e;
    console.error(`error: ${e.message}`);
    process.exit(e.kind === 'missing' ? 1 : 2);
  }
}
