/**
 * Hostile inputs, property-based (fast-check): the CSV reader, the safetensors reader, the checkpoint
 * decoder (and loading into an engine), CLI argument validation through main(), and run configurations.
 * For every generated input the only acceptable failures are UsageError / FormatError with a one-line
 * message; anything else (TypeError, RangeError, a hang: vitest's timeout) fails. Where an input is
 * well-formed, the result is checked against the generator (an oracle), not just "did not throw".
 * Case counts per family are printed at the end (the closing note quotes them).
 * FC_SEED=... reproduces a run; FC_RUNS scales the case counts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { checksum, decodeCheckpoint, metadataChecksum } from '../../src/io/checkpoint';
import { DEFAULT_RUN, type RunConfig, checkRunConfig } from '../../src/diffusion/config';
import { parseCsv } from '../../src/data/csv';
import { Diffusion } from '../../src/api/diffusion';
import { FormatError, UsageError } from '../../src/util/errors';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const SCALE = Number(process.env.FC_RUNS ?? 1);
const counts = new Map<string, { cases: number; refused: number }>();
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/** Only a one-line UsageError (FormatError is one) is an acceptable refusal. */
function refusedCleanly(e: unknown, family: string): true {
  if (!(e instanceof UsageError)) throw new Error(`${family}: not a UsageError/FormatError: ${(e as Error)?.stack ?? String(e)}`);
  if (e.message.includes('\n') || e.message.length === 0 || e.message.length > 600) {
    throw new Error(`${family}: message not one short line: ${JSON.stringify(e.message)}`);
  }
  return true;
}
function tally(family: string, refused: boolean) {
  const c = counts.get(family) ?? { cases: 0, refused: 0 };
  c.cases++;
  if (refused) c.refused++;
  counts.set(family, c);
}
/** Run f on a generated input: a clean refusal or a result passing `check`. */
function hostile<T, R>(family: string, input: T, f: (x: T) => R, check?: (r: R, x: T) => void): void {
  let r: R;
  try {
    r = f(input);
  } catch (e) {
    refusedCleanly(e, family);
    tally(family, true);
    return;
  }
  check?.(r, input);
  tally(family, false);
}
async function hostileAsync<T, R>(family: string, input: T, f: (x: T) => Promise<R>): Promise<void> {
  try {
    await f(input);
  } catch (e) {
    refusedCleanly(e, family);
    tally(family, true);
    return;
  }
  tally(family, false);
}
const opts = (n: number) => ({ numRuns: runs(n), seed: SEED, endOnFailure: true });

beforeAll(() => console.log(`property: FC_SEED=${SEED}`));
afterAll(() => {
  const rows = [...counts].map(([f, c]) => `  ${f.padEnd(58)} ${String(c.cases).padStart(5)} cases, ` +
    `${String(c.refused).padStart(5)} refused cleanly, ${String(c.cases - c.refused).padStart(5)} accepted`);
  const total = [...counts.values()].reduce((s, c) => s + c.cases, 0);
  console.log(`hostile-input families (${total} cases):\n${rows.join('\n')}`);
});

// ------------------------------------------------------------------------------------------------ CSV

// + 0: "-0" is written as "0"
const num = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => Math.fround(x) + 0);
const header = (d: number) => fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), { minLength: d, maxLength: d });

