/**
 * The lab's Web Worker, and the library's (bundled as dist/web/worker.js for the page and dist/worker.js for
 * embedders): src/api/worker-host.ts answering the messages of src/api/worker-protocol.ts on this worker's scope,
 * plus the lab's own views of the trained model (web/worker-views.ts: trajectories through a chosen sampler, the
 * learned field, the two-sample verdict) as extra message types. The types are re-exported here for web/main.ts,
 * which posts the messages itself.
 */
/// <reference lib="webworker" />
import '../src/engine/wasm-embedded';
import { serveDiffusionWorker } from '../src/api/worker-host';
import type { FromWorker as ProtocolFrom, ToWorker as ProtocolTo } from '../src/api/worker-protocol';
import { type ViewRequest, type ViewResult, isViewRequest, view } from './worker-views';

export type { ModelInfo, TrainRequest } from '../src/api/worker-protocol';
export type ToWorker = ProtocolTo | ViewRequest;
export type FromWorker = ProtocolFrom | ViewResult;

declare const self: DedicatedWorkerGlobalScope;

serveDiffusionWorker(self, {
  extra: (model, m) => {
    if (!isViewRequest(m)) return undefined;
    if (!model) throw new Error('no model yet: train one or load a checkpoint');
    return view(model, m);
  },
});
