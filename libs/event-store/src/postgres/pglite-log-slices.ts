/**
 * The PGlite store's log by slices (LogSliceExport): one `COPY (SELECT …) TO '/dev/blob'`
 * per slice, which PGlite hands back as a Blob of CSV — the engine writes the text itself, no
 * row becomes a JavaScript object. COPY takes no parameters, so the bounds are bound with
 * `set_config` inside the same transaction and the statement's text is fixed.
 * It must never be used on a PostgreSQL server (no blob device there: ClickHouse reads the
 * server itself), nor put values into SQL text.
 */
import type { LogSliceExport } from '../log-slices/log-slice-export.port';
import type { PostgresStoreNames } from './postgres-store-names';

/** What the slices need of an executor: PgliteExecutor, in this thread or on its own. */
export interface CopyingOut {
  copyOut(setup: string, params: readonly unknown[], copy: string): Promise<Blob>;
}

/** Positions per COPY: ~0.25–0.5 s of the engine on this machine's cores. */
const CHUNK_EVENTS = 20_000n;

export class PgliteLogSlices implements LogSliceExport {
  private readonly copy: string;

  constructor(
    private readonly executor: CopyingOut,
    names: PostgresStoreNames,
  ) {
    // The columns are LOG_SLICE_COLUMNS'; recorded_at is written in UTC, ISO style (the
    // setup's TimeZone and DateStyle; to_char would cost a third more). PGlite is one
    // session, so everything up to the head is final.
    this.copy = `
COPY (
  SELECT e.global_position, e.stream_id, e.stream_revision, e.event_id, e.event_type,
         e.schema_version, e.data, e.metadata, e.recorded_at
    FROM ${names.quotedSchema}.events e
   WHERE e.global_position > current_setting('tandem.slice_after')::bigint
     AND e.global_position <= current_setting('tandem.slice_up_to')::bigint
   ORDER BY e.global_position
) TO '/dev/blob' WITH (FORMAT csv)`;
  }

  /**
   * One COPY per CHUNK_EVENTS positions: PGlite runs a statement without yielding, so a
   * whole slice in one COPY would hold the caller's event loop for seconds (the API stops
   * answering); the parts are joined without copying.
   */
  async csv(after: bigint, upTo: bigint): Promise<Blob> {
    const parts: Blob[] = [];
    for (let from = after; from < upTo; from += CHUNK_EVENTS) {
      const to = from + CHUNK_EVENTS < upTo ? from + CHUNK_EVENTS : upTo;
      parts.push(await this.chunk(from, to));
    }
    return new Blob(parts);
  }

  private chunk(after: bigint, upTo: bigint): Promise<Blob> {
    return this.executor.copyOut(
      `SELECT set_config('tandem.slice_after', $1, true), set_config('tandem.slice_up_to', $2, true),
              set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true)`,
      [after.toString(), upTo.toString()],
      this.copy,
    );
  }
}