describe('CSV reader', () => {
  it('random text (binary strings, any code points) is refused cleanly or read as finite numbers', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
      hostile('csv: random text', text, (t) => parseCsv(t, 'r.csv'), (p) => {
        expect(p.n).toBeGreaterThan(0);
        expect(p.data.length).toBe(p.n * p.d);
        expect(p.data.every(Number.isFinite)).toBe(true);
      });
    }), opts(400));
  });

  it('well-formed files with a BOM, CRLF, quoted fields, spaces and blank lines read back exactly', () => {
    const file = fc.integer({ min: 1, max: 5 }).chain((d) => fc.record({
      header: header(d),
      rows: fc.array(fc.array(num, { minLength: d, maxLength: d }), { minLength: 1, maxLength: 30 }),
      bom: fc.boolean(), crlf: fc.boolean(), quote: fc.boolean(), spaces: fc.boolean(), blank: fc.boolean(), trailingNewline: fc.boolean(),
    }));
    fc.assert(fc.property(file, (f) => {
      const cell = (s: string) => (f.quote ? `"${s}"` : s);
      const pad = (s: string) => (f.spaces ? ` ${s} ` : s);
      const nl = f.crlf ? '\r\n' : '\n';
      const lines = [f.header.map((h) => pad(cell(h))).join(','), ...f.rows.map((r) => r.map((v) => pad(cell(String(v)))).join(','))];
      if (f.blank) lines.splice(1, 0, '');
      const text = (f.bom ? '\ufeff' : '') + lines.join(nl) + (f.trailingNewline ? nl : '');
      hostile('csv: well-formed (BOM, CRLF, quotes, spaces, blank lines)', text, (t) => parseCsv(t, 'w.csv'), (p) => {
        expect(p.d).toBe(f.header.length);
        expect(Array.from(p.data)).toEqual(f.rows.flat());
      });
      expect(counts.get('csv: well-formed (BOM, CRLF, quotes, spaces, blank lines)')?.refused ?? 0).toBe(0);
    }), opts(250));
  });

  it('damaged files (ragged rows, extra columns, empty cells, NaN/Inf, overflow, stray quotes, no header, empty) ' +
    'are refused with one line naming the file', () => {
    const token = fc.oneof(
      num.map(String),
      fc.constantFrom('', ' ', 'NaN', 'nan', 'Inf', '-Infinity', '1e39', '-3.5e38', '0x10', '1_000', '1,5', '"', '""', '"1"', 'abc', '١٢',
        '\u00a0', '1e', '.', '-', '+.e1', '\t7'),
    );
    const damaged = fc.record({
      header: fc.oneof(header(2), fc.constant(['1', '2']), fc.constant([]), fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 })),
      rows: fc.array(fc.array(token, { minLength: 0, maxLength: 5 }), { maxLength: 12 }),
      crlf: fc.boolean(), bom: fc.boolean(),
    });
    fc.assert(fc.property(damaged, (f) => {
      const nl = f.crlf ? '\r\n' : '\n';
      const text = (f.bom ? '\ufeff' : '') + [f.header.join(','), ...f.rows.map((r) => r.join(','))].join(nl);
      hostile('csv: damaged (ragged, extra columns, NaN/Inf, overflow, quotes, empty)', text, (t) => parseCsv(t, 'd.csv'), (p) => {
        expect(p.data.every(Number.isFinite)).toBe(true);
      });
      try {
        parseCsv(text, 'd.csv');
      } catch (e) {
        expect((e as Error).message.startsWith('d.csv')).toBe(true);
      }
    }), opts(500));
  });
});

// ---------------------------------------------------------------------------------------- safetensors

/** A file: 8-byte little-endian declared header length, header bytes, data bytes. */
function stFile(declared: bigint, headerBytes: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared, true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}
const utf8 = (s: string) => new TextEncoder().encode(s);
const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'U64', 'I32', 'U32', 'I16', 'U16', 'I8', 'U8', 'BOOL', 'F8_E5M2', 'F8_E4M3'];

function consistent(r: ReturnType<typeof decodeSafetensors>, fileBytes: number) {
  let total = 0;
  for (const t of Object.values(r.tensors)) {
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    total += t.data.byteLength;
  }
  expect(total).toBeLessThanOrEqual(fileBytes);
}

