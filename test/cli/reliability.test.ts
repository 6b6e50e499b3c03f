/**
 * Reliability under hostile conditions:
 *  - `kill -9` at random steps, then `train --resume`: the run ends byte-identical to an uninterrupted one;
 *  - SIGINT, SIGTERM or SIGHUP mid-run: `train` writes a checkpoint, says where and how to resume, exits 128 + the
 *    signal's number, and `--resume` then ends byte-identical; a study ends at once with that status and no output;
 *  - a writer SIGKILLed at random instants while saving checkpoints in a loop never leaves a corrupt file
 *    in place (and a plain non-atomic writer, killed the same way, does: the check has teeth);
 *  - divergence (NaN/Inf in the loss, gradient or weights) stops training with one line naming the step and
 *    a remedy, exit 2, and the last checkpoint on disk holds finite weights and still loads.
 * Random instants come from a seed printed at the start (RELIABILITY_SEED=... reproduces a run's choices).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { decodeCheckpoint } from '../../src/io/checkpoint';
import { decodeSafetensors } from '../../src/io/safetensors';
import { Diffusion } from '../../src/api/diffusion';
import { FormatError } from '../../src/util/errors';
import { writeFileAtomic } from '../../src/cli/fsutil';
import { Rng } from '../../src/util/rng';
import { DivergenceError } from '../../src/diffusion/train';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'ddpm-rel-'));
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1e9);
const rng = new Rng(SEED);
console.log(`reliability: RELIABILITY_SEED=${SEED}`);

const SMALL = ['--width', '32', '--embed', '16', '--depth', '2', '--T', '20', '--batch', '64', '--samples', '200'];
const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => c.on('exit', (code, signal) => r({ code, signal })));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Which of a training run's outputs differ, byte for byte, between two output directories. */
const differing = (a: string, b: string) =>
  ['model.safetensors', 'checkpoint.safetensors', 'loss.csv', 'samples.csv']
    .filter((f) => !readFileSync(join(a, f)).equals(readFileSync(join(b, f))));

function allFinite(bytes: Uint8Array): boolean {
  const ck = decodeCheckpoint(bytes, 'ck');
  return Object.entries(ck.tensors).every(([, t]) => !(t.data instanceof Float32Array) || t.data.every((v) => Number.isFinite(v)));
}

