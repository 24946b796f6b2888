/** The CLI's rules commands run in a test: what they print is kept, progress goes nowhere. */
import { readFile } from 'node:fs/promises';
import type { RulesIo } from '../../apps/cli/src/rules/rules-io';

export function recordingIo(): RulesIo & { readonly out: string[]; readonly err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    print: (line) => out.push(line),
    warn: (line) => err.push(line),
    progress: { isTTY: false, write: () => true },
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    readText: (file) => readFile(file, 'utf8'),
  };
}