describe('safetensors reader', () => {
  it('random bytes, including empty and shorter than the length field', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
      hostile('safetensors: random bytes (incl. empty, < 8 bytes)', b, (x) => decodeSafetensors(x, 'r.st'), (r) => consistent(r, b.length));
    }), opts(400));
  });

  it('huge declared header lengths (up to 2^64 - 1) on short files', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 64 }), (n, body) => {
      hostile('safetensors: huge or wrong declared header length', stFile(n, body, new Uint8Array(0)), (x) => decodeSafetensors(x, 'h.st'),
        (r) => consistent(r, body.length));
    }), opts(300));
  });

  it('headers that are not JSON, not objects, or not UTF-8', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('', '{', '}', '[]', 'null', '1', '"x"', '{"a":',
      '{"a":1}', '{"__metadata__":[]}', '{"__metadata__":{"k":{}}}', '\u0000{}'));
    fc.assert(fc.property(text, fc.boolean(), (t, badUtf8) => {
      const h = utf8(t);
      const bytes = badUtf8 ? Uint8Array.from([...h, 0xff, 0xfe]) : h;
      hostile('safetensors: header not JSON / not an object / not UTF-8', stFile(BigInt(bytes.length), bytes, new Uint8Array(8)),
        (x) => decodeSafetensors(x, 'j.st'), (r) => consistent(r, bytes.length + 16));
    }), opts(300));
  });

  it('adversarial entries: unknown dtypes, absurd shapes, multi-GB declared sizes, out-of-range and overlapping offsets', () => {
    const dim = fc.oneof(fc.nat(8), fc.constantFrom(0, 65536, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1, 1.5, '3', null));
    const offset = fc.oneof(fc.nat(64), fc.constantFrom(-1, 2 ** 32, 2 ** 53 + 2, 4e9, 1.5, '0', null));
    const entry = fc.record({
      dtype: fc.oneof(fc.constantFrom(...DTYPES), fc.constantFrom('F128', 'f32', '', 'FLOAT'), fc.constant(7)),
      shape: fc.oneof(fc.array(dim, { maxLength: 4 }), fc.constant([65536, 65536]), fc.constant([1e9, 1e3]), fc.constant('2')),
      data_offsets: fc.oneof(fc.tuple(offset, offset), fc.array(offset, { maxLength: 3 })),
    });
    const file = fc.record({
      entries: fc.dictionary(fc.oneof(fc.stringMatching(/^[a-z.]{1,6}$/), fc.constantFrom('__proto__', 'constructor', '')), entry,
        { maxKeys: 4 }),
      dataLen: fc.nat(96),
    });
    fc.assert(fc.property(file, (f) => {
      const json = utf8(JSON.stringify(f.entries));
      const bytes = stFile(BigInt(json.length), json, new Uint8Array(f.dataLen));
      hostile('safetensors: adversarial dtypes, shapes, offsets, multi-GB sizes', bytes, (x) => decodeSafetensors(x, 'a.st'),
        (r) => consistent(r, bytes.length));
    }), opts(500));
  });

  it('well-formed files with random tensors round-trip exactly', () => {
    const tensor = fc.record({ shape: fc.array(fc.nat(4), { maxLength: 3 }) }).chain(({ shape }) =>
      fc.float32Array({ minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) })
        .map((data) => ({ dtype: 'F32' as const, shape, data })));
    fc.assert(fc.property(fc.dictionary(fc.stringMatching(/^[a-z][a-z.0-9]{0,8}$/), tensor, { maxKeys: 5 }), (tensors) => {
      hostile('safetensors: well-formed random tensors (round trip)', encodeSafetensors(tensors),
        (x) => decodeSafetensors(x, 'ok.st'), (r) => {
        expect(Object.keys(r.tensors).sort()).toEqual(Object.keys(tensors).sort());
        for (const [k, t] of Object.entries(tensors)) {
          expect(new Uint8Array(r.tensors[k].data.buffer)).toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
        }
      });
      expect(counts.get('safetensors: well-formed random tensors (round trip)')!.refused).toBe(0);
    }), opts(200));
  });
});

// ----------------------------------------------------------------------------------------- checkpoints

