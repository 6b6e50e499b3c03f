/**
 * CSV in and out: `parseCsv` reads a header row and numeric columns into f32 points with one-line errors naming
 * the file, line, column and value; `toCsv` writes points back with the shortest decimals that read back to the
 * same f32. Browser-safe: text in, text out.
 */
// csv-parse's browser build: same parser, with its Buffer polyfill bundled. The Node build ('csv-parse/sync')
// touches a global Buffer when imported, which would break this module in a browser.
import { parse } from 'csv-parse/browser/esm/sync';
import { FormatError, UsageError } from '../util/errors';
import type { Points } from './points';

/** Refuse files larger than this many numbers (40 MB as f32) rather than exhaust a browser tab. */
export const MAX_CELLS = 10_000_000;
/** Low-dimensional data only: an MLP on d > 64 inputs is not what this tool is for. */
const MAX_COLUMNS = 64;

// A plain decimal number. Stricter than Number(): rejects '', '0x10', '1_000', 'Infinity'.
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NONFINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;

/** The message of a caught error on one line (a parser's may span several). */
export const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
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
          `${source}: line ${ctx.lines}: first row ${quote(rec.join(','))} is numeric; ` +
            'a header row naming the columns (e.g. x,y) is required',
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
