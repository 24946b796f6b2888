/**
 * Where a command writes and how it waits: the terminal here, a recording fake
 * in unit tests. stdout carries only a command's result (exactly one JSON
 * document with --json); progress, hints, refusals and errors go to stderr, so
 * `tandem … --json | jq` always parses.
 */
export interface CliIo {
  /** stdout: the command's result. */
  readonly print: (line: string) => void;
  /** stderr: progress, hints, refusals, failures. */
  readonly warn: (line: string) => void;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const terminalCliIo: CliIo = {
  print: (line) => console.log(line),
  warn: (line) => console.error(line),
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One JSON document, indented for people who read it before a script does. */
export const asJson = (value: unknown): string => JSON.stringify(value, null, 2);