describe('checkpoint decoder and loader', () => {
  let model: Uint8Array, ckpt: Uint8Array;
  beforeAll(async () => {
    const d = await Diffusion.create({
      threads: 1, dataset: 'moons', nData: 300, T: 12, batch: 8, steps: 20, seed: 2, model: { width: 6, depth: 1, embedSize: 4 },
    });
    await d.train({ steps: 10 });
    model = d.save(false);
    ckpt = d.save(true);
  });

  it('byte flips, truncations and appended bytes: a FormatError or the very same content', () => {
    const damage = fc.record({
      which: fc.boolean(),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      extra: fc.uint8Array({ maxLength: 8 }),
    });
    fc.assert(fc.property(damage, (g) => {
      const base = g.which ? ckpt : model;
      let b = base.slice();
      for (const [at, mask] of g.flips) b[at % b.length] ^= mask;
      if (g.cut !== undefined) b = b.subarray(0, g.cut % b.length);
      if (g.extra.length) b = Uint8Array.from([...b, ...g.extra]);
      hostile('checkpoint: byte flips, truncations, appended bytes', b, (x) => decodeCheckpoint(x, 'f.safetensors'), (r) => {
        // Accepted only if nothing that matters changed (e.g. a flip turned header padding into other whitespace).
        const want = decodeCheckpoint(base, 'base');
        for (const [k, t] of Object.entries(want.tensors)) {
          expect(new Uint8Array(r.tensors[k].data.buffer)).toEqual(new Uint8Array(t.data.buffer));
        }
        expect(JSON.stringify(r.config)).toBe(JSON.stringify(want.config));
        expect(Array.from(r.betas)).toEqual(Array.from(want.betas));
      });
    }), opts(300));
  });

  it('a changed metadata digit without a recomputed checksum is caught by the metadata checksum', () => {
    const { tensors, metadata } = decodeSafetensors(model, 'm');
    const betas = metadata.betas.replace(/\d(?=\d*\])/, (d) => String((Number(d) + 1) % 10)); // last digit of the list
    expect(betas).not.toBe(metadata.betas);
    const bytes = encodeSafetensors(tensors, { ...metadata, betas });
    expect(() => decodeCheckpoint(bytes, 'b.safetensors'))
      .toThrow(/^b\.safetensors is corrupt: its metadata checksum does not match its metadata$/);
    // Files written before the metadata checksum existed still load.
    const { metadata_checksum: _, ...old } = metadata;
    expect(decodeCheckpoint(encodeSafetensors(tensors, old), 'old').step).toBe(10);
  });

  it('tampered metadata with recomputed checksums (config, betas, standardisation, step, format version): ' +
    'refused cleanly, or loads into a working engine', async () => {
    const weird = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(null, -1, 0, 1e9, 2 ** 53, 1.5, NaN, '', 'gelu', 'x', [], {}, true),
    );
    const paths: string[][] = [
      ['model'], ['model', 'width'], ['model', 'depth'], ['model', 'embedSize'], ['model', 'dim'], ['model', 'activation'],
      ['model', 'inputScale'], ['model', 'inputEmbedding'], ['T'], ['batch'], ['steps'], ['lr'], ['schedule'], ['variance'], ['adam'],
      ['adam', 'clip'], ['adam', 'beta1'], ['dataset'], ['nData'], ['seed'], ['clipX0'], ['betaStart'],
    ];
    const edit = fc.record({
      which: fc.boolean(),
      target: fc.constantFrom('config', 'betas', 'standardization', 'step', 'format_version', 'kind', 'raw'),
      path: fc.constantFrom(...paths),
      value: weird,
      raw: fc.string({ maxLength: 20 }),
    });
    await fc.assert(fc.asyncProperty(edit, async (g) => {
      const { tensors, metadata } = decodeSafetensors(g.which ? ckpt : model, 'm');
      const meta = { ...metadata };
      if (g.target === 'config') {
        const c = JSON.parse(meta.config);
        let o = c;
        for (const k of g.path.slice(0, -1)) o = o[k] ?? {};
        o[g.path[g.path.length - 1]] = g.value;
        meta.config = JSON.stringify(c);
      } else if (g.target === 'raw') meta.config = g.raw;
      else meta[g.target] = JSON.stringify(g.value) ?? 'undefined';
      meta.checksum = checksum(tensors);
      meta.metadata_checksum = metadataChecksum(meta);
      const bytes = encodeSafetensors(tensors, meta);
      await hostileAsync('checkpoint: tampered metadata, checksums recomputed', bytes, async (x) => {
        const m = await Diffusion.load(x, { source: 't.safetensors', threads: 1 });
        const pts = m.sample(3).points;
        expect(pts.data.length).toBe(3 * m.config.model.dim);
      });
    }), opts(300));
  });
});

// ------------------------------------------------------------------------------------------------ CLI

