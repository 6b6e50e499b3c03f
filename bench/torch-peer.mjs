// The PyTorch peer of `npm run bench`, from the Node side: runs bench/torch-peer.py (the same model, step and
// sampler in PyTorch, python/ddpm_torch.py's EpsModel) as a child process when /usr/bin/python3 (or $DDPM_TORCH_PYTHON)
// has torch, and says in one line why it is skipped otherwise. Imported by bench/bench.mjs.
//
// OpenBLAS picks its kernels from the CPU at load time; OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) override that,
// so both are removed from the child's environment (only the child's). The child reports the kernel family it got
// (openblas_get_corename). OpenBLAS 0.3.21 (Debian 12) does not know every newer CPU and then falls back to a
// generic SSE3 family ("Prescott"); when that happens on a CPU with AVX-512, the peer is timed a second
// time with OPENBLAS_CORETYPE=SkylakeX, and the faster of the two is the peer the ratios use (both are printed).
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const AVX512_CORES = ['SkylakeX', 'Cooperlake', 'SapphireRapids'];

function childEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  if (!('OPENBLAS_CORETYPE' in extra)) delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  env.OMP_NUM_THREADS = '1';
  return env;
}

function cpuHasAvx512() {
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** Why the peer cannot run here, or null. */
export function torchUnavailable(python) {
  if (!existsSync(python)) return `${python} not found`;
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', env: childEnv() });
  if (r.status !== 0) return `${python} has no torch (${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 120)})`;
  if (!existsSync(join(here, '..', 'python', 'ddpm_torch.py'))) {
    return 'python/ddpm_torch.py (the model in PyTorch) is not in this checkout';
  }
  return null;
}

/**
 * The peer as a server (torch-peer.py --serve): the models built and warmed once, then one timing per request, so
 * bench.mjs can time ours and PyTorch turn by turn. `coretype`: OPENBLAS_CORETYPE for the child (undefined: unset).
 * Resolves to { train(B, reps, inner) -> ms, sample(steps) -> seconds (scaled to sampleT), close() }.
 */
export async function startTorchServer({
  log, model, data, T, batches, lr, sampleT, sampleSteps = 20, samplePoints = 0, stat = 'median', coretype,
}) {
  const python = process.env.DDPM_TORCH_PYTHON ?? '/usr/bin/python3';
  const dir = mkdtempSync(join(tmpdir(), 'ddpm-torch-serve-'));
  writeFileSync(join(dir, 'data.f32'), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(join(dir, 'cfg.json'),
    JSON.stringify({ data: join(dir, 'data.f32'), model, T, batches, lr, threads: 1, stat, samplePoints, sampleT, sampleSteps }));
  const child = spawn(python, [join(here, 'torch-peer.py'), join(dir, 'cfg.json'), '--serve'],
    { env: childEnv(coretype ? { OPENBLAS_CORETYPE: coretype } : {}), stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.on('data', (b) => { for (const line of String(b).trim().split('\n')) if (line) log(`  ${line}`); });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('torch peer server ended early');
    return JSON.parse(value);
  };
  const ask = async (req) => {
    child.stdin.write(JSON.stringify(req) + '\n');
    return next();
  };
  const ready = await next();
  if (!ready.ready) throw new Error('torch peer server did not start');
  return {
    blas: ready.blas,
    train: async (B, reps = 3, inner = 1, warm = 1) => (await ask({ train: B, reps, inner, warm })).ms,
    sample: async (steps) => (await ask({ sample: steps })).seconds,
    close: () => {
      child.stdin.end(JSON.stringify({ quit: true }) + '\n');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Time the PyTorch step at `batches` (and sampling 10,000 points at sampleT over sampleSteps steps, scaled) with one
 * torch thread. Returns { skipped } or the child's JSON plus `alternative` (the SkylakeX run, when made).
 */
export function runTorchPeer({ log, model, data, T, batches, lr, sampleT, sampleSteps, samplePoints = 10000, stat = 'median' }) {
  const python = process.env.DDPM_TORCH_PYTHON ?? '/usr/bin/python3';
  const why = torchUnavailable(python);
  if (why) {
    log(`PyTorch peer skipped: ${why}`);
    return { skipped: why };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ddpm-torch-peer-'));
  try {
    writeFileSync(join(dir, 'data.f32'), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const run = (cfg, env) => {
      writeFileSync(join(dir, 'cfg.json'),
        JSON.stringify({ data: join(dir, 'data.f32'), model, T, batches, lr, threads: 1, stat, ...cfg }));
      const r = spawnSync(python, [join(here, 'torch-peer.py'), join(dir, 'cfg.json')],
        { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
      for (const line of r.stderr.trim().split('\n')) if (line) log(`  ${line}`);
      if (r.status !== 0) throw new Error(`torch peer failed (exit ${r.status})`);
      return JSON.parse(r.stdout.trim().split('\n').pop());
    };
    const main = run({ samplePoints, sampleT, sampleSteps }, childEnv());
    main.env = 'OPENBLAS_CORETYPE unset';
    const core = main.blas?.openblasCore;
    if (core && !AVX512_CORES.includes(core) && cpuHasAvx512()) {
      log(`  OpenBLAS chose "${core}" on this AVX-512 CPU (${cpus()[0]?.model}); timing the step again with OPENBLAS_CORETYPE=SkylakeX`);
      main.alternative = run({ samplePoints, sampleT, sampleSteps }, childEnv({ OPENBLAS_CORETYPE: 'SkylakeX' }));
      main.alternative.env = 'OPENBLAS_CORETYPE=SkylakeX';
    }
    return main;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
