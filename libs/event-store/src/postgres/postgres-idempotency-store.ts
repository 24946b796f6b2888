/**
 * Idempotency keys on PostgreSQL and PGlite: a table beside the events (same schema, same
 * database), so keys survive restarts and the key's append and its record commit in one
 * transaction. The fence: `runReserved` marks the async context, and the event store's
 * `append` asks `fenceFor()` whether it runs under a reservation; if so the append goes
 * through `appendFenced`, which locks the key's row first, so a takeover either waits for
 * the append and sees it, or wins and the append is refused.
 * It must never append other than through the store's `append_events` statement (or its
 * conditional form `append_events_if`, or `append_events_multi` for several streams), nor
 * answer from a row whose TTL has passed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { ReservationLostError } from '../event-store.errors';
import type {
  AppendResult,
  JsonValue,
  MultiStreamAppendResult,
  RecordedEvent,
  StreamAppend,
} from '../event-store.port';
import { formatExpectedRevision } from '../expected-revision';
import type {
  IdempotencyRecord,
  IdempotencyReservation,
  IdempotencyStore,
  ReserveOptions,
  ReserveOutcome,
  StoredResponse,
} from '../idempotency/idempotency-store.port';
import { LeadKeyExistsError, type NewLeadKey } from '../personal-data/lead-key-append.port';
import { translateAppendError } from './postgres-append-errors';
import type { PostgresIdempotencySql } from './postgres-event-store.sql';
import { bigintColumn, multiStreamResult, textColumn } from './postgres-event-rows';
import type { SqlExecutor, SqlQueryable, SqlRow } from './sql-executor';

/** One reservation's context: at most one append may run under it. */
interface Fence {
  readonly reservation: IdempotencyReservation;
  appended: boolean;
}

/** `reserve` loops when the row changes under it (deleted, taken over); a few rounds suffice. */
const RESERVE_ATTEMPTS = 5;
const MAX_OPAQUE_LENGTH = 255;

