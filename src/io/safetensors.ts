/**
 * The public safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * u64 header length N, N bytes of UTF-8 JSON header padded with spaces so the tensor data starts 8-byte
 * aligned, then the raw little-endian tensor bytes. The header maps each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data start) plus an optional
 * `"__metadata__": {string: string}`. We write tensors in sorted name order, contiguous, so a file written
 * twice from the same tensors is byte-identical (checkpoint checksums rely on that).
 *
 * This file is the format only: no file I/O, no knowledge of what a checkpoint contains (that is the
 * checkpoint module's job). Browser-safe. Decoding trusts nothing: every way a file can be malformed is a
 * FormatError with one line naming the file and the problem, never a RangeError from a typed-array
 * constructor. Assumes a little-endian host (every browser and Node platform we target).
 */
import { FormatError } from '../util/errors';

/** The dtypes of the safetensors spec; half floats and f8 are kept as their raw bit patterns. */
export type Dtype =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E5M2' | 'F8_E4M3'
  | 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

export type TensorData =
  | Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array
  | Int8Array | Uint8Array | BigInt64Array | BigUint64Array;

export interface TensorEntry {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

type TensorCtor = { new (buffer: ArrayBuffer): TensorData; readonly BYTES_PER_ELEMENT: number; readonly name: string };

/** dtype -> the typed array that holds it (element size is its BYTES_PER_ELEMENT). */
const DTYPES: Record<Dtype, TensorCtor> = {
  F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array,
  F8_E5M2: Uint8Array, F8_E4M3: Uint8Array,
  I64: BigInt64Array, U64: BigUint64Array, I32: Int32Array, U32: Uint32Array,
  I16: Int16Array, U16: Uint16Array, I8: Int8Array, U8: Uint8Array, BOOL: Uint8Array,
};

const METADATA_KEY = '__metadata__';
/** Real headers are kilobytes; a larger claim means a foreign or corrupt file, not a huge model. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, s);
}

function dtypeSize(dtype: Dtype): number {
  return DTYPES[dtype].BYTES_PER_ELEMENT;
}

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Plain-object assignment would turn a tensor named "__proto__" into a prototype swap. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function encodeSafetensors(tensors: Record<string, TensorEntry>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    const meta: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      if (typeof metadata[k] !== 'string') throw new TypeError(`safetensors metadata "${k}" must be a string`);
      setOwn(meta, k, metadata[k]);
    }
    header[METADATA_KEY] = meta;
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new TypeError(`"${METADATA_KEY}" cannot be a tensor name`);
    const { dtype, shape, data } = tensors[name];
    if (!isDtype(dtype)) throw new TypeError(`tensor "${name}": unknown dtype ${String(dtype)}`);
    const ctor = DTYPES[dtype];
    if (!(data instanceof ctor)) {
      throw new TypeError(`tensor "${name}": dtype ${dtype} needs a ${ctor.name}, got ${data?.constructor?.name}`);
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new TypeError(`tensor "${name}": bad shape [${shape}]`);
    if (shapeSize(shape) !== data.length) {
      throw new TypeError(`tensor "${name}": shape [${shape}] holds ${shapeSize(shape)} elements, data has ${data.length}`);
    }
    setOwn(header, name, { dtype, shape: [...shape], data_offsets: [offset, offset + data.byteLength] });
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8; // 8 (length field) + padded is then a multiple of 8
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

interface Span {
  name: string;
  begin: number;
  end: number;
}

export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'file',
): { tensors: Record<string, TensorEntry>; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new FormatError(`${source}: ${problem}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors file (needs at least the 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    fail(`declared header length ${declared} bytes is absurd (limit ${MAX_HEADER_BYTES}); not a safetensors file?`);
  }
  const headerLen = Number(declared);
  if (8 + headerLen > bytes.length) {
    fail(`declared header length ${headerLen} bytes runs past the end of the ${bytes.length}-byte file (truncated?)`);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    return fail('header is not valid JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const head = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const spans: Span[] = [];
  const infos: { name: string; dtype: Dtype; shape: number[] }[] = [];

  for (const name of Object.keys(head)) {
    const entry = head[name];
    if (name === METADATA_KEY) {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`"${METADATA_KEY}" is not an object`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`metadata "${k}" is not a string`);
        setOwn(metadata, k, v as string);
      }
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`tensor "${name}" entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (!isDtype(dtype)) fail(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype) ?? 'undefined'}`);
    const dt = dtype as Dtype;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor "${name}" shape ${JSON.stringify(shape) ?? 'undefined'} is not a list of non-negative integers`);
    }
    const sh = shape as number[];
    if (
      !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      fail(
        `tensor "${name}" data_offsets ${JSON.stringify(offsets) ?? 'undefined'} is not a [begin, end] pair of integers with begin <= end`,
      );
    }
    const [begin, end] = offsets as number[];
    const expected = shapeSize(sh) * dtypeSize(dt);
    if (end - begin !== expected) {
      fail(`tensor "${name}" is ${end - begin} bytes but shape [${sh}] of ${dt} needs ${expected}`);
    }
    if (end > dataLen) fail(`tensor "${name}" data_offsets [${begin}, ${end}] lie outside the ${dataLen}-byte data area`);
    spans.push({ name, begin, end });
    infos.push({ name, dtype: dt, shape: sh });
  }

  // The data area must be tiled exactly: no overlaps (two tensors sharing bytes), no gaps or trailing
  // bytes (hidden data the checksum would cover but nobody reads).
  const sorted = [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let prev: Span | null = null;
  for (const s of sorted) {
    if (s.begin < covered && prev) fail(`tensors "${prev.name}" and "${s.name}" overlap in the data area`);
    if (s.begin > covered) fail(`data area bytes ${covered}..${s.begin} belong to no tensor`);
    covered = s.end;
    prev = s;
  }
  if (covered !== dataLen) fail(`data area has ${dataLen - covered} trailing bytes after the last tensor (${covered} of ${dataLen} used)`);

  const tensors: Record<string, TensorEntry> = {};
  for (let i = 0; i < infos.length; i++) {
    const { name, dtype, shape } = infos[i];
    const { begin, end } = spans[i];
    // Copy into a fresh buffer: the source offset is rarely a multiple of the element size, and a view
    // would also keep the whole file alive.
    const buf = new ArrayBuffer(end - begin);
    new Uint8Array(buf).set(bytes.subarray(dataStart + begin, dataStart + end));
    setOwn(tensors, name, { dtype, shape, data: new DTYPES[dtype](buf) });
  }
  return { tensors, metadata };
}

let CRC_TABLE: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as used by zip and PNG; pass `crc` to continue. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