describe('kill -9 at random steps, then --resume', () => {
  /**
   * Start `train` (fresh, or resuming `dir`) and SIGKILL it at a random instant: once its checkpoint reaches a random
   * target step, plus a random fraction of a checkpoint interval. Returns the step of the checkpoint left on disk,
   * or null if the run finished first.
   */
  async function killAtRandom(args: string[], dir: string, resume: boolean, lo: number, hi: number): Promise<number | null> {
    const target = lo + Math.floor(rng.uniform() * (hi - lo));
    const child = spawn(process.execPath, [cli, ...(resume ? ['train', '--resume', dir, '--samples', '200'] : [...args, '--out', dir])],
      { cwd: root, stdio: 'ignore' });
    const done = exited(child);
    const ck = join(dir, 'checkpoint.safetensors');
    const stepOnDisk = () => {
      try {
        return decodeCheckpoint(new Uint8Array(readFileSync(ck)), 'ck').step;
      } catch {
        return -1; // not written yet (a torn read is impossible: writes are renames)
      }
    };
    const t0 = Date.now();
    while (stepOnDisk() < target && child.exitCode === null && Date.now() - t0 < 60_000) await sleep(2);
    await sleep(rng.uniform() * 40);
    child.kill('SIGKILL');
    if ((await done).signal !== 'SIGKILL') return null;
    return stepOnDisk();
  }

  // streamed: every batch drawn fresh from the generator (issue 11), so the data depend on the step being resumed at
  for (const [what, data, steps] of [['a finite training set', ['--n-data', '2000'], 6000],
    ['streamed training data', ['--n-data', 'stream'], 4000]] as const) {
  it(`${what}: ends byte-identical to an uninterrupted run (model, checkpoint, loss history, samples)`, async () => {
    const every = 100;
    const args = ['train', ...SMALL, ...data, '--steps', String(steps), '--seed', '7', '--checkpoint-every', String(every)];
    const full = tmp();
    expect(run([...args, '-q', '--out', full]).code).toBe(0);
    const killedAt: number[][] = [];
    // Round 0: one kill. Round 1: a kill, then a kill of the resumed run.
    for (let round = 0; round < 2; round++) {
      const cut = tmp();
      const kills: number[] = [];
      for (let k = 0; k <= round; k++) {
        const from = kills.length ? kills[kills.length - 1] : 0;
        const step = await killAtRandom(args, cut, k > 0, from + every, from + (steps - from) / 2);
        if (step === null) break; // the run finished before the kill: still must match below
        expect(step % every).toBe(0);
        kills.push(step);
      }
      killedAt.push(kills);
      // A kill can land after the last step, while the outputs are written (a starved poller on a loaded machine): the
      // resume below must then finish the outputs from the last checkpoint, and match all the same.
      if (kills.length && existsSync(join(cut, 'model.safetensors')))
        console.log(`${what}: a kill at checkpoint step ${kills[kills.length - 1]} landed after training, in the outputs`);
      const r = run(['train', '--resume', cut, '--samples', '200', '-q']); // output options are not part of the checkpoint
      if (kills.length) expect(r.code, r.err).toBe(0);
      const differ = differing(cut, full);
      if (differ.includes('checkpoint.safetensors')) {
        const a = decodeSafetensors(new Uint8Array(readFileSync(join(full, 'checkpoint.safetensors'))));
        const b = decodeSafetensors(new Uint8Array(readFileSync(join(cut, 'checkpoint.safetensors'))));
        differ.push(...Object.keys(a.tensors)
          .filter((k) => !Buffer.from(a.tensors[k].data.buffer).equals(Buffer.from(b.tensors[k]?.data.buffer ?? new ArrayBuffer(0))))
          .map((k) => `tensor ${k}`));
        differ.push(...Object.keys(a.metadata).filter((k) => a.metadata[k] !== b.metadata[k]).map((k) => `metadata ${k}`));
      }
      expect(differ, `after kill -9 at checkpoint steps ${kills} (${cut} vs ${full})`).toEqual([]);
    }
    console.log(`${what}: kill -9 then --resume from checkpoint steps ${JSON.stringify(killedAt)} of ${steps}: byte-identical`);
    expect(killedAt.flat().length).toBeGreaterThanOrEqual(2);
  });
  }
});

