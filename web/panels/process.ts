/**
 * The process cards: the reverse process played or scrubbed frame by frame from x_T to x_0, and the forward
 * process q(x_t | x_0) on a t slider, its points coloured by their place at x_0 (the colour wheel of the
 * trajectory charts): as t grows the colours mix, nothing of x_0's place is left at x_T.
 */
import uPlot from 'uplot';
import { pointRanges, roles, scatterChart, wheelScatterChart } from '../../src/report/charts';
import { wheelIndices } from '../../src/report/colour';
import type { FromWorker } from '../worker';
import { dataPlane, dataRanges } from './data';
import { state } from './state';
import { $, charts, input, mount, onFrame, placeholder, plane, update } from './ui';

/** Reverse and forward charts of a fresh sample (the `sampled` message). */
export function showProcesses(m: Extract<FromWorker, { type: 'sampled' }>): void {
  const d = m.d;
  state.frames = { frames: m.frames, n: m.frameN, d, times: m.frameTimes };
  state.forward = { frames: m.forward, n: m.forwardN, d, ts: m.forwardT, x0: m.x0 };

  // Reverse process: one square chart, the frame swapped by play / scrub (K + 1 frames for a sampler on K steps).
  const K = m.frameTimes.length - 1, per = m.frameN * d;
  const first = plane(m.frames.subarray(0, per), d), lastF = plane(m.frames.subarray(K * per), d);
  const ranges = dataRanges([first, lastF]);
  const bg = state.data ? dataPlane() : lastF;
  onFrame('reverse', () => {
    mount('chart-reverse', scatterChart('', [{ label: 'data', ...bg, color: roles.data },
      { label: 'x_t', ...first, color: roles.samples }], { ...ranges, alpha: 0.7 }), true);
    setFrame(0);
  });
  const slider = input('t-reverse');
  slider.max = String(K);
  slider.value = '0';
  slider.disabled = false;
  $<HTMLButtonElement>('play').disabled = false;

  // Forward process.
  const f = input('t-forward');
  f.max = String(m.forwardT.length);
  f.value = '0';
  f.disabled = false;
  const x0 = plane(m.x0, d);
  const lastFwd = plane(m.forward.subarray((m.forwardT.length - 1) * m.forwardN * d), d);
  forwardColors = wheelIndices(x0.x, x0.y);
  onFrame('forward', () => {
    mount('chart-forward', wheelScatterChart('', { ...x0, color: forwardColors }, { ...pointRanges([x0, lastFwd]), pointSize: 3.5 }), true);
    setForward(0);
  });
}

let forwardColors: Uint16Array = new Uint16Array(0);

// ---------------------------------------------------------------------------------------------------
// Reverse-process player and forward slider

function setFrame(j: number): void {
  const f = state.frames;
  if (!f) return;
  const K = f.times.length - 1;
  j = Math.max(0, Math.min(K, Math.round(j)));
  state.t = j;
  input('t-reverse').value = String(j);
  const t = f.times[j];
  $('t-reverse-label').textContent = `t = ${t}`;
  $('t-reverse-label').dataset.t = String(t);
  const per = f.n * f.d;
  const cur = plane(f.frames.subarray(j * per, (j + 1) * per), f.d);
  const c = charts.get('chart-reverse');
  if (!c) return;
  const data = c.plot.data as unknown as unknown[];
  update('chart-reverse', [null, data[1], [cur.x, cur.y]] as unknown as uPlot.AlignedData, false);
}

let playFrom = 0, playStart = 0;
function playStep(now: number): void {
  if (!state.playing || !state.frames) return;
  const K = state.frames.times.length - 1;
  const seconds = Math.min(6, Math.max(2.5, K / 60));
  const j = Math.min(K, Math.round(playFrom + ((now - playStart) / 1000 / seconds) * K));
  if (j >= K) stopPlaying(); // before the last frame is shown, so "t = 0" and "stopped" are seen together
  setFrame(j);
  if (j >= K) return;
  requestAnimationFrame(playStep);
}
function startPlaying(): void {
  if (!state.frames) return;
  if (state.t >= state.frames.times.length - 1) state.t = 0;
  state.playing = true;
  playFrom = state.t;
  playStart = performance.now();
  $('play').textContent = '❚❚ Pause';
  $('play').setAttribute('aria-label', 'Pause');
  $('card-reverse').classList.add('playing');
  requestAnimationFrame(playStep);
}
export function stopPlaying(): void {
  state.playing = false;
  $('play').textContent = '▶ Play';
  $('play').setAttribute('aria-label', 'Play');
  $('card-reverse').classList.remove('playing');
}

function setForward(k: number): void {
  const f = state.forward;
  if (!f) return;
  const per = f.n * f.d;
  const t = k === 0 ? 0 : f.ts[k - 1];
  const pts = k === 0 ? f.x0 : f.frames.subarray((k - 1) * per, k * per);
  const cur = plane(pts, f.d);
  const abar = t === 0 ? 1 : state.model!.alphaBar[t - 1];
  $('t-forward-label').textContent = `t = ${t}, ᾱ = ${abar.toFixed(3)}`;
  $('t-forward-label').dataset.t = String(t);
  update('chart-forward', [null, [cur.x, cur.y, forwardColors]] as unknown as uPlot.AlignedData, false);
}
export function initProcesses(): void {
  $('play').addEventListener('click', () => (state.playing ? stopPlaying() : startPlaying()));
  input('t-reverse').addEventListener('input', () => {
    stopPlaying();
    const j = Number(input('t-reverse').value);
    onFrame('scrub', () => setFrame(j));
  });
  input('t-forward').addEventListener('input', () => {
    const k = Number(input('t-forward').value);
    onFrame('forward-t', () => setForward(k));
  });
}

export function resetProcesses(): void {
  state.frames = undefined;
  state.forward = undefined;
  stopPlaying();
  for (const id of ['play', 't-reverse', 't-forward']) $<HTMLInputElement>(id).disabled = true;
  placeholder('chart-reverse', 'After training: play the reverse process from noise to data.');
  placeholder('chart-forward', 'After training: slide t to add noise to the data; the colours mark where each point started.');
  $('t-reverse-label').textContent = $('t-forward-label').textContent = 't = –';
}
