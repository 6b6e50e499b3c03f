/**
 * The model-files card: download the model, a checkpoint or the samples; load a checkpoint made by the CLI.
 * The bytes come from and go to the worker (web/main.ts passes `send`).
 */
import type { SamplerChoice } from '../../src/api/worker-protocol';
import { toCsv } from '../../src/data/csv';
import type { FromWorker, ToWorker } from '../worker';
import { setState, state } from './state';
import { readChoice } from './sampling';
import { $, clearError, input, showError, status } from './ui';

function fileStem(): string {
  const m = state.model;
  return `ddpm-${(m?.name ?? 'model').replace(/[^\w.-]+/g, '_').replace(/\.csv$/i, '')}-step${m?.step ?? 0}`;
}

function download(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** A model or checkpoint file the worker wrote. */
export function onFile(m: Extract<FromWorker, { type: 'file' }>): void {
  download(new Blob([m.bytes], { type: 'application/octet-stream' }),
    `${fileStem()}-${m.withTraining ? 'checkpoint' : 'model'}.safetensors`);
}

export function initFiles(send: (m: ToWorker, transfer?: Transferable[]) => void, resetRun: () => void): void {
  $('dl-model').addEventListener('click', () => send({ type: 'save', withTraining: false }));
  $('dl-checkpoint').addEventListener('click', () => send({ type: 'save', withTraining: true }));
  $('dl-samples').addEventListener('click', () => {
    if (state.samples) download(new Blob([toCsv(state.samples)], { type: 'text/csv' }), `${fileStem()}-samples.csv`);
  });
  input('ckpt-file').addEventListener('change', async () => {
    const f = input('ckpt-file').files?.[0];
    if (!f) return;
    clearError();
    // The samples' sampler without its steps: K is checked against the model's T, which only the file knows.
    let sampling: SamplerChoice;
    try {
      const c = readChoice('samples', Infinity);
      sampling = { sampler: c.sampler, eta: c.eta };
    } catch (e) {
      return showError((e as Error).message);
    }
    resetRun();
    setState('sampling');
    status(`Loading ${f.name}…`);
    const bytes = await f.arrayBuffer();
    input('ckpt-file').value = '';
    state.sampling = sampling;
    send({ type: 'load', bytes, name: f.name, sampleN: Number(input('sample-n').value) || 1000, sampling }, [bytes]);
  });
}