describe('CLI argument validation through main()', () => {
  let main: (argv: string[]) => Promise<number>;
  let dir: string;
  beforeAll(async () => {
    // Importing the CLI runs it once on process.argv: make that a harmless --version.
    const saved = process.argv;
    process.argv = [saved[0], 'cli', '--version'];
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      ({ main } = await import('../../src/cli/main'));
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.stdout.write = write;
      process.argv = saved;
      process.exitCode = undefined;
    }
    dir = mkdtempSync(join(tmpdir(), 'ddpm-prop-'));
    writeFileSync(join(dir, 'tiny.csv'), 'x,y\n1,2\n3,4\n5,7\n');
  });

  // [command, flag, lo, hi, integer, open low end]
  const FLAGS: [string, string, number, number, boolean, boolean][] = [
    ['train', 'steps', 1, 1e9, true, false], ['train', 'batch', 1, 65536, true, false], ['train', 'T', 1, 100000, true, false],
    ['train', 'width', 1, 4096, true, false], ['train', 'depth', 0, 64, true, false], ['train', 'embed', 2, 4096, true, false],
    ['train', 'n-data', 2, 1e7, true, false], ['train', 'warmup', 0, 1e9, true, false],
    ['train', 'seed', 0, Number.MAX_SAFE_INTEGER, true, false],
    ['train', 'samples', 1, 1e7, true, false], ['train', 'checkpoint-every', 1, 1e9, true, false],
    ['train', 'lr', 0, 10, false, true], ['train', 'weight-decay', 0, 1, false, false], ['train', 'clip', 0, 1e6, false, false],
    ['train', 'ema', 0, 0.999999, false, false], ['train', 'beta-start', 0, 0.999999, false, true],
    ['train', 'beta-end', 0, 0.999999, false, true],
    ['train', 'clip-x0', 0, 1e6, false, false],
    ['sample', 'n', 1, 1e7, true, false], ['data', 'n', 1, 1e7, true, false], ['eval', 'draws', 1, 100, true, false],
    ['eval', 'size', 50, 5000, true, false],
  ];
  const bad = (lo: number, hi: number, integer: boolean, openLow: boolean) => fc.oneof(
    fc.constantFrom('', ' ', 'abc', 'NaN', 'nan', 'Infinity', '-Infinity', '1e999', '0x10', '1_000', '١', '--', '1.2.3', '5e', 'true',
      '½'),
    fc.double({ noNaN: true, noDefaultInfinity: true })
      .filter((x) => x < lo || x > hi || (openLow && x === lo) || (integer && !Number.isInteger(x))).map(String),
    fc.integer({ min: 1, max: 1000 }).map((k) => String(hi + k)), fc.integer({ min: 1, max: 1000 }).map((k) => String(lo - k)),
    ...(integer ? [fc.integer({ min: 1, max: 9 }).map((k) => String(lo + k / 10))] : []),
    ...(openLow ? [fc.constant(String(lo))] : []),
  );

  it.each(FLAGS)('%s --%s: out-of-range or non-numeric values are refused with one line naming the flag',
    async (cmd, flag, lo, hi, integer, openLow) => {
    const base: Record<string, string[]> = {
      train: ['--dataset', join(dir, 'tiny.csv'), '--out', join(dir, 'never')],
      sample: ['--model', join(dir, 'missing.safetensors')],
      data: ['--dataset', 'moons'],
      eval: ['--samples', join(dir, 'tiny.csv'), '--data', join(dir, 'tiny.csv')],
    };
    await fc.assert(fc.asyncProperty(bad(lo, hi, integer, openLow), async (value) => {
      let err: unknown;
      try {
        await main([cmd, ...base[cmd], `--${flag}`, value]);
      } catch (e) {
        err = e;
      }
      expect(err, `--${flag} ${JSON.stringify(value)} was accepted`).toBeDefined();
      refusedCleanly(err, 'cli');
      const nameIt = flag === 'embed' ? /--embed|embedding size/ : flag === 'ema' ? /--ema/ : new RegExp(`--${flag}\\b`);
      expect((err as Error).message).toMatch(nameIt);
      tally('cli: numeric flags out of range / not numbers (22 flags)', true);
    }), opts(15));
  });

  it('unknown commands, unknown flags, missing values and stray positionals', async () => {
    // Each argv holds at least one thing no command accepts (an unknown command, an unknown flag, a positional
    // for a command without positionals, a flag missing its value), so nothing may start real work. A generated
    // command name never starts with '-': `-h` is the global help, not an unknown command.
    const KNOWN = ['train', 'sample', 'data', 'eval', 'export', 'study', 'serve', 'help'];
    const poison = fc.constantFrom('--zz-no-such-flag', 'stray', '--lr', '--=3', '-x', '--no-such=1');
    const argv = fc.tuple(
      fc.oneof(fc.constantFrom('train', 'sample', 'data', 'eval', 'export'),
        fc.stringMatching(/^[a-z-]{1,8}$/).filter((c) => !KNOWN.includes(c) && !c.startsWith('-'))),
      fc.array(fc.oneof(fc.stringMatching(/^--[a-z-]{1,10}$/), fc.string({ maxLength: 6 }),
        fc.constantFrom('--', '-', '-x', '--lr', '--=3')), { maxLength: 3 }),
      poison, fc.nat(),
    ).filter(([, rest]) => !rest.some((a) =>
      a.startsWith('-h') || a === '--help' || a === '--version' || a === '--' || a === '-q' || a === '--quiet' || a === '--json'))
      .map(([c, rest, bad, at]) => {
        const r = [...rest];
        r.splice(bad === '--lr' ? r.length : at % (r.length + 1), 0, bad); // a value-taking flag goes last: its value is missing
        return [c, ...r];
      });
    await fc.assert(fc.asyncProperty(argv, async (a) => {
      let err: unknown;
      try {
        await main(a);
      } catch (e) {
        err = e;
      }
      // Every generated argv lacks something required or has something unknown.
      expect(err, `accepted: ${JSON.stringify(a)}`).toBeDefined();
      refusedCleanly(err, 'cli garbage');
      tally('cli: unknown commands/flags, missing values, positionals', true);
    }), opts(150));
  });
});

