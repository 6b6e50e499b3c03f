/**
 * The package as a user installs it: `npm pack`, installed into a fresh project, both entry points imported by name
 * ('ddpm-wasm' and 'ddpm-wasm/lab'), a short training and two samplers. And the root's surface: the values an
 * application needs, each documented (TSDoc on its declaration), nothing else.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
// Node's own npm: node_modules/.bin on the test's PATH holds an old npm that a dev dependency brings.
const npm = [join(dirname(process.execPath), 'npm'), process.env.npm_execpath].find((p) => p && existsSync(p)) ?? 'npm';
const ROOT_VALUES = [
  'DATASETS', 'Diffusion', 'DiffusionWorker', 'FormatError', 'SAMPLERS', 'SCHEDULES', 'UsageError', 'VERSION',
  'createDiffusion', 'getDataset', 'makeSchedule', 'parseCsv', 'serveDiffusionWorker', 'simdSupported', 'toCsv',
];

describe('the package root', () => {
  it('exports exactly the application values', async () => {
    const lib = await import('../../src/index');
    expect(Object.keys(lib).sort()).toEqual([...ROOT_VALUES].sort());
  });

  it('documents every export, values and types (TSDoc on the declaration)', () => {
    const file = join(root, 'src/index.ts');
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true, noEmit: true,
    });
    const checker = program.getTypeChecker();
    const mod = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    const exports = checker.getExportsOfModule(mod);
    expect(exports.length).toBeGreaterThan(ROOT_VALUES.length);
    const undocumented = exports.filter((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === '';
    }).map((s) => s.name);
    expect(undocumented).toEqual([]);
  });
});

describe('npm pack, installed into a fresh project', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddpm-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves ddpm-wasm and ddpm-wasm/lab, trains 50 steps and samples with two samplers', () => {
    // dist/ is built (the suite builds it first); --ignore-scripts keeps pack from rebuilding it.
    execFileSync(npm, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    // The dependencies come from npm's cache, filled by the repository's own `npm ci`.
    execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--silent', join(dir, tgz)],
      { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
    writeFileSync(join(app, 'main.mjs'), `
      import { createDiffusion, SAMPLERS } from 'ddpm-wasm';
      import { Engine, classifierTwoSampleTest } from 'ddpm-wasm/lab';
      const d = await createDiffusion({ dataset: 'moons', nData: 500, T: 20, steps: 50, batch: 32, threads: 1, ` +
      `model: { width: 16, depth: 1, embedSize: 8 } });
      await d.train();
      const a = d.sample(200).points, b = d.sample(200, { sampler: 'ddim', steps: 5 }).points;
      const finite = [...a.data, ...b.data].every(Number.isFinite);
      console.log(JSON.stringify({ step: d.step, n: [a.n, b.n], finite, samplers: SAMPLERS.length, ` +
      `same: d.engine instanceof Engine, t: typeof classifierTwoSampleTest }));
      d.close();
    `);
    const out = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' }));
    expect(out).toEqual({ step: 50, n: [200, 200], finite: true, samplers: out.samplers, same: true, t: 'function' });
    expect(out.samplers).toBeGreaterThanOrEqual(3);
  }, 240_000);
});
