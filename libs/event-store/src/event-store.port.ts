/**
 * The event-store port: the one way Tandem's write side and its followers (relay,
 * projector, replays) talk to the source of truth.
 *
 * Guarantees every adapter must give (the contract suite in
 * `event-store.contract.ts` checks each of them):
 * - one stream per aggregate, revisions 0, 1, 2 … with no holes;
 * - an append is all-or-nothing and checks the expected revision atomically;
 * - an append may also name other streams with the revision each must be at (`conditions`):
 *   those are checked in the same atomic step, nothing is written to them, and an append
 *   whose condition does not hold is refused whole (WrongExpectedRevisionError naming the
 *   condition's stream). Two conditional appends that each name the other's stream (crossing
 *   merges) can therefore never both land (ADR 0015);
 * - `appendToStreams` writes several streams in one atomic step (ADR 0016): each at its own
 *   expected revision, all or nothing, the events of all of them one block of the global order
 *   in the order given (no other event between them); a refusal names the first stream, in the
 *   order given, whose revision does not hold. Under an idempotency reservation it is fenced
 *   like `append`, and the key records the first stream's events;
 * - one global order: `globalPosition` grows strictly, and a reader of the global
 *   log never observes a position that is later followed by a smaller one
 *   (no sequence gaps: an event is visible only once every event before it is).
 * It must never: rewrite or delete a recorded event, or expose system events.
 *
 * Bulk append (`BulkAppender`, optional: PostgreSQL and PGlite have it, KurrentDB does not)
 * is for writing history in large blocks — imports, benchmark data — not for commands:
 * - it writes many NEW streams in one all-or-nothing call: every stream it names must not
 *   exist yet (WrongExpectedRevisionError, as `no_stream` would give), revisions start at 0;
 * - global positions follow the order of the events given, across streams (so a caller may
 *   interleave streams, e.g. by business time), with the same no-gap guarantee as `append`:
 *   it takes the same write serialisation, so readers and live appends stay correct while
 *   it runs;
 * - the same validation and typed errors as `append` (InvalidAppendError,
 *   DuplicateEventIdError); followers are notified once per call.
 */

/** A JSON object as stored in `data` and `metadata`. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/**
 * What the writer believes about the stream before appending.
 * - `'any'`: no check.
 * - `'no_stream'`: the stream must not exist yet.
 * - `'stream_exists'`: the stream must have at least one event.
 * - a bigint: the revision of the stream's last event (0-based).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/**
 * Another stream an append depends on: the append lands only if that stream is at
 * `expectedRevision` when it commits. Nothing is written to it.
 */
export interface StreamCondition {
  readonly streamId: string;
  readonly expectedRevision: ExpectedRevision;
}

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
  /**
   * Other streams (never the appended one, each named once) whose revisions are part of the
   * append's condition; absent or empty for a plain append.
   */
  readonly conditions?: readonly StreamCondition[];
}

/** One stream's part of an atomic multi-stream append (`appendToStreams`). */
export interface StreamAppend {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
}

export interface MultiStreamAppendResult {
  /** Per stream, in the order given: the revision of its last event (its next expected revision). */
  readonly nextExpectedRevisions: readonly bigint[];
  /** Global position of the last event written: the last stream's last event. */
  readonly lastGlobalPosition: bigint;
}

export interface EventToAppend {
  /** UUID (v7 for Tandem's own events); unique across the whole store. */
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  /** A JSON-serialisable object (adapters refuse anything else with InvalidAppendError). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Envelope fields that are not part of the event's payload (occurredAt, actor, ids …). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface RecordedEvent extends EventToAppend {
  readonly streamId: string;
  readonly streamRevision: bigint;
  readonly globalPosition: bigint;
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** Revision of the last event written: pass it as the next expected revision. */
  readonly nextExpectedRevision: bigint;
  readonly lastGlobalPosition: bigint;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events strictly after this global position; `null`/absent reads from the start. */
  readonly after?: bigint | null;
  /** Default 1000. */
  readonly maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position; `null`/absent starts at the beginning. */
  readonly after?: bigint | null;
  /**
   * Called with batches in global order. The next batch is read only after the
   * returned promise settles; a rejection stops the subscription with that error.
   */
  readonly handle: (batch: readonly RecordedEvent[]) => Promise<void>;
  /** Largest batch handed to `handle`. Default 500. */
  readonly batchSize?: number;
}

export interface Subscription {
  /** Position of the last event whose batch `handle` finished, or the start position. */
  readonly position: bigint | null;
  /** Resolves when the subscription stops: after `stop()`, or rejects with the handler's/reader's error. */
  readonly done: Promise<void>;
  /** Resolves once the subscription has delivered everything up to `position` (now or later). */
  waitFor(position: bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface Checkpoint {
  readonly name: string;
  readonly position: bigint;
  readonly updatedAt: Date;
}

/**
 * Named positions of followers (relay, replays) stored in the store itself.
 * `save` is optimistic: `expected` is the position the caller last loaded
 * (`null` for "no checkpoint yet"); a mismatch throws CheckpointConflictError so
 * two followers with the same name cannot both advance.
 */
export interface CheckpointStore {
  load(name: string): Promise<Checkpoint | null>;
  save(name: string, position: bigint, expected: bigint | null): Promise<void>;
}

/** One event of a bulk append: the stream it opens or continues within the same call. */
export interface BulkEvent {
  readonly streamId: string;
  readonly event: EventToAppend;
}

export interface BulkAppendResult {
  readonly streams: number;
  readonly events: number;
  /** Global position of the first and the last event written (in the order given). */
  readonly firstGlobalPosition: bigint;
  readonly lastGlobalPosition: bigint;
}

/** The optional bulk capability of an adapter (see the header for its guarantees). */
export interface BulkAppender {
  /**
   * Appends `events` to streams that do not exist yet, all or nothing. Revisions are
   * assigned per stream in the order given (0, 1, 2 …); global positions in the order
   * given across streams.
   */
  appendToNewStreams(events: readonly BulkEvent[]): Promise<BulkAppendResult>;
}

export function supportsBulkAppend<S extends EventStore>(store: S): store is S & BulkAppender {
  return typeof (store as Partial<BulkAppender>).appendToNewStreams === 'function';
}

export interface EventStore {
  /** Creates tables/functions if missing. Idempotent; safe from several processes. */
  init(): Promise<void>;
  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  /**
   * Appends to several streams (at most 16, each named once, none empty) in one atomic step:
   * every stream at its expected revision or nothing is written (see the header).
   */
  appendToStreams(appends: readonly StreamAppend[]): Promise<MultiStreamAppendResult>;
  /** Events of one stream in revision order; `[]` for a stream that does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The global log, ascending, strictly after `options.after`. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Every `LeadMerged` event whose `data.intoLeadId` is `leadId`, in global order: the leads
   * merged into it as their own streams record it, merges stored before the survivor got a
   * record of its own (ADR 0016) included. An erasure follows them (ADR 0009, addendum).
   * PostgreSQL and PGlite answer from a partial index; KurrentDB reads $all filtered on the
   * event type, server side.
   */
  readMergesInto(leadId: string): Promise<RecordedEvent[]>;
  /** Global position of the newest visible event, `null` when the store is empty. */
  headPosition(): Promise<bigint | null>;
  /** Catch up from `after`, then stay live until stopped. */
  subscribeToAll(options: SubscribeOptions): Subscription;
  readonly checkpoints: CheckpointStore;
  close(): Promise<void>;
}
