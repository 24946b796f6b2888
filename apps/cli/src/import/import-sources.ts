/**
 * Which reader turns the files on the command line into import rows: the
 * canonical JSONL format, or a preset for a CRM's CSV exports.
 */
import { UsageError } from '../usage-error';
import { readCanonicalJsonl } from './canonical-jsonl.source';
import type { ImportSource } from './import-fact';
import type { ImportPreset } from './import-presets';

export async function readImportSource(
  files: readonly string[],
  preset: ImportPreset,
  mapping: string | null,
): Promise<ImportSource> {
  if (mapping !== null && preset === 'canonical') {
    throw new UsageError(
      '--mapping applies to CSV files (--preset mapped), not to canonical JSONL',
    );
  }
  const [file, ...more] = files;
  if (file === undefined || more.length > 0) {
    throw new UsageError('the canonical format is one JSONL file: tandem import <file.jsonl>');
  }
  try {
    return await readCanonicalJsonl(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
    }
    throw error;
  }
}
