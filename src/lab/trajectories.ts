/**
 * Trajectories through the forward and the reverse process, and the seed's question "does the starting position
 * influence the ending position?" answered with two numbers per sampler:
 *
 * - spread: the same x_T run R times; the RMS distance of the R endings from their own centroid, averaged over
 *   starts, divided by the RMS distance of the data from theirs (1 = the endings scatter like the whole data set,
 *   0 = x_T fixes x_0). DDPM draws fresh noise each run; DDIM with eta = 0 is deterministic (0 by construction).
 * - neighbourhood overlap: for N starts, the mean fraction of each point's k nearest neighbours among the x_T that
 *   are still among its k nearest neighbours among the x_0 (standardised units); a random matching of starts to
 *   endings gives k/(N-1) in expectation (also measured, with a random permutation).
 *
 * - colour overlap: the same overlap with each start's neighbourhood taken in the colour it is drawn in (its place
 *   on the colour wheel of src/report/colour.ts, as OKLab): the figure the coloured charts show, so a chart whose colours
 *   stay ordered and a number far above k/(N-1) say the same thing.
 *
 * Besides the figures it returns what the charts draw: starts and endings with the starts' colours, fans (a few
 * starts run many times), and a few dozen positions against t, forward and reverse.
 * trajectorySections turns a study into report sections (plain data); drawing is src/report/charts.ts's.
 */
import { type Points, standardize, unstandardize } from '../data/points';
import type { Diffusion } from '../api/diffusion';
import { Rng } from '../util/rng';
import type { SamplerName } from '../diffusion/samplers';
import { WHEEL_HUES, wheelCentre, wheelFrame, wheelIndices, wheelLab } from '../report/colour';
import type { ReportSection } from '../report/render';
import { spread } from '../eval/draws';
import { KdTree } from '../eval/knn';
import { plane } from '../report/train-report';

/** Forward Markov chain x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps from x0 (data units): T+1 frames, data units. */
export function forwardPaths(model: Diffusion, x0: Points, seed: number): Float32Array[] {
  const s = model.schedule, rng = new Rng(seed, 23);
  let z = standardize(x0, model.standardization).data;
  const frames = [z];
  for (let i = 0; i < s.T; i++) {
    const a = Math.sqrt(s.alpha[i]), b = Math.sqrt(s.beta[i]);
    z = z.map((v) => a * v + b * rng.normal());
    frames.push(z);
  }
  return frames.map((f) => unstandardize({ data: f, n: x0.n, d: x0.d }, model.standardization).data);
}

/**
 * Indices of the k nearest neighbours of every row (excluding itself), nearest first, ties broken by index (the
 * k-d tree of eval/knn.ts, exact): (n, k). Each row asks for k + 1 and drops itself, wherever duplicates put it.
 */
export function knn(x: Float32Array, d: number, k: number): Int32Array {
  const n = x.length / d, points = Float64Array.from(x), tree = new KdTree(points, n, d);
  const nb = KdTree.buffer(k + 1), out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    const found = tree.knn(points, i, k + 1, nb);
    for (let r = 0, m = 0; r < found && m < k; r++) if (nb.index[r] !== i) out[i * k + m++] = nb.index[r];
  }
  return out;
}

/**
 * Mean over rows of |N_k^a(i) ∩ N_k^b(i)| / k; row i of a and row i of b are the same point's two descriptions
 * (two positions, or a colour (db = 3) and a position).
 */
export function knnOverlap(a: Float32Array, b: Float32Array, d: number, k: number, db = d): number {
  const n = a.length / d, na = knn(a, d, k), nb = knn(b, db, k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const set = new Set(na.subarray(i * k, i * k + k));
    for (let q = 0; q < k; q++) if (set.has(nb[i * k + q])) total++;
  }
  return total / (n * k);
}

/** RMS distance of rows from their centroid. */
export function rmsRadius(x: Float32Array, d: number): number {
  const n = x.length / d, c = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) c[j] += x[i * d + j] / n;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) s += (x[i * d + j] - c[j]) ** 2;
  return Math.sqrt(s / n);
}

export interface SamplerSpec {
  label: string;
  sampler: SamplerName;
  eta?: number;
  steps?: number;
}

const DEFAULT_SAMPLERS: SamplerSpec[] = [
  { label: 'DDPM (beta-tilde)', sampler: 'ddpm' },
  { label: 'DDIM eta = 0', sampler: 'ddim', eta: 0 },
  { label: 'DDIM eta = 0.5', sampler: 'ddim', eta: 0.5 },
  { label: 'probability-flow ODE', sampler: 'ode' },
];

