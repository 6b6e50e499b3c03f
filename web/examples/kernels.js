// The kernels without the library: ../ddpm.wasm loaded with @assemblyscript/loader (its ESM file, copied here as
// ../assemblyscript-loader.js) into a memory this page owns, then kernels called on byte offsets into that memory.
// qSample (the forward process q(x_t | x_0), Ho et al. eq. 4) noises two moons at a few t; reverseStep (Algorithm 2,
// line 4) runs the reverse chain from N(0, I). No network is trained: the chain's eps is the exact one of a Gaussian
// fitted to the data, eps(x, t) = sqrt(1 - abar_t) C_t^-1 (x - sqrt(abar_t) mu) with C_t = abar_t S + (1 - abar_t) I,
// so the chain ends at that Gaussian (the moons' mean and covariance), not at the moons. Drawn with ../uplot.js.
import { instantiateStreaming } from '../assemblyscript-loader.js';
import uPlot from '../uplot.js';

const N = 1000, T = 100, SHOW = [10, 30, 100];
// The module imports its memory (asconfig.json importMemory): grow it once, before any view is made.
const memory = new WebAssembly.Memory({ initial: 1 });
const { exports: k } = await instantiateStreaming(fetch('../ddpm.wasm'), { env: { memory } });
let top = Math.ceil(k.heapBase() / 16) * 16; // the module's static data ends at heapBase; buffers 16-byte aligned
function alloc(floats) {
  const at = top;
  top += Math.ceil(floats / 4) * 16;
  return at;
}
const [x0, eps, xt, t, sab, s1ab, x, e, z, rng] = [2 * N, 2 * N, 2 * N, N, T, T, 2 * N, 2 * N, 2 * N, 4].map(alloc);
if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
const f32 = (p, n) => new Float32Array(memory.buffer, p, n);

// Two moons (page JS, seeded), and the schedule: beta linear in [1e-4, 0.1], the kernels read sqrt(abar), sqrt(1 - abar).
let s = 7;
const uniform = () => ((s = (s + 0x6d2b79f5) | 0), (((s ^ (s >>> 15)) * (s | 1)) >>> 0) / 2 ** 32);
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const data = f32(x0, 2 * N);
for (let i = 0; i < N; i++) {
  const a = Math.PI * uniform(), lower = i % 2;
  data[2 * i] = (lower ? 1 - Math.cos(a) : Math.cos(a)) + 0.06 * normal();
  data[2 * i + 1] = (lower ? 0.5 - Math.sin(a) : Math.sin(a)) + 0.06 * normal();
}
const beta = Array.from({ length: T }, (_, i) => 1e-4 + ((0.1 - 1e-4) * i) / (T - 1));
const abar = [];
beta.reduce((prod, b, i) => (abar[i] = prod * (1 - b)), 1);
f32(sab, T).set(abar.map(Math.sqrt));
f32(s1ab, T).set(abar.map((a) => Math.sqrt(1 - a)));

// Forward: every row at the same t (table index t - 1), noise from the module's own generator.
k.rngSeed(rng, 1n, 0);
const forward = SHOW.map((tt) => {
  new Int32Array(memory.buffer, t, N).fill(tt - 1);
  k.rngNormal(eps, 2 * N, rng);
  k.qSample(xt, x0, eps, t, sab, s1ab, N, 2);
  return { t: tt, points: f32(xt, 2 * N).slice() };
});

