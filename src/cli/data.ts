/** `data`: points of a toy data set as CSV (`--list` describes them). */
import { DATASETS, getDataset } from '../data/datasets';
import { toCsv } from '../data/csv';
import { UsageError } from '../util/errors';
import { writeFileAtomic } from './fsutil';
import { type Command, int, str } from './options';

export const dataCommand: Command = {
  summary: 'write points of a toy data set as CSV',
  usage: 'data --dataset NAME [--n N] [--seed S] [--out FILE.csv]',
  opts: [
    { name: 'dataset', type: 'string', arg: 'NAME', help: `one of ${Object.keys(DATASETS).join(', ')}` },
    { name: 'n', type: 'string', arg: 'N', help: 'number of points (default 1000)' },
    { name: 'seed', type: 'string', arg: 'S', help: 'random seed (default 0)' },
    { name: 'out', type: 'string', arg: 'FILE.csv', help: 'write here (default: stdout)' },
    { name: 'list', type: 'boolean', help: 'list the data sets with their descriptions' },
  ],
  async run(v) {
    if (v.list) {
      for (const [name, info] of Object.entries(DATASETS)) process.stdout.write(`${name.padEnd(13)} ${info.description}\n`);
      return 0;
    }
    const name = str(v, 'dataset');
    if (!name) throw new UsageError('data needs --dataset NAME (see data --list)');
    const pts = getDataset(name, int(v, 'n', 1, 1e7) ?? 1000, int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 0);
    const out = str(v, 'out');
    if (out) {
      writeFileAtomic(out, toCsv(pts));
      process.stdout.write(v.json ? JSON.stringify({ out, n: pts.n }) + '\n' : `wrote ${pts.n} points to ${out}\n`);
    } else process.stdout.write(toCsv(pts));
    return 0;
  },
};
