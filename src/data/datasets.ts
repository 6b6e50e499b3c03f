/**
 * Point sets for ddpm-wasm: the toy 2-D data sets (one small function each, behind `getDataset`), CSV
 * input/output, per-column standardisation, and a few row helpers. Browser-safe: no node: imports;
 * files are read through a reader the caller injects (`loadDataset`).
 *
 * Not here: batching for training (the trainer draws rows itself) and distances between sets (eval.ts).
 *
 * Every generator draws its rows i.i.d. (each row uses its own fresh draws, the component is a coin flip
 * per row, never "first half / second half"), so any slice of a generated set is itself a sample of the
 * data set; eval draws rely on this. Shape sets span about [-1, 1] in each coordinate; `gaussian` is a
 * standard normal because its density is what the bound tests integrate against.
 */
// csv-parse's browser build: same parser, with its Buffer polyfill bundled. The Node build ('csv-parse/sync')
// touches a global Buffer when imported, which would break this module in a browser.
import { parse } from 'csv-parse/browser/esm/sync';
import { FormatError, UsageError } from '../util/errors';
import { Rng } from '../util/rng';

/** n rows of d coordinates, row-major: point i is data[i*d .. i*d + d). */
export interface Points {
  data: Float32Array;
  n: number;
  d: number;
}

export function makePoints(n: number, d: number): Points {
  return { data: new Float32Array(n * d), n, d };
}

// ---------------------------------------------------------------------------------------------------
// Data sets. Each takes (n, rng) and returns n x 2 points; parameters live in the comment above it.

/**
 * swissroll: sklearn's make_swiss_roll, keeping its (x, z) plane, the 2-D spiral usually plotted.
 * t = 1.5 pi (1 + 2u), u ~ U(0,1)  (t in [4.71, 14.14]);  (x, y) = (t cos t, t sin t) / (4.5 pi) + N(0, 0.01^2 I).
 * Dividing by t_max = 4.5 pi puts x in [-0.67, 0.89] and y in [-0.78, 1.0]. Uniform in t, as sklearn, so
 * the inner turns are denser per unit length than the outer ones.
 */
function swissroll(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  const tMax = 4.5 * Math.PI;
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
    p.data[2 * i] = (t * Math.cos(t)) / tMax + 0.01 * rng.normal();
    p.data[2 * i + 1] = (t * Math.sin(t)) / tMax + 0.01 * rng.normal();
  }
  return p;
}

/**
 * moons: sklearn make_moons(noise=0.03) as tiny-diffusion uses it, recentred and scaled by 1/1.5 (both axes,
 * so the shape keeps its aspect) to span x in [-1, 1], y in [-0.5, 0.5] (+ noise).
 * s ~ U(0,1); upper moon (cos pi s, sin pi s), lower moon (1 - cos pi s, 0.5 - sin pi s), each with prob 1/2;
 * add N(0, 0.03^2 I), then (x, y) <- ((x - 0.5) / 1.5, (y - 0.25) / 1.5).
 */
function moons(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  for (let i = 0; i < n; i++) {
    const a = Math.PI * rng.uniform();
    const upper = rng.uniform() < 0.5;
    let x = upper ? Math.cos(a) : 1 - Math.cos(a);
    let y = upper ? Math.sin(a) : 0.5 - Math.sin(a);
    x += 0.03 * rng.normal();
    y += 0.03 * rng.normal();
    p.data[2 * i] = (x - 0.5) / 1.5;
    p.data[2 * i + 1] = (y - 0.25) / 1.5;
  }
  return p;
}

/**
 * cross: an X, two bars along the diagonals crossing at the origin. Bar chosen with prob 1/2;
 * position t ~ U(-1, 1) along it, offset w ~ N(0, 0.03^2) across it:
 * bar 1 (t, t) + w (-1, 1)/sqrt 2,  bar 2 (t, -t) + w (1, 1)/sqrt 2.  Spans [-1, 1]^2.
 */
function cross(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  const h = Math.SQRT1_2;
  for (let i = 0; i < n; i++) {
    const t = 2 * rng.uniform() - 1;
    const w = 0.03 * rng.normal();
    const s = rng.uniform() < 0.5 ? 1 : -1;
    p.data[2 * i] = t - s * w * h;
    p.data[2 * i + 1] = s * t + w * h;
  }
  return p;
}

