/**
 * Both cores: a pool of workers that share one WebAssembly.Memory with the calling thread, each with its own
 * instance of the threads build of the kernels. Work is handed out as *programs*: lists of kernel calls
 * (name + numeric arguments) recorded once by running the engine's own code against a recording proxy
 * (`recordCalls`), encoded into a SharedArrayBuffer, and replayed by the workers on a signal. A training step
 * or a reverse step is then one notify and one wait, with no message and no allocation.
 *
 * Synchronisation is on a small control block: the caller runs its own share of the work, then waits until every
 * worker has finished; both sides spin for up to SPIN_MS before they park in Atomics.wait. Blocking is allowed in
 * Node's main thread and in a browser Worker, not on a page's main thread: there `createThreadPool` is never called
 * (the engine stays on one thread).
 *
 * Not here: what the programs compute (engine.ts decides the split) and the fallback when
 * SharedArrayBuffer is missing (the engine then runs single-threaded).
 */
import type { Kernels } from './wasm';

export interface Call {
  fn: string;
  args: number[];
}
export type Program = Call[];

/** A Kernels look-alike that records calls instead of running them (heapBase still answers). */
export function recordCalls(k: Kernels): { k: Kernels; take(): Program } {
  let calls: Program = [];
  // The exports object is frozen (a Proxy may not change its answers), so the recorder is a plain object.
  const rec: Record<string, unknown> = {};
  for (const name of Object.keys(k)) {
    const v = (k as unknown as Record<string, unknown>)[name];
    rec[name] = typeof v !== 'function' || name === 'heapBase' ? v : (...args: number[]) => {
      calls.push({ fn: name, args: args.map(Number) });
    };
  }
  return {
    k: rec as unknown as Kernels,
    take() {
      const c = calls;
      calls = [];
      return c;
    },
  };
}

/** Control block words (Int32). */
const SEQ = 0; // bumped by the caller to start a program
const PROGRAM = 1; // which program to run; -1 = reload programs from the next message; -2 = exit
const DONE = 2; // workers that finished the current sequence number
const READY = 3; // workers that loaded the current program set
const PROFILE = 4; // 1: workers time each call into the profile buffer (bench/profile only)

/**
 * Program encoding (Float64Array): [count, offset_0 .. offset_{count-1}, then for each program:
 * ncalls, then per call: fnIndex, argc, args...]. Function names travel once, as a list.
 */
function encode(programs: Program[], names: string[]): Float64Array {
  const index = new Map(names.map((n, i) => [n, i]));
  const out: number[] = [programs.length, ...programs.map(() => 0)];
  programs.forEach((p, j) => {
    out[1 + j] = out.length;
    out.push(p.length);
    for (const c of p) {
      const fi = index.get(c.fn);
      if (fi === undefined) throw new Error(`no kernel named ${c.fn}`);
      out.push(fi, c.args.length, ...c.args);
    }
  });
  const sab = new SharedArrayBuffer(out.length * 8);
  const f = new Float64Array(sab);
  f.set(out);
  return f;
}

/**
 * How long a thread spins on the control block before it parks with Atomics.wait: longer than the gaps inside a step
 * (lane 0's serial part, ~0.05-0.2 ms with the optimizer split over the lanes), short enough that a pool between
 * steps or idle soon stops taking a core from other work. Only when every thread has a core of its own: with more
 * threads than cores a spinning thread takes the core a working one needs.
 */
const SPIN_MS = 0.5;

