/**
 * The event store on KurrentDB (formerly EventStoreDB) through @kurrent/kurrentdb-client.
 * KurrentDB already is an event store: streams with optimistic concurrency, one global
 * log ($all) written by a single writer and visible only up to what is committed, so the
 * port's ordering guarantees come from the server. This class maps names and shapes:
 * expected revisions, JSON events with the schema version in metadata, $all positions
 * to one bigint (ADR 0003), a server-side filter that hides system and bookkeeping
 * events, and checkpoints kept in streams of their own.
 * It must never expose a system event, a checkpoint event or another application's
 * event through the port, and never write anything but appends and checkpoints.
 *
 * An append with conditions on other streams (ADR 0015) is one `appendRecords` call whose
 * consistency checks cover the appended stream's expected revision and every condition:
 * KurrentDB 26.1 or later. Plain appends keep `appendToStream` and work on older servers.
 * An append to several streams at once (ADR 0016) is one `multiStreamAppend` call, each
 * stream with its expected state: KurrentDB 25.1 or later.
 *
 * Event ids: KurrentDB makes a repeated append of the same ids to the same stream
 * idempotent, but does not refuse an id that already exists in *another* stream, so
 * this adapter never raises DuplicateEventIdError (ADR 0003, "Consequences").
 */
import {
  BACKWARDS,
  END,
  FORWARDS,
  START,
  STREAM_STATE,
  type ConsistencyCheck,
  StreamNotFoundError,
  type KurrentDBClient,
  type Position,
} from '@kurrent/kurrentdb-client';
import { validateAppend, validateConditions, validateStreamAppends } from '../append-validation';
import { OpenSubscriptions } from '../catch-up-subscription';
import { InvalidAppendError, WrongExpectedRevisionError } from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
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
import { KurrentDbAppendNotifications } from './kurrentdb-append-notifications';
import { KurrentDbCheckpointStore } from './kurrentdb-checkpoint-store';
import {
  openKurrentDbClient,
  redactConnectionString,
  redactSecrets,
  type KurrentDbClient,
} from './kurrentdb-client';
import {
  KurrentDbRecordError,
  decodeRecord,
  toEventData,
  toRecordData,
} from './kurrentdb-event-codec';
import {
  toActualRevision,
  toStreamState,
  translateAppendError,
  translateConditionalAppendError,
  translateMultiStreamAppendError,
} from './kurrentdb-expected-revision';
import {
  deliverableEventsFilter,
  isHiddenStream,
  leadMergedFilter,
  refuseHiddenNames,
} from './kurrentdb-filters';
import { isAfter, toCommitPosition, toGlobalPosition, toPosition } from './kurrentdb-positions';

export interface KurrentDbEventStoreOptions {
  readonly client: KurrentDbClient;
  /**
   * Longest a caught-up subscription waits before reading again when no live signal
   * arrived. Default 1000: live signals normally wake it within milliseconds.
   */
  readonly pollIntervalMs?: number;
}

export interface CreateKurrentDbEventStoreOptions {
  /** kurrentdb://…, kdb://…, esdb://… (or +discover); TLS and credentials as in the string. */
  readonly connectionString: string;
  readonly pollIntervalMs?: number;
}

export const DEFAULT_KURRENTDB_POLL_INTERVAL_MS = 1_000;
const DEFAULT_READ_ALL_MAX_COUNT = 1000;

/** Opens the client and checks that the server answers; closes it again if not. */
export async function createKurrentDbEventStore(
  options: CreateKurrentDbEventStoreOptions,
): Promise<KurrentDbEventStore> {
  const client: KurrentDBClient = openKurrentDbClient(options.connectionString);
  const store = new KurrentDbEventStore({ client, pollIntervalMs: options.pollIntervalMs });
  try {
    await store.init();
  } catch (error) {
    await store.close();
    // Start-up errors reach operators: say where, never with the password.
    const reason = error instanceof Error && error.message !== '' ? error.message : String(error);
    throw new Error(
      `KurrentDB at ${redactConnectionString(options.connectionString)} did not answer a read of $all ` +
        `(${redactSecrets(reason, options.connectionString)})`,
      { cause: error },
    );
  }
  return store;
}

export class KurrentDbEventStore implements EventStore {
  readonly checkpoints: CheckpointStore;
  private readonly client: KurrentDbClient;
  private readonly pollIntervalMs: number;
  private readonly notifications: KurrentDbAppendNotifications;
  private readonly subscriptions = new OpenSubscriptions();
  private closing: Promise<void> | null = null;

