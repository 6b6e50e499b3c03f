/**
 * The tree's architecture, checked: src/ folders are layers (src/README.md), imports point one way (a module
 * imports only from its own folder or from lower layers), no import cycles anywhere in src/, and the page
 * (web/) uses only the layers it is allowed to. Imports are read as text, `import type` included: a type-only
 * arrow upward is still an arrow a reader follows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const LAYERS = ['util', 'schedule', 'data', 'engine', 'diffusion', 'io', 'api', 'eval', 'index.ts', 'report', 'lab', 'cli'];
const WEB_MAY_IMPORT = new Set(['util', 'schedule', 'data', 'engine', 'diffusion', 'api', 'eval', 'report', 'index.ts']);

const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
  const p = join(d, f);
  return statSync(p).isDirectory() ? walk(p) : [p];
});
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]|import\s+['"](\.[^'"]+)['"]/g;

/** Relative imports of every .ts file under `dirs`, resolved to repository paths (non-TS targets dropped). */
function graph(dirs: string[]): Map<string, string[]> {
  const files = dirs.flatMap((d) => walk(join(root, d))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const known = new Set(files.map((f) => relative(root, f)));
  const g = new Map<string, string[]>();
  for (const f of files) {
    const from = relative(root, f), out: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const base = normalize(join(dirname(from), m[1] ?? m[2] ?? m[3]));
      const hit = [base, `${base}.ts`, join(base, 'index.ts')].find((c) => known.has(c));
      if (hit) out.push(hit);
    }
    g.set(from, out);
  }
  return g;
}

/** src/<layer>/... -> the layer's name; src/index.ts -> 'index.ts'. */
const layerOf = (p: string) => p.split('/')[1];

/** Strongly connected components with more than one file (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let n = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(),
    out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, n); low.set(v, n++); stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('layout: src/ in layers', () => {
  const g = graph(['src']);

  it('every file of src/ sits in a known layer (or is src/index.ts)', () => {
    const unknown = [...g.keys()].filter((f) => !LAYERS.includes(layerOf(f)));
    expect(unknown).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('imports point one way: from a layer to itself or a lower one', () => {
    const upward: string[] = [];
    for (const [from, tos] of g) for (const to of tos) {
      if (LAYERS.indexOf(layerOf(to)) > LAYERS.indexOf(layerOf(from))) upward.push(`${from} -> ${to}`);
    }
    expect(upward).toEqual([]);
  });

  it('the checker sees an upward import and a cycle when there is one', () => {
    const bad = new Map([['src/engine/a.ts', ['src/lab/b.ts']], ['src/lab/b.ts', ['src/engine/a.ts']]]);
    expect(cycles(bad)).toEqual([['src/engine/a.ts', 'src/lab/b.ts']]);
    expect(LAYERS.indexOf(layerOf('src/lab/b.ts'))).toBeGreaterThan(LAYERS.indexOf(layerOf('src/engine/a.ts')));
  });

  it('the page imports only the library layers (never cli/ or lab/)', () => {
    const w = graph(['web', 'src']);
    const bad: string[] = [];
    for (const [from, tos] of w) if (from.startsWith('web/')) for (const to of tos) {
      if (to.startsWith('src/') && !WEB_MAY_IMPORT.has(layerOf(to))) bad.push(`${from} -> ${to}`);
    }
    expect(bad).toEqual([]);
  });

  it('every folder of src/ opens with a README saying what it holds', () => {
    const dirs = readdirSync(join(root, 'src')).filter((d) => statSync(join(root, 'src', d)).isDirectory());
    const missing = dirs.filter((d) => {
      try { return readFileSync(join(root, 'src', d, 'README.md'), 'utf8').length < 80; } catch { return true; }
    });
    expect(missing).toEqual([]);
    expect(dirs.sort()).toEqual(LAYERS.filter((l) => l !== 'index.ts').sort());
  });
});
