/**
 * safetensors: round trips, the byte layout checked by hand against the public spec, one distinct message
 * per validation failure, and fuzzing (random buffers, truncations, byte flips) that must only ever
 * produce FormatError.
 */
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';
import { crc32, decodeSafetensors, encodeSafetensors, type TensorEntry } from '../../src/io/safetensors';

const ascii = (s: string) => new TextEncoder().encode(s);

/** A file from a raw header string (padded to 8 like the spec asks unless `pad` is false) and data bytes. */
function fileFrom(header: string, data: ArrayLike<number> = [], pad = true): Uint8Array {
  let h = ascii(header);
  if (pad && h.length % 8) {
    const p = new Uint8Array(Math.ceil(h.length / 8) * 8).fill(0x20);
    p.set(h);
    h = p;
  }
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function sample(): Record<string, TensorEntry> {
  return {
    'w.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 0.5, 3.25, -0, 1e-7]) },
    'b.bias': { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) },
    step: { dtype: 'I64', shape: [], data: new BigInt64Array([-(2n ** 62n)]) },
    odd: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 255]) },
    idx: { dtype: 'I32', shape: [2], data: new Int32Array([-1, 2 ** 31 - 1]) },
    seed: { dtype: 'U32', shape: [1], data: new Uint32Array([0xdeadbeef]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    half: { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
  };
}

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips every dtype, shape and the metadata', () => {
    const t = sample();
    const meta = { format: 'ddpm-wasm', note: 'ünïcode ✓', empty: '' };
    const bytes = encodeSafetensors(t, meta);
    const back = decodeSafetensors(bytes, 'x.safetensors');
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(t).sort());
    for (const [name, e] of Object.entries(t)) {
      const d = back.tensors[name];
      expect(d.dtype).toBe(e.dtype);
      expect(d.shape).toEqual(e.shape);
      expect(d.data.constructor).toBe(e.data.constructor);
      expect(Array.from(d.data as ArrayLike<number | bigint>)).toEqual(Array.from(e.data as ArrayLike<number | bigint>));
      // copied out, aligned, not a view of the file
      expect(d.data.buffer).not.toBe(bytes.buffer);
      expect(d.data.byteOffset % d.data.BYTES_PER_ELEMENT).toBe(0);
    }
    expect(Object.is(back.tensors['w.weight'].data[4], -0)).toBe(true);
    expect(back.metadata).toEqual(meta);
  });

  it('decodes from a Uint8Array that is a view at an odd offset of a larger buffer', () => {
    const bytes = encodeSafetensors(sample());
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const back = decodeSafetensors(big.subarray(3));
    expect(Array.from(back.tensors['b.bias'].data as Float64Array)).toEqual([Math.PI, -1e300, 5e-324]);
  });

  it('is deterministic: insertion order does not change the bytes', () => {
    const t = sample();
    const reversed = Object.fromEntries(Object.entries(t).reverse());
    expect(encodeSafetensors(reversed, { b: '1', a: '2' })).toEqual(encodeSafetensors(t, { a: '2', b: '1' }));
  });

  it('matches the upstream reference bytes for {"test": zeros((2,2), int32)}', () => {
    // safetensors' own test suite:
    // b'@\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    ' + 16 zero bytes
    const bytes = encodeSafetensors({ test: { dtype: 'I32', shape: [2, 2], data: new Int32Array(4) } });
    const header = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'; // 60 bytes
    const expected = new Uint8Array(8 + 64 + 16);
    expected[0] = 64; // '@'
    expected.set(ascii(header + '    '), 8);
    expect(bytes).toEqual(expected);
  });

  it('lays bytes out as the spec says: length field, space padding to 8, offsets, little-endian data', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'U8', shape: [3], data: new Uint8Array([7, 8, 9]) },
        a: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) },
      },
      { k: 'v' },
    );
    const header = '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}';
    const n = Math.ceil(header.length / 8) * 8;
    expect(header.length % 8).not.toBe(0); // the padding is exercised
    expect(Array.from(bytes.subarray(0, 8))).toEqual([n & 0xff, n >> 8, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n))).toBe(header + ' '.repeat(n - header.length));
    expect((8 + n) % 8).toBe(0);
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0, then the three u8
    expect(Array.from(bytes.subarray(8 + n))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 7, 8, 9]);
    expect(bytes.length).toBe(8 + n + 11);
  });

  it('reads a hand-written file with foreign key order, unpadded header and extra whitespace', () => {
    const f64 = new Uint8Array(new Float64Array([1.5]).buffer);
    const file = fileFrom(
      '{ "x" : {"shape":[1],"data_offsets":[0,8],"dtype":"F64"}, "__metadata__": {"format":"pt"} }',
      f64,
      false,
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect(tensors.x.data).toEqual(new Float64Array([1.5]));
    expect(metadata).toEqual({ format: 'pt' });
  });

  it('keeps a tensor called "__proto__" as data, not as a prototype', () => {
    const file = fileFrom('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [42]);
    const { tensors } = decodeSafetensors(file);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Array.from(tensors['__proto__'].data as Uint8Array)).toEqual([42]);
  });

  it('refuses to encode inconsistent tensors', () => {
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/holds 3 elements/);
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float64Array(2) } })).toThrow(/needs a Float32Array/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).toThrow(/tensor name/);
  });
});

