/**
 * No rot: every repository path that a comment or a Markdown file names exists. Two kinds of names are checked:
 * - rooted paths (src/..., assembly/..., test/..., web/..., bench/..., python/..., docs/...): the file or folder
 *   must exist at that place;
 * - bare source names (bound.ts, engine/wasm.ts, torch-peer.py): some file of the repository must end with that
 *   name, at a folder boundary.
 * Where: the comments of the code under those folders (// and block comments, # lines and Python docstrings,
 * <!-- --> in HTML) and the whole text of every .md file, README.md and BENCH.md included. Strings in code are not
 * checked: a test that opens a missing file fails on its own.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const TOPS = ['src', 'assembly', 'test', 'web', 'bench', 'python', 'docs'];
const CODE = /\.(ts|mjs|js|py|html|sh)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(relative(root, p));
  }
  return out;
}
const files = [...TOPS.filter((t) => existsSync(join(root, t))).flatMap((t) => walk(join(root, t))),
  ...readdirSync(root).filter((f) => f.endsWith('.md'))];

/** The text of a file that names paths: a Markdown file whole, a code file's comments only. */
export function commentText(file: string, text: string): string {
  if (file.endsWith('.md')) return text;
  const out: string[] = [];
  if (file.endsWith('.html')) for (const m of text.matchAll(/<!--([\s\S]*?)-->/g)) out.push(m[1]);
  if (/\.(py|sh)$/.test(file)) {
    for (const line of text.split('\n')) {
      const m = /(?:^|\s)#(.*)$/.exec(line);
      if (m) out.push(m[1]);
    }
    if (file.endsWith('.py')) for (const m of text.matchAll(/"""([\s\S]*?)"""/g)) out.push(m[1]);
    return out.join('\n');
  }
  for (const m of text.matchAll(/\/\*([\s\S]*?)\*\//g)) out.push(m[1]);
  for (const line of text.split('\n')) {
    const m = /(?:^|\s)\/\/(.*)$/.exec(line);
    if (m) out.push(m[1]);
  }
  return out.join('\n');
}

const ROOTED = new RegExp(String.raw`(?<![\w./@-])((?:${TOPS.join('|')})/[\w./-]*)`, 'g');
const BARE = /(?<![\w./@-])((?:[\w-]+\/)*[\w-]+\.(?:ts|mjs|py))(?![\w/-])/g;
const allFiles = files.map((f) => `/${f}`);

/** The paths `text` names that do not exist: [path, how it was read]. */
export function stalePaths(text: string): string[] {
  const bad: string[] = [];
  for (const m of text.matchAll(ROOTED)) {
    const p = m[1].replace(/[.,:;]+$/, '');
    if (!existsSync(join(root, p))) bad.push(p);
  }
  for (const m of text.matchAll(BARE)) {
    const p = m[1];
    if (TOPS.some((t) => p.startsWith(`${t}/`))) continue; // rooted: checked above
    if (!allFiles.some((f) => f.endsWith(`/${p}`))) bad.push(p);
  }
  return bad;
}

describe('paths named in comments and docs', () => {
  it('the check finds a missing path of each kind, and only those', () => {
    const gone = (name: string) => `src/${name}.ts`; // built, so that this file's own text names no missing path
    expect(stalePaths(`see src/api/diffusion.ts and docs/math.md, ${'nowhere'}-at-all.ts and engine/wasm.ts`))
      .toEqual(['nowhere-at-all.ts']);
    expect(stalePaths(`moved: ${gone('a')}, test/${'none'}/`)).toEqual([gone('a'), 'test/none/']);
    expect(stalePaths('a URL https://github.com/x/y/src/a.ts and dist/cli.js are not ours')).toEqual([]);
    const code = `const s = '${gone('a')}'; // names ${gone('b')}\n/* and ${gone('c')} */`;
    expect(stalePaths(commentText('a.ts', code))).toEqual([gone('c'), gone('b')]);
    expect(stalePaths(commentText('a.py', `x = '${gone('a')}'  # ${gone('b')}\n"""${gone('c')}"""`))).toEqual([gone('b'), gone('c')]);
  });

  it('every repository path named in a comment or a .md file exists', () => {
    const stale: string[] = [];
    for (const f of files) {
      if (!CODE.test(f) && !f.endsWith('.md')) continue;
      for (const p of stalePaths(commentText(f, readFileSync(join(root, f), 'utf8')))) stale.push(`${p}  (named in ${f})`);
    }
    expect(stale).toEqual([]);
  });
});
