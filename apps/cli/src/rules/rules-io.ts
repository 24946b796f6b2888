/**
 * Where the rules commands write, how they wait and how they read a draft:
 * the real terminal here, a recording fake in unit tests. stdout carries only a
 * command's result; everything else (progress, refusals, hints) goes to stderr.
 */
import { type CliIo, terminalCliIo } from '../cli-io';
import type { ProgressStream } from './replay-progress';
import { readTextFile } from './rules-draft';

/** Where a rules command writes and how it waits; tests pass their own. */
export interface RulesIo extends CliIo {
  readonly progress: ProgressStream;
  readonly readText: (file: string) => Promise<string>;
}

export const terminalIo: RulesIo = {
  ...terminalCliIo,
  progress: process.stderr,
  readText: readTextFile,
};
