// Embedding ddpm-wasm on the page's own thread: the library bundle (dist/index.js, copied here as ../ddpm-wasm.js) and its kernels
// loaded from a URL. Leave out `wasm` to use the build embedded in the bundle.
import { createDiffusion, simdSupported } from '../ddpm-wasm.js';

const status = document.getElementById('status');
const wasm = new URL(simdSupported() ? '../ddpm.wasm' : '../ddpm.scalar.wasm', import.meta.url);
const d = await createDiffusion({ dataset: 'moons', nData: 2000, T: 50, steps: 1000, model: { width: 64, depth: 2, embedSize: 32 }, wasm });
await d.train({
  progressEvery: 100,
  yieldEvery: 25, // let the page repaint while training on the main thread
  onProgress: (p) => (status.textContent = `training: step ${p.step} / ${p.steps}, loss ${p.loss.toFixed(3)}`),
});
const { points } = d.sample(1000); // { data: Float32Array (n x 2), n, d }, data units

const ctx = document.getElementById('plot').getContext('2d');
ctx.fillStyle = 'rgba(31, 119, 180, 0.6)';
for (let i = 0; i < points.n; i++) ctx.fillRect(180 + 150 * points.data[2 * i] - 1.5, 180 - 150 * points.data[2 * i + 1] - 1.5, 3, 3);
status.textContent = `done: ${points.n} samples after ${d.step} steps`;
status.dataset.done = String(points.n);
