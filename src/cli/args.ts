/**
 * The CLI's plumbing shared by every command module: an option table (which also generates --help),
 * strict number parsing with one-line errors that name the flag and the value.
 */
import { checkInt } from '../diffusion/config';
import { UsageError } from '../util/errors';

export type OptType = 'string' | 'boolean';
export interface Opt {
  name: string;
  type: OptType;
  arg?: string; // placeholder in help
  help: string;
  short?: string;
}
export interface Command {
  summary: string;
  usage: string;
  opts: Opt[];
  /** The command takes positional arguments (e.g. `study schedules`); they reach run() as `positionals`. */
  positionals?: boolean;
  run(v: Record<string, string | boolean | undefined>, cmd: string, positionals?: string[]): Promise<number>;
}

export type Values = Record<string, string | boolean | undefined>;

export function num(v: Record<string, unknown>, name: string): number | undefined {
  const raw = v[name];
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new UsageError(`--${name} expects a number, got "${raw}"`);
  return Number(s);
}
export function int(v: Record<string, unknown>, name: string, lo: number, hi: number): number | undefined {
  const x = num(v, name);
  return x === undefined ? undefined : checkInt(`--${name}`, x, lo, hi);
}
export function str(v: Record<string, unknown>, name: string): string | undefined {
  const x = v[name];
  return x === undefined ? undefined : String(x);
}

