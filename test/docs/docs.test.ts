/**
 * The front door and its docs hold together: README.md fits in 150 lines and shows a picture; every picture and
 * page that README.md, BENCH.md and docs/*.md link to exists (relative links, resolved from the linking file);
 * every picture is small enough to commit (under 300 KB) and redrawn by docs/images.mjs (npm run docs:images);
 * each docs page opens with the command that regenerates what it shows.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const pages = ['README.md', 'BENCH.md', ...docs];
const read = (f: string) => readFileSync(join(root, f), 'utf8');

/** Relative link targets of a Markdown file (images and pages), without #anchors, resolved against the repository root. */
function links(file: string): { target: string; image: boolean }[] {
  const out: { target: string; image: boolean }[] = [];
  for (const m of read(file).matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)) {
    const href = m[2].split('#')[0];
    if (!href || /^[a-z]+:/i.test(href)) continue;
    out.push({ target: relative(root, join(root, dirname(file), href)), image: m[1] === '!' });
  }
  return out;
}

describe('README.md and docs/', () => {
  it('README.md is at most 150 lines and shows at least one picture', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(150);
    expect(links('README.md').filter((l) => l.image).length).toBeGreaterThan(0);
  });

  it('every picture and page they link to exists', () => {
    const missing = pages.flatMap((f) => links(f).filter((l) => !existsSync(join(root, l.target)))
      .map((l) => `${l.target} (linked from ${f})`));
    expect(missing).toEqual([]);
  });

  it('every picture is a PNG under 300 KB that docs/images.mjs draws, and every PNG in docs/images is shown somewhere', () => {
    const script = read('docs/images.mjs');
    const shown = new Set(pages.flatMap((f) => links(f).filter((l) => l.image).map((l) => l.target)));
    for (const target of shown) {
      expect(target, 'pictures live in docs/images').toMatch(/^docs\/images\/[\w-]+\.png$/);
      const name = /([\w-]+)\.png$/.exec(target)![1];
      expect(script, `docs/images.mjs draws ${name}`).toContain(`'${name}'`);
      const bytes = readFileSync(join(root, target));
      expect([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), `${target} is a PNG`).toBe('PNG');
      expect(statSync(join(root, target)).size, target).toBeLessThan(300 * 1024);
    }
    const files = readdirSync(join(root, 'docs/images')).map((f) => `docs/images/${f}`);
    expect(files.filter((f) => !shown.has(f)), 'pictures no page shows').toEqual([]);
  });

  it('each docs page opens with the command that regenerates its figures', () => {
    for (const f of docs) {
      const lines = read(f).split('\n');
      expect(lines[0], f).toMatch(/^# /);
      // The first thing under the title: a ```sh block, or an indented code block.
      const first = lines.slice(1).find((l) => l.trim() !== '') ?? '';
      expect(first === '```sh' || /^ {4}\S/.test(first), `${f}: a command right under the title, got "${first}"`).toBe(true);
    }
  });

  it('the README opens with the two commands, and docs:images is an npm script', () => {
    const block = /```sh\n([\s\S]*?)```/.exec(read('README.md'))![1].split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());
    expect(block.slice(0, 2)).toEqual(['npm ci && node dist/cli.js train', 'sh test/setup-system.sh && npm ci && npm test']);
    expect(JSON.parse(read('package.json')).scripts['docs:images']).toBe('node docs/images.mjs');
  });
});