/**
 * circles: sklearn make_circles(factor=0.5, noise=0.02): radius 1 or 0.5 with prob 1/2 each, angle ~ U(0, 2 pi),
 * plus N(0, 0.02^2 I). Spans [-1, 1]^2.
 */
function circles(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  for (let i = 0; i < n; i++) {
    const a = 2 * Math.PI * rng.uniform();
    const r = rng.uniform() < 0.5 ? 1 : 0.5;
    p.data[2 * i] = r * Math.cos(a) + 0.02 * rng.normal();
    p.data[2 * i + 1] = r * Math.sin(a) + 0.02 * rng.normal();
  }
  return p;
}

/**
 * gaussians: the "8 Gaussians" of the FFJORD / flow papers, scaled down: centres 0.8 (cos 2 pi k/8, sin 2 pi k/8),
 * k ~ U{0..7}, each N(centre, 0.05^2 I). Spans about [-0.95, 0.95]^2.
 */
function gaussians(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * rng.intBelow(8)) / 8;
    p.data[2 * i] = 0.8 * Math.cos(a) + 0.05 * rng.normal();
    p.data[2 * i + 1] = 0.8 * Math.sin(a) + 0.05 * rng.normal();
  }
  return p;
}

/**
 * checkerboard: FFJORD's, halved to [-1, 1]^2: a 4 x 4 board of 0.5-wide squares, the 8 "black" ones filled
 * uniformly (density 1/2 on them, 0 elsewhere). x1 ~ U(-2, 2); x2 = U(0, 1) - 2 B + (floor(x1) mod 2), B ~ Bern(1/2);
 * then (x1, x2) / 2.
 */
function checkerboard(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  for (let i = 0; i < n; i++) {
    const x1 = 4 * rng.uniform() - 2;
    const b = rng.uniform() < 0.5 ? 1 : 0;
    const x2 = rng.uniform() - 2 * b + (((Math.floor(x1) % 2) + 2) % 2);
    p.data[2 * i] = x1 / 2;
    p.data[2 * i + 1] = x2 / 2;
  }
  return p;
}

/**
 * spiral: two interleaved Archimedean arms (FFJORD's "2spirals" shape, radius normalised to 1).
 * theta = 3 pi sqrt(u), u ~ U(0,1) (sqrt: arc length grows as theta^2, so points are about uniform along the arm);
 * r = theta / (3 pi); arm 1 r (-cos theta, sin theta), arm 2 its negation (prob 1/2); + N(0, 0.02^2 I). Spans [-1, 1]^2.
 */
function spiral(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  for (let i = 0; i < n; i++) {
    const theta = 3 * Math.PI * Math.sqrt(rng.uniform());
    const r = theta / (3 * Math.PI);
    const s = rng.uniform() < 0.5 ? 1 : -1;
    p.data[2 * i] = -s * r * Math.cos(theta) + 0.02 * rng.normal();
    p.data[2 * i + 1] = s * r * Math.sin(theta) + 0.02 * rng.normal();
  }
  return p;
}

/**
 * gaussian: standard 2-D normal N(0, I); log density -log(2 pi) - |x|^2 / 2. The one set whose true negative
 * log-likelihood is known in closed form (entropy log(2 pi e) = 2.8379 nats), so bound tests compare against it.
 */
function gaussian(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  for (let i = 0; i < 2 * n; i++) p.data[i] = rng.normal();
  return p;
}

/**
 * line: tiny-diffusion's "line", a uniform vertical strip, scaled by 1/4 instead of 4: x ~ U(-0.5, 0.5),
 * y ~ U(-1, 1) (density 1/2 inside). A strip, not a 1-D segment: a zero-width set has no density to bound.
 */
function line(n: number, rng: Rng): Points {
  const p = makePoints(n, 2);
  for (let i = 0; i < n; i++) {
    p.data[2 * i] = rng.uniform() - 0.5;
    p.data[2 * i + 1] = 2 * rng.uniform() - 1;
  }
  return p;
}

/** A named data set: its generator (n points, deterministic for a seed) and one line for --help. */
export interface DatasetInfo {
  description: string;
  generate(n: number, rng: Rng): Points;
}

