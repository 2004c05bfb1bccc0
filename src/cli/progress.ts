// Training progress on stderr: a live bar on a terminal, a few plain lines anywhere else (CI logs,
// pipes), so stdout stays clean for the summary or `--json`.
import cliProgress from "cli-progress";
import type { TrainPhase } from "../workflows/train-and-register.js";

export interface ProgressOptions {
  /** Where to draw. Default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Draw a bar (terminal) or print lines. Default `stream.isTTY`. */
  tty?: boolean;
  /** Plain mode prints a line each time this many percent more are done. Default 10. */
  lineStepPercent?: number;
  /** Unit named in the output. Default `"rounds"`. */
  unit?: string;
}

export interface ProgressReporter {
  phase(phase: TrainPhase, detail?: string): void;
  update(done: number, total: number): void;
  /** A message outside the bar (e.g. "cancelling…"). */
  note(message: string): void;
  /** Ends the bar; safe to call more than once. */
  stop(): void;
}

const PHASE_TEXT: Record<TrainPhase, string> = {
  load: "loading data",
  train: "training",
  evaluate: "evaluating on the held-out rows",
  register: "storing the artifact and registering the version",
  promote: "promoting",
};

export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const step = options.lineStepPercent ?? 10;
  const unit = options.unit ?? "rounds";
  const line = (text: string) => stream.write(`${text}\n`);

  let bar: cliProgress.SingleBar | undefined;
  let nextPercent = 0;

  const stop = () => {
    bar?.stop();
    bar = undefined;
  };

  return {
    phase(phase, detail) {
      stop();
      line(`${PHASE_TEXT[phase]}${detail ? ` ${detail}` : ""}…`);
    },
    update(done, total) {
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream,
              format: `  {bar} {value}/{total} ${unit} | {percentage}% | {duration_formatted} elapsed | ETA {eta_formatted}`,
              hideCursor: true,
              clearOnComplete: false,
              etaBuffer: 20,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, 0);
        }
        bar.update(done);
        return;
      }
      // Plain mode: one line per step crossed, and always the last one.
      const percent = Math.floor((100 * done) / total);
      if (done >= total || percent >= nextPercent) {
        line(`  ${done}/${total} ${unit} (${percent}%)`);
        nextPercent = (Math.floor(percent / step) + 1) * step;
      }
    },
    note(message) {
      stop();
      line(message);
    },
    stop,
  };
}
