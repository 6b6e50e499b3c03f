/**
 * The verdict on a run's samples after training, under the samples chart: the classifier two-sample test against fresh
 * data (web/worker-views.ts `judge`), its accuracy and z, and what they mean in words.
 */
import type { ViewResult } from '../worker-views';
import { $ } from './ui';

export function showVerdict(m: Extract<ViewResult, { type: 'judged' }>): void {
  const el = $('verdict');
  el.textContent = `Two-sample test, ${m.n} samples against ${m.n} of ${m.against}: ` +
    `a ${m.k}-NN classifier is right ${(100 * m.accuracy).toFixed(1)}% of the time ` +
    `(chance 50%), z = ${m.z.toFixed(1)}: ${m.verdict}.`;
  el.title = 'z = (accuracy - 0.5) / its sd when samples and data have the same law; z <= 3 is within chance.';
  el.dataset.z = String(m.z);
  el.dataset.accuracy = String(m.accuracy);
  el.hidden = false;
}

export function resetVerdict(): void {
  const el = $('verdict');
  el.textContent = '';
  el.hidden = true;
  delete el.dataset.z;
  delete el.dataset.accuracy;
}