export interface TrajectoryFigures {
  label: string;
  /** kNN overlap between the start colours (as drawn, OKLab) and the endings. */
  colorOverlap: number;
  /** Mean RMS spread of endings from one x_T, relative to the data's RMS radius. */
  spread: number;
  /** The same, in data units. */
  spreadData: number;
  /** kNN overlap between x_T and x_0 neighbourhoods. */
  overlap: number;
}

export interface TrajectoryStudy {
  k: number;
  nOverlap: number;
  starts: number;
  runs: number;
  dataRadius: number;
  /**
   * Expected overlap of a random matching, k/(N-1); and the null measured: the first sampler's endings shuffled
   * among the starts, 20 times (mean and standard deviation), so an overlap can be read as a z-score.
   */
  randomExpected: number;
  randomMeasured: number;
  randomSd: number;
  /** Forward process data -> x_T: the overlap between x_0 and x_T neighbourhoods. */
  forwardOverlap: number;
  figures: TrajectoryFigures[];
  /** A few hundred paths (data units) per sampler, and the forward ones: each path is the list of its frames. */
  reversePaths: { label: string; paths: { x: number[]; y: number[] }[] }[];
  forward: { x: number[]; y: number[] }[];
  /** The N starts x_T of the overlap (data units) and their wheel colours; paths[p] starts at startXY[p]. */
  startXY: XY;
  startColors: number[];
  /** Per sampler: the N endings x_0, in the order of the starts. */
  endings: ({ label: string } & XY)[];
  /** Forward: the N data points x_0, their colours, and where q's chain left them at x_T. */
  forwardX0: XY;
  forwardColors: number[];
  forwardXT: XY;
  forwardColorOverlap: number;
  /** Per sampler: a few starts spread around the wheel, each run `fanRuns` times. */
  fans: { label: string; groups: { start: [number, number]; x: number[]; y: number[]; color: number }[] }[];
  fanRuns: number;
  /** x and y of the first `lines` points against t: per sampler (reverse), and forward. */
  positions: { label: string; t: number[]; lines: (XY & { color: number })[] }[];
  forwardPositions: { t: number[]; lines: (XY & { color: number })[] };
}

export interface XY {
  x: number[];
  y: number[];
}

/** The wheel colours of n points as OKLab rows (n, 3): what the eye compares. */
export function colorLab(colors: ArrayLike<number>): Float32Array {
  const out = new Float32Array(colors.length * 3);
  for (let i = 0; i < colors.length; i++) out.set(wheelLab(...wheelCentre(colors[i])), 3 * i);
  return out;
}

const xyOf = (f: Float32Array, d: number, n = f.length / d): XY => ({
  x: Array.from({ length: n }, (_, i) => f[i * d]),
  y: Array.from({ length: n }, (_, i) => (d > 1 ? f[i * d + 1] : 0)),
});

/** Lines of positions against t for the first `count` points of recorded frames (frames[j] at times[j]). */
function linesOf(frames: Float32Array[], d: number, count: number, colors: ArrayLike<number>): (XY & { color: number })[] {
  return Array.from({ length: count }, (_, p) => ({
    x: frames.map((f) => f[p * d]),
    y: frames.map((f) => (d > 1 ? f[p * d + 1] : 0)),
    color: colors[p],
  }));
}

function pathsOf(frames: Float32Array[], d: number, count: number): { x: number[]; y: number[] }[] {
  return Array.from({ length: count }, (_, p) => ({
    x: frames.map((f) => f[p * d]),
    y: frames.map((f) => (d > 1 ? f[p * d + 1] : 0)),
  }));
}