/** The named toy data sets (swissroll, moons, cross, ...), each one small generator. */
export const DATASETS: Record<string, DatasetInfo> = {
  swissroll: { description: 'sklearn swiss roll (x, z), scaled to about [-1, 1]', generate: swissroll },
  moons: { description: 'two interleaving half circles, noise 0.03 (tiny-diffusion)', generate: moons },
  cross: { description: 'an X: two diagonal bars crossing at the origin', generate: cross },
  circles: { description: 'two concentric circles, radii 1 and 0.5', generate: circles },
  gaussians: { description: '8 Gaussians (std 0.05) on a ring of radius 0.8', generate: gaussians },
  checkerboard: { description: '4 x 4 checkerboard on [-1, 1]^2, 8 squares filled', generate: checkerboard },
  spiral: { description: 'two interleaved spiral arms', generate: spiral },
  gaussian: { description: 'standard 2-D normal (known density, for bound tests)', generate: gaussian },
  line: { description: 'uniform strip [-0.5, 0.5] x [-1, 1] (tiny-diffusion line)', generate: line },
};

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Refuse point counts that are not a positive integer or that would not fit a Float32Array comfortably. */
function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_CELLS) {
    throw new UsageError(`${what} must be an integer in [1, ${MAX_CELLS}], got ${n}`);
  }
}

/** n points of the named data set, deterministic for (name, n, seed). */
export function getDataset(name: string, n: number, seed: number): Points {
  const ds = hasOwn(DATASETS, name) ? DATASETS[name] : undefined;
  if (!ds) {
    throw new UsageError(`unknown data set "${name}"; choose one of ${Object.keys(DATASETS).join(', ')}`);
  }
  checkCount(n, 'number of points');
  return ds.generate(n, new Rng(seed));
}

/**
 * A data set name or a path to a .csv file (read with `readText`, so this module needs no file system).
 * For a CSV the whole file is returned and `n`, `seed` are ignored: subsample the result if fewer rows are wanted.
 */
