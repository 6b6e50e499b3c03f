/**
 * The verdict on a run's samples after training, under the samples chart: the sample-quality test against fresh data
 * (web/worker-views.ts `judge`), its figure and what it means in words.
 */
import type { ViewResult } from '../worker-views';
import { $ } from './ui';

export function showVerdict(m: Extract<ViewResult, { type: 'judged' }>): void {
  const el = $('verdict');
  el.textContent = `${m.test}: ${m.value.toFixed(2)}× against ${m.against} — ${m.verdict}.`;
  el.dataset.value = String(m.value);
  el.dataset.test = m.test;
  el.hidden = false;
}

export function resetVerdict(): void {
  const el = $('verdict');
  el.textContent = '';
  el.hidden = true;
  delete el.dataset.value;
}
