/**
 * A log source for the set-based catch-up (BulkLogProjection) when ClickHouse cannot reach the
 * store itself — PGlite lives inside the API's process: the store writes the slice as CSV
 * (its engine's COPY, no row decoded in JavaScript), the CSV goes to a private temporary file,
 * and embedded ClickHouse loads it into event_log_staging with `file()`. From there the slice
 * takes the same INSERT … SELECT as a slice read from PostgreSQL.
 * It must never leave the file behind (the events' personal data is sealed, but it is still
 * the log), nor be used with a ClickHouse server, which cannot read this machine's files.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { SliceRange, StagingLoader } from './bulk-log-projection';

/**
 * The store's slice (after, upTo] as CSV, columns as event_log_staging's (the event store's
 * LOG_SLICE_COLUMNS): global_position, stream_id, stream_revision, event_id, event_type,
 * schema_version, data, metadata, recorded_at (UTC).
 */
export type ExportCsvSlice = (after: bigint, upTo: bigint) => Promise<Blob>;

const STRUCTURE =
  'global_position UInt64, stream_id String, stream_revision UInt64, event_id UUID, ' +
  "event_type String, schema_version Int64, data String, metadata String, recorded_at DateTime64(6, 'UTC')";

/**
 * `dir` belongs to this source: the slice is written there as `slice.csv` (mode 0600) and
 * removed once loaded. A process killed in between leaves that one file, which the next slice
 * overwrites and removes.
 *
 * Given the next slice, it starts exporting it while ClickHouse loads and projects this one
 * (PGlite's engine runs on a thread of its own, ClickHouse on its pool: the two overlap), and
 * hands that export to the next call if it asks for exactly that slice; one slice's CSV is held
 * in memory meanwhile. Positions up to the head are final in the store, so the early export
 * reads what a later one would.
 */
export function csvFileLogSource(exportSlice: ExportCsvSlice, dir: string): StagingLoader {
  const file = join(dir, 'slice.csv');
  let ahead: { readonly range: SliceRange; readonly csv: Promise<Blob> } | null = null;
  const exported = (after: bigint, upTo: bigint): Promise<Blob> => {
    const early = ahead;
    ahead = null;
    return early !== null && early.range.after === after && early.range.upTo === upTo
      ? early.csv
      : exportSlice(after, upTo);
  };
  return {
    async loadSlice(
      client: ClickHouseClient,
      database: string,
      after: bigint,
      upTo: bigint,
      next?: SliceRange,
    ) {
      const current = exported(after, upTo);
      if (next !== undefined) {
        const csv = current.then(() => exportSlice(next.after, next.upTo));
        // Awaited by the next call, if it asks for this slice; never an unhandled rejection.
        csv.catch(() => undefined);
        ahead = { range: next, csv };
      }
      const csv = await current;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        await writeFile(file, new Uint8Array(await csv.arrayBuffer()), { mode: 0o600 });
        await client.command({
          query: `
            INSERT INTO {db:Identifier}.event_log_staging
            SELECT * FROM file({file:String}, 'CSV', {structure:String})`,
          query_params: { db: database, file, structure: STRUCTURE },
        });
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}
