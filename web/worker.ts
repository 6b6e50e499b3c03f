/**
 * The lab's Web Worker, and the library's (bundled as dist/web/worker.js for the page and dist/worker.js for
 * embedders): src/api/worker-host.ts answering the messages of src/api/worker-protocol.ts on this worker's scope.
 * The types are re-exported here for web/main.ts, which posts the messages itself.
 */
/// <reference lib="webworker" />
import '../src/engine/wasm-embedded';
import { serveDiffusionWorker } from '../src/api/worker-host';

export type { FromWorker, ModelInfo, ToWorker, TrainRequest } from '../src/api/worker-protocol';

declare const self: DedicatedWorkerGlobalScope;

serveDiffusionWorker(self);
