/**
 * The page's state (the chosen data, the model the worker holds, the last run's loss, samples and recorded
 * processes) and its phase, which enables and disables the controls of every panel at once.
 */
import type { SamplerChoice } from '../../src/api/worker-protocol';
import type { Points } from '../../src/data/points';
import type { ModelInfo } from '../worker';
import { $, input } from './ui';

export type Source = 'named' | 'draw' | 'csv';
export const state = {
  data: undefined as Points | undefined, // the chosen training data (preview), data units
  csv: undefined as { points: Points; name: string } | undefined,
  model: undefined as ModelInfo | undefined,
  lossSteps: [] as number[],
  loss: [] as number[],
  samples: undefined as Points | undefined,
  frames: undefined as { frames: Float32Array; n: number; d: number; times: Int32Array } | undefined,
  forward: undefined as { frames: Float32Array; n: number; d: number; ts: Int32Array; x0: Float32Array } | undefined,
  t: 0, // reverse-process frame index shown: x at timestep frames.times[t]
  sampling: {} as SamplerChoice, // the sampler of the samples shown (the verdict judges the same)
  playing: false,
  busy: false,
  totalSteps: 0,
};

export function setState(s: 'loading' | 'idle' | 'training' | 'sampling' | 'ready'): void {
  document.body.dataset.state = s;
  state.busy = s === 'training' || s === 'sampling' || s === 'loading';
  $<HTMLButtonElement>('train').disabled = state.busy;
  $<HTMLButtonElement>('stop').disabled = s !== 'training';
  const has = !!state.model && !state.busy;
  for (const id of ['sample', 'dl-model', 'dl-checkpoint']) $<HTMLButtonElement>(id).disabled = !has;
  $<HTMLButtonElement>('dl-checkpoint').disabled = !has || state.model?.source === 'load' && state.model.data.length === 0;
  $<HTMLButtonElement>('dl-samples').disabled = !state.samples || state.busy;
  input('ckpt-file').disabled = state.busy;
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>(
    'fieldset:not(:last-of-type) input, fieldset:not(:last-of-type) select')) el.disabled = state.busy;
  $<HTMLButtonElement>('draw-clear').disabled = state.busy;
  // The deck panels ask the worker about the trained model: only when there is one and the worker is free.
  for (const id of ['traj-sampler', 'traj-steps', 'traj-eta', 't-field']) $<HTMLInputElement>(id).disabled = !has;
}