export function trajectoryStudy(
  model: Diffusion,
  data: Points,
  o: {
    starts?: number; runs?: number; nOverlap?: number; k?: number; paths?: number; seed?: number; samplers?: SamplerSpec[]; fans?: number;
    fanRuns?: number; lines?: number;
  } = {},
): TrajectoryStudy {
  const d = data.d, seed = o.seed ?? 0, rng = new Rng(seed, 31);
  const starts = o.starts ?? 200, runs = o.runs ?? 8, N = o.nOverlap ?? 500, k = o.k ?? 10, nPaths = o.paths ?? 300;
  const samplers = o.samplers ?? DEFAULT_SAMPLERS;
  const nFans = o.fans ?? 6, fanRuns = o.fanRuns ?? 40, nLines = Math.min(o.lines ?? 30, N);
  const dataRadius = rmsRadius(standardize(data, model.standardization).data, d);
  const zOverlap = Float32Array.from({ length: N * d }, () => rng.normal());
  const zStarts = Float32Array.from({ length: starts * d }, () => rng.normal());
  const tiled = new Float32Array(starts * runs * d);
  for (let r = 0; r < runs; r++) tiled.set(zStarts, r * starts * d);

  // The starts' colours: their place on the wheel in their own frame (x_T is N(0, I) in standardised units).
  const startsData = unstandardize({ data: zOverlap, n: N, d }, model.standardization).data;
  const startXY = xyOf(startsData, d);
  const startColors = Array.from(wheelIndices(startXY.x, startXY.y));
  const startLab = colorLab(startColors);
  // Fans: starts on a ring of radius 1.3 (standardised), spread in angle so their colours differ.
  const fanZ = new Float32Array(nFans * fanRuns * d);
  for (let g = 0; g < nFans; g++) {
    const a = (2 * Math.PI * (g + 0.5)) / nFans;
    for (let r = 0; r < fanRuns; r++)
      (fanZ[(r * nFans + g) * d] = 1.3 * Math.cos(a)), d > 1 && (fanZ[(r * nFans + g) * d + 1] = 1.3 * Math.sin(a));
  }
  const fanStarts = xyOf(unstandardize({ data: fanZ.subarray(0, nFans * d), n: nFans, d }, model.standardization).data, d);
  const fanColors = Array.from({ length: nFans },
    (_, g) => Math.min(WHEEL_HUES * 4 + Math.floor(((g + 0.5) / nFans) * WHEEL_HUES), WHEEL_HUES * 5 - 1));

  const figures: TrajectoryFigures[] = [];
  let firstEnd: Float32Array | undefined;
  const reversePaths: TrajectoryStudy['reversePaths'] = [];
  const endings: TrajectoryStudy['endings'] = [], fans: TrajectoryStudy['fans'] = [], positions: TrajectoryStudy['positions'] = [];
  for (const s of samplers) {
    model.reseedSampling(seed + 1);
    const rec = model.sample(N, { sampler: s.sampler, eta: s.eta, steps: s.steps, xT: zOverlap, record: true });
    const end = standardize(rec.points, model.standardization).data;
    const overlap = knnOverlap(zOverlap, end, d, k);
    const colorOverlap = knnOverlap(startLab, end, 3, k, d);
    firstEnd ??= end;
    reversePaths.push({ label: s.label, paths: pathsOf(rec.frames!, d, Math.min(nPaths, N)) });
    endings.push({ label: s.label, ...xyOf(rec.points.data, d) });
    positions.push({ label: s.label, t: rec.times!, lines: linesOf(rec.frames!, d, nLines, startColors) });
    model.reseedSampling(seed + 3);
    const fanEnds = model.sample(nFans * fanRuns, { sampler: s.sampler, eta: s.eta, steps: s.steps, xT: fanZ }).points.data;
    fans.push({
      label: s.label,
      groups: Array.from({ length: nFans }, (_, g) => ({
        start: [fanStarts.x[g], fanStarts.y[g]] as [number, number],
        x: Array.from({ length: fanRuns }, (_, r) => fanEnds[(r * nFans + g) * d]),
        y: Array.from({ length: fanRuns }, (_, r) => (d > 1 ? fanEnds[(r * nFans + g) * d + 1] : 0)),
        color: fanColors[g],
      })),
    });
    const ends = model.sample(starts * runs, { sampler: s.sampler, eta: s.eta, steps: s.steps, xT: tiled }).points.data;
    let spread = 0, spreadData = 0;
    const z = standardize({ data: ends, n: starts * runs, d }, model.standardization).data;
    const one = new Float32Array(runs * d), oneData = new Float32Array(runs * d);
    for (let p = 0; p < starts; p++) {
      for (let r = 0; r < runs; r++) {
        one.set(z.subarray((r * starts + p) * d, (r * starts + p + 1) * d), r * d);
        oneData.set(ends.subarray((r * starts + p) * d, (r * starts + p + 1) * d), r * d);
      }
      spread += rmsRadius(one, d) / starts;
      spreadData += rmsRadius(oneData, d) / starts;
    }
    figures.push({ label: s.label, colorOverlap, spread: spread / dataRadius, spreadData, overlap });
  }
  // Random matching: the endings shuffled among the starts.
  const nulls: number[] = [];
  const perm = Int32Array.from({ length: N }, (_, i) => i), shuffled = new Float32Array(N * d);
  for (let rep = 0; rep < 20; rep++) {
    rng.shuffle(perm);
    for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) shuffled[i * d + j] = firstEnd![perm[i] * d + j];
    nulls.push(knnOverlap(zOverlap, shuffled, d, k));
  }
  const { mean: randomMeasured, sd: randomSd } = spread(nulls);
  // Forward: N data points pushed to x_T.
  const sub: Points = { data: data.data.subarray(0, Math.min(N, data.n) * d), n: Math.min(N, data.n), d };
  const fwd = forwardPaths(model, sub, seed + 2);
  const zT = standardize({ data: fwd[fwd.length - 1], n: sub.n, d }, model.standardization).data;
  const forwardOverlap = knnOverlap(standardize(sub, model.standardization).data, zT, d, k);
  const forwardX0 = xyOf(sub.data, d),
    forwardColors = Array.from(wheelIndices(forwardX0.x, forwardX0.y, wheelFrame(forwardX0.x, forwardX0.y)));
  const forwardColorOverlap = knnOverlap(colorLab(forwardColors), zT, 3, k, d);
  return {
    k, nOverlap: N, starts, runs, dataRadius: rmsRadius(data.data, d), randomExpected: k / (N - 1), randomMeasured, randomSd,
    forwardOverlap, figures,
    reversePaths, forward: pathsOf(fwd, d, Math.min(nPaths, sub.n)),
    startXY, startColors, endings, forwardX0, forwardColors, forwardXT: xyOf(fwd[fwd.length - 1], d), forwardColorOverlap,
    fans, fanRuns, positions,
    forwardPositions: {
      t: Array.from({ length: fwd.length }, (_, i) => i), lines: linesOf(fwd, d, Math.min(nLines, sub.n), forwardColors),
    },
  };
}