export function loadDataset(spec: string, n: number, seed: number, readText: (path: string) => string): Points {
  if (hasOwn(DATASETS, spec)) return getDataset(spec, n, seed);
  if (/\.csv$/i.test(spec)) {
    let text: string;
    try {
      text = readText(spec);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read "${spec}": ${oneLine((e as Error).message ?? String(e))}`);
    }
    return parseCsv(text, spec);
  }
  throw new UsageError(
    `unknown data set "${spec}"; choose one of ${Object.keys(DATASETS).join(', ')}, or give a path ending in .csv`,
  );
}

// ---------------------------------------------------------------------------------------------------
// CSV

/** Refuse files larger than this many numbers (40 MB as f32) rather than exhaust a browser tab. */
export const MAX_CELLS = 10_000_000;
/** Low-dimensional data only: an MLP on d > 64 inputs is not what this tool is for. */
export const MAX_COLUMNS = 64;

// A plain decimal number. Stricter than Number(): rejects '', '0x10', '1_000', 'Infinity'.
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NONFINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;

const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
const quote = (s: string) => JSON.stringify(s.length > 40 ? s.slice(0, 40) + '...' : s);

/**
 * Parse CSV text with a header row and only numeric columns into f32 points. `source` names the file in errors.
 * Accepts a BOM, CRLF, quoted fields, surrounding spaces and blank lines (skipped). Errors name file, line, column.
 * Files with a quote character go through csv-parse; plain ones through a line splitter (same records, faster).
 */
export function parseCsv(text: string, source: string): Points {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new FormatError(`${source}: empty file; expected a header row such as x,y then rows of numbers`);

  // Upper bound on rows before parsing anything big (quoted newlines only make it an overestimate).
  let lines = text.endsWith('\n') ? 0 : 1;
  for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) lines++;

  let header: string[] | null = null;
  let d = 0;
  let data = new Float32Array(0);
  let n = 0;
  const onRecord = (rec: string[], ctx: { lines: number }): null => {
    if (header === null) {
      header = rec;
      d = rec.length;
      if (d > MAX_COLUMNS) {
        throw new UsageError(`${source}: ${d} columns; at most ${MAX_COLUMNS} are supported (low-dimensional data only)`);
      }
      if (rec.every((c) => NUMBER_RE.test(c) || NONFINITE_RE.test(c))) {
        throw new FormatError(
          `${source}: line ${ctx.lines}: first row ${quote(rec.join(','))} is numeric; a header row naming the columns (e.g. x,y) is required`,
        );
      }
      if ((lines - 1) * d > MAX_CELLS) {
        throw new UsageError(`${source}: about ${lines - 1} rows x ${d} columns exceeds the limit of ${MAX_CELLS} numbers`);
      }
      data = new Float32Array(Math.max(lines - 1, 1) * d);
      return null;
    }
    if (rec.length !== d) {
      throw new FormatError(`${source}: line ${ctx.lines}: ${rec.length} fields, but the header has ${d} (${quote(header.join(','))})`);
    }
    for (let j = 0; j < d; j++) {
      const cell = rec[j];
      const where = () => `${source}: line ${ctx.lines}, column ${j + 1} (${quote(header![j])})`;
      if (!NUMBER_RE.test(cell)) {
        if (NONFINITE_RE.test(cell)) throw new FormatError(`${where()}: ${quote(cell)} is not finite; NaN and Inf are not allowed`);
        if (cell === '') throw new FormatError(`${where()}: empty cell; every cell must be a number`);
        throw new FormatError(`${where()}: ${quote(cell)} is not a number`);
      }
      const v = Math.fround(Number(cell));
      if (!Number.isFinite(v)) throw new FormatError(`${where()}: ${quote(cell)} overflows float32 (|x| < 3.4e38)`);
      data[n * d + j] = v;
    }
    n++;
    return null;
  };

  if (!text.includes('"')) {
    // Fast path for the usual unquoted file: in Node csv-parse reads ~0.5 M cells/s (its browser build ~0.2 M);
    // splitting lines and commas, ~1.5 M cells/s including validation, reads the same records when there are no quotes.
    let line = 0;
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      line++;
      const raw = text.slice(start, end);
      start = end + 1;
      if (raw.trim() === '') continue;
      onRecord(raw.split(',').map((c) => c.trim()), { lines: line });
    }
  } else {
    try {
      parse(text, {
        skip_empty_lines: true,
        trim: true,
        relax_column_count: true,
        // A line of only spaces trims to one empty field: skip it like a blank line, as the fast path does.
        on_record: ((rec: string[], ctx: { lines: number }) =>
          rec.length === 1 && rec[0] === '' ? null : onRecord(rec, ctx)) as never,
      });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new FormatError(`${source}: not valid CSV: ${oneLine((e as Error).message)}`);
    }
  }
  if (header === null) throw new FormatError(`${source}: empty file; expected a header row such as x,y then rows of numbers`);
  if (n === 0) throw new FormatError(`${source}: header ${quote((header as string[]).join(','))} but no data rows`);
  return { data: data.slice(0, n * d), n, d };
}

/** Shortest decimal (6 to 9 significant digits) that reads back to the same f32. */
export function formatF32(x: number): string {
  if (x === 0) return '0';
  for (let p = 6; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return trimZeros(s);
  }
  return trimZeros(x.toPrecision(9)); // 9 significant digits always round-trip an f32
}

function trimZeros(s: string): string {
  const e = s.indexOf('e');
  let m = e === -1 ? s : s.slice(0, e);
  const exp = e === -1 ? '' : s.slice(e).replace('+', '');
  if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
  return m + exp;
}

/** CSV with header x,y for 2-D points, else x0,x1,...; LF line endings, trailing newline. */
export function toCsv(p: Points): string {
  const header = p.d === 2 ? ['x', 'y'] : Array.from({ length: p.d }, (_, j) => `x${j}`);
  const out: string[] = [header.join(',')];
  const row: string[] = new Array(p.d);
  for (let i = 0; i < p.n; i++) {
    for (let j = 0; j < p.d; j++) row[j] = formatF32(p.data[i * p.d + j]);
    out.push(row.join(','));
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// Standardisation: z = (x - mean) / std per column. The model is trained on z; samples are mapped back.

/** Per-column mean and standard deviation: models train on standardised coordinates and sample back to data units. */
export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Column means and (population) standard deviations, accumulated in f64 in two passes. std is floored at
 * 1e-6 max(1, |mean|): a constant column then maps to 0 instead of dividing by zero, and the floor stays above
 * the f32 spacing of values near `mean` (about 6e-8 |mean|), below which "variation" is rounding.
 */
export function fitStandardization(p: Points): Standardization {
  const { data, n, d } = p;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = data[i * d + j] - mean[j];
      std[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) std[j] = Math.max(Math.sqrt(std[j] / n), 1e-6 * Math.max(1, Math.abs(mean[j])));
  return { mean, std };
}

function checkDims(p: Points, s: Standardization): void {
  if (s.mean.length !== p.d || s.std.length !== p.d) {
    throw new UsageError(`standardization is for ${s.mean.length} columns but the points have ${p.d}`);
  }
}

export function standardize(p: Points, s: Standardization): Points {
  checkDims(p, s);
  const out = makePoints(p.n, p.d);
  for (let i = 0; i < p.n; i++) {
    for (let j = 0; j < p.d; j++) out.data[i * p.d + j] = (p.data[i * p.d + j] - s.mean[j]) / s.std[j];
  }
  return out;
}

export function unstandardize(p: Points, s: Standardization): Points {
  checkDims(p, s);
  const out = makePoints(p.n, p.d);
  for (let i = 0; i < p.n; i++) {
    for (let j = 0; j < p.d; j++) out.data[i * p.d + j] = p.data[i * p.d + j] * s.std[j] + s.mean[j];
  }
  return out;
}

/**
 * log |det dz/dx|^-1 = sum_j log std_j. With z = (x - mean) / std, log p_x(x) = log p_z(z) - sum_j log std_j,
 * so an NLL bound in nats computed on z becomes one in data units by adding this.
 */
export function logDetJacobian(s: Standardization): number {
  let t = 0;
  for (const v of s.std) t += Math.log(v);
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Row helpers

/** Rows [start, start + count) as a view sharing memory with `p` (no copy). */
export function slicePoints(p: Points, start: number, count: number): Points {
  if (start < 0 || count < 0 || start + count > p.n) {
    throw new UsageError(`rows [${start}, ${start + count}) are outside a set of ${p.n} points`);
  }
  return { data: p.data.subarray(start * p.d, (start + count) * p.d), n: count, d: p.d };
}

/** All rows of the given sets, in order, in a new array. */
export function concatRows(...sets: Points[]): Points {
  if (sets.length === 0) throw new UsageError('concatRows needs at least one point set');
  const d = sets[0].d;
  let n = 0;
  for (const s of sets) {
    if (s.d !== d) throw new UsageError(`cannot stack points of dimension ${s.d} under points of dimension ${d}`);
    n += s.n;
  }
  const out = makePoints(n, d);
  let off = 0;
  for (const s of sets) {
    out.data.set(s.data.subarray(0, s.n * d), off);
    off += s.n * d;
  }
  return out;
}

/** The row order of a uniformly random permutation's first `k` entries (partial Fisher-Yates). */
function randomRows(n: number, k: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.intBelow(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.subarray(0, k);
}

function gatherRows(p: Points, rows: ArrayLike<number>, from: number, count: number): Points {
  const out = makePoints(count, p.d);
  for (let i = 0; i < count; i++) {
    const r = rows[from + i];
    out.data.set(p.data.subarray(r * p.d, (r + 1) * p.d), i * p.d);
  }
  return out;
}

/** n rows drawn without replacement, in random order (a copy). */
export function subsample(p: Points, n: number, rng: Rng): Points {
  if (!Number.isInteger(n) || n < 0 || n > p.n) {
    throw new UsageError(`cannot draw ${n} points without replacement from a set of ${p.n}`);
  }
  return gatherRows(p, randomRows(p.n, n, rng), 0, n);
}

/**
 * `count` disjoint random subsets of `size` rows each (copies): one random permutation cut into consecutive
 * blocks. Used for eval draws, where an ordered file (e.g. sorted by class) must not give biased blocks.
 */
export function splitDraws(p: Points, count: number, size: number, rng: Rng): Points[] {
  if (count * size > p.n) {
    throw new UsageError(`cannot take ${count} disjoint draws of ${size} points from a set of ${p.n}`);
  }
  const rows = randomRows(p.n, count * size, rng);
  return Array.from({ length: count }, (_, k) => gatherRows(p, rows, k * size, size));
}
