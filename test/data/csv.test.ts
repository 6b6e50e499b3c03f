/**
 * Tests for src/data/csv.ts: parseCsv accepts the usual dialects and refuses each bad input with its own one-line
 * message; toCsv round-trips f32 exactly.
 */
import { describe, expect, test } from 'vitest';
import { formatF32, parseCsv, toCsv } from '../../src/data/csv';
import type { Points } from '../../src/data/points';
import { FormatError, UsageError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

describe('parseCsv', () => {
  test('plain file', () => {
    const p = parseCsv('x,y\n1,2\n3.5,-4e-3\n', 'a.csv');
    expect(p.n).toBe(2);
    expect(p.d).toBe(2);
    expect(Array.from(p.data)).toEqual([1, 2, 3.5, Math.fround(-4e-3)]);
  });

  test('BOM, CRLF, quoted fields, spaces, blank lines and no final newline are accepted', () => {
    const text = '\ufeff"x","y","z"\r\n 1 ,"2", 3\r\n\r\n"-0.5",+6,.25\r\n\r\n';
    const p = parseCsv(text, 'b.csv');
    expect(p).toMatchObject({ n: 2, d: 3 });
    expect(Array.from(p.data)).toEqual([1, 2, 3, -0.5, 6, 0.25]);
    expect(parseCsv('a\n7', 'c.csv')).toMatchObject({ n: 1, d: 1 });
  });

  test('quoted (csv-parse) and plain (line splitter) paths read the same records and report the same lines', () => {
    const plain = 'x,y\r\n1,2\r\n  \r\n\r\n3,4\r\n';
    const quoted = '"x",y\r\n1,"2"\r\n  \r\n\r\n3,4\r\n';
    expect(parseCsv(quoted, 'q.csv')).toEqual(parseCsv(plain, 'q.csv'));
    const msg = (text: string) => {
      try {
        parseCsv(text, 'q.csv');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    expect(msg(plain + '\n5,6,7\n')).toBe('q.csv: line 7: 3 fields, but the header has 2 ("x,y")');
    expect(msg(quoted + '\n5,6,7\n')).toBe('q.csv: line 7: 3 fields, but the header has 2 ("x,y")');
    expect(msg(plain + '5,zz\n')).toBe(msg(quoted + '5,zz\n'));
  });

  test('speed of a 1,000,000-row file (printed, not asserted)', () => {
    const text = 'x,y\n' + Array.from({ length: 1_000_000 }, (_, i) => `${i * 1e-3},${-i * 2e-3}`).join('\n') + '\n';
    let t0 = performance.now();
    expect(parseCsv(text, 'big.csv').n).toBe(1_000_000);
    console.log(`parseCsv 1e6 x 2 plain: ${(performance.now() - t0).toFixed(0)} ms`);
    const quoted = text.slice(0, 200_000).replace(/^x,y/, '"x","y"');
    const rowsQ = quoted.split('\n').length - 2;
    t0 = performance.now();
    parseCsv(quoted.slice(0, quoted.lastIndexOf('\n') + 1), 'bigq.csv');
    console.log(`parseCsv ${rowsQ} x 2 via csv-parse: ${(performance.now() - t0).toFixed(0)} ms`);
  }, 30_000);

  test('one column and many rows', () => {
    const text = 'v\n' + Array.from({ length: 1003 }, (_, i) => String(i)).join('\n') + '\n';
    const p = parseCsv(text, 'v.csv');
    expect(p.n).toBe(1003);
    expect(p.data[1002]).toBe(1002);
  });

  const bad: [string, string, typeof UsageError, RegExp][] = [
    ['empty file', '', FormatError, /^e\.csv: empty file/],
    ['only blank lines', '\n\r\n  \n', FormatError, /^e\.csv: empty file/],
    ['BOM only', '\ufeff', FormatError, /^e\.csv: empty file/],
    ['header only', 'x,y\n', FormatError, /^e\.csv: header "x,y" but no data rows$/],
    ['header only then blank lines', 'x,y\r\n\r\n', FormatError, /no data rows/],
    ['non-numeric cell', 'x,y\n1,2\n3,abc\n', FormatError, /^e\.csv: line 3, column 2 \("y"\): "abc" is not a number$/],
    ['hex is not decimal', 'x,y\n0x10,2\n', FormatError, /line 2, column 1 \("x"\): "0x10" is not a number/],
    ['empty cell', 'x,y\n1,\n', FormatError, /line 2, column 2 \("y"\): empty cell/],
    ['NaN', 'x,y\n1,2\nNaN,2\n', FormatError, /line 3, column 1 \("x"\): "NaN" is not finite/],
    ['Inf', 'x,y\n1,inf\n', FormatError, /line 2, column 2 \("y"\): "inf" is not finite/],
    ['-Infinity', 'x,y\n1,-Infinity\n', FormatError, /"-Infinity" is not finite/],
    ['f32 overflow', 'x,y\n1,1e39\n', FormatError, /"1e39" overflows float32/],
    ['ragged row (short)', 'x,y\n1,2\n3\n', FormatError, /^e\.csv: line 3: 1 fields, but the header has 2/],
    ['ragged row (long)', 'x,y\r\n1,2\r\n3,4,5\r\n', FormatError, /^e\.csv: line 3: 3 fields, but the header has 2/],
    ['numeric header (no header)', '1,2\n3,4\n', FormatError, /^e\.csv: line 1: first row "1,2" is numeric; a header row/],
    ['numeric header with BOM and quotes', '\ufeff"0.5","-1e3"\r\n3,4\r\n', FormatError, /first row "0.5,-1e3" is numeric/],
    ['unclosed quote', 'x,y\n"1,2\n', FormatError, /^e\.csv: not valid CSV: /],
    ['too many columns', Array.from({ length: 65 }, (_, j) => `c${j}`).join(',') + '\n', UsageError, /65 columns; at most 64/],
  ];
  test.each(bad)('%s', (_, text, cls, message) => {
    let err: unknown;
    try {
      parseCsv(text, 'e.csv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(cls);
    const msg = (err as Error).message;
    expect(msg).toMatch(message);
    expect(msg).not.toMatch(/\n/);
  });

  test('more than 10,000,000 cells is refused before parsing the rows', () => {
    const text = 'x,y\n' + '0,0\n'.repeat(5_000_001);
    const t0 = performance.now();
    expect(() => parseCsv(text, 'big.csv')).toThrow(/^big\.csv: about 5000001 rows x 2 columns exceeds the limit of 10000000 numbers$/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test('exactly at the limits is accepted', () => {
    const header = Array.from({ length: 64 }, (_, j) => `c${j}`).join(',');
    const row = Array.from({ length: 64 }, (_, j) => String(j)).join(',');
    expect(parseCsv(`${header}\n${row}\n`, 'w.csv')).toMatchObject({ n: 1, d: 64 });
  });
});

describe('toCsv', () => {
  test('header x,y for 2-D, x0..x{d-1} otherwise; short numbers', () => {
    expect(toCsv({ data: new Float32Array([0.5, -2, 0, 3]), n: 2, d: 2 })).toBe('x,y\n0.5,-2\n0,3\n');
    expect(toCsv({ data: new Float32Array([1, 2, 3]), n: 1, d: 3 }).split('\n')[0]).toBe('x0,x1,x2');
    expect(formatF32(Math.fround(0.1))).toBe('0.1');
    expect(formatF32(Math.fround(1e-7))).toBe('1e-7');
    expect(formatF32(Math.fround(123456789))).toBe('1.2345679e8'); // 8 digits suffice for this f32
    expect(formatF32(-0)).toBe('0');
  });

  test('parseCsv(toCsv(p)) reproduces every f32 bit for bit', () => {
    const rng = new Rng(11);
    const n = 2003;
    const d = 3;
    const p: Points = { data: new Float32Array(n * d), n, d };
    for (let i = 0; i < n * d; i++) {
      const scale = 10 ** (Math.floor(rng.uniform() * 60) - 30);
      p.data[i] = rng.normal() * scale;
    }
    p.data[0] = 3.4028234663852886e38; // f32 max
    p.data[1] = 1.401298464324817e-45; // smallest subnormal
    p.data[2] = -1.1754943508222875e-38;
    const q = parseCsv(toCsv(p), 'roundtrip.csv');
    expect(q.n).toBe(n);
    expect(q.d).toBe(d);
    expect(Buffer.from(q.data.buffer).equals(Buffer.from(p.data.buffer))).toBe(true);
  });
});
