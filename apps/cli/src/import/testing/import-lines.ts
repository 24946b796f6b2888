/**
 * Writes canonical lines to a file and imports it into a store, in process, under the
 * dictionary in force there: what the import specs do to a store many times over. Test code
 * only.
 */
import { writeFile } from 'node:fs/promises';
import type { EventStore } from '@tandem/event-store';
import { readCanonicalJsonl } from '../canonical-jsonl.source';
import { definitionInForce } from '../definition-in-force';
import { importActor } from '../import.command';
import { planImport } from '../import-plan';
import { type ImportOutcome, type ImportProgress, runImport } from '../import-runner';

export interface ImportLines {
  readonly store: EventStore;
  readonly file: string;
  readonly lines: readonly string[];
  readonly blockEvents: number;
  readonly correlationId: string;
  readonly onProgress?: ((progress: ImportProgress) => void) | undefined;
}

export async function importLines(options: ImportLines): Promise<ImportOutcome> {
  await writeFile(options.file, `${options.lines.join('\n')}\n`);
  return importCanonicalFile(options);
}

/** Imports a canonical JSONL file already on disk, as `tandem import` would. */
export async function importCanonicalFile(
  options: Omit<ImportLines, 'lines'>,
): Promise<ImportOutcome> {
  const { store, file, blockEvents, correlationId, onProgress } = options;
  const source = await readCanonicalJsonl(file);
  const { definition } = await definitionInForce(store);
  return runImport({
    store,
    plan: planImport(source),
    sourceHash: source.hash,
    blockEvents,
    decision: { definition, actor: importActor(file), correlationId },
    onProgress,
  });
}
