/**
 * Tests for src/data/datasets.ts: each data set is deterministic and has the documented shape and scale; CSV
 * parsing accepts the usual dialects and refuses each bad input with its own one-line message;
 * toCsv round-trips f32 exactly; standardisation round-trips; row helpers.
 */
import { describe, expect, test } from 'vitest';
import {
  DATASETS,
  concatRows,
  fitStandardization,
  formatF32,
  getDataset,
  loadDataset,
  logDetJacobian,
  parseCsv,
  slicePoints,
  splitDraws,
  standardize,
  subsample,
  toCsv,
  unstandardize,
  type Points,
} from '../../src/data/datasets';
import { FormatError, UsageError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

const N = 4003; // not a round number: catches off-by-one row bookkeeping

function rows(p: Points): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < p.n; i++) out.push([p.data[2 * i], p.data[2 * i + 1]]);
  return out;
}
const frac = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
/** |observed fraction - p| < 5 binomial standard deviations. */
function expectFraction(observed: number, p: number, n: number) {
  expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
}
function moments(p: Points) {
  const r = rows(p);
  const mx = r.reduce((s, [x]) => s + x, 0) / r.length;
  const my = r.reduce((s, [, y]) => s + y, 0) / r.length;
  const vx = r.reduce((s, [x]) => s + (x - mx) ** 2, 0) / r.length;
  const vy = r.reduce((s, [, y]) => s + (y - my) ** 2, 0) / r.length;
  const cxy = r.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / r.length;
  return { mx, my, vx, vy, cxy };
}

