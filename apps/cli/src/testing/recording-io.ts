/**
 * A CliIo for the CLI's unit specs: what reaches stdout (`out`) and stderr (`err`) is kept, and
 * the clock moves only when a command sleeps (`sleeps` lists how long), so polling commands
 * run instantly and deterministically. Test-only: production never imports a testing path.
 */
import type { CliIo } from '../cli-io';

export function recordingCliIo() {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  let now = 0;
  const io: CliIo = {
    print: (line) => out.push(line),
    warn: (line) => err.push(line),
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  return { io, out, err, sleeps };
}
