import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors';
import { expectCleanError } from './run-cli';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'ddpm-cli-'));
/** Small and fast: what the end-to-end tests train. */
const SMALL = ['--width', '32', '--embed', '16', '--depth', '2', '--T', '20', '--batch', '64', '--n-data', '2000', '--samples', '300',
  '-q'];


describe('cli: help and version', () => {
  it('--version prints the package version', () => {
    const r = run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });
  it.each(['train', 'sample', 'data', 'eval'])('%s --help lists its options', (cmd) => {
    const r = run([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`usage: node dist/cli.js ${cmd}`);
    expect(r.out).toContain('--help');
  });
  it('no command prints the command list', () => {
    const r = run([]);
    expect(r.code).toBe(0);
    for (const c of ['train', 'sample', 'data', 'eval']) expect(r.out).toContain(c);
  });
});

describe('cli: bad input gets one line, a non-zero exit and no partial output', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
  });
  it('unknown command and unknown flag', () => {
    expectCleanError(run(['fly']), /unknown command "fly"/);
    expectCleanError(run(['train', '--bogus', '3']), /--bogus/);
  });
  it('unknown data set', () =>
    expectCleanError(run(['train', '--dataset', 'spirals9', '--out', join(dir, 'x')]), /unknown data set "spirals9"/));
  it('numeric flags out of range or not numbers', () => {
    expectCleanError(run(['train', '--T', '0']), /--T must be an integer in \[1, 100000\], got 0/);
    expectCleanError(run(['train', '--steps', 'many']), /--steps expects a number, got "many"/);
    expectCleanError(run(['train', '--lr', '-1']), /--lr must be a number in \(0, 10\], got -1/);
    expectCleanError(run(['train', '--batch', '0']), /--batch must be an integer/);
    expectCleanError(run(['data', '--dataset', 'moons', '--n', '1.5']), /--n must be an integer/);
  });
  it('a beta outside (0, 1)', () => {
    expectCleanError(run(['train', '--beta-end', '1.5']), /beta-end must be in \(0, 1\), got 1.5/);
    expectCleanError(run(['train', '--beta-start', '0']), /beta-start must be in \(0, 1\), got 0/);
  });
  it('CSV files: non-numeric cell, empty, NaN and Inf', () => {
    const f = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    expectCleanError(run(['train', '--dataset', f('bad.csv', 'x,y\n1,2\n3,abc\n')]), /abc/);
    expectCleanError(run(['train', '--dataset', f('empty.csv', '')]), /empty/i);
    expectCleanError(run(['train', '--dataset', f('nan.csv', 'x,y\n1,2\nNaN,3\n')]), /NaN/);
    expectCleanError(run(['train', '--dataset', f('inf.csv', 'x,y\n1,2\n3,Infinity\n')]), /Infinity/);
    expectCleanError(run(['train', '--dataset', join(dir, 'missing.csv')]), /missing\.csv.*no such file/);
  });
  it('missing, truncated and foreign checkpoints; the output file is not created or touched', () => {
    const out = join(dir, 'out.csv');
    expectCleanError(run(['sample', '--model', join(dir, 'nope.safetensors'), '--out', out]), /no such file/);
    expect(existsSync(out)).toBe(false);
    writeFileSync(join(dir, 'foreign.safetensors'), 'this is not a checkpoint at all');
    expectCleanError(run(['sample', '--model', join(dir, 'foreign.safetensors'), '--out', out]), /foreign\.safetensors/);
    writeFileSync(out, 'keep me');
    const r = run(['train', ...SMALL, '--steps', '20', '--out', join(dir, 'm')]);
    expect(r.code, r.err).toBe(0);
    const model = readFileSync(join(dir, 'm', 'model.safetensors'));
    writeFileSync(join(dir, 'trunc.safetensors'), model.subarray(0, model.length - 100));
    expectCleanError(run(['sample', '--model', join(dir, 'trunc.safetensors'), '--out', out]), /trunc\.safetensors/);
    const flipped = Buffer.from(model);
    flipped[flipped.length - 5] ^= 0xff;
    writeFileSync(join(dir, 'flip.safetensors'), flipped);
    expectCleanError(run(['sample', '--model', join(dir, 'flip.safetensors'), '--out', out]), /checksum/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });
});

