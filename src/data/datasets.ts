/**
 * The toy 2-D data sets (one small function each, behind `getDataset`), and `loadDataset`, which takes a data set
 * name or a CSV path. Browser-safe: no node: imports; files are read through a reader the caller injects.
 *
 * Not here: parsing CSV (csv.ts), standardisation and row helpers (points.ts), batching for training (the trainer
 * draws rows itself) and distances between sets (src/eval/).
 *
 * Every generator draws its rows i.i.d. (each row uses its own fresh draws, the component is a coin flip
 * per row, never "first half / second half"), so any slice of a generated set is itself a sample of the
 * data set; eval draws rely on this. Shape sets span about [-1, 1] in each coordinate; `gaussian` is a
 * standard normal because its density is what the bound tests integrate against.
 */
import { UsageError } from '../util/errors';
import { Rng } from '../util/rng';
import { MAX_CELLS, oneLine, parseCsv } from './csv';
import { type Points, makePoints } from './points';

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
