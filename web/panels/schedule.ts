/**
 * The noise-schedule card: beta_t and abar_t of the form's schedule and T (the worker builds the same tables
 * with the same makeSchedule), replaced by the model's own once it comes back (a learned schedule moves).
 */
import { scheduleChart } from '../../src/report/charts';
import { initialLearnedSchedule } from '../../src/diffusion/learned-schedule';
import { ALL_SCHEDULES, makeSchedule } from '../../src/schedule/schedule';
import { $, input, mount, onFrame } from './ui';

/** The schedule chart follows the form (the worker builds the same tables with the same makeSchedule). */
export function refreshSchedule(): void {
  const T = Number(input('T').value);
  if (!Number.isInteger(T) || T < 2 || T > 4000) return;
  const name = $<HTMLSelectElement>('schedule').value;
  // The learned schedule starts as the linear one; the chart shows where it went once the model comes back.
  const s = name === 'learned' ? initialLearnedSchedule(T) : makeSchedule(name, T);
  drawSchedule(s.beta, s.alphaBar);
}
export function drawSchedule(beta: Float64Array, alphaBar: Float64Array): void {
  const t = Float64Array.from({ length: beta.length }, (_, i) => i + 1);
  onFrame('schedule', () => mount('chart-schedule', scheduleChart(t, beta, alphaBar, { height: 280 }), false));
}

export function initSchedule(): void {
  const sch = $<HTMLSelectElement>('schedule');
  for (const s of ALL_SCHEDULES) sch.add(new Option(s, s));
  sch.addEventListener('change', refreshSchedule);
  input('T').addEventListener('input', refreshSchedule);
  refreshSchedule();
}
