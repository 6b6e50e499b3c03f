#!/usr/bin/env node
/**
 * `ddpm-wasm <command>`: the dispatcher. Each command is a module of its own (src/cli/<command>.ts) holding a
 * table of options (which also generates its --help, with the shared ones from options.ts) and a run function.
 * Errors a user can act on print one line and exit 2; anything else is a bug: one line too, and the stack only
 * with DDPM_DEBUG=1.
 */
import '../engine/wasm-embedded';
import { parseArgs } from 'node:util';
import { UsageError } from '../util/errors';
import { VERSION } from '../util/version';
import { dataCommand } from './data';
import { evalCommand } from './eval';
import { exportCommand } from './export';
import { COMMON, type Command, type OptType } from './options';
import { sampleCommand } from './sample';
import { serveCommand } from './serve';
import { studyCommand } from './study';
import { trainCommand } from './train';

const commands: Record<string, Command> = {
  train: trainCommand,
  sample: sampleCommand,
  data: dataCommand,
  eval: evalCommand,
  study: studyCommand,
  serve: serveCommand,
  export: exportCommand,
};

function helpText(name: string, c: Command): string {
  const opts = [...c.opts, ...COMMON];
  const left = opts.map((o) => `  ${o.short ? `-${o.short}, ` : ''}--${o.name}${o.arg ? ` ${o.arg}` : ''}`);
  const w = Math.min(40, Math.max(...left.map((l) => l.length)) + 2);
  return [
    `ddpm-wasm ${name}: ${c.summary}`,
    '',
    `usage: node dist/cli.js ${c.usage}`,
    '',
    ...(c.details ? [...c.details, ''] : []),
    'options:',
    ...opts.map((o, i) => (left[i].length >= w ? `${left[i]}\n${' '.repeat(w)}${o.help}` : `${left[i].padEnd(w)}${o.help}`)),
    '',
  ].join('\n');
}

function mainHelp(): string {
  return [
    `ddpm-wasm ${VERSION}: denoising diffusion probabilistic models (Ho et al. 2020) on low-dimensional data`,
    '',
    'usage: node dist/cli.js <command> [options]      (node dist/cli.js <command> --help for its options)',
    '',
    'commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`),
    '',
    'global options: --help, --version',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(', ')} (see --help)`);
  const options: Record<string, { type: OptType; short?: string }> = {};
  for (const o of [...cmd.opts, ...COMMON]) options[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[] = [];
  try {
    // `--lr -1` would be "ambiguous" to parseArgs: glue a negative number to its flag so range checks can name it.
    const args: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i].startsWith('--') ? rest[i].slice(2) : '';
      if (options[flag]?.type === 'string' && /^-(\d|\.\d)/.test(rest[i + 1] ?? '')) args.push(`${rest[i]}=${rest[++i]}`);
      else args.push(rest[i]);
    }
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: !!cmd.positionals });
    values = parsed.values as Record<string, string | boolean | undefined>;
    positionals = parsed.positionals;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${name}: ${msg} (see ${name} --help)`);
  }
  if (values.help) {
    process.stdout.write(helpText(name, cmd));
    return 0;
  }
  return cmd.run(values, name, positionals);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      const err = e as Error;
      process.stderr.write(`error: internal: ${err?.message ?? String(e)} (this is a bug; rerun with DDPM_DEBUG=1 for details)\n`);
      if (process.env.DDPM_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
      process.exitCode = 1;
    }
  },
);