describe('SIGINT, SIGTERM and SIGHUP', () => {
  /**
   * Start `args`, send `sig` once its stderr matches `when`; resolves with the exit and the stderr. `hangUp`: close
   * the reading end of its stderr first, as a terminal that went away does (its writes then fail with EPIPE).
   */
  async function signalWhen(args: string[], sig: NodeJS.Signals, when: RegExp, hangUp = false) {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b) => {
      err += String(b);
      if (!when.test(err) || child.killed) return;
      if (hangUp) child.stderr!.destroy();
      child.kill(sig);
    });
    return { ...(await exited(child)), err };
  }

  const STEPS = 1000;
  const args = ['train', ...SMALL, '--n-data', '2000', '--steps', String(STEPS), '--seed', '5', '--checkpoint-every', '300'];
  let full: string | undefined;
  for (const [sig, status, hangUp] of [['SIGTERM', 143, false], ['SIGHUP', 129, true], ['SIGINT', 130, false]] as const) {
    const what = hangUp ? ' (its stderr closed first, as by a terminal that went away)' : '';
    it(`train: ${sig}${what} mid-run writes a checkpoint and exits ${status}; ` +
      '--resume then ends byte-identical to an uninterrupted run', async () => {
      if (!full) {
        full = tmp();
        expect(run([...args, '-q', '--out', full]).code).toBe(0);
      }
      const cut = tmp();
      // The first progress line (stderr is a pipe) comes at step 50: the signal lands after it, mid-run.
      const r = await signalWhen([...args, '--out', cut], sig, /train \d+\/\d+ steps/, hangUp);
      expect(r.signal, r.err).toBeNull();
      expect(r.code, r.err).toBe(status);
      const stoppedAt = decodeCheckpoint(new Uint8Array(readFileSync(join(cut, 'checkpoint.safetensors'))), 'ck').step;
      expect(stoppedAt).toBeGreaterThan(0);
      expect(stoppedAt).toBeLessThan(STEPS);
      const said = r.err.split('\n').filter((l) => l.startsWith('stopped by'));
      const line = `stopped by ${sig} at step ${stoppedAt} of ${STEPS}: checkpoint ${join(cut, 'checkpoint.safetensors')}; ` +
        `resume with: node dist/cli.js train --resume ${cut}`;
      expect(said, r.err).toEqual(hangUp ? [] : [line]);
      const res = run(['train', '--resume', cut, '--samples', '200', '-q']);
      expect(res.code, res.err).toBe(0);
      expect(differing(cut, full), `after ${sig} at step ${stoppedAt} (${cut} vs ${full})`).toEqual([]);
    });
  }

  it('study: SIGTERM ends it at once with the conventional status (143 in a shell), leaving no file in its directory', async () => {
    const out = tmp();
    // Sent while its second model trains, a synchronous stretch of the study (no handler could run before its end).
    const study = ['study', 'tour', '--quick', '--steps', '300', '--datasets', 'moons', '--schedules', 'linear,cosine', '--out', out];
    const r = await signalWhen(study, 'SIGTERM', /now=moons cosine: train/);
    expect(r.signal, r.err).toBe('SIGTERM');
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('a writer killed at random instants', () => {
  /** A child that rewrites `target` in a loop from a list of files, atomically or with plain writeFileSync. */
  function writerScript(dir: string): string {
    const entry = join(dir, 'writer.ts');
    writeFileSync(entry, [
      `import { readFileSync, writeFileSync } from 'node:fs';`,
      `import { writeFileAtomic } from ${JSON.stringify(join(root, 'src/cli/fsutil.ts'))};`,
      `const [target, mode, ...srcs] = process.argv.slice(2);`,
      `const blobs = srcs.map((f) => readFileSync(f));`,
      `process.stdout.write('ready\\n');`,
      `for (let i = 0; ; i++) mode === 'atomic' ? writeFileAtomic(target, blobs[i % blobs.length]) : ` +
        `writeFileSync(target, blobs[i % blobs.length]);`,
    ].join('\n'));
    const out = join(dir, 'writer.mjs');
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
    return out;
  }

  async function killLoop(mode: 'atomic' | 'plain', kills: number, dir: string, script: string, variants: string[]) {
    const target = join(dir, `${mode}.safetensors`);
    writeFileSync(target, readFileSync(variants[0]));
    let corrupt = 0;
    const seen = new Set<number>();
    for (let k = 0; k < kills; k++) {
      const child = spawn(process.execPath, [script, target, mode, ...variants], { stdio: ['ignore', 'pipe', 'inherit'] });
      const done = exited(child);
      await new Promise<void>((r) => child.stdout!.once('data', () => r()));
      await sleep(rng.uniform() * 40);
      child.kill('SIGKILL');
      expect((await done).signal).toBe('SIGKILL');
      try {
        const ck = decodeCheckpoint(new Uint8Array(readFileSync(target)), target);
        seen.add(ck.step);
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        corrupt++;
        writeFileSync(target, readFileSync(variants[0]));
      }
    }
    return { corrupt, seen };
  }

  it('never leaves a corrupt checkpoint in place; stale temporary files are swept by the next write', async () => {
    const dir = tmp();
    // Two real checkpoints of different steps and sizes (~1 MB: each write takes long enough to be hit).
    const m = await Diffusion.create({ threads: 1, dataset: 'moons', nData: 2000, T: 30, batch: 32, steps: 20, seed: 1,
      model: { width: 192, depth: 6, embedSize: 32 } });
    const variants = [join(dir, 'a.safetensors'), join(dir, 'b.safetensors')];
    await m.train({ steps: 5 });
    writeFileSync(variants[0], m.save(true));
    await m.train({ steps: 10 });
    writeFileSync(variants[1], m.save(true));
    const script = writerScript(dir);

    const atomic = await killLoop('atomic', 16, dir, script, variants);
    console.log(`atomic writer: 16 kills, ${atomic.corrupt} corrupt, final file at steps {${[...atomic.seen]}}`);
    expect(atomic.corrupt).toBe(0);
    expect(atomic.seen.size).toBeGreaterThan(0);

    // Killed writers leave temporaries (never the target); the next atomic write removes those of dead processes.
    writeFileAtomic(join(dir, 'atomic.safetensors'), readFileSync(variants[1]));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);

    // Control: the same kills against a plain writeFileSync loop do corrupt the file, so the check above can fail.
    const plain = await killLoop('plain', 6, dir, script, variants);
    console.log(`plain writer (control): 6 kills, ${plain.corrupt} corrupt`);
    expect(plain.corrupt).toBeGreaterThan(0);
  });
});

describe('divergence', () => {
  it('CLI: one line naming the step and a remedy, exit 2; the last checkpoint is finite and loads; ' +
    'resume diverges at the same step', () => {
    const dir = tmp();
    const args = ['train', '--width', '64', '--depth', '8', '--embed', '16', '--activation', 'silu', '--T', '20', '--batch', '64',
      '--n-data', '2000', '--lr', '10', '--clip', '0', '--warmup', '300', '--steps', '2000', '--checkpoint-every', '10', '--out', dir];
    const r = run(args);
    expect(r.code).toBe(2);
    const errLines = r.err.trim().split('\n').filter((l) => l.startsWith('error'));
    expect(errLines).toHaveLength(1);
    const m = errLines[0].match(
      /^error: training diverged at step (\d+): (.+); the checkpoint of step (\d+) is kept; try a lower --lr, a smaller --T, or clipping/);
    expect(m, r.err).not.toBeNull();
    const [divergedAt, kept] = [Number(m![1]), Number(m![3])];
    expect(kept).toBe(Math.floor((divergedAt - 1) / 10) * 10);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);

    const bytes = new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors')));
    expect(decodeCheckpoint(bytes, 'ck').step).toBe(kept);
    expect(allFinite(bytes)).toBe(true);
    const s = run(['sample', '--model', join(dir, 'checkpoint.safetensors'), '--n', '10']);
    expect(s.code, s.err).toBe(0);
    // Deterministic: resuming replays the same steps and diverges at the same one, keeping the same checkpoint.
    const again = run(['train', '--resume', dir, '-q']);
    expect(again.code).toBe(2);
    expect(again.err).toContain(`diverged at step ${divergedAt}:`);
    expect(readFileSync(join(dir, 'checkpoint.safetensors')).equals(Buffer.from(bytes))).toBe(true);
  });

  it('weights that overflow while the loss and gradient are still finite stop the run before any checkpoint of that step', async () => {
    const d = await Diffusion.create({ threads: 1, dataset: 'moons', nData: 500, T: 20, batch: 16, steps: 100, warmup: 0, seed: 3,
      model: { width: 12, depth: 1, embedSize: 8 } });
    const saved: { step: number; bytes: Uint8Array }[] = [];
    const onCheckpoint = (step: number) => void saved.push({ step, bytes: d.save(true) });
    await d.train({ steps: 20, checkpointEvery: 5, onCheckpoint });
    expect(saved.map((s) => s.step)).toEqual([5, 10, 15]);
    // Poison Adam's state of one weight: the next update moves it by ~lr * 1e38 / 1e-8 = Inf, yet the loss and
    // gradient of that step were computed from finite weights.
    const a = d.engine.arena;
    a.slabView('adamM')[0] = 3e38;
    a.slabView('adamV')[0] = 0;
    d.config.lr = 10; // |update| = lr * 3e38 / (sqrt(v) + eps) overflows for any gradient below ~20
    let err: unknown;
    try {
      await d.train({ steps: 40, checkpointEvery: 1, onCheckpoint });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).step).toBe(21);
    expect((err as Error).message)
      .toMatch(/^training diverged at step 21: the weights hold NaN or Inf; nothing was saved from the diverged weights; try a lower --lr/);
    expect(saved.map((s) => s.step)).toEqual([5, 10, 15]); // no checkpoint of step 21 (or later)
    expect(allFinite(saved[saved.length - 1].bytes)).toBe(true);
  });

  it('a model file with NaN weights and a consistent checksum is refused on load', async () => {
    const d = await Diffusion.create({ threads: 1, dataset: 'moons', nData: 200, T: 10, batch: 8, steps: 1, seed: 1,
      model: { width: 8, depth: 1, embedSize: 4 } });
    d.engine.arena.f32('ema', 'out.bias')[1] = NaN;
    expect(() => decodeCheckpoint(d.save(false), 'nan.safetensors')).toThrow(/nan\.safetensors: tensor "out\.bias" holds NaN at index 1/);
  });
});