  constructor(options: KurrentDbEventStoreOptions) {
    this.client = options.client;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_KURRENTDB_POLL_INTERVAL_MS;
    this.notifications = new KurrentDbAppendNotifications(this.client);
    this.checkpoints = new KurrentDbCheckpointStore(this.client);
  }

  /**
   * Nothing to create: streams exist when written. Reads the head of $all with the
   * store's filter, so a wrong address, bad credentials or a server that rejects the
   * filter fail at start-up rather than at the first command.
   */
  async init(): Promise<void> {
    await this.headPosition();
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    validateAppend(streamId, events);
    refuseHiddenNames(streamId, events);
    const conditions = validateConditions(streamId, options.conditions);
    if (conditions.length > 0) {
      return this.appendIf(streamId, events, options.expectedRevision, conditions);
    }
    const streamState = toStreamState(options.expectedRevision);
    const batch = events.map((event) => toEventData(event, streamId));
    let result;
    try {
      result = await this.client.appendToStream(streamId, batch, { streamState });
    } catch (error) {
      throw translateAppendError(error, streamId, options.expectedRevision);
    }
    if (!result.success) {
      // Only with throwOnAppendFailure=false in the connection string; the client's
      // revision is unreliable on that path, so ask the stream itself.
      throw new WrongExpectedRevisionError(
        streamId,
        formatExpectedRevision(options.expectedRevision),
        await this.lastRevision(streamId),
      );
    }
    return {
      nextExpectedRevision: result.nextExpectedRevision,
      lastGlobalPosition: toGlobalPosition(result.position, `append to ${streamId}`),
    };
  }

  /**
   * One `appendRecords` call: the events, and a consistency check per stream involved (the
   * appended one unless 'any', and each condition). All checks hold at commit, or nothing is
   * written (ADR 0015).
   */
  private async appendIf(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    conditions: readonly StreamCondition[],
  ): Promise<AppendResult> {
    for (const condition of conditions) {
      if (isHiddenStream(condition.streamId)) {
        throw new InvalidAppendError(
          `append to ${streamId}: stream ${condition.streamId} is reserved and cannot be a condition`,
        );
      }
    }
    const checks: ConsistencyCheck[] = [
      ...(expected === 'any' ? [] : [{ streamId, expectedRevision: expected }]),
      ...conditions,
    ].map((c) => ({
      type: STREAM_STATE,
      streamName: c.streamId,
      expectedState: toStreamState(c.expectedRevision),
    }));
    const records = events.map((event) => ({
      streamName: streamId,
      record: toRecordData(event, streamId),
    }));
    let result;
    try {
      result = await this.client.appendRecords(records, checks);
    } catch (error) {
      throw translateConditionalAppendError(error, streamId, expected, conditions);
    }
    const written = result.responses.find((response) => response.streamName === streamId);
    if (written === undefined) {
      throw new Error(`append to ${streamId}: appendRecords reported no revision for the stream`);
    }
    return {
      nextExpectedRevision: written.revision,
      lastGlobalPosition: toGlobalPosition(
        { commit: result.position, prepare: result.position },
        `append to ${streamId}`,
      ),
    };
  }

