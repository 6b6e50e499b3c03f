/**
 * The README's JavaScript runs as written, against the built package (dist/), so the front page cannot drift from the
 * API. Each ```js block becomes a module in test-results/readme/ (inside the repository, so bare imports such as
 * @assemblyscript/loader resolve from its node_modules), with two changes made visible here:
 * - `'ddpm-wasm'` and `'ddpm-wasm/<subpath>'` point at the files package.json's `exports` names, as they would for
 *   an application that installed the package;
 * - every `steps: N` is cut to at most STEPS, so a block that trains 3000 steps trains a few dozen (the calls, the
 *   options and the shapes of the results are what is tested, not the model's quality).
 * The Worker block runs in Node against an in-process Worker: the real worker host (serveDiffusionWorker from
 * dist/index.js) behind postMessage with structured clones and transfer lists, as test/api/worker.test.ts does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const STEPS = 40;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const work = join(root, 'test-results/readme');

/** The file package.json's `exports` gives for a subpath ('.' or './lab', ...), as a file URL. */
function exported(sub: string): string {
  const exp = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports as Record<string, string | { default: string }>;
  const target = exp[sub];
  if (!target) throw new Error(`package.json exports has no "${sub}"`);
  return pathToFileURL(join(root, typeof target === 'string' ? target : target.default)).href;
}

function rewrite(code: string): string {
  return code
    .replace(/(['"])ddpm-wasm(\/[^'"]*)?\1/g, (_m, q: string, sub?: string) => `${q}${exported(sub ? `.${sub}` : '.')}${q}`)
    .replace(/\bsteps: (\d+)/g, (_m, n: string) => `steps: ${Math.min(Number(n), STEPS)}`);
}

/** globalThis.Worker for Node: the worker's side runs in this process, each message cloned and transferred on a later task. */
const workerShim = `
import { serveDiffusionWorker } from ${JSON.stringify(exported('.'))};
globalThis.Worker = class {
  constructor() {
    this.onmessage = null;
    this.onerror = null;
    const deliver = (to, m, transfer = []) => { const copy = structuredClone(m, { transfer }); setTimeout(() => to()?.({ data: copy })); };
    const scope = { onmessage: null, navigator: { hardwareConcurrency: 2 }, postMessage: (m, t) => deliver(() => this.onmessage, m, t) };
    this.postMessage = (m, t) => deliver(() => scope.onmessage, m, t);
    this.terminate = () => {};
    serveDiffusionWorker(scope);
  }
};
`;

describe('the README', () => {
  it('has JavaScript examples for the library, the Worker and the raw module', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.some((b) => b.includes('createDiffusion'))).toBe(true);
    expect(blocks.some((b) => b.includes('DiffusionWorker'))).toBe(true);
    expect(blocks.some((b) => b.includes('@assemblyscript/loader'))).toBe(true);
  });

  it.each(blocks.map((b, i) => [i + 1, b.split('\n').find((l) => l.includes('import')) ?? '', b] as const))(
    'block %i (%s) runs against dist/',
    (i, _first, block) => {
      expect(existsSync(join(root, 'dist/index.js')), 'dist/ is built (npm run build)').toBe(true);
      mkdirSync(work, { recursive: true });
      const file = join(work, `block-${i}.mjs`);
      const shim = join(work, 'worker-shim.mjs');
      writeFileSync(shim, workerShim);
      const uses = block.includes('DiffusionWorker') ? `import ${JSON.stringify(pathToFileURL(shim).href)};\n` : '';
      writeFileSync(file, uses + rewrite(block));
      const r = spawnSync(process.execPath, [file], { cwd: work, encoding: 'utf8', timeout: 110_000 });
      expect(r.status, `${file}:\n${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim(), 'each block prints what it computed').not.toBe('');
    },
    120_000,
  );
});