// --------------------------------------------------------------------------------------------- configs

describe('run configurations (the JSON a checkpoint carries, or a library caller passes)', () => {
  it('random field values: checkRunConfig refuses cleanly or accepts a config that creates an engine', async () => {
    const val = fc.oneof(fc.integer({ min: -5, max: 70 }), fc.double(), fc.string({ maxLength: 5 }),
      fc.constantFrom(null, undefined, true, [], {}, 'gelu', 'cosine', 'linear', 'posterior', 1e9, 2 ** 53));
    const keys = [
      'T', 'steps', 'batch', 'nData', 'lr', 'warmup', 'lrDecay', 'schedule', 'variance', 'seed', 'clipX0', 'betaStart', 'betaEnd',
    ] as const;
    const mkeys = ['dim', 'embedSize', 'width', 'depth', 'activation', 'inputEmbedding', 'inputScale'] as const;
    const akeys = ['beta1', 'beta2', 'eps', 'weightDecay', 'clip', 'emaDecay'] as const;
    const cfg = fc.record({
      top: fc.dictionary(fc.constantFrom(...keys), val, { maxKeys: 3 }),
      model: fc.dictionary(fc.constantFrom(...mkeys), val, { maxKeys: 2 }),
      adam: fc.dictionary(fc.constantFrom(...akeys), val, { maxKeys: 2 }),
    });
    await fc.assert(fc.asyncProperty(cfg, async (g) => {
      const c = {
        ...structuredClone(DEFAULT_RUN), ...g.top, model: { ...DEFAULT_RUN.model, ...g.model }, adam: { ...DEFAULT_RUN.adam, ...g.adam },
      } as RunConfig;
      c.steps = typeof c.steps === 'number' ? c.steps : 1;
      await hostileAsync('config: random field values (checkRunConfig, then an engine)', c, async (x) => {
        checkRunConfig(x);
        // Accepted: it must also build (a small data set keeps this quick), never a TypeError later.
        const small = {
          ...x, nData: 50,
          model: {
            ...x.model, width: Math.min(x.model.width, 16), depth: Math.min(x.model.depth, 2), embedSize: Math.min(x.model.embedSize, 8),
          },
          batch: Math.min(x.batch, 16), T: Math.min(x.T, 20),
        };
        (await Diffusion.create({ ...small, threads: 1 } as never)).close();
      });
    }), opts(250));
  });

  it('absurd sizes (width, depth, embed, batch at their limits) are a UsageError about memory, not a crash', async () => {
    let err: unknown;
    try {
      await Diffusion.create({
        threads: 1, dataset: 'moons', nData: 100, batch: 65536, model: { width: 4096, depth: 64, embedSize: 4096 },
      });
    } catch (e) {
      err = e;
    }
    refusedCleanly(err, 'absurd sizes');
    expect((err as Error).message).toMatch(/MiB of wasm memory.*lower --batch, --width, --depth or --embed/);
    tally('config: absurd sizes at the limits (memory)', true);
  });
});
