/**
 * Where the rules commands write, how they wait and how they read a draft:
 * the real terminal here, a recording fake in unit tests. stdout carries only a
 * command's result; everything else (progress, refusals, hints) goes to stderr.
 */
import type { ProgressStream } from './replay-progress';
import { readTextFile } from './rules-draft';

/** Where a rules command writes and how it waits; tests pass their own. */
export interface RulesIo {
  /** stdout: the command's result. */
  readonly print: (line: string) => void;
  /** stderr: refusals, failures, hints that must not mix with a --json result. */
  readonly warn: (line: string) => void;
  readonly progress: ProgressStream;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly readText: (file: string) => Promise<string>;
}

export const terminalIo: RulesIo = {
  print: (line) => console.log(line),
  warn: (line) => console.error(line),
  progress: process.stderr,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  readText: readTextFile,
};
