/**
 * Crash-safe file output: write a temporary file beside the target, flush it to disk, then rename it over
 * the target (atomic on POSIX filesystems). A process killed at any instant leaves either the old file or
 * the new one, never a half-written one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { UsageError } from '../util/errors';

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd = -1;
  try {
    fd = openSync(tmp, 'w', 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw new UsageError(`cannot write ${path}: ${(e as Error).message}`);
  }
  removeStaleTemps(dir, basename(path));
  try {
    // Make the rename itself durable.
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    /* not supported on every filesystem */
  }
}

/**
 * A writer killed between open and rename leaves its temporary file behind (never the target): remove those
 * of `name` whose process is gone, so periodic checkpoints of a run killed many times do not pile up.
 */
function removeStaleTemps(dir: string, name: string): void {
  const prefix = `.${name}.tmp-`;
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((f) => f.startsWith(prefix));
  } catch {
    return;
  }
  for (const f of entries) {
    const pid = Number(f.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0); // still alive (or another process has the pid now): leave it alone
      continue;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    try {
      unlinkSync(join(dir, f));
    } catch {
      /* removed by someone else */
    }
  }
}

/** Read a whole file, or a one-line UsageError naming it. Refuses absurd sizes before reading. */
export function readFileChecked(path: string, what: string, maxBytes = 2 ** 31): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${what} ${path} is a directory, not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${path}: ` +
      `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (size > maxBytes) throw new UsageError(`${what} ${path} is ${size} bytes, more than the ${maxBytes} this command reads`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

export function readTextChecked(path: string, what: string): string {
  return new TextDecoder('utf-8').decode(readFileChecked(path, what, 1 << 30));
}