describe('data sets', () => {
  const names = Object.keys(DATASETS);

  test('registry has the required sets', () => {
    for (const name of ['swissroll', 'moons', 'cross', 'circles', 'gaussians', 'checkerboard', 'spiral', 'gaussian', 'line']) {
      expect(names).toContain(name);
      expect(DATASETS[name].description.length).toBeGreaterThan(5);
    }
  });

  test.each(names)('%s: deterministic per seed, 2-D, finite, within its span', (name) => {
    const a = getDataset(name, N, 7);
    const b = getDataset(name, N, 7);
    const c = getDataset(name, N, 8);
    expect(a.n).toBe(N);
    expect(a.d).toBe(2);
    expect(a.data.length).toBe(2 * N);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false);
    expect(a.data.every(Number.isFinite)).toBe(true);
    const bound = name === 'gaussian' ? 6 : 1.15;
    let maxAbs = 0;
    for (const v of a.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThan(bound);
    if (name !== 'gaussian') expect(maxAbs).toBeGreaterThan(0.45); // spans a good part of [-1, 1], not collapsed
  });

  test('a prefix of a generated set is the same whatever n (rows are drawn one after another)', () => {
    const small = getDataset('moons', 10, 3);
    const large = getDataset('moons', 1000, 3);
    expect(Array.from(small.data)).toEqual(Array.from(large.data.subarray(0, 20)));
  });

  test('swissroll: radius t/tMax in [1/3, 1], x spans [-0.67, 0.89], y spans [-0.78, 1]', () => {
    const r = rows(getDataset('swissroll', N, 1));
    const radius = r.map(([x, y]) => Math.hypot(x, y));
    expect(Math.min(...radius)).toBeGreaterThan(1 / 3 - 0.05);
    expect(Math.max(...radius)).toBeLessThan(1 + 0.05);
    expect(Math.min(...r.map(([x]) => x))).toBeCloseTo(-0.67, 1);
    expect(Math.max(...r.map(([x]) => x))).toBeCloseTo(0.89, 1);
    expect(Math.min(...r.map(([, y]) => y))).toBeCloseTo(-0.78, 1);
    expect(Math.max(...r.map(([, y]) => y))).toBeCloseTo(1, 1);
  });

  test('moons: two half circles of radius 2/3, half the points on each, noise 0.02', () => {
    const r = rows(getDataset('moons', N, 2));
    // Upper moon: centre ((0 - 0.5)/1.5, (0 - 0.25)/1.5), above it; lower: centre ((1 - 0.5)/1.5, (0.5 - 0.25)/1.5), below it.
    const cu = [-1 / 3, -1 / 6];
    const cl = [1 / 3, 1 / 6];
    const R = 2 / 3;
    const upper = r.map(([x, y]) => Math.abs(Math.hypot(x - cu[0], y - cu[1]) - R) < 0.1 && y > cu[1] - 0.1);
    const lower = r.map(([x, y]) => Math.abs(Math.hypot(x - cl[0], y - cl[1]) - R) < 0.1 && y < cl[1] + 0.1);
    expect(frac(upper.map((u, i) => u || lower[i]))).toBe(1);
    expectFraction(frac(r.map(([, y], i) => upper[i] && !(lower[i] && y < 0))), 0.5, N);
    const xs = r.map(([x]) => x);
    expect(Math.min(...xs)).toBeGreaterThan(-1.15);
    expect(Math.min(...xs)).toBeLessThan(-0.9);
    expect(Math.max(...xs)).toBeGreaterThan(0.9);
    expect(Math.max(...xs)).toBeLessThan(1.15);
  });

  test('cross: points on the diagonals |x| = |y|, both bars used, spanning [-1, 1]', () => {
    const r = rows(getDataset('cross', N, 3));
    // Offset across a bar is w ~ N(0, 0.03^2), so ||x| - |y|| = sqrt 2 |w| < 0.2 with overwhelming probability.
    expect(frac(r.map(([x, y]) => Math.abs(Math.abs(x) - Math.abs(y)) < 0.2))).toBe(1);
    expectFraction(frac(r.map(([x, y]) => x * y > 0)), 0.5, N);
    expect(Math.max(...r.map(([x]) => x))).toBeGreaterThan(0.95);
  });

  test('circles: radii 1 and 0.5, half each', () => {
    const radius = rows(getDataset('circles', N, 4)).map(([x, y]) => Math.hypot(x, y));
    expect(frac(radius.map((q) => Math.abs(q - 1) < 0.1 || Math.abs(q - 0.5) < 0.1))).toBe(1);
    expectFraction(frac(radius.map((q) => q > 0.75)), 0.5, N);
  });

  test('gaussians: 8 clusters of std 0.05 at radius 0.8, about n/8 each', () => {
    const counts = new Array(8).fill(0);
    for (const [x, y] of rows(getDataset('gaussians', N, 5))) {
      const k = ((Math.round((Math.atan2(y, x) / (2 * Math.PI)) * 8) % 8) + 8) % 8;
      const c = [0.8 * Math.cos((2 * Math.PI * k) / 8), 0.8 * Math.sin((2 * Math.PI * k) / 8)];
      expect(Math.hypot(x - c[0], y - c[1])).toBeLessThan(0.3); // 6 std
      counts[k]++;
    }
    for (const c of counts) expectFraction(c / N, 1 / 8, N);
  });

  test('checkerboard: only squares with floor(2x) + floor(2y) even, all 8 of them', () => {
    const r = rows(getDataset('checkerboard', N, 6));
    const cells = new Set<string>();
    for (const [x, y] of r) {
      expect(Math.abs(x)).toBeLessThanOrEqual(1);
      expect(Math.abs(y)).toBeLessThanOrEqual(1);
      const cx = Math.floor(2 * x);
      const cy = Math.floor(2 * y);
      expect(((cx + cy) % 2 + 2) % 2).toBe(0);
      cells.add(`${cx},${cy}`);
    }
    expect(cells.size).toBe(8);
  });

  test('spiral: radius <= 1, two arms that are point reflections of each other', () => {
    const p = getDataset('spiral', N, 7);
    const r = rows(p);
    expect(Math.max(...r.map(([x, y]) => Math.hypot(x, y)))).toBeLessThan(1.1);
    const m = moments(p);
    expect(Math.abs(m.mx)).toBeLessThan(0.05);
    expect(Math.abs(m.my)).toBeLessThan(0.05);
  });

  test('gaussian: mean 0, covariance I within sampling error', () => {
    const n = 20000;
    const m = moments(getDataset('gaussian', n, 8));
    const se = 5 / Math.sqrt(n);
    expect(Math.abs(m.mx)).toBeLessThan(se);
    expect(Math.abs(m.my)).toBeLessThan(se);
    expect(Math.abs(m.vx - 1)).toBeLessThan(se * Math.SQRT2);
    expect(Math.abs(m.vy - 1)).toBeLessThan(se * Math.SQRT2);
    expect(Math.abs(m.cxy)).toBeLessThan(se);
  });

  test('line: uniform on [-0.5, 0.5] x [-1, 1] (variances 1/12 and 1/3)', () => {
    const p = getDataset('line', N, 9);
    for (const [x, y] of rows(p)) {
      expect(x).toBeGreaterThanOrEqual(-0.5);
      expect(x).toBeLessThan(0.5);
      expect(y).toBeGreaterThanOrEqual(-1);
      expect(y).toBeLessThan(1);
    }
    const m = moments(p);
    expect(m.vx).toBeCloseTo(1 / 12, 2);
    expect(m.vy).toBeCloseTo(1 / 3, 1);
  });

  test('unknown name and bad n are UsageErrors naming the value', () => {
    expect(() => getDataset('foo', 10, 0)).toThrow(UsageError);
    expect(() => getDataset('foo', 10, 0)).toThrow(/^unknown data set "foo"; choose one of swissroll, moons, cross, /);
    expect(() => getDataset('toString', 10, 0)).toThrow(/unknown data set "toString"/);
    expect(() => getDataset('moons', 0, 0)).toThrow(/got 0/);
    expect(() => getDataset('moons', 2.5, 0)).toThrow(/got 2.5/);
  });
});

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