/** "stay ordered" / "mix": the sentence a colour overlap supports, against a random matching's k/(N-1). */
export function orderVerdict(overlap: number, random: number): string {
  const x = overlap / random;
  return x >= 5 ? `the colours stay ordered (${x.toFixed(0)}x a random matching): the start decides the end`
    : x >= 2 ? `the colours partly stay together (${x.toFixed(1)}x a random matching): the start still pulls on the end`
    : `the colours mix (${x.toFixed(1)}x a random matching): the start does not decide the end`;
}

/** Report sections of the trajectory study: the figures, then the coloured charts that show them. */
export function trajectorySections(
  s: TrajectoryStudy, data: Points, o: { paths?: number; table?: boolean; name?: string } = {},
): ReportSection[] {
  const bg = plane(data, data.d, 1500);
  const r = s.randomExpected, nPaths = o.paths ?? 60, on = o.name ? ` (${o.name})` : '';
  const xy = (p: { x: number[]; y: number[] }) => ({ x: p.x, y: p.y });
  const coord = (lines: { x: number[]; y: number[]; color: number }[], c: 'x' | 'y') => lines.map((l) => ({ y: l[c], color: l.color }));
  const sections: ReportSection[] = [
    {
      kind: 'table', title: 'Does the starting position decide the ending position?',
      columns: [
        'process', 'spread of endings from one x_T / data RMS radius', 'spread (data units)', `x_T vs x_0 ${s.k}-NN overlap`,
        'overlap / random',
        'z vs random', `start colour vs x_0 ${s.k}-NN overlap`, 'colour overlap / random',
      ],
      rows: [
        ...s.figures.map((f) => [
          f.label, f.spread, f.spreadData, f.overlap, f.overlap / r, (f.overlap - r) / s.randomSd, f.colorOverlap, f.colorOverlap / r,
        ]),
        ['forward q (data -> x_T)', '', '', s.forwardOverlap, s.forwardOverlap / r, (s.forwardOverlap - r) / s.randomSd,
          s.forwardColorOverlap, s.forwardColorOverlap / r],
        ['random matching (20 shuffles: mean, sd)', 1, '', s.randomMeasured, s.randomMeasured / r, s.randomSd, '', ''],
      ],
      note: `spread: ${s.starts} starting points x_T, each run ${s.runs} times; ` +
        'RMS distance of the endings from their centroid, over the data\'s RMS distance ' +
        `from its centroid (${s.dataRadius.toFixed(3)} data units). ` +
        `overlap: ${s.nOverlap} starts, fraction of each point's ${s.k} nearest neighbours at x_T ` +
        `still among its ${s.k} nearest at x_0 (standardised units); a random matching gives k/(N-1) = ${r.toFixed(4)}. ` +
        'colour overlap: the same with the ' +
        'neighbours at the start taken by the colour each start is drawn in (OKLab), i.e. what the coloured charts below show.',
    },
    {
      kind: 'wheelRow', title: `Reverse process${on}: each start x_T coloured by its position, each ending x_0 in its start's colour`,
      key: true,
      panels: [
        { title: `x_T (${s.nOverlap} starts)`, ...xy(s.startXY), color: s.startColors, ownRange: true,
          caption: 'The starts: Gaussian noise, each point coloured by where it is.' },
        ...s.figures.map((f, i) => ({
          title: `x_0 after ${f.label}`, ...xy(s.endings[i]), color: s.startColors,
          caption: `${f.label}: ${orderVerdict(f.colorOverlap, r)}.`,
        })),
      ],
      note: `Same ${s.nOverlap} starts for every sampler. ` +
        'A deterministic sampler maps neighbouring starts to neighbouring endings, so the wheel reappears on the data; ' +
        'a stochastic one redraws noise at every step and the colours mix.',
    },
    {
      kind: 'wheelRow', title: `Forward process${on}: each data point x_0 coloured by its position, x_T in its colour`, key: true,
      panels: [
        { title: `x_0 (${s.forwardX0.x.length} data points)`, ...xy(s.forwardX0), color: s.forwardColors,
          caption: 'The data, each point coloured by where it is.' },
        { title: 'x_T after q', ...xy(s.forwardXT), color: s.forwardColors, ownRange: true,
          caption: `After T noising steps: ${orderVerdict(s.forwardColorOverlap, r)}.` },
      ],
      note: 'The forward chain adds fresh noise at every step, so by t = T nothing of x_0\'s place is left: ' +
        'x_T is N(0, I) whatever the start.',
    },
    {
      kind: 'fanRow', title: `One start run ${s.fanRuns} times${on}: where its endings fall`, background: bg,
      panels: s.fans.map((f) => ({
        title: f.label, groups: f.groups,
        caption: `${f.label}: ${f.groups.length} starts (ringed), ${s.fanRuns} runs each; ` +
          'a line from the start to each ending, over the data (grey).',
      })),
      note: 'A deterministic sampler sends every run of a start to the same point; ' +
        'DDPM spreads one start\'s endings over much of the data.',
    },
    {
      kind: 'positions', title: `Positions over time${on}: x and y of ${s.forwardPositions.lines.length} points against t`,
      panels: [
        { title: 'forward q: x against t', t: s.forwardPositions.t, lines: coord(s.forwardPositions.lines, 'x'), yLabel: 'x',
          caption: 'Forward: each line is one data point (coloured by x_0\'s place), drifting to noise as t grows.' },
        { title: 'forward q: y against t', t: s.forwardPositions.t, lines: coord(s.forwardPositions.lines, 'y'), yLabel: 'y',
          caption: 'The same points\' y coordinate.' },
        ...s.positions.flatMap((p) => [
          { title: `reverse ${p.label}: x against t`, t: p.t, lines: coord(p.lines, 'x'), reversed: true, yLabel: 'x',
            caption: `Reverse ${p.label}: t runs from T (left) to 0; lines coloured by their start.` },
          { title: `reverse ${p.label}: y against t`, t: p.t, lines: coord(p.lines, 'y'), reversed: true, yLabel: 'y',
            caption: 'The same paths\' y coordinate.' },
        ]),
      ],
      note: 'Forward, the lines leave their places and tangle; ' +
        'in reverse they untangle into the data\'s shape in the last part of the chain (small t).',
    },
  ];
  if (o.table === false) sections.shift();
  if (nPaths === 0) return sections;
  sections.push(
    ...s.reversePaths.map((p) => ({
      kind: 'trajectories' as const, title: `Reverse paths x_T -> x_0${on}: ${p.label}`, paths: p.paths.slice(0, nPaths), background: bg,
      colors: s.startColors.slice(0, nPaths),
      note: `${Math.min(nPaths, p.paths.length)} paths over the data (grey), each in its start's colour; the dot is where it ends.`,
    })),
    {
      kind: 'trajectories', title: `Forward paths x_0 -> x_T (q)${on}`, paths: s.forward.slice(0, nPaths), background: bg,
      colors: s.forwardColors.slice(0, nPaths),
      note: `${Math.min(nPaths, s.forward.length)} data points diffused step by step, each in its x_0's colour; the dot is x_T.`,
    },
  );
  return sections;
}
