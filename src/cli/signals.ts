/**
 * How the CLI answers the signals that ask a process to stop, all three alike: SIGINT (Ctrl-C), SIGTERM (`kill`, a
 * service manager, a container stop, a CI timeout) and SIGHUP (the terminal went away).
 *  - `train` catches them (catchStopSignals): the first one lets the current step finish, then the command writes a
 *    checkpoint and exits 128 + the signal's number (130, 143, 129); a second one ends the process at once.
 *  - `serve` closes its server on them and exits 0.
 *  - The other commands (study, eval, sample, ...) leave them to the default action, which ends the process at once
 *    with the same status a shell reports, 128 + the number: they hold nothing a checkpoint could save, and a handler
 *    would wait for the end of their long synchronous stretches (sampling, a study's training) before it ran.
 * Every output is written to a temporary file and renamed (fsutil.ts), so no file is ever left half-written under
 * its own name: a kill that lands mid-write leaves at most a hidden temporary beside it, which the next write of
 * that file removes. A handler runs only between turns of the event loop, never inside such a write.
 */
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The conventional exit status of a process ended by `s`: 128 + its number. */
export const exitStatus = (s: StopSignal): number => 128 + constants.signals[s];

/** `stop` is what the training loop polls (TrainOptions.signal); `by` names the signal that set it. */
export interface StopRequest {
  stop: boolean;
  by?: StopSignal;
  /** Stop catching: a signal from now on has its default action again. */
  release(): void;
}

/** Catch the stop signals until release(): the first one sets `stop`, a second one exits with its status at once. */
export function catchStopSignals(): StopRequest {
  const on = (s: NodeJS.Signals) => {
    const sig = s as StopSignal;
    if (req.stop) process.exit(exitStatus(sig));
    req.stop = true;
    req.by = sig;
    // After a hang-up (or with the reader of a pipe gone) writing progress fails with EIO or EPIPE: that must neither
    // stop the checkpoint nor change the exit status.
    for (const out of [process.stdout, process.stderr]) out.on('error', () => {});
  };
  const req: StopRequest = {
    stop: false,
    release: () => {
      for (const s of STOP_SIGNALS) process.off(s, on);
    },
  };
  for (const s of STOP_SIGNALS) process.on(s, on);
  return req;
}
