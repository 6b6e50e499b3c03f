/**
 * The learned field: -eps_theta(x, t) as arrows on a grid over the points of q(x_t), live on a t slider (the
 * slider is quadratic in t: the field changes fastest at small t, where the data's shape is). The worker evaluates
 * the network on the grid (web/worker-views.ts `field`); one request in flight, the latest t wins.
 */
import { fieldChart } from '../../src/report/charts';
import type { ViewRequest, ViewResult } from '../worker-views';
import { state } from './state';
import { $, input, mount, onFrame, placeholder } from './ui';

const GRID = 17, STEPS = 1000;

/** Slider position -> t in 1..T (quadratic, so small t, where the field has structure, get most of the track). */
function tOf(pos: number, T: number): number {
  return Math.max(1, Math.min(T, Math.round(1 + (T - 1) * (pos / STEPS) ** 2)));
}

export function requestField(request: (m: ViewRequest) => void): void {
  const T = state.model?.config.T;
  if (!T) return;
  request({ type: 'field', t: tOf(Number(input('t-field').value), T), grid: GRID });
}

export function showField(m: Extract<ViewResult, { type: 'field' }>): void {
  const label = $('t-field-label');
  label.textContent = `t = ${m.t}, √ᾱ = ${m.signal.toFixed(2)}`;
  label.dataset.t = String(m.t);
  const points = { x: m.points.filter((_, i) => i % 2 === 0), y: m.points.filter((_, i) => i % 2 === 1) };
  onFrame('field', () => mount('chart-field', fieldChart('', { x: m.gx, y: m.gy, u: m.u, v: m.v }, points), true));
}

export function resetField(): void {
  placeholder('chart-field', 'After training: the arrows eps_theta points along, at the t the slider picks.');
  $('t-field-label').textContent = 't = –';
}

/** A model arrived: the slider spans its T, starting where the signal is still strong. */
export function armField(T: number): void {
  const s = input('t-field');
  s.max = String(STEPS);
  if (!s.dataset.touched) s.value = String(Math.round(STEPS * Math.sqrt(Math.max(0, Math.round(0.05 * T) - 1) / Math.max(1, T - 1))));
}

export function initField(request: (m: ViewRequest) => void): void {
  input('t-field').addEventListener('input', () => {
    input('t-field').dataset.touched = '1';
    const T = state.model?.config.T;
    if (T) $('t-field-label').textContent = `t = ${tOf(Number(input('t-field').value), T)}…`;
    requestField(request);
  });
}
