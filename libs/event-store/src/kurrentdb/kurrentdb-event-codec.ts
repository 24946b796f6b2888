/**
 * Tandem events to KurrentDB JSON events and back. KurrentDB has no schema-version
 * field, so the port's `schemaVersion` is folded into the event metadata under
 * `$schemaVersion` and taken out again on read; the event id is the KurrentDB event id.
 * `$schemaVersion` is also how Tandem recognises its own events: a database may hold
 * other applications' events too, and those are "foreign" (skipped on $all).
 * A conditional append (ADR 0015) goes through `appendRecords`, whose metadata may hold
 * string values only: there the whole metadata travels as JSON text under `$tandem`
 * (`toRecordData`), and reading unwraps it again, so both kinds read back the same.
 * It must never return a Tandem event that differs from what was appended: a record
 * that carries the marker but is otherwise malformed is an error, not a guess.
 */
import type { EventData, Position } from '@kurrent/kurrentdb-client';
import { EventStoreError, InvalidAppendError } from '../event-store.errors';
import type { EventToAppend, RecordedEvent } from '../event-store.port';
import { isDeliverable } from './kurrentdb-filters';
import { toGlobalPosition } from './kurrentdb-positions';

export const SCHEMA_VERSION_KEY = '$schemaVersion';
/** The metadata of an `appendRecords` record: Tandem's metadata as one JSON string. */
export const WRAPPED_METADATA_KEY = '$tandem';

/** The fields of the client's recorded event that decoding reads (JSON and binary alike). */
export interface KurrentRecord {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly created: Date;
  readonly isJson: boolean;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: Position;
}

export type DecodedRecord =
  | { readonly kind: 'tandem'; readonly event: RecordedEvent }
  /** Not written by Tandem, or hidden (system/bookkeeping): not part of the port's world. */
  | { readonly kind: 'foreign'; readonly reason: string };

/** Malformed data in a record that carries Tandem's marker. */
export class KurrentDbRecordError extends EventStoreError {}

export function toEventData(event: EventToAppend, streamId: string): EventData {
  // `validateAppend` has established that data and metadata are plain JSON objects.
  if (Object.prototype.hasOwnProperty.call(event.metadata, SCHEMA_VERSION_KEY)) {
    throw new InvalidAppendError(
      `append to ${streamId}: metadata key ${SCHEMA_VERSION_KEY} is reserved for the schema version`,
    );
  }
  return {
    id: event.eventId,
    contentType: 'application/json',
    type: event.type,
    data: { ...event.data },
    metadata: { ...event.metadata, [SCHEMA_VERSION_KEY]: event.schemaVersion },
  };
}

/** The same event for `appendRecords`: string-valued metadata only, so Tandem's is wrapped. */
export function toRecordData(event: EventToAppend, streamId: string): EventData {
  const data = toEventData(event, streamId);
  return { ...data, metadata: { [WRAPPED_METADATA_KEY]: JSON.stringify(data.metadata) } };
}

/** The metadata as appended: unwrapped when `appendRecords` carried it as JSON text. */
function appendedMetadata(metadata: Record<string, unknown>): unknown {
  const wrapped = metadata[WRAPPED_METADATA_KEY];
  if (typeof wrapped !== 'string' || Object.hasOwn(metadata, SCHEMA_VERSION_KEY)) return metadata;
  try {
    return JSON.parse(wrapped);
  } catch {
    return metadata;
  }
}

export function decodeRecord(record: KurrentRecord): DecodedRecord {
  if (!isDeliverable(record.streamId, record.type)) {
    return { kind: 'foreign', reason: `hidden stream or event type (${record.type})` };
  }
  const appended = isPlainObject(record.metadata) ? appendedMetadata(record.metadata) : null;
  if (!record.isJson || !isPlainObject(appended)) {
    return { kind: 'foreign', reason: 'not a JSON event with JSON metadata' };
  }
  const { [SCHEMA_VERSION_KEY]: schemaVersion, ...metadata } = appended;
  if (schemaVersion === undefined) {
    return { kind: 'foreign', reason: `no ${SCHEMA_VERSION_KEY} in its metadata` };
  }
  const where = `event ${record.id} (${record.streamId}@${record.revision.toString()})`;
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw new KurrentDbRecordError(
      `${where}: ${SCHEMA_VERSION_KEY} ${JSON.stringify(schemaVersion)} is not a positive integer`,
    );
  }
  if (!isPlainObject(record.data)) {
    // The client hands back the raw text when the data is not valid JSON.
    throw new KurrentDbRecordError(`${where}: data is not a JSON object`);
  }
  return {
    kind: 'tandem',
    event: {
      // Stored as 16 bytes; Tandem appends lower-case ids only, so this restores them exactly.
      eventId: record.id.toLowerCase(),
      type: record.type,
      schemaVersion,
      data: record.data,
      metadata,
      streamId: record.streamId,
      streamRevision: record.revision,
      globalPosition: toGlobalPosition(record.position, where),
      recordedAt: record.created,
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (value instanceof Uint8Array) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