/** Logical processors of this machine (Node: os.availableParallelism; browsers: navigator.hardwareConcurrency). */
async function coreCount(isNode: boolean): Promise<number> {
  if (isNode) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/**
 * The worker's whole code, as source: Node (worker_threads, eval) and browsers (a Blob URL) both run it.
 * `init` = { module, memory, ctl, names, id }. It loops: wait for SEQ to move, run its program, count DONE.
 */
const WORKER_SOURCE = `
let port = typeof self !== 'undefined' && typeof self.postMessage === 'function' ? self : null;
async function start(init, onMessage) {
  const { module, memory, ctl, names, prof, id, spinMs } = init;
  const exp = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((n) => exp[n]);
  const c = new Int32Array(ctl);
  // Profile: milliseconds per kernel name, then the busy total, for this worker.
  const P = new Float64Array(prof, id * (names.length + 1) * 8, names.length + 1);
  let prog = new Float64Array(0);
  let seq = Atomics.load(c, 0);
  const loop = () => {
    for (;;) {
      // Run only when SEQ has moved. A notify wakes whoever waits, whatever the value: the caller stores SEQ, then
      // notifies; if this worker sees the new SEQ first (not-equal), runs that program and parks again before the
      // notify lands, the notify wakes it with SEQ unchanged, and a bare wait would run the same program twice,
      // over the gradients the caller is folding (one wrong training step in some 10^5, seen as resumed runs that
      // were not bit-identical).
      // Spin first, then park: a parked thread takes tens of microseconds to wake (a futex round trip, longer in a
      // virtual machine), as much as a small batch's whole share, while the caller's next signal usually comes within
      // a few hundred microseconds (its serial part of the step). Past spinMs the worker parks and costs nothing.
      if (spinMs > 0 && Atomics.load(c, 0) === seq) {
        const until = performance.now() + spinMs;
        for (let s = 0; Atomics.load(c, 0) === seq; s++) if ((s & 1023) === 1023 && performance.now() > until) break;
      }
      while (Atomics.load(c, 0) === seq) Atomics.wait(c, 0, seq);
      seq = Atomics.load(c, 0);
      const p = Atomics.load(c, 1);
      if (p === -2) return;
      if (p === -1) { onMessage((f) => { prog = f; Atomics.add(c, 3, 1); Atomics.notify(c, 3); loop(); }); return; }
      let o = prog[1 + p];
      const ncalls = prog[o++];
      const timed = Atomics.load(c, 4) === 1, t0 = timed ? performance.now() : 0;
      for (let i = 0; i < ncalls; i++) {
        const fi = prog[o++], f = fns[fi], argc = prog[o++], s0 = timed ? performance.now() : 0;
        switch (argc) {
          case 3: f(prog[o], prog[o + 1], prog[o + 2]); break;
          case 4: f(prog[o], prog[o + 1], prog[o + 2], prog[o + 3]); break;
          case 6: f(prog[o], prog[o + 1], prog[o + 2], prog[o + 3], prog[o + 4], prog[o + 5]); break;
          case 7: f(prog[o], prog[o + 1], prog[o + 2], prog[o + 3], prog[o + 4], prog[o + 5], prog[o + 6]); break;
          case 9: f(prog[o], prog[o + 1], prog[o + 2], prog[o + 3], prog[o + 4], prog[o + 5], prog[o + 6], prog[o + 7], prog[o + 8]); break;
          default: f(...prog.subarray(o, o + argc));
        }
        o += argc;
        if (timed) P[fi] += performance.now() - s0;
      }
      if (timed) P[names.length] += performance.now() - t0;
      Atomics.add(c, 2, 1);
      Atomics.notify(c, 2);
    }
  };
  Atomics.add(c, 3, 1);
  Atomics.notify(c, 3);
  loop();
}
if (port) {
  let pending = null;
  port.onmessage = (e) => {
    if (e.data.init) start(e.data.init, (cb) => { pending = cb; });
    else if (e.data.programs && pending) { const cb = pending; pending = null; cb(e.data.programs); }
  };
} else {
  const { parentPort, workerData } = require('node:worker_threads');
  let pending = null;
  parentPort.on('message', (m) => { if (m.programs && pending) { const cb = pending; pending = null; cb(m.programs); } });
  start(workerData, (cb) => { pending = cb; });
}
`;

interface WorkerLike {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

export class ThreadPool {
  private readonly c: Int32Array;
  private seq = 0;
  /** Milliseconds the caller spent waiting for the workers after its own share (every run; two clock reads each). */
  waitedMs = 0;
  private constructor(
    readonly size: number, // workers besides the caller
    private readonly workers: WorkerLike[],
    ctl: SharedArrayBuffer,
    private readonly names: string[],
    private readonly prof: SharedArrayBuffer,
    /** Milliseconds the caller spins for the workers before it parks (0: parks at once; see SPIN_MS). */
    readonly spinMs: number,
  ) {
    this.c = new Int32Array(ctl);
  }

  /** Turn per-call timing in the workers on or off, and clear what they and waitedMs have counted. */
  profile(on: boolean): void {
    new Float64Array(this.prof).fill(0);
    this.waitedMs = 0;
    Atomics.store(this.c, PROFILE, on ? 1 : 0);
  }

  /** What the workers counted since profile(true): per worker, milliseconds per kernel name and busy in total. */
  profiled(): { kernels: Map<string, number>; busyMs: number }[] {
    const n = this.names.length, f = new Float64Array(this.prof);
    return Array.from({ length: this.size }, (_, w) => {
      const kernels = new Map<string, number>();
      this.names.forEach((name, i) => { if (f[w * (n + 1) + i] > 0) kernels.set(name, f[w * (n + 1) + i]); });
      return { kernels, busyMs: f[w * (n + 1) + n] };
    });
  }

  /** Start `workers` threads on `memory` (shared) with `module` (the threads build). */
  static async create(module: WebAssembly.Module, memory: WebAssembly.Memory, workers: number, names: string[]): Promise<ThreadPool> {
    const ctl = new SharedArrayBuffer(64);
    const c = new Int32Array(ctl);
    const prof = new SharedArrayBuffer(8 * workers * (names.length + 1));
    const isNode = typeof process !== 'undefined' && !!process.versions?.node &&
      typeof (globalThis as { window?: unknown }).window === 'undefined';
    const spinMs = workers + 1 <= (await coreCount(isNode)) ? SPIN_MS : 0;
    const init = { module, memory, ctl, names, prof, spinMs };
    const list: WorkerLike[] = [];
    for (let i = 0; i < workers; i++) {
      if (isNode) {
        const wt = await import('node:worker_threads');
        const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: { ...init, id: i } });
        w.unref();
        list.push(w);
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        w.postMessage({ init: { ...init, id: i } });
        list.push(w);
      }
    }
    // Wait (asynchronously: the workers may need this thread's event loop to start) until all have instantiated.
    while (Atomics.load(c, READY) < workers) await new Promise((r) => setTimeout(r, 1));
    return new ThreadPool(workers, list, ctl, names, prof, spinMs);
  }

  /** Replace the worker programs: programs[w] is worker w's list, indexed by program id. */
  load(programs: Program[][]): void {
    Atomics.store(this.c, READY, 0);
    Atomics.store(this.c, PROGRAM, -1);
    this.workers.forEach((w, i) => w.postMessage({ programs: encode(programs[i], this.names) }));
    this.signal();
    for (let r; (r = Atomics.load(this.c, READY)) < this.size; ) Atomics.wait(this.c, READY, r, 1000);
  }

  private signal(): void {
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.c, SEQ, this.seq);
    Atomics.notify(this.c, SEQ);
  }

  /** Every worker runs program `id` while the caller runs `mine`; returns when all have finished. */
  run(id: number, mine: () => void): void {
    Atomics.store(this.c, DONE, 0);
    Atomics.store(this.c, PROGRAM, id);
    this.signal();
    mine();
    const t0 = performance.now();
    // Spin, then park (as the workers do): the last worker usually finishes within microseconds of this thread.
    if (this.spinMs > 0) {
      for (let s = 0; Atomics.load(this.c, DONE) < this.size; s++) if ((s & 1023) === 1023 && performance.now() - t0 > this.spinMs) break;
    }
    for (let d; (d = Atomics.load(this.c, DONE)) < this.size; ) Atomics.wait(this.c, DONE, d, 1000);
    this.waitedMs += performance.now() - t0;
  }

  close(): void {
    Atomics.store(this.c, PROGRAM, -2);
    this.signal();
    for (const w of this.workers) w.terminate();
  }
}

/** Threads are possible here: shared memory exists and this thread may block. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; window?: unknown; document?: unknown };
  if (typeof g.document !== 'undefined') return false; // a page's main thread may not Atomics.wait
  if (typeof g.window === 'undefined' && typeof process !== 'undefined' && process.versions?.node) return true;
  return g.crossOriginIsolated === true;
}
