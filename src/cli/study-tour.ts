/**
 * `study tour`: the forward process, the reverse process, trajectories and schedules on swissroll, moons and cross as
 * one command (src/lab/tour.ts): one self-contained report (uPlot inlined, nothing fetched), a terminal summary and
 * summary.json. One progress bar over the whole job. At its defaults it fits in about 5 minutes on a 2-core machine;
 * --quick is a seconds-long smoke run.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_RUN } from '../diffusion/config';
import { DATASETS, getDataset } from '../data/datasets';
import { UsageError } from '../util/errors';
import { FRESH_SEED_OFFSET } from '../eval/draws';
import { type TourOptions, TOUR_DATASETS, tourReport, tourSummary, formatTour, runTour } from '../lab/tour';
import { type Values, inputScaleOption, int, str, tSamplingOption } from './options';
import { writeFileAtomic } from './fsutil';
import { progress } from './progress';
import { loadReportAssets } from './report-assets';
import { renderReport } from '../report/render';
import { ALL_SCHEDULES, type ScheduleName } from '../schedule/schedule';
import { VERSION } from '../util/version';

/**
 * Default budget. 5 schedules x 3 data sets = 15 models; at ~120-150 steps/s (default model, batch 256, 2 threads)
 * 1500 steps each is ~10-12 s of training, and judging a model (bound, 2000 samples, distances, the two-sample
 * test on them) ~2-3 s, which
 * leaves the trajectories and fields of the three main models inside 5 minutes.
 */
export const TOUR_STEPS = 1500;

const list = (v: Values, name: string) => str(v, name)?.split(',').map((x) => x.trim()).filter(Boolean);

function stamp(): string {
  const d = new Date(), p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function tourOptions(v: Values): TourOptions {
  const quick = !!v.quick;
  const datasets = list(v, 'datasets') ?? TOUR_DATASETS;
  for (const n of datasets) if (!Object.prototype.hasOwnProperty.call(DATASETS, n))
    throw new UsageError(`unknown data set "${n}" in --datasets; choose from ${Object.keys(DATASETS).join(', ')}`);
  if (datasets.length === 0) throw new UsageError('--datasets needs at least one data set');
  const schedules = (list(v, 'schedules') ?? [...ALL_SCHEDULES]) as ScheduleName[];
  for (const s of schedules) if (!(ALL_SCHEDULES as readonly string[]).includes(s))
    throw new UsageError(`unknown schedule "${s}"; choose from ${ALL_SCHEDULES.join(', ')}`);
  if (schedules.length === 0) throw new UsageError('--schedules needs at least one schedule');
  const D = DEFAULT_RUN;
  const seed = int(v, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? D.seed;
  const nData = int(v, 'n-data', 100, 1e7) ?? (quick ? 600 : D.nData);
  const vlbN = quick ? 60 : 1000, draws = quick ? 1 : 4, size = quick ? 60 : 500;
  return {
    datasets, schedules, seed: 1, vlbN, draws, size,
    base: {
      nData, seed, steps: int(v, 'steps', 1, 1e9) ?? (quick ? 30 : TOUR_STEPS), T: int(v, 'T', 2, 100000) ?? (quick ? 10 : D.T),
      ...tSamplingOption(v),
      batch: quick ? 32 : D.batch, model: { ...(quick ? { width: 16, depth: 1, embedSize: 8 } : {}), ...inputScaleOption(v) },
    },
    data: (name) => ({
      train: getDataset(name, nData, seed),
      heldOut: getDataset(name, vlbN + 2 * draws * size, seed + FRESH_SEED_OFFSET),
    }),
    trajectories: quick ? { nOverlap: 60, starts: 10, runs: 2, fanRuns: 3, lines: 8, k: 5 }
      : { nOverlap: 500, starts: 100, runs: 4, fanRuns: 30, lines: 30, k: 10 },
    fieldGrid: quick ? 7 : 19,
    nllN: quick ? 20 : 500,
    reverseN: quick ? 100 : 1000,
  };
}

export async function runTourCli(v: Values): Promise<number> {
  const quiet = !!v.quiet, o = tourOptions(v);
  const out = resolve(str(v, 'out') ?? join('runs', `study-tour-${stamp()}`));
  mkdirSync(out, { recursive: true });
  if (!quiet) process.stderr.write(`ddpm-wasm ${VERSION}: study tour on ${o.datasets.join(', ')}: ` +
    `${o.schedules.length} schedules each, ${o.base.steps} steps of batch ${o.base.batch}\n`);
  let bar: ReturnType<typeof progress> | undefined;
  const res = await runTour({
    ...o,
    onProgress: (done, total, what, info) => {
      bar ??= progress('tour', total, { quiet, unit: 'units' });
      bar.update(done, { now: what, ...info });
    },
  });
  bar?.stop();
  const reportPath = join(out, 'report.html');
  writeFileAtomic(reportPath, renderReport(tourReport(res), loadReportAssets()));
  const summary = tourSummary(res, reportPath);
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stdout.write(formatTour(res) + `${res.seconds.toFixed(0)} s; report: ${reportPath}\n`);
  return 0;
}