describe('cli: end to end', () => {
  it('train writes model, checkpoint, loss, samples and report; sample and eval read them', () => {
    const dir = tmp();
    const r = run(['train', '--dataset', 'moons', ...SMALL, '--steps', '300', '--out', dir, '--json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out);
    for (const f of ['model.safetensors', 'checkpoint.safetensors', 'loss.csv', 'samples.csv', 'report.html'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    expect(res.steps).toBe(300);
    expect(readFileSync(join(dir, 'loss.csv'), 'utf8').trim().split('\n')).toHaveLength(301);
    const samples = readFileSync(join(dir, 'samples.csv'), 'utf8').trim().split('\n');
    expect(samples[0]).toBe('x,y');
    expect(samples).toHaveLength(301);
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(tensors['inp.weight'].shape).toEqual([32, 16 * 3]);
    expect(tensors['out.weight'].shape).toEqual([2, 32]);
    expect(JSON.parse(metadata.config).dataset).toBe('moons');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="?https?:/);

    const s = run(['sample', '--model', join(dir, 'model.safetensors'), '--n', '1234', '--seed', '3', '--out', join(dir, 's.csv')]);
    expect(s.code, s.err).toBe(0);
    const lines = readFileSync(join(dir, 's.csv'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1235);
    const s2 = run(['sample', '--model', join(dir, 'model.safetensors'), '--n', '1234', '--seed', '3']);
    expect(s2.out.trim().split('\n')).toEqual(lines);

    const d = run(['data', '--dataset', 'moons', '--n', '1200', '--seed', '9', '--out', join(dir, 'd.csv')]);
    expect(d.code, d.err).toBe(0);
    const e = run(['eval', '--samples', join(dir, 's.csv'), '--data', join(dir, 'd.csv'), '--draws', '2', '--size', '200', '--json']);
    expect(e.code, e.err).toBe(0);
    const rep = JSON.parse(e.out);
    expect(rep.size).toBe(200);
    expect(rep.metrics.map((m: { name: string }) => m.name)).toEqual(['w2', 'sw2', 'energy', 'mmd2']);
  });

  it('--fma trains on the relaxed-SIMD build, says so, repeats itself, and the model and --resume keep it', () => {
    const a = tmp(), b = tmp(), plain = tmp();
    const args = ['train', ...SMALL.filter((x) => x !== '-q'), '--steps', '150', '--seed', '4', '--fma'];
    const r = run([...args, '--out', a]);
    expect(r.code, r.err).toBe(0);
    // Node 20 gets relaxed SIMD from a V8 flag set at run time (src/engine/wasm.ts): this runtime has it.
    expect(r.err).toMatch(/engine: 2 threads, relaxed-SIMD \(FMA\) build/);
    expect(run([...args, '-q', '--out', b]).code).toBe(0);
    expect(run(['train', ...SMALL, '--steps', '150', '--seed', '4', '--out', plain]).code).toBe(0);
    const model = (d: string) => readFileSync(join(d, 'model.safetensors'));
    expect(model(a).equals(model(b))).toBe(true); // the same machine repeats the FMA build bit for bit
    expect(model(a).equals(model(plain))).toBe(false); // and its rounding is not the default build's
    expect(JSON.parse(decodeSafetensors(new Uint8Array(model(a))).metadata.config).fma).toBe(true);
    expect(JSON.parse(decodeSafetensors(new Uint8Array(model(plain))).metadata.config).fma).toBeUndefined();
    // --resume of a finished run trains nothing more, and reports the build the checkpoint asks for.
    const res = run(['train', '--resume', a, '--steps', '200', '--samples', '10']);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toMatch(/relaxed-SIMD \(FMA\) build/);
    const s = run(['sample', '--model', join(a, 'model.safetensors'), '--n', '50', '--fma']);
    expect(s.code, s.err).toBe(0);
    expect(s.out.trim().split('\n')).toHaveLength(51);
  });

  it('train is reproducible: the same seed gives byte-identical model files', () => {
    const a = tmp(), b = tmp();
    for (const dir of [a, b]) expect(run(['train', ...SMALL, '--steps', '150', '--seed', '4', '--out', dir]).code).toBe(0);
    expect(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors')))).toBe(true);
    expect(readFileSync(join(a, 'samples.csv'), 'utf8')).toBe(readFileSync(join(b, 'samples.csv'), 'utf8'));
  });
});