  /**
   * One `multiStreamAppend` call (KurrentDB 25.1+): each stream with its expected state, all
   * written or none. Its records take string metadata only, so Tandem's travels wrapped as in
   * `appendRecords` (toRecordData) and reads back the same.
   */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<MultiStreamAppendResult> {
    validateStreamAppends(appends);
    for (const { streamId, events } of appends) refuseHiddenNames(streamId, events);
    const requests = appends.map(({ streamId, events, expectedRevision }) => ({
      streamName: streamId,
      events: events.map((event) => toRecordData(event, streamId)),
      expectedState: toStreamState(expectedRevision),
    }));
    let result;
    try {
      result = await this.client.multiStreamAppend(requests);
    } catch (error) {
      throw translateMultiStreamAppendError(error, appends);
    }
    const nextExpectedRevisions = appends.map(({ streamId }) => {
      const written = result.responses.find((response) => response.streamName === streamId);
      if (written === undefined) {
        throw new Error(`append to ${streamId}: multiStreamAppend reported no revision for it`);
      }
      return written.revision;
    });
    return {
      nextExpectedRevisions,
      lastGlobalPosition: toGlobalPosition(
        { commit: result.position, prepare: result.position },
        'append to streams',
      ),
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const fromRevision = options.fromRevision ?? 0n;
    if (fromRevision < 0n) {
      throw new RangeError(`fromRevision must not be negative, got ${fromRevision.toString()}`);
    }
    const maxCount = options.maxCount === undefined ? undefined : checkMaxCount(options.maxCount);
    // System and checkpoint streams are outside the port's world: as if they did not exist.
    if (isHiddenStream(streamId) || maxCount === 0) return [];
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        direction: FORWARDS,
        fromRevision,
        maxCount,
      });
      for await (const resolved of read) {
        if (resolved.event === undefined) continue; // a link to a deleted event; we resolve none
        const decoded = decodeRecord(resolved.event);
        if (decoded.kind === 'foreign') {
          throw new KurrentDbRecordError(
            `stream ${streamId} holds event ${resolved.event.id} that is not Tandem's: ${decoded.reason}`,
          );
        }
        events.push(decoded.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * Pages through $all with the server-side filter. Reads start *at* a position
   * (inclusive), so each page asks for one more event than it needs and drops what is
   * not after the cursor. Events of other applications pass the server filter and are
   * skipped here; the read goes on until `maxCount` Tandem events or the end of $all.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = checkMaxCount(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT);
    const after = options.after ?? null;
    let cursor: Position | null = after === null ? null : toPosition(after);
    const events: RecordedEvent[] = [];
    while (events.length < maxCount) {
      const wanted = maxCount - events.length + (cursor === null ? 0 : 1);
      const before = cursor;
      let received = 0;
      const page = this.client.readAll({
        direction: FORWARDS,
        fromPosition: cursor ?? START,
        maxCount: wanted,
        filter: deliverableEventsFilter(),
      });
      for await (const resolved of page) {
        received += 1;
        const record = resolved.event;
        if (record === undefined || !isAfter(record.position, cursor)) continue;
        cursor = record.position;
        const decoded = decodeRecord(record);
        if (decoded.kind === 'foreign') continue;
        events.push(decoded.event);
        if (events.length === maxCount) break;
      }
      // A short page is the end of $all; a cursor that did not move would loop forever.
      if (received < wanted || cursor === before) break;
    }
    return events;
  }

  /**
   * KurrentDB indexes no payload: $all is read filtered on the type, server side (the whole
   * log is scanned, LeadMerged events only are sent), and the survivor is matched here. An
   * erasure is rare and ops-only; a merge's own record on the survivor (ADR 0016) makes the
   * scan needed for merges stored before it only, which is why it is not cached.
   */
  async readMergesInto(leadId: string): Promise<RecordedEvent[]> {
    const merges: RecordedEvent[] = [];
    const read = this.client.readAll({
      direction: FORWARDS,
      fromPosition: START,
      filter: leadMergedFilter(),
    });
    for await (const resolved of read) {
      if (resolved.event === undefined) continue;
      const decoded = decodeRecord(resolved.event);
      if (decoded.kind === 'foreign') continue;
      if (decoded.event.data.intoLeadId === leadId) merges.push(decoded.event);
    }
    return merges;
  }

  /**
   * The newest position on $all under the store's filter. It may be another
   * application's event: any event up to it is "before", which is all a reader needs.
   */
  async headPosition(): Promise<bigint | null> {
    const newest = this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
      filter: deliverableEventsFilter(),
    });
    for await (const resolved of newest) {
      if (resolved.event !== undefined) {
        return toCommitPosition(resolved.event.position, 'head of $all');
      }
    }
    return null;
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    if (this.closing !== null) throw new Error('event store is closed');
    return this.subscriptions.follow(
      (after, maxCount) => this.readAll({ after, maxCount }),
      this.notifications,
      { ...options, pollIntervalMs: this.pollIntervalMs },
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.subscriptions.stopAll();
    this.notifications.close();
    await this.client.dispose();
  }

  /** Revision of the stream's last event, `null` when it has none. */
  private async lastRevision(streamId: string): Promise<bigint | null> {
    try {
      const newest = this.client.readStream(streamId, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      });
      for await (const resolved of newest) {
        if (resolved.event !== undefined) return toActualRevision(resolved.event.revision);
      }
      return null;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }
}

function checkMaxCount(maxCount: number): number {
  if (!Number.isInteger(maxCount) || maxCount < 0) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  }
  return maxCount;
}
