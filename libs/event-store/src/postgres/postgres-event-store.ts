/**
 * The event store on PostgreSQL: one class, the same SQL on a PostgreSQL server
 * (node-postgres) and on embedded PGlite. Appends go through one plpgsql function;
 * writers of different streams commit concurrently, and readers return a position only
 * once every smaller one is final (a transaction-id horizon, ADR 0002), so a reader that
 * checkpoints a position never skips a smaller one.
 * Concurrent appends go to the server in groups (append-group-commit.ts, ADR 0013): one
 * statement and one commit for several streams, one outcome per append.
 * An append with conditions on other streams (ADR 0015) runs `append_events_if` on its own,
 * never in a group: it locks those streams too and checks them under the lock. An append to
 * several streams at once (`appendToStreams`, ADR 0016) runs `append_events_multi` on its own
 * too: all the streams' locks, every check, then one group's write, all or nothing.
 * Bulk appends to new streams (`appendToNewStreams`) COPY their rows after drawing positions
 * the same way (postgres-bulk-append.ts): one transaction per call.
 * An append made under an idempotency reservation runs the same statement inside a
 * transaction that also records it against the key (postgres-idempotency-store.ts).
 * A lead's new personal-data key rides in its first sealed append (`appendWithNewKey`, for the
 * sealing decorator, ADR 0009): key and events commit in one transaction, grouped like any
 * append.
 * It must never write events other than through `append_events` or
 * a COPY that drew its positions first, and never update or delete a recorded event.
 */
import { validateAppend, validateConditions, validateStreamAppends } from '../append-validation';
import { OpenSubscriptions } from '../catch-up-subscription';
import {
  CheckpointConflictError,
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  BulkAppendResult,
  BulkAppender,
  BulkEvent,
  Checkpoint,
  CheckpointStore,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  MultiStreamAppendResult,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamCondition,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { formatExpectedRevision } from '../expected-revision';
import type { ApiKeyCapableEventStore } from '../api-keys/api-key-store.port';
import type { IdempotentEventStore } from '../idempotency/idempotency-store.port';
import type { LogSliceExport } from '../log-slices/log-slice-export.port';
import {
  type LeadKeyAppender,
  LeadKeyExistsError,
  type NewLeadKey,
} from '../personal-data/lead-key-append.port';
import { AppendNotifications } from './append-notifications';
import {
  type AppendOutcome,
  AppendGroupCommit,
  type GroupCommitOptions,
  type PendingAppend,
} from './append-group-commit';
import { PostgresApiKeyStore } from './postgres-api-key-store';
import { copyToNewStreams, postgresBulkAppendSql } from './postgres-bulk-append';
import { isServerError, translateAppendError } from './postgres-append-errors';
import {
  type PostgresEventStoreSql,
  postgresApiKeySql,
  postgresEventStoreSql,
  postgresIdempotencySql,
} from './postgres-event-store.sql';
import { PostgresIdempotencyStore } from './postgres-idempotency-store';
import {
  bigintColumn,
  multiStreamResult,
  nullableBigintColumn,
  textColumn,
  toCheckpoint,
  toRecordedEvent,
} from './postgres-event-rows';
import { type PostgresStoreNames, postgresStoreNames } from './postgres-store-names';
import type { SqlExecutor } from './sql-executor';

export interface PostgresEventStoreOptions {
  readonly executor: SqlExecutor;
  /** Schema holding every table and function of this store. Default `tandem`. */
  readonly schema?: string;
  /** Longest a caught-up subscription waits without a notification before reading again. */
  readonly pollIntervalMs?: number;
  /**
   * The database has one session (PGlite): appends need no drawing lock nor horizon
   * (postgresEventStoreSql). Never set for a PostgreSQL server.
   */
  readonly singleSession?: boolean;
  /** The log by slices for a set-based catch-up, where the engine can export it (PGlite). */
  readonly logSlices?: (names: PostgresStoreNames) => LogSliceExport;
  /** Group commit of concurrent appends; default: DEFAULT_GROUP_COMMIT, or one group in flight on a single session. */
  readonly groupCommit?: GroupCommitOptions;
  /** Run once the engine closed: a PGlite data directory's lock (pglite-data-dir.lock.ts). */
  readonly onClosed?: () => Promise<void>;
}

export const DEFAULT_POLL_INTERVAL_MS = 500;
/**
 * A server: two groups in flight, so one commits (its WAL flush) while the next is checked
 * and inserted; more would only queue on two cores. A group of 64 appends is a statement of a
 * few hundred KB at most.
 */
export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxInFlight: 2, maxGroup: 64 };
/** One session runs one statement at a time: a second group in flight would only wait. */
const SINGLE_SESSION_GROUP_COMMIT: GroupCommitOptions = { maxInFlight: 1, maxGroup: 64 };
const DEFAULT_READ_ALL_MAX_COUNT = 1000;
/** Identity positions start at 1, so "after 0" is "from the start". */
const BEFORE_FIRST_POSITION = 0n;

