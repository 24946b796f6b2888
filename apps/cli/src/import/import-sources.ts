/**
 * Which reader turns the files on the command line into import rows: the
 * canonical JSONL format, or a preset for a CRM's CSV exports (a directory stands
 * for the CSV files in it). A file that cannot be read is a usage error (exit 2).
 */
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CsvError } from 'csv-parse/sync';
import { UsageError } from '../usage-error';
import { readCanonicalJsonl } from './canonical-jsonl.source';
import type { ImportSource } from './import-fact';
import type { ImportPreset } from './import-presets';
import { readMappedCsv } from './presets/csv-mapping';
import { readHubspotExport } from './presets/hubspot.preset';
import { readSalesforceExport } from './presets/salesforce.preset';

export async function readImportSource(
  files: readonly string[],
  preset: ImportPreset,
  mapping: string | null,
): Promise<ImportSource> {
  if ((mapping !== null) !== (preset === 'mapped')) {
    throw new UsageError('--mapping <file.json> goes with --preset mapped, and only with it');
  }
  try {
    switch (preset) {
      case 'canonical': {
        const [file, ...more] = files;
        if (file === undefined || more.length > 0) {
          throw new UsageError(
            'the canonical format is one JSONL file: tandem import <file.jsonl>',
          );
        }
        return await readCanonicalJsonl(file);
      }
      case 'hubspot':
        return await readHubspotExport(await csvFiles(files));
      case 'salesforce':
        return await readSalesforceExport(await csvFiles(files));
      case 'mapped':
        return await readMappedCsv(await csvFiles(files), mapping ?? '');
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new UsageError(
        `cannot read ${(error as NodeJS.ErrnoException).path ?? files.join(' ')}: ${(error as Error).message}`,
      );
    }
    // csv-parse's codes are not all CSV_… (INVALID_OPENING_QUOTE, for `=HYPERLINK("…")` unquoted).
    if (error instanceof CsvError) {
      throw new UsageError(`not a CSV file: ${withoutCellValue(error.message)}`);
    }
    throw error;
  }
}

/**
 * csv-parse's message without the cell it quotes (INVALID_OPENING_QUOTE ends `…, value is
 * "Erin "`): the field and the line find the fault, and a cell may hold a person's name,
 * which must not outlive an erasure in a terminal's scroll-back or a CI log.
 */
function withoutCellValue(message: string): string {
  return message.replace(/, value is ".*$/s, '');
}

/** Files as given; a directory becomes its `.csv` files in name order. */
async function csvFiles(files: readonly string[]): Promise<string[]> {
  const expanded: string[] = [];
  for (const file of files) {
    if ((await stat(file)).isDirectory()) {
      const names = (await readdir(file)).filter((name) => name.endsWith('.csv')).sort();
      expanded.push(...names.map((name) => path.join(file, name)));
    } else {
      expanded.push(file);
    }
  }
  return expanded;
}
