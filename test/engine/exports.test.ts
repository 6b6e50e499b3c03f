/**
 * The module's surface is what the host types: every build's function exports are exactly the members of the
 * `Kernels` interface (src/engine/wasm.ts), read from the interface's source with the TypeScript parser so the list
 * in this test cannot drift from the one the engine compiles against. A kernel exported but not typed is dead
 * weight in every build; one typed but not exported fails at the first call. Also the ABI's other half: the only
 * import is the host's memory and the only other export is that memory.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { relaxedSimdSupported } from '../../src/engine/wasm';

const root = new URL('../..', import.meta.url).pathname;

/** The member names of `interface Kernels` in src/engine/wasm.ts. */
function kernelsInterface(): string[] {
  const path = `${root}src/engine/wasm.ts`;
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const decl = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Kernels');
  if (!decl) throw new Error('src/engine/wasm.ts declares no interface Kernels');
  return decl.members.map((m) => {
    if (!m.name || !ts.isIdentifier(m.name)) throw new Error(`a Kernels member without a plain name: ${m.getText(file)}`);
    return m.name.text;
  });
}

const BUILDS = ['ddpm.wasm', 'ddpm.scalar.wasm', 'ddpm.threads.wasm', 'ddpm.relaxed.wasm', 'ddpm.threads-relaxed.wasm'];
const typed = kernelsInterface();
const relaxed = relaxedSimdSupported(); // in Node 20 this also turns on the flag the relaxed builds need

describe('wasm exports == Kernels', () => {
  it('the interface lists each kernel once', () => {
    expect(typed.length).toBeGreaterThan(20);
    expect(new Set(typed).size).toBe(typed.length);
  });

  for (const build of BUILDS) {
    it(`dist/${build}: function exports are exactly the interface's members; imports env.memory only`, async () => {
      if (build.includes('relaxed')) expect(relaxed, 'relaxed SIMD in this Node (needed to compile the FMA builds)').toBe(true);
      const module = await WebAssembly.compile(readFileSync(`${root}dist/${build}`));
      const exports = WebAssembly.Module.exports(module);
      const fns = exports.filter((e) => e.kind === 'function').map((e) => e.name);
      const missing = typed.filter((n) => !fns.includes(n)), untyped = fns.filter((n) => !typed.includes(n));
      expect({ missing, untyped }).toEqual({ missing: [], untyped: [] });
      expect(fns.length).toBe(typed.length);
      expect(exports.filter((e) => e.kind !== 'function')).toEqual([{ name: 'memory', kind: 'memory' }]);
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    });
  }
});
