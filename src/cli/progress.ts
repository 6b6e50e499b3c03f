/**
 * Progress for long commands: a live bar on a terminal (cli-progress), plain periodic lines otherwise
 * (logs, CI, pipes), and nothing with --quiet. Always on stderr, so stdout stays clean for --json and CSV.
 */
import cliProgress from 'cli-progress';

export interface ProgressSink {
  update(done: number, fields?: Record<string, string>): void;
  stop(): void;
}

export function progress(label: string, total: number, o: { quiet?: boolean; unit?: string; every?: number } = {}): ProgressSink {
  if (o.quiet) return { update() {}, stop() {} };
  const unit = o.unit ?? 'steps';
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} {bar} {percentage}% | {value}/{total} ${unit} | {info} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      update(done, fields) {
        bar.update(done, { info: fields ? Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' ') : '' });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const every = o.every ?? Math.max(1, Math.round(total / 10));
  let last = -Infinity;
  const t0 = Date.now();
  return {
    update(done, fields) {
      if (done - last < every && done < total) return;
      last = done;
      const secs = (Date.now() - t0) / 1000;
      const extra = fields ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ') : '';
      process.stderr.write(`${label} ${done}/${total} ${unit} (${secs.toFixed(1)} s)${extra}\n`);
    },
    stop() {},
  };
}
