/**
 * The page's two sampler choices: the samples' (the settings: the samples after training, Sample again, the reverse
 * process and the verdict) and the trajectories card's (its seeded starts and the start placed by hand). Each is a
 * sampler of SAMPLERS (src/diffusion/samplers.ts, shown with its one line), its steps K (blank: all T) and eta where the
 * sampler takes it, read into the SamplerChoice the worker hands to Diffusion.sample (which checks it again).
 * Not here: what the choices are used for (web/main.ts, web/panels/trajectories.ts).
 */
import type { SamplerChoice } from '../../src/api/worker-protocol';
import { SAMPLERS, SAMPLER_SUMMARY, type SamplerName } from '../../src/diffusion/samplers';
import { $, input, readable } from './ui';

/** The element ids of a choice: `${prefix}-sampler`, `-steps`, `-eta` (and its label `-eta-row`), `-hint`. */
export type ChoicePrefix = 'samples' | 'traj';

/** Samplers that take eta (Diffusion.sample refuses it for the others). */
const TAKES_ETA: ReadonlySet<string> = new Set<SamplerName>(['ddim']);

/** Fill the select from SAMPLERS, pick `initial`, and keep the eta field and the hint in step with the choice. */
export function initChoice(prefix: ChoicePrefix, initial: SamplerName, onChange: () => void): void {
  const sel = $<HTMLSelectElement>(`${prefix}-sampler`);
  sel.textContent = '';
  for (const name of SAMPLERS) {
    const o = document.createElement('option');
    o.value = name;
    o.textContent = name;
    o.title = readable(SAMPLER_SUMMARY[name]);
    sel.appendChild(o);
  }
  sel.value = initial;
  const sync = () => {
    $(`${prefix}-eta-row`).hidden = !TAKES_ETA.has(sel.value);
    $(`${prefix}-hint`).textContent = readable(SAMPLER_SUMMARY[sel.value as SamplerName] ?? '');
  };
  sync();
  sel.addEventListener('change', () => (sync(), onChange()));
  for (const id of ['steps', 'eta']) input(`${prefix}-${id}`).addEventListener('change', onChange);
}

/** The form's choice for a model with T timesteps; an Error naming the field for a bad steps or eta. */
export function readChoice(prefix: ChoicePrefix, T: number): SamplerChoice {
  const sampler = $<HTMLSelectElement>(`${prefix}-sampler`).value as SamplerName;
  const choice: SamplerChoice = { sampler };
  const steps = input(`${prefix}-steps`).value.trim();
  if (steps !== '') {
    const K = Number(steps);
    if (!Number.isInteger(K) || K < 1 || K > T) {
      throw new Error(`sampler steps must be an integer in [1, ${T}] (T = ${T}) or blank for all T, got "${steps}"`);
    }
    choice.steps = K;
  }
  if (TAKES_ETA.has(sampler)) {
    const eta = Number(input(`${prefix}-eta`).value);
    if (input(`${prefix}-eta`).value.trim() === '' || !(eta >= 0 && eta <= 1)) {
      throw new Error(`eta must be a number in [0, 1], got "${input(`${prefix}-eta`).value}"`);
    }
    choice.eta = eta;
  }
  return choice;
}

/** A short name of a choice for labels: "ddim, 20 steps, η = 0.5". */
export function choiceLabel(c: SamplerChoice): string {
  return [c.sampler ?? 'ddpm', c.steps !== undefined ? `${c.steps} steps` : '',
    c.eta !== undefined ? `η = ${c.eta}` : ''].filter(Boolean).join(', ');
}
