/**
 * Maps rows of the events and checkpoints tables to the port's types. Both drivers
 * get the same SQL, which returns every bigint as text, so no precision is lost
 * whatever a driver's own int8 parsing does.
 * It must never guess: a column of an unexpected type is an error, not a default.
 */
import type {
  Checkpoint,
  JsonObject,
  MultiStreamAppendResult,
  RecordedEvent,
} from '../event-store.port';
import type { SqlRow } from './sql-executor';

export function toRecordedEvent(row: SqlRow): RecordedEvent {
  return {
    globalPosition: bigintColumn(row, 'global_position'),
    streamId: textColumn(row, 'stream_id'),
    streamRevision: bigintColumn(row, 'stream_revision'),
    eventId: textColumn(row, 'event_id'),
    type: textColumn(row, 'event_type'),
    schemaVersion: integerColumn(row, 'schema_version'),
    data: jsonObjectColumn(row, 'data'),
    metadata: jsonObjectColumn(row, 'metadata'),
    recordedAt: dateColumn(row, 'recorded_at'),
  };
}

export function toCheckpoint(row: SqlRow): Checkpoint {
  return {
    name: textColumn(row, 'name'),
    position: bigintColumn(row, 'position'),
    updatedAt: dateColumn(row, 'updated_at'),
  };
}

export function textColumn(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw unexpected(column, value);
  return value;
}

/** The SQL casts bigints to text; `null` stays `null` (e.g. max() of an empty table). */
export function nullableBigintColumn(row: SqlRow, column: string): bigint | null {
  const value = row[column];
  if (value === null) return null;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) throw unexpected(column, value);
  return BigInt(value);
}

export function bigintColumn(row: SqlRow, column: string): bigint {
  const value = nullableBigintColumn(row, column);
  if (value === null) throw unexpected(column, value);
  return value;
}

function integerColumn(row: SqlRow, column: string): number {
  const value = row[column];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw unexpected(column, value);
  return value;
}

function jsonObjectColumn(row: SqlRow, column: string): JsonObject {
  const value = row[column];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw unexpected(column, value);
  }
  return value as JsonObject;
}

function dateColumn(row: SqlRow, column: string): Date {
  const value = row[column];
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw unexpected(column, value);
  return value;
}

function unexpected(column: string, value: unknown): Error {
  return new Error(`event store: unexpected value in column ${column}: ${String(value)}`);
}

/** The rows of `append_events_multi`: one per stream, in the order given. */
export function multiStreamResult(
  rows: readonly SqlRow[],
  streams: number,
): MultiStreamAppendResult {
  const last = rows.at(-1);
  if (rows.length !== streams || last === undefined) {
    throw new Error(`append to streams: ${rows.length} rows back for ${streams} streams`);
  }
  return {
    nextExpectedRevisions: rows.map((row) => bigintColumn(row, 'next_expected_revision')),
    lastGlobalPosition: bigintColumn(last, 'last_global_position'),
  };
}