export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly fences = new AsyncLocalStorage<Fence>();

  constructor(
    private readonly executor: SqlExecutor,
    private readonly sql: PostgresIdempotencySql,
    /** The event store's own append statement: fenced appends run exactly what `append` runs. */
    private readonly appendSql: string,
    /** Its conditional form (ADR 0015), for an append that names other streams. */
    private readonly appendIfSql: string,
    /** The atomic append to several streams (ADR 0016). */
    private readonly appendMultiSql: string,
    /** A lead's new data key, recorded in the fenced append's transaction (ADR 0009). */
    private readonly insertLeadKeySql: string,
    private readonly readStream: (
      streamId: string,
      fromRevision: bigint,
      maxCount: number,
    ) => Promise<RecordedEvent[]>,
  ) {}

  async reserve(
    scopeKey: string,
    fingerprint: string,
    options: ReserveOptions,
  ): Promise<ReserveOutcome> {
    checkOpaque('scopeKey', scopeKey);
    checkOpaque('fingerprint', fingerprint);
    checkSeconds('ttlSeconds', options.ttlSeconds);
    checkSeconds('leaseSeconds', options.leaseSeconds);
    const owner = randomUUID();
    for (let attempt = 0; attempt < RESERVE_ATTEMPTS; attempt++) {
      await this.executor.query(this.sql.deleteIfExpired, [scopeKey]);
      const inserted = await this.executor.query(this.sql.insert, [
        scopeKey,
        fingerprint,
        owner,
        options.leaseSeconds,
        options.ttlSeconds,
      ]);
      if (inserted.length > 0) return { kind: 'reserved', reservation: { scopeKey, owner } };

      const row = (await this.executor.query(this.sql.select, [scopeKey]))[0];
      if (row === undefined) continue; // expired or released since the insert: try again
      if (textColumn(row, 'fingerprint') !== fingerprint) return { kind: 'fingerprint_mismatch' };
      if (row.completed_at !== null) return { kind: 'completed', response: toResponse(row) };
      if (row.lease_expired !== true) return { kind: 'in_flight' };

      const taken = (
        await this.executor.query(this.sql.takeOver, [
          scopeKey,
          textColumn(row, 'owner'),
          owner,
          options.leaseSeconds,
        ])
      )[0];
      if (taken === undefined) continue; // someone else completed or took it over first
      const reservation = { scopeKey, owner };
      const stream = taken.appended_stream;
      if (stream === null) return { kind: 'reserved', reservation };
      const from = bigintColumn(taken, 'appended_from_revision');
      const to = bigintColumn(taken, 'appended_to_revision');
      const events = await this.readStream(
        textColumn(taken, 'appended_stream'),
        from,
        Number(to - from + 1n),
      );
      return { kind: 'recovered', reservation, events };
    }
    // Only under extreme churn on one key; the caller answers as for a request in flight.
    return { kind: 'in_flight' };
  }

  runReserved<T>(reservation: IdempotencyReservation, work: () => Promise<T>): Promise<T> {
    return this.fences.run({ reservation, appended: false }, work);
  }

  /** The reservation the current async context runs under, if it was made by this store. */
  fenceFor(): Fence | undefined {
    return this.fences.getStore();
  }

  /** The store's append statement, in one transaction with the key's record (see header). */
  async appendFenced(
    fence: Fence,
    streamId: string,
    expected: string,
    batch: string,
    eventCount: number,
    extra: {
      readonly key?: NewLeadKey | undefined;
      /** The conditions on other streams, as `append_events_if` takes them (JSON). */
      readonly conditions?: string | undefined;
    } = {},
  ): Promise<AppendResult> {
    const { key, conditions } = extra;
    const { scopeKey, owner } = fence.reservation;
    if (fence.appended) {
      throw new ReservationLostError(scopeKey, 'a request appends at most once under its key');
    }
    const result = await this.executor.transaction(async (tx) => {
      await this.lockReservation(tx, scopeKey, owner);
      if (key !== undefined) {
        const made = await tx.query(this.insertLeadKeySql, [
          key.leadId,
          key.wrappedKey,
          key.wrappedBy,
        ]);
        // The lead has a row: the events are sealed under a key that will not exist. Rolled back.
        if (made.length === 0) throw new LeadKeyExistsError(key.leadId);
      }
      let rows;
      try {
        rows =
          conditions === undefined
            ? await tx.query(this.appendSql, [streamId, expected, batch])
            : await tx.query(this.appendIfSql, [streamId, expected, batch, conditions]);
      } catch (error) {
        throw translateAppendError(error, streamId, expected);
      }
      const row = rows[0];
      if (row === undefined)
        throw new Error(`append to ${streamId}: append_events returned no row`);
      const next = bigintColumn(row, 'next_expected_revision');
      await tx.query(this.sql.recordAppend, [
        scopeKey,
        owner,
        streamId,
        (next - BigInt(eventCount) + 1n).toString(),
        next.toString(),
      ]);
      return {
        nextExpectedRevision: next,
        lastGlobalPosition: bigintColumn(row, 'last_global_position'),
      };
    });
    fence.appended = true;
    return result;
  }

  /**
   * An atomic append to several streams (`append_events_multi`) in the key's transaction. The
   * key records the first stream's events: the request's own lead, whose answer a recovery
   * rebuilds (the other streams' events follow from it, as a merge's survivor fact does).
   */
  async appendFencedToStreams(
    fence: Fence,
    first: StreamAppend,
    streams: number,
    payload: string,
  ): Promise<MultiStreamAppendResult> {
    const { scopeKey, owner } = fence.reservation;
    if (fence.appended) {
      throw new ReservationLostError(scopeKey, 'a request appends at most once under its key');
    }
    const result = await this.executor.transaction(async (tx) => {
      await this.lockReservation(tx, scopeKey, owner);
      let rows;
      try {
        rows = await tx.query(this.appendMultiSql, [payload]);
      } catch (error) {
        throw translateAppendError(
          error,
          first.streamId,
          formatExpectedRevision(first.expectedRevision),
        );
      }
      const written = multiStreamResult(rows, streams);
      const next = written.nextExpectedRevisions[0] as bigint;
      await tx.query(this.sql.recordAppend, [
        scopeKey,
        owner,
        first.streamId,
        (next - BigInt(first.events.length) + 1n).toString(),
        next.toString(),
      ]);
      return written;
    });
    fence.appended = true;
    return result;
  }

  /** First statement of a fenced append: the key's row, held until the append commits. */
  private async lockReservation(tx: SqlQueryable, scopeKey: string, owner: string): Promise<void> {
    const held = (await tx.query(this.sql.lockOwned, [scopeKey, owner]))[0];
    if (held === undefined) {
      throw new ReservationLostError(scopeKey, 'another attempt took the key over');
    }
    if (held.appended_stream !== null) {
      throw new ReservationLostError(scopeKey, 'an append is already recorded under the key');
    }
  }

  async complete(reservation: IdempotencyReservation, response: StoredResponse): Promise<boolean> {
    const rows = await this.executor.query(this.sql.complete, [
      reservation.scopeKey,
      reservation.owner,
      response.statusCode,
      JSON.stringify(response.headers),
      JSON.stringify(response.body),
    ]);
    return rows.length > 0;
  }

  async release(reservation: IdempotencyReservation): Promise<void> {
    const params = [reservation.scopeKey, reservation.owner];
    const forgotten = await this.executor.query(this.sql.forget, params);
    if (forgotten.length === 0) await this.executor.query(this.sql.endLease, params);
  }

  async lookup(scopeKey: string): Promise<IdempotencyRecord | null> {
    const row = (await this.executor.query(this.sql.select, [scopeKey]))[0];
    if (row === undefined) return null;
    const stream = row.appended_stream;
    return {
      scopeKey: textColumn(row, 'scope_key'),
      fingerprint: textColumn(row, 'fingerprint'),
      state: row.completed_at === null ? 'in_flight' : 'completed',
      appended:
        stream === null
          ? null
          : {
              streamId: textColumn(row, 'appended_stream'),
              fromRevision: bigintColumn(row, 'appended_from_revision'),
              toRevision: bigintColumn(row, 'appended_to_revision'),
            },
      response: row.completed_at === null ? null : toResponse(row),
      createdAt: dateColumn(row, 'created_at'),
      expiresAt: dateColumn(row, 'expires_at'),
    };
  }

  async purgeExpired(limit: number): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    return (await this.executor.query(this.sql.purgeExpired, [limit])).length;
  }
}

function toResponse(row: SqlRow): StoredResponse {
  const statusCode = row.response_status;
  const headers = row.response_headers;
  if (typeof statusCode !== 'number' || typeof headers !== 'object' || headers === null) {
    throw new Error(`idempotency key ${String(row.scope_key)}: malformed stored response`);
  }
  return {
    statusCode,
    headers: headers as Record<string, string>,
    body: (row.response_body ?? null) as JsonValue,
  };
}

function dateColumn(row: SqlRow, column: string): Date {
  const value = row[column];
  if (value instanceof Date) return value;
  throw new Error(`column ${column}: expected a timestamp, got ${typeof value}`);
}

function checkOpaque(name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_OPAQUE_LENGTH) {
    throw new RangeError(`${name} must be a string of 1-${MAX_OPAQUE_LENGTH} characters`);
  }
}

function checkSeconds(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of seconds, got ${value}`);
  }
}
