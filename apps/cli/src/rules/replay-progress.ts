/**
 * How a replay (building a rule set's views from the whole log) shows while it
 * runs. `describeReplay` turns one ReplayView into one line; the renderer
 * decides when to write it: on a TTY it rewrites a single line in place at most
 * every 250 ms, elsewhere (CI logs, pipes) it writes plain lines at most every
 * 2 s, and it always writes the last one. The clock and the stream are passed
 * in: it never reads the real time and never writes to stdout, which belongs to
 * the command's result.
 */
import type { ReplayView } from './rules-contract';

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface ReplayProgress {
  /** Shows this state of the replay now or later; a finished one always shows. */
  update(replay: ReplayView): void;
  /** Closes a line left open on a TTY, so whatever is written next starts clean. */
  end(): void;
}

const ttyIntervalMs = 250;
const plainIntervalMs = 2000;
/** Carriage return, then ANSI "erase the whole line". */
const rewriteLine = '\r\x1b[2K';

export function createReplayProgress(stream: ProgressStream, now: () => number): ReplayProgress {
  const tty = stream.isTTY === true;
  const interval = tty ? ttyIntervalMs : plainIntervalMs;
  let lastWriteAt: number | null = null;
  let lineOpen = false;
  return {
    update(replay) {
      const finished = replay.status !== 'running';
      const at = now();
      if (!finished && lastWriteAt !== null && at - lastWriteAt < interval) return;
      const line = describeReplay(replay);
      if (tty) {
        stream.write(`${rewriteLine}${line}${finished ? '\n' : ''}`);
        lineOpen = !finished;
      } else {
        stream.write(`${line}\n`);
      }
      lastWriteAt = at;
    },
    end() {
      if (!lineOpen) return;
      stream.write('\n');
      lineOpen = false;
    },
  };
}

/** e.g. `replay v2 (sha 1a2b3c4d5e6f7a8b): 8,123/16,000 events (50.8 %), 2,310 events/s, ETA 4 s` */
export function describeReplay(replay: ReplayView): string {
  const subject = `replay v${replay.rulesVersion}${replay.kind === 'shadow' ? ' draft' : ''} (sha ${shortHash(replay.definitionHash)})`;
  const events = `${count(replay.eventsDone)}/${count(replay.eventsTotal)} events (${percentDone(replay)} %)`;
  const resumed = replay.resumed ? ' (resumed)' : '';
  switch (replay.status) {
    case 'running': {
      const parts = [events];
      if (replay.eventsPerSecond !== null) {
        parts.push(`${count(Math.round(replay.eventsPerSecond))} events/s`);
      }
      if (replay.etaSeconds !== null) parts.push(`ETA ${duration(replay.etaSeconds)}`);
      return `${subject}: ${parts.join(', ')}${resumed}`;
    }
    case 'done': {
      const took = elapsedSeconds(replay);
      return `${subject}: ${events}, done${took === null ? '' : ` in ${duration(Math.round(took))}`}${resumed}`;
    }
    case 'failed':
      return `${subject}: failed at ${events}${resumed}`;
  }
}

/** `sha256:1a2b…` or `1a2b…` → the first 16 hex digits, enough to tell rule sets apart. */
export function shortHash(hash: string): string {
  return hash.replace(/^sha256:/, '').slice(0, 16);
}

/** 4 s, 2 min 5 s, 1 h 3 min: an ETA needs no more precision than that. */
export function duration(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

function percentDone(replay: ReplayView): string {
  if (replay.eventsTotal <= 0) return replay.status === 'done' ? '100.0' : '0.0';
  const percent = ((replay.eventsDone / replay.eventsTotal) * 100).toFixed(1);
  // Rounding must not claim 100 % while events are still left.
  return percent === '100.0' && replay.eventsDone < replay.eventsTotal ? '99.9' : percent;
}

function elapsedSeconds(replay: ReplayView): number | null {
  if (replay.finishedAt === null) return null;
  const ms = Date.parse(replay.finishedAt) - Date.parse(replay.startedAt);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

const count = (n: number) => n.toLocaleString('en-US');
