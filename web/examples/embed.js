// Embedding ddpm-wasm without blocking the page: the library bundle (dist/index.js, copied here as ../ddpm-wasm.js)
// trains and samples in its worker (dist/worker.js, found next to it); this thread only draws.
import { DiffusionWorker } from '../ddpm-wasm.js';

const status = document.getElementById('status'), stop = document.getElementById('stop');
const w = await DiffusionWorker.start();
stop.onclick = () => w.cancel(); // training stops at its next yield; the run still resolves, with its samples
stop.disabled = false;
const run = await w.train({ dataset: 'moons', nData: 2000, T: 50, steps: 2000, model: { width: 64, depth: 2, embedSize: 32 } }, {
  onModel: (m) => (status.dataset.threads = String(m.threads)),
  onProgress: (p) => (status.textContent =
    `training: step ${p.step} / ${p.total}, loss ${p.loss.at(-1).toFixed(3)}, ${p.stepsPerSecond.toFixed(0)} steps/s`),
});
stop.disabled = true;
const { points } = run.samples; // { data: Float32Array (n x 2), n, d }, data units, transferred from the worker

const ctx = document.getElementById('plot').getContext('2d');
ctx.fillStyle = 'rgba(31, 119, 180, 0.6)';
for (let i = 0; i < points.n; i++) ctx.fillRect(180 + 150 * points.data[2 * i] - 1.5, 180 - 150 * points.data[2 * i + 1] - 1.5, 3, 3);
status.textContent = `done: ${points.n} samples after ${run.step} steps${run.stopped ? ' (stopped)' : ''}`;
status.dataset.done = String(points.n);