export class PostgresEventStore
  implements
    EventStore,
    BulkAppender,
    IdempotentEventStore,
    ApiKeyCapableEventStore,
    LeadKeyAppender
{
  readonly checkpoints: CheckpointStore;
  /** Idempotency keys in this store's schema; an append under a reservation is fenced by it. */
  readonly idempotency: PostgresIdempotencyStore;
  /** API keys for integrations, in this store's schema (ADR 0011). */
  readonly apiKeys: PostgresApiKeyStore;
  /** Present on PGlite only (LogSliceExport); ClickHouse reads a server itself. */
  readonly logSlices?: LogSliceExport;
  readonly names: PostgresStoreNames;
  private readonly executor: SqlExecutor;
  private readonly sql: PostgresEventStoreSql;
  private readonly pollIntervalMs: number;
  private readonly notifications: AppendNotifications;
  private readonly subscriptions = new OpenSubscriptions();
  private readonly appends: AppendGroupCommit;
  private closing: Promise<void> | null = null;
  private readonly onClosed: () => Promise<void>;
  private readonly singleSession: boolean;

  constructor(options: PostgresEventStoreOptions) {
    this.executor = options.executor;
    this.singleSession = options.singleSession === true;
    this.onClosed = options.onClosed ?? (() => Promise.resolve());
    this.names = postgresStoreNames(options.schema);
    this.sql = postgresEventStoreSql(this.names, { singleSession: options.singleSession === true });
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.notifications = new AppendNotifications(this.executor, this.names.channel);
    this.checkpoints = new PostgresCheckpointStore(this.executor, this.sql);
    this.idempotency = new PostgresIdempotencyStore(
      this.executor,
      postgresIdempotencySql(this.names),
      this.sql.append,
      this.sql.appendIf,
      this.sql.appendMulti,
      this.sql.insertLeadKey,
      (streamId, fromRevision, maxCount) => this.readStream(streamId, { fromRevision, maxCount }),
    );
    this.apiKeys = new PostgresApiKeyStore(this.executor, postgresApiKeySql(this.names));
    if (options.logSlices !== undefined) this.logSlices = options.logSlices(this.names);
    this.appends = new AppendGroupCommit(
      { one: (append) => this.appendOne(append), group: (group) => this.appendGroup(group) },
      options.groupCommit ??
        (options.singleSession === true ? SINGLE_SESSION_GROUP_COMMIT : DEFAULT_GROUP_COMMIT),
    );
  }

  async init(): Promise<void> {
    await this.executor.transaction(async (tx) => {
      // IF NOT EXISTS alone still races (two CREATE SCHEMAs can both pass the check).
      await tx.query(this.sql.lockInit, [this.names.initLockKey.toString()]);
      await tx.exec(this.sql.schema);
    });
    // PGlite built it in the schema's transaction (one session: no append to hold).
    if (!this.singleSession) await this.buildMergesIndex();
  }

  /**
   * The merge index on a server, built CONCURRENTLY (postgres-event-store.sql.ts, createMergesIndex):
   * appends go on while it scans the table. A build killed or failed midway leaves the index
   * INVALID (never used by a query, yet kept up to date by every append): one that no session
   * is building is dropped and built again. One that another process is building right now is
   * left to it (the same IF NOT EXISTS makes two first starts build it once). Until it is
   * valid, readMergesInto reads the table.
   */
  private async buildMergesIndex(): Promise<void> {
    const [state] = await this.executor.query(this.sql.mergesIndexState, [
      `${this.names.quotedSchema}.events_merged_into`,
    ]);
    if (state?.valid === true || state?.building === true) return;
    if (state !== undefined) await this.executor.exec(this.sql.dropInvalidMergesIndex);
    await this.executor.exec(this.sql.createMergesIndex);
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    return this.appendChecked(
      streamId,
      events,
      options.expectedRevision,
      undefined,
      options.conditions,
    );
  }

  async appendToStreams(appends: readonly StreamAppend[]): Promise<MultiStreamAppendResult> {
    validateStreamAppends(appends);
    const payload = JSON.stringify(
      appends.map(({ streamId, events, expectedRevision }) => ({
        streamId,
        expected: formatExpectedRevision(expectedRevision),
        // The port's fields only, as `append` stores them.
        events: events.map(({ eventId, type, schemaVersion, data, metadata }) => ({
          eventId,
          type,
          schemaVersion,
          data,
          metadata,
        })),
      })),
    );
    const first = appends[0] as StreamAppend;
    const firstExpected = formatExpectedRevision(first.expectedRevision);
    const fence = this.idempotency.fenceFor();
    if (fence !== undefined) {
      return this.idempotency.appendFencedToStreams(fence, first, appends.length, payload);
    }
    let rows;
    try {
      rows = await this.executor.query(this.sql.appendMulti, [payload]);
    } catch (error) {
      throw translateAppendError(error, first.streamId, firstExpected);
    }
    return multiStreamResult(rows, appends.length);
  }

  /**
   * For the personal-data sealing decorator only: `events` are sealed under `key`, a new key
   * for its lead, and the key is recorded in the same transaction (LeadKeyAppender). The key
   * table is the vault's (personal-data/lead-key.vault.ts), in this store's schema.
   */
  appendWithNewKey(
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
    key: NewLeadKey,
  ): Promise<AppendResult> {
    return this.appendChecked(streamId, events, options.expectedRevision, key, undefined);
  }

  private async appendChecked(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
    key: NewLeadKey | undefined,
    given: readonly StreamCondition[] | undefined,
  ): Promise<AppendResult> {
    validateAppend(streamId, events);
    const conditions = validateConditions(streamId, given);
    const expected = formatExpectedRevision(expectedRevision);
    // Pick the port's fields explicitly: extra properties on the caller's objects are not stored.
    const batch = JSON.stringify(
      events.map(({ eventId, type, schemaVersion, data, metadata }) => ({
        eventId,
        type,
        schemaVersion,
        data,
        metadata,
      })),
    );
    const condition =
      conditions.length === 0
        ? undefined
        : JSON.stringify(
            conditions.map((c) => ({
              streamId: c.streamId,
              expected: formatExpectedRevision(c.expectedRevision),
            })),
          );
    // Under an idempotency reservation (runReserved): the append and the key's record commit together.
    const fence = this.idempotency.fenceFor();
    if (fence !== undefined) {
      return this.idempotency.appendFenced(fence, streamId, expected, batch, events.length, {
        key,
        conditions: condition,
      });
    }
    if (condition !== undefined) return this.appendIf(streamId, expected, batch, condition);
    return this.appends.append(
      key === undefined
        ? { streamId, expected, events: batch }
        : { streamId, expected, events: batch, key },
    );
  }

  /** One conditional append: its own statement, outside the group commit (ADR 0015). */
  private async appendIf(
    streamId: string,
    expected: string,
    events: string,
    conditions: string,
  ): Promise<AppendResult> {
    let rows;
    try {
      rows = await this.executor.query(this.sql.appendIf, [streamId, expected, events, conditions]);
    } catch (error) {
      throw translateAppendError(error, streamId, expected);
    }
    const row = rows[0];
    if (row === undefined)
      throw new Error(`append to ${streamId}: append_events_if returned no row`);
    return {
      nextExpectedRevision: bigintColumn(row, 'next_expected_revision'),
      lastGlobalPosition: bigintColumn(row, 'last_global_position'),
    };
  }

  private async appendOne(append: PendingAppend): Promise<AppendResult> {
    const { streamId, expected, events } = append;
    // A new key needs the statement that records keys: a group of one.
    if (append.key !== undefined) {
      let outcomes;
      try {
        outcomes = await this.runGroup([append]);
      } catch (error) {
        throw translateAppendError(error, streamId, expected);
      }
      const outcome = outcomes[0];
      if (outcome === undefined) throw new Error(`append to ${streamId}: no group outcome`);
      if (outcome.ok) return outcome.result;
      throw outcome.error;
    }
    let rows;
    try {
      rows = await this.executor.query(this.sql.append, [streamId, expected, events]);
    } catch (error) {
      throw translateAppendError(error, streamId, expected);
    }
    const row = rows[0];
    if (row === undefined) throw new Error(`append to ${streamId}: append_events returned no row`);
    return {
      nextExpectedRevision: bigintColumn(row, 'next_expected_revision'),
      lastGlobalPosition: bigintColumn(row, 'last_global_position'),
    };
  }

  /** One statement for appends to distinct streams; `null` when the server refused it whole. */
  private async appendGroup(group: readonly PendingAppend[]): Promise<AppendOutcome[] | null> {
    try {
      return await this.runGroup(group);
    } catch (error) {
      if (isServerError(error)) return null;
      throw error;
    }
  }

  /** `append_events_group` with the group's appends and the new keys they bring. */
  private async runGroup(group: readonly PendingAppend[]): Promise<AppendOutcome[]> {
    // The events are JSON text already: spliced in, not parsed and serialised again.
    const payload = `[${group
      .map(
        ({ streamId, expected, events }) =>
          `{"streamId":${JSON.stringify(streamId)},"expected":${JSON.stringify(expected)},"events":${events}}`,
      )
      .join(',')}]`;
    const keys = JSON.stringify(
      group.flatMap(({ key }, i) =>
        key === undefined
          ? []
          : [
              {
                i: i + 1,
                leadId: key.leadId,
                wrappedKey: key.wrappedKey,
                wrappedBy: key.wrappedBy,
              },
            ],
      ),
    );
    const rows = await this.executor.query(this.sql.appendGroup, [payload, keys]);
    return rows.map((row, i): AppendOutcome => {
      const { streamId, expected } = group[i] as PendingAppend;
      const detail = row.detail === null ? '' : textColumn(row, 'detail');
      switch (textColumn(row, 'outcome')) {
        case 'ok':
          return {
            ok: true,
            result: {
              nextExpectedRevision: bigintColumn(row, 'next_expected_revision'),
              lastGlobalPosition: bigintColumn(row, 'last_global_position'),
            },
          };
        case 'wrong_expected_revision':
          return {
            ok: false,
            error: new WrongExpectedRevisionError(
              streamId,
              expected,
              detail === '' ? null : BigInt(detail),
            ),
          };
        case 'duplicate_event_id':
          return { ok: false, error: new DuplicateEventIdError(detail) };
        case 'lead_key_exists':
          return { ok: false, error: new LeadKeyExistsError(detail) };
        default:
          return { ok: false, error: new Error(`append to ${streamId}: unknown group outcome`) };
      }
    });
  }

  async appendToNewStreams(events: readonly BulkEvent[]): Promise<BulkAppendResult> {
    const batch: unknown = events; // untyped callers reach this too
    if (!Array.isArray(batch) || events.length === 0) {
      throw new InvalidAppendError('bulk append: the batch is empty');
    }
    // Each stream's events, in the order given: validated as one append each would be.
    const streams = new Map<string, EventToAppend[]>();
    for (const { streamId, event } of events) {
      const stream = streams.get(streamId);
      if (stream === undefined) streams.set(streamId, [event]);
      else stream.push(event);
    }
    const seen = new Set<string>();
    for (const [streamId, streamEvents] of streams) {
      validateAppend(streamId, streamEvents);
      for (const { eventId } of streamEvents) {
        if (seen.has(eventId)) {
          throw new InvalidAppendError(
            `bulk append: eventId ${eventId} appears twice in the batch`,
          );
        }
        seen.add(eventId);
      }
    }
    const revisions = new Map<string, number>();
    const rows = events.map(({ streamId, event }) => {
      const streamRevision = revisions.get(streamId) ?? 0;
      revisions.set(streamId, streamRevision + 1);
      const { eventId, type, schemaVersion, data, metadata } = event;
      return { streamId, streamRevision, eventId, type, schemaVersion, data, metadata };
    });
    const written = await copyToNewStreams(
      this.executor,
      postgresBulkAppendSql(this.names),
      this.names.channel,
      [...streams.keys()],
      rows,
    );
    return { streams: streams.size, ...written };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const fromRevision = options.fromRevision ?? 0n;
    const maxCount = options.maxCount === undefined ? null : checkMaxCount(options.maxCount);
    const rows = await this.executor.query(this.sql.readStream, [
      streamId,
      fromRevision.toString(),
      maxCount,
    ]);
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? BEFORE_FIRST_POSITION;
    const maxCount = checkMaxCount(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT);
    const rows = await this.executor.query(this.sql.readAll, [after.toString(), maxCount]);
    return rows.map(toRecordedEvent);
  }

  async readMergesInto(leadId: string): Promise<RecordedEvent[]> {
    const rows = await this.executor.query(this.sql.readMergesInto, [leadId]);
    return rows.map(toRecordedEvent);
  }

  async headPosition(): Promise<bigint | null> {
    const rows = await this.executor.query(this.sql.headPosition);
    return rows[0] === undefined ? null : nullableBigintColumn(rows[0], 'head');
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    if (this.closing !== null) throw new Error('event store is closed');
    return this.subscriptions.follow(
      (after, maxCount) => this.readAll({ after, maxCount }),
      this.notifications,
      { ...options, pollIntervalMs: this.pollIntervalMs },
    );
  }

  /**
   * The database connection, for tables that must live beside the events in the same
   * database and schema (the personal-data key vault). Callers of the port never use it.
   */
  sideTableExecutor(): SqlExecutor {
    return this.executor;
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.subscriptions.stopAll();
    await this.notifications.close();
    await this.executor.close();
    await this.onClosed();
  }
}

class PostgresCheckpointStore implements CheckpointStore {
  constructor(
    private readonly executor: SqlExecutor,
    private readonly sql: PostgresEventStoreSql,
  ) {}

  async load(name: string): Promise<Checkpoint | null> {
    const rows = await this.executor.query(this.sql.loadCheckpoint, [name]);
    return rows[0] === undefined ? null : toCheckpoint(rows[0]);
  }

  async save(name: string, position: bigint, expected: bigint | null): Promise<void> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new RangeError('checkpoint name must be a non-empty string');
    }
    // One conditional statement each: the check and the write cannot be interleaved.
    const rows =
      expected === null
        ? await this.executor.query(this.sql.createCheckpoint, [name, position.toString()])
        : await this.executor.query(this.sql.advanceCheckpoint, [
            name,
            position.toString(),
            expected.toString(),
          ]);
    if (rows.length === 0) {
      const current = await this.load(name);
      throw new CheckpointConflictError(name, expected, current?.position ?? null);
    }
  }
}

function checkMaxCount(maxCount: number): number {
  if (!Number.isInteger(maxCount) || maxCount < 0) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  }
  return maxCount;
}
