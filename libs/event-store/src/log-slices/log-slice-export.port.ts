/**
 * An optional capability of an event store: the global log by slices in a flat file format,
 * for a projector that hands a whole slice to its analytics engine instead of decoding event
 * by event (the set-based catch-up, ADR 0006). PGlite has it — ClickHouse cannot reach an
 * in-process database the way it reaches a PostgreSQL server with `postgresql()`.
 * It must never return a position above the store's head, nor one a reader could not see yet.
 */

/**
 * The columns of every row, in this order — the store's `events` table as a reader sees it:
 * global_position, stream_id, stream_revision, event_id, event_type, schema_version,
 * data (JSON text), metadata (JSON text), recorded_at (UTC, `YYYY-MM-DD hh:mm:ss[.ffffff]+00`).
 */
export const LOG_SLICE_COLUMNS = [
  'global_position',
  'stream_id',
  'stream_revision',
  'event_id',
  'event_type',
  'schema_version',
  'data',
  'metadata',
  'recorded_at',
] as const;

export interface LogSliceExport {
  /**
   * The events at positions (after, upTo] in global order as CSV (RFC 4180, no header),
   * columns as LOG_SLICE_COLUMNS. Personal data stays sealed, as stored.
   */
  csv(after: bigint, upTo: bigint): Promise<Blob>;
}

export interface LogSliceExportingEventStore {
  readonly logSlices: LogSliceExport;
}

export function supportsLogSliceExport<S extends object>(
  store: S,
): store is S & LogSliceExportingEventStore {
  const candidate = (store as Partial<LogSliceExportingEventStore>).logSlices;
  return typeof candidate === 'object' && candidate !== null;
}