// Reverse: the Gaussian fit's exact eps each step, then xPrev = (x - beta / sqrt(1 - abar) eps) / sqrt(alpha) + sqrt(beta) z.
const mean = [0, 0], cov = [0, 0, 0]; // the fit: mu, and S as S00, S01, S11
for (let i = 0; i < N; i++) (mean[0] += data[2 * i] / N), (mean[1] += data[2 * i + 1] / N);
for (let i = 0; i < N; i++) {
  const a = data[2 * i] - mean[0], b = data[2 * i + 1] - mean[1];
  (cov[0] += (a * a) / N), (cov[1] += (a * b) / N), (cov[2] += (b * b) / N);
}
k.rngNormal(x, 2 * N, rng);
const frames = [{ t: T, points: f32(x, 2 * N).slice() }];
for (let i = T - 1; i >= 0; i--) {
  const c00 = abar[i] * cov[0] + 1 - abar[i], c01 = abar[i] * cov[1], c11 = abar[i] * cov[2] + 1 - abar[i], det = c00 * c11 - c01 * c01;
  const m0 = Math.sqrt(abar[i]) * mean[0], m1 = Math.sqrt(abar[i]) * mean[1], q = Math.sqrt(1 - abar[i]) / det;
  const xv = f32(x, 2 * N), ev = f32(e, 2 * N);
  for (let r = 0; r < N; r++) {
    const d0 = xv[2 * r] - m0, d1 = xv[2 * r + 1] - m1;
    ev[2 * r] = q * (c11 * d0 - c01 * d1);
    ev[2 * r + 1] = q * (c00 * d1 - c01 * d0);
  }
  if (i > 0) k.rngNormal(z, 2 * N, rng);
  const alpha = 1 - beta[i];
  const cx = 1 / Math.sqrt(alpha), ceps = -beta[i] / (Math.sqrt(alpha) * Math.sqrt(1 - abar[i]));
  k.reverseStep(x, x, e, i > 0 ? z : 0, 2 * N, cx, ceps, Math.sqrt(beta[i]));
  if (i === 30 || i === 0) frames.push({ t: i, points: f32(x, 2 * N).slice() });
}

// Energy distance to the data (0 for equal distributions): the chain's start against its end.
const dist = (a, b) => {
  let sum = 0;
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) sum += Math.sqrt((a[i] - b[j]) ** 2 + (a[i + 1] - b[j + 1]) ** 2);
  }
  return (4 * sum) / (a.length * b.length);
};
const energy = (p) => 2 * dist(p, data) - dist(p, p) - dist(data, data);

// Small multiples: one uPlot panel per t, the data in grey beneath.
const dots = (color) => (u, si) => {
  const [xs, ys] = u.data[si], c = u.ctx, px = devicePixelRatio;
  c.save();
  c.beginPath();
  c.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  c.clip();
  c.fillStyle = color;
  for (let i = 0; i < xs.length; i++) c.fillRect(u.valToPos(xs[i], 'x', true) - px, u.valToPos(ys[i], 'y', true) - px, 2 * px, 2 * px);
  c.restore();
  return null;
};
const xy = (p) => [p.filter((_, i) => i % 2 === 0), p.filter((_, i) => i % 2 === 1)];
const layer = (label, color) => ({ label, stroke: color, fill: color, paths: dots(color), points: { show: false },
  facets: [{ scale: 'x', auto: false }, { scale: 'y', auto: false }] });
function panel(where, title, points, color) {
  const opts = { title, mode: 2, width: 260, height: 270, legend: { show: false }, cursor: { show: false },
    scales: { x: { time: false, auto: false, range: [-3, 3] }, y: { auto: false, range: [-3, 3] } },
    series: [{}, layer('data', '#bbbbbb80'), layer(title, color)] };
  new uPlot(opts, [null, xy(data), xy(points)], document.getElementById(where));
}
for (const f of forward) panel('chart-forward', `t = ${f.t}`, f.points, '#1f77b4b0');
for (const f of frames) panel('chart-reverse', f.t === T ? `t = ${T}: N(0, I)` : `t = ${f.t}`, f.points, '#d62728b0');

const viaLoader = typeof k.reverseStep.original === 'function'; // the loader's wrapper keeps the plain export as .original
const result = { viaLoader, start: energy(frames[0].points), end: energy(frames.at(-1).points) };
result.forward = forward.map((f) => ({ t: f.t, variance: [0, 1].map((j) => {
  const v = f.points.filter((_, i) => i % 2 === j), m = v.reduce((a, b) => a + b, 0) / N;
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / N;
}), expected: [abar[f.t - 1] * cov[0] + 1 - abar[f.t - 1], abar[f.t - 1] * cov[2] + 1 - abar[f.t - 1]] }));
window.kernelsExample = result;
document.getElementById('status').textContent =
  `energy distance to the data: ${result.start.toFixed(3)} at x_T ~ N(0, I), ${result.end.toFixed(3)} at the chain's end`;
document.body.dataset.state = 'done';