describe('decodeSafetensors validation', () => {
  const ok = (dtype = 'F32', shape = '[2]', offs = '[0,8]') => `{"a":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offs}}}`;
  const eight = new Array(8).fill(0);

  function messageOf(bytes: Uint8Array): string {
    try {
      decodeSafetensors(bytes, 'm.safetensors');
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      const msg = (e as Error).message;
      expect(msg.startsWith('m.safetensors: ')).toBe(true);
      expect(msg).not.toContain('\n');
      return msg;
    }
    throw new Error('expected a FormatError');
  }

  const absurd = new Uint8Array(16);
  new DataView(absurd.buffer).setBigUint64(0, 2n ** 63n, true);
  const pastEnd = fileFrom(ok(), eight);
  pastEnd[0] += 16;
  const badUtf8 = fileFrom('{"a":"\xff"}');
  badUtf8.set([0x22, 0xff, 0xfe, 0x22], 13);

  const cases: [string, Uint8Array, RegExp][] = [
    ['short file', new Uint8Array(5), /5 bytes is too short/],
    ['absurd header length', absurd, /header length 9223372036854775808 bytes is absurd/],
    ['header longer than the file', pastEnd, /runs past the end of the/],
    ['header not UTF-8', badUtf8, /not valid UTF-8/],
    ['header not JSON', fileFrom('{"a":', eight), /not valid JSON/],
    ['header not an object', fileFrom('[1,2]'), /not a JSON object/],
    ['entry not an object', fileFrom('{"a":3}'), /tensor "a" entry is not an object/],
    ['unknown dtype', fileFrom(ok('F128'), eight), /unknown dtype "F128"/],
    ['missing dtype', fileFrom('{"a":{"shape":[2],"data_offsets":[0,8]}}', eight), /unknown dtype undefined/],
    ['negative shape', fileFrom(ok('F32', '[-2]'), eight), /shape \[-2\] is not a list of non-negative integers/],
    ['fractional shape', fileFrom(ok('F32', '[1.5]'), eight), /not a list of non-negative integers/],
    ['shape not a list', fileFrom(ok('F32', '"2"'), eight), /not a list of non-negative integers/],
    ['byte size mismatch', fileFrom(ok('F32', '[3]'), eight), /is 8 bytes but shape \[3\] of F32 needs 12/],
    ['malformed offsets', fileFrom(ok('F32', '[2]', '[8,0]'), eight), /data_offsets \[8,0\] is not a \[begin, end\] pair/],
    ['offsets past the data', fileFrom(ok('F32', '[2]', '[4,12]'), eight), /data_offsets \[4, 12\] lie outside the 8-byte data area/],
    [
      'overlapping tensors',
      fileFrom('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}',
        [0, 0, 0, 0, 0, 0]),
      /tensors "a" and "b" overlap/,
    ],
    [
      'gap between tensors',
      fileFrom('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}',
        [0, 0, 0, 0, 0, 0]),
      /bytes 2\.\.4 belong to no tensor/,
    ],
    ['trailing bytes', fileFrom(ok(), [...eight, 1, 2, 3]), /3 trailing bytes after the last tensor/],
    ['metadata value not a string', fileFrom(`{"__metadata__":{"k":1}}`), /metadata "k" is not a string/],
    ['metadata not an object', fileFrom(`{"__metadata__":"x"}`), /"__metadata__" is not an object/],
  ];

  it.each(cases)('%s', (_name, bytes, re) => {
    expect(messageOf(bytes)).toMatch(re);
  });

  it('gives each failure family its own message', () => {
    const msgs = cases.map(([, b]) => messageOf(b).replace(/[0-9"[\]]+/g, ''));
    const families = new Set(msgs.map((m) => m.replace(/tensor a |shape .* is/, '')));
    expect(families.size).toBeGreaterThanOrEqual(16);
  });

  it('accepts an empty header and empty data', () => {
    expect(decodeSafetensors(fileFrom('{}'))).toEqual({ tensors: {}, metadata: {} });
  });
});

describe('decodeSafetensors on garbage', () => {
  const valid = encodeSafetensors(sample(), { a: 'b' });

  function onlyFormatErrors(bytes: Uint8Array): 'ok' | 'error' {
    try {
      decodeSafetensors(bytes, 'g');
      return 'ok';
    } catch (e) {
      if (!(e instanceof FormatError)) throw new Error(`non-FormatError on ${bytes.length} bytes: ${String(e)}`);
      return 'error';
    }
  }

  it('random buffers, some with a plausible header length, only raise FormatError', () => {
    const rng = new Rng(1234);
    for (let i = 0; i < 400; i++) {
      const len = rng.intBelow(300);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = rng.intBelow(256);
      if (i % 2 && len >= 8) {
        b.fill(0, 0, 8);
        b[0] = rng.intBelow(len);
        // half of these get a JSON-looking start so the parser and the field checks are reached
        if (i % 4 === 1 && len > 9) b[8] = 0x7b;
      }
      onlyFormatErrors(b);
    }
  });

  it('every truncation of a valid file is a FormatError', () => {
    for (let n = 0; n < valid.length; n++) expect(onlyFormatErrors(valid.subarray(0, n))).toBe('error');
  });

  it('random byte flips and header edits only raise FormatError', () => {
    const rng = new Rng(99);
    const hlen = Number(new DataView(valid.buffer).getBigUint64(0, true));
    const edits = ['0', '9', '-', '"', ',', ']', '[', '}', '{', ' ', '.', 'e', '1'].map((c) => c.charCodeAt(0));
    let decoded = 0;
    for (let i = 0; i < 600; i++) {
      const b = valid.slice();
      const flips = 1 + rng.intBelow(3);
      for (let k = 0; k < flips; k++) {
        if (i % 3 === 0) b[rng.intBelow(b.length)] ^= 1 << rng.intBelow(8);
        else b[8 + rng.intBelow(hlen)] = edits[rng.intBelow(edits.length)];
      }
      if (onlyFormatErrors(b) === 'ok') decoded++;
    }
    // data-byte flips still decode; header edits mostly do not
    expect(decoded).toBeGreaterThan(0);
    expect(decoded).toBeLessThan(600);
  });
});

describe('crc32', () => {
  it('matches the standard check value and continues across chunks', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    const a = ascii('hello '), b = ascii('world');
    expect(crc32(b, crc32(a))).toBe(crc32(ascii('hello world')));
  });
});
