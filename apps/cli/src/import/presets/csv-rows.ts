/**
 * CSV exports as the presets read them: records keyed by header, each with the line it
 * ends on (for refusals), a content hash (for the import's checkpoint), and the two
 * value readers every preset needs. csv-parse does the parsing (quotes, embedded
 * commas and newlines, a BOM).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';

export type Row = Readonly<Record<string, string>>;

export interface CsvFile {
  readonly file: string;
  readonly header: readonly string[];
  readonly rows: readonly { readonly row: Row; readonly line: number }[];
  readonly hash: string;
}

/** `2025-01-06 09:12`, `2025-01-06T09:12:00Z` … → ISO-8601 (UTC when no zone is given). */
export function time(value: string | undefined): string | null {
  const raw = (value ?? '').trim();
  if (raw === '') return null;
  const iso = raw.replace(' ', 'T');
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export const text = (value: string | undefined): string | null => {
  const trimmed = (value ?? '').trim();
  return trimmed === '' ? null : trimmed;
};

export async function readCsv(file: string): Promise<CsvFile> {
  const bytes = await readFile(file);
  // With `info`, csv-parse yields { record, info } per row; its typings do not say so.
  const parsed: unknown = parse(bytes, {
    columns: true,
    skip_empty_lines: true,
    bom: true,
    info: true,
  });
  const records = parsed as readonly { record: Row; info: { lines: number } }[];
  const header = records[0] === undefined ? [] : Object.keys(records[0].record);
  return {
    file,
    header,
    rows: records.map(({ record, info }) => ({ row: record, line: info.lines })),
    hash: createHash('sha256').update(bytes).digest('hex'),
  };
}