describe('standardization', () => {
  test('standardize gives mean 0 / std 1 and unstandardize inverts it', () => {
    const p = getDataset('moons', 3001, 1);
    for (let i = 0; i < p.n; i++) {
      p.data[2 * i] = p.data[2 * i] * 30 + 100;
      p.data[2 * i + 1] = p.data[2 * i + 1] * 0.01 - 5;
    }
    const s = fitStandardization(p);
    const z = standardize(p, s);
    const zs = fitStandardization(z);
    for (let j = 0; j < 2; j++) {
      expect(Math.abs(zs.mean[j])).toBeLessThan(1e-5);
      expect(zs.std[j]).toBeCloseTo(1, 5);
    }
    const back = unstandardize(z, s);
    for (let i = 0; i < p.data.length; i++) {
      expect(Math.abs(back.data[i] - p.data[i])).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(p.data[i])) * 100);
    }
  });

  test('a constant column maps to 0 (no NaN) and round-trips', () => {
    const p: Points = { data: new Float32Array([1, 7, 2, 7, 3, 7]), n: 3, d: 2 };
    const s = fitStandardization(p);
    expect(s.std[1]).toBeGreaterThan(0);
    const z = standardize(p, s);
    expect(Array.from(z.data).every(Number.isFinite)).toBe(true);
    expect([z.data[1], z.data[3], z.data[5]]).toEqual([0, 0, 0]);
    const back = unstandardize(z, s);
    for (let i = 0; i < 6; i++) expect(back.data[i]).toBeCloseTo(p.data[i], 6);
  });

  test('logDetJacobian = sum log std; scaling data by c adds d log c', () => {
    const p = getDataset('gaussian', 1000, 2);
    const s = fitStandardization(p);
    expect(logDetJacobian(s)).toBeCloseTo(Math.log(s.std[0]) + Math.log(s.std[1]), 12);
    const q: Points = { data: p.data.map((v) => v * 4), n: p.n, d: p.d };
    expect(logDetJacobian(fitStandardization(q)) - logDetJacobian(s)).toBeCloseTo(2 * Math.log(4), 5);
  });

  test('dimension mismatch is a UsageError', () => {
    expect(() => standardize({ data: new Float32Array(3), n: 1, d: 3 }, { mean: [0, 0], std: [1, 1] })).toThrow(UsageError);
  });
});

describe('loadDataset', () => {
  const files: Record<string, string> = { 'pts.csv': 'a,b\n1,2\n3,4\n', 'UP.CSV': 'a\n1\n' };
  const reader = (path: string) => {
    if (!(path in files)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return files[path];
  };

  test('a name generates, a .csv path is read through the injected reader', () => {
    expect(loadDataset('moons', 100, 3, reader)).toEqual(getDataset('moons', 100, 3));
    expect(loadDataset('pts.csv', 100, 3, reader)).toMatchObject({ n: 2, d: 2 });
    expect(loadDataset('UP.CSV', 100, 3, reader)).toMatchObject({ n: 1, d: 1 });
  });

  test('a missing file and an unknown name are one-line UsageErrors', () => {
    expect(() => loadDataset('missing.csv', 1, 0, reader)).toThrow(/^cannot read "missing\.csv": ENOENT/);
    expect(() => loadDataset('missing.csv', 1, 0, reader)).toThrow(UsageError);
    expect(() => loadDataset('mons', 1, 0, reader)).toThrow(/^unknown data set "mons"; choose one of .*, or give a path ending in \.csv$/);
  });
});

describe('row helpers', () => {
  const p: Points = { data: Float32Array.from({ length: 20 }, (_, i) => i), n: 10, d: 2 };

  test('slicePoints is a view; concatRows copies in order', () => {
    const s = slicePoints(p, 3, 4);
    expect(s).toMatchObject({ n: 4, d: 2 });
    expect(Array.from(s.data)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    expect(s.data.buffer).toBe(p.data.buffer);
    expect(() => slicePoints(p, 8, 3)).toThrow(UsageError);
    const c = concatRows(slicePoints(p, 0, 1), slicePoints(p, 9, 1));
    expect(Array.from(c.data)).toEqual([0, 1, 18, 19]);
    expect(() => concatRows(p, { data: new Float32Array(3), n: 1, d: 3 })).toThrow(UsageError);
  });

  test('subsample draws distinct rows, deterministically', () => {
    const a = subsample(p, 7, new Rng(1));
    const b = subsample(p, 7, new Rng(1));
    expect(a).toEqual(b);
    const firsts = rows(a).map(([x]) => x);
    expect(new Set(firsts).size).toBe(7);
    for (const [x, y] of rows(a)) expect(y).toBe(x + 1); // whole rows are kept together
    expect(() => subsample(p, 11, new Rng(1))).toThrow(UsageError);
  });

  test('splitDraws gives disjoint draws', () => {
    const draws = splitDraws(p, 3, 3, new Rng(2));
    const seen = draws.flatMap((q) => rows(q).map(([x]) => x));
    expect(new Set(seen).size).toBe(9);
    expect(() => splitDraws(p, 3, 4, new Rng(2))).toThrow(/cannot take 3 disjoint draws of 4 points from a set of 10/);
  });
});
