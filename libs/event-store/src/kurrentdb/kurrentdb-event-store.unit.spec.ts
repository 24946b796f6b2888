/**
 * The adapter's own logic — paging through $all, the inclusive read start, skipping
 * hidden and foreign events, positions, revision conflicts, checkpoints, live wake-ups —
 * against an in-memory stand-in for the client. The stand-in models what the server
 * does as ADR 0003 describes it (one committed prepare per event, reads inclusive of
 * their start, regex filters as searches); whether a real server does so is what the
 * contract suite in kurrentdb-event-store.int.spec.ts checks.
 */
import { EventEmitter } from 'node:events';
import {
  AppendConsistencyViolationError,
  END,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  UnsupportedError,
  WrongExpectedVersionError,
  type AppendRecordInput,
  type AppendRecordsResult,
  type AppendResult as ClientAppendResult,
  type AppendStreamRequest,
  type AppendStreamState,
  type ConsistencyCheck,
  type MultiAppendResult,
  type EventData,
  type Filter,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@kurrent/kurrentdb-client';
import { v7 as uuidv7 } from 'uuid';
import {
  CheckpointConflictError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import type { EventToAppend, RecordedEvent } from '../event-store.port';
import type { KurrentDbClient } from './kurrentdb-client';
import {
  KurrentDbRecordError,
  type KurrentRecord,
  SCHEMA_VERSION_KEY,
} from './kurrentdb-event-codec';
import { KurrentDbEventStore, createKurrentDbEventStore } from './kurrentdb-event-store';
import { CHECKPOINT_EVENT_TYPE, checkpointStreamName } from './kurrentdb-filters';
import { UnrepresentablePositionError, comparePositions } from './kurrentdb-positions';

const HOUR_MS = 3_600_000;
const DELIVERY_TIMEOUT_MS = 5_000;

/** What the fake keeps: the codec's record, always with its position in the log. */
type StoredRecord = KurrentRecord & { readonly position: Position };

/** Whether a stream whose last revision is `current` is in `state`, as the server judges it. */
function holds(state: AppendStreamState, current: bigint | null): boolean {
  return (
    state === 'any' ||
    (state === NO_STREAM && current === null) ||
    (state === STREAM_EXISTS && current !== null) ||
    (typeof state === 'bigint' && state === current)
  );
}

class FakeLiveSubscription extends EventEmitter {
  cancelled = false;
  constructor(readonly filter: Filter | undefined) {
    super();
    setImmediate(() => this.emit('confirmation'));
  }
  unsubscribe(): Promise<void> {
    this.cancelled = true;
    return Promise.resolve();
  }
}

/** KurrentDB as far as the adapter can tell, in memory. */
class FakeKurrentDb {
  readonly log: StoredRecord[] = [];
  readonly readAllRequests: Array<{ fromPosition: ReadPosition; maxCount: number }> = [];
  readonly readAllFilters: Array<Filter | undefined> = [];
  readonly live: FakeLiveSubscription[] = [];
  disposed = false;
  /** Simulates `throwOnAppendFailure=false` in the connection string. */
  reportConflictsAsResults = false;
  failReadsWith: Error | null = null;
  private nextLogPosition = 1_000n;

  lastRevision(streamId: string): bigint | null {
    let last: bigint | null = null;
    for (const record of this.log) if (record.streamId === streamId) last = record.revision;
    return last;
  }

  /** Writes one committed prepare per event, far apart like byte offsets in a real log. */
  write(streamId: string, events: readonly EventData[]): StoredRecord[] {
    const first = (this.lastRevision(streamId) ?? -1n) + 1n;
    const written = events.map((event, i) => {
      const position = this.nextLogPosition;
      this.nextLogPosition += 137n + BigInt(i);
      const record: StoredRecord = {
        streamId,
        id: event.id,
        revision: first + BigInt(i),
        type: event.type,
        created: new Date(),
        isJson: event.contentType === 'application/json',
        data: event.contentType === 'application/json' ? wire(event.data) : event.data,
        metadata: event.metadata === undefined ? undefined : wire(event.metadata),
        position: { commit: position, prepare: position },
      };
      return record;
    });
    this.log.push(...written);
    for (const subscription of this.live) {
      for (const record of written) {
        if (matches(subscription.filter, record)) subscription.emit('data', { event: record });
      }
    }
    return written;
  }

  /** Events of a legacy explicit transaction: one shared commit position. */
  writeLegacyTransaction(streamId: string, events: readonly EventData[]): void {
    const written = this.write(streamId, events);
    const commit = this.nextLogPosition;
    this.nextLogPosition += 50n;
    for (const record of written) {
      this.log[this.log.indexOf(record)] = {
        ...record,
        position: { commit, prepare: record.position.prepare },
      };
    }
  }

  appendToStream(
    streamName: string,
    events: EventData | EventData[],
    { streamState = 'any' }: { streamState?: AppendStreamState } = {},
  ): Promise<ClientAppendResult> {
    this.checkOpen();
    const current = this.lastRevision(streamName);
    if (!holds(streamState, current)) {
      if (this.reportConflictsAsResults) {
        // What the client returns on this path (its revision there is not reliable).
        return Promise.resolve({ success: false, nextExpectedRevision: 1n, position: undefined });
      }
      return Promise.reject(
        new WrongExpectedVersionError(undefined, {
          streamName,
          expected: streamState,
          current: current ?? NO_STREAM,
        }),
      );
    }
    const written = this.write(streamName, Array.isArray(events) ? events : [events]);
    const last = written[written.length - 1]!;
    return Promise.resolve({
      success: true,
      nextExpectedRevision: last.revision,
      position: last.position,
    });
  }

  /**
   * As KurrentDB 26.1 documents it: every check is evaluated first, all failures are reported
   * together and nothing is written; metadata may hold string values only (the client checks).
   */
  appendRecords(
    records: AppendRecordInput[],
    checks: ConsistencyCheck[] = [],
  ): Promise<AppendRecordsResult> {
    this.checkOpen();
    for (const { record } of records) {
      if (Object.values(record.metadata ?? {}).some((value) => typeof value !== 'string')) {
        return Promise.reject(new Error('appendRecords requires string metadata values'));
      }
    }
    const state = (value: AppendStreamState): string =>
      value === 'any'
        ? '-2'
        : value === NO_STREAM
          ? '-1'
          : value === STREAM_EXISTS
            ? '-4'
            : `${value}`;
    const violationsList = checks.flatMap((check, checkIndex) => {
      const current = this.lastRevision(check.streamName);
      const { expectedState } = check;
      if (holds(expectedState, current)) return [];
      const streamState = {
        stream: check.streamName,
        expectedState: state(expectedState),
        actualState: current === null ? '-1' : current.toString(),
      };
      return [{ checkIndex, streamState }];
    });
    if (violationsList.length > 0) {
      return Promise.reject(
        new AppendConsistencyViolationError(undefined as never, { violationsList }),
      );
    }
    let written: StoredRecord[] = [];
    for (const { streamName, record } of records) written = this.write(streamName, [record]);
    const revisions = new Map(records.map(({ streamName }) => [streamName, 0n]));
    for (const streamName of revisions.keys()) {
      revisions.set(streamName, this.lastRevision(streamName)!);
    }
    return Promise.resolve({
      position: written[written.length - 1]!.position.commit,
      responses: [...revisions].map(([streamName, revision]) => ({ streamName, revision })),
    });
  }

  /**
   * As KurrentDB 25.1 documents it: every stream's expected state holds or nothing is written
   * (the first conflict is reported); string-valued metadata only (the client checks).
   */
  multiStreamAppend(requests: AppendStreamRequest[]): Promise<MultiAppendResult> {
    this.checkOpen();
    for (const { streamName, events, expectedState } of requests) {
      if (events.some((e) => Object.values(e.metadata ?? {}).some((v) => typeof v !== 'string'))) {
        return Promise.reject(new Error('multiStreamAppend requires string metadata values'));
      }
      const current = this.lastRevision(streamName);
      if (!holds(expectedState, current)) {
        return Promise.reject(
          new WrongExpectedVersionError(undefined, {
            streamName,
            expected: expectedState,
            current: current ?? NO_STREAM,
          }),
        );
      }
    }
    let written: StoredRecord[] = [];
    for (const { streamName, events } of requests) written = this.write(streamName, events);
    return Promise.resolve({
      position: written[written.length - 1]!.position.commit,
      responses: requests.map(({ streamName }) => ({
        streamName,
        revision: this.lastRevision(streamName)!,
      })),
    });
  }

  readStream(
    streamName: string,
    options: { direction?: string; fromRevision?: ReadRevision; maxCount?: number | bigint } = {},
  ): AsyncIterableIterator<{ event: StoredRecord }> {
    const {
      direction = 'forwards',
      fromRevision = 'start',
      maxCount = Number.MAX_SAFE_INTEGER,
    } = options;
    this.checkOpen();
    const limit = this.maxCountOf(streamName);
    const all = this.log.filter((record) => record.streamId === streamName);
    const visible = limit === undefined ? all : all.slice(-limit);
    const failure = this.failReadsWith;
    return (async function* () {
      await Promise.resolve();
      if (failure !== null) throw failure;
      if (visible.length === 0) throw new StreamNotFoundError(undefined, streamName);
      const ordered =
        direction === 'forwards'
          ? visible.filter(
              (record) => record.revision >= (typeof fromRevision === 'bigint' ? fromRevision : 0n),
            )
          : [...visible].reverse();
      for (const record of ordered.slice(0, Number(maxCount))) yield { event: { ...record } };
    })();
  }

  readAll(
    options: {
      direction?: string;
      fromPosition?: ReadPosition;
      maxCount?: number | bigint;
      filter?: Filter;
    } = {},
  ): AsyncIterableIterator<{ event: StoredRecord }> {
    const {
      direction = 'forwards',
      fromPosition = 'start',
      maxCount = Number.MAX_SAFE_INTEGER,
      filter,
    } = options;
    this.checkOpen();
    this.readAllRequests.push({ fromPosition, maxCount: Number(maxCount) });
    this.readAllFilters.push(filter);
    const failure = this.failReadsWith;
    const matching = this.log.filter((record) => matches(filter, record));
    return (async function* () {
      await Promise.resolve();
      if (failure !== null) throw failure;
      let ordered: StoredRecord[];
      if (direction === 'forwards') {
        // Inclusive of the start position, like the server.
        ordered = matching.filter(
          (record) =>
            typeof fromPosition !== 'object' ||
            comparePositions(record.position, fromPosition) >= 0,
        );
      } else {
        expect(fromPosition).toBe(END);
        ordered = [...matching].reverse();
      }
      for (const record of ordered.slice(0, Number(maxCount))) yield { event: { ...record } };
    })();
  }

  subscribeToAll(
    options: { fromPosition?: ReadPosition; filter?: Filter } = {},
  ): FakeLiveSubscription {
    this.checkOpen();
    expect(options.fromPosition).toBe(END);
    const subscription = new FakeLiveSubscription(options.filter);
    this.live.push(subscription);
    return subscription;
  }

  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }

  get openLiveSubscriptions(): FakeLiveSubscription[] {
    return this.live.filter((subscription) => !subscription.cancelled);
  }

  private maxCountOf(streamName: string): number | undefined {
    const metadata = this.log.filter((record) => record.streamId === `$$${streamName}`).at(-1);
    return (metadata?.data as { $maxCount?: number } | undefined)?.$maxCount;
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('client is disposed');
  }
}

function wire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function matches(filter: Filter | undefined, record: StoredRecord): boolean {
  if (filter === undefined) return true;
  const subject = filter.filterOn === 'eventType' ? record.type : record.streamId;
  if ('regex' in filter) return new RegExp(filter.regex).test(subject);
  return filter.prefixes.some((prefix) => subject.startsWith(prefix));
}

function anEvent(type = 'LeadCaptured'): EventToAppend {
  return {
    eventId: uuidv7(),
    type,
    schemaVersion: 2,
    data: { nonce: uuidv7() },
    metadata: { correlationId: uuidv7() },
  };
}

function foreignEvent(type = 'SomethingElse'): EventData {
  return {
    id: uuidv7(),
    contentType: 'application/json',
    type,
    data: { x: 1 },
    metadata: undefined,
  };
}

/** A Tandem-shaped event as it would be sent, for writing around the adapter. */
function markedEvent(): EventData {
  return {
    id: uuidv7(),
    contentType: 'application/json',
    type: 'LeadCaptured',
    data: {},
    metadata: { [SCHEMA_VERSION_KEY]: 1 },
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('KurrentDbEventStore (on an in-memory stand-in for the client)', () => {
  let db: FakeKurrentDb;
  let store: KurrentDbEventStore;

  function newStore(pollIntervalMs = HOUR_MS): KurrentDbEventStore {
    return new KurrentDbEventStore({
      client: db as unknown as KurrentDbClient,
      pollIntervalMs,
    });
  }

  beforeEach(() => {
    db = new FakeKurrentDb();
    store = newStore();
  });

  afterEach(async () => {
    await store.close();
  });

  describe('append', () => {
    it('returns the next expected revision and the position of the last event', async () => {
      const first = await store.append('lead-1', [anEvent(), anEvent(), anEvent()], {
        expectedRevision: 'no_stream',
      });
      expect(first.nextExpectedRevision).toBe(2n);
      const events = await store.readStream('lead-1');
      expect(events.map((event) => event.streamRevision)).toEqual([0n, 1n, 2n]);
      expect(events[2]!.globalPosition).toBe(first.lastGlobalPosition);
      expect(events[0]!.globalPosition).toBeLessThan(events[1]!.globalPosition);
      expect(events[1]!.globalPosition).toBeLessThan(events[2]!.globalPosition);
    });

    describe('to several streams at once (multiStreamAppend, ADR 0016)', () => {
      it('writes every stream at its revision, reading back as appended', async () => {
        await store.append('lead-b', [anEvent()], { expectedRevision: 'no_stream' });
        const merged = { ...anEvent('LeadMerged'), metadata: { actor: { id: 'u', role: 'x' } } };
        const survivor = anEvent('DuplicateMergedIn');
        const result = await store.appendToStreams([
          { streamId: 'lead-a', events: [merged], expectedRevision: 'no_stream' },
          { streamId: 'lead-b', events: [survivor], expectedRevision: 0n },
        ]);
        expect(result.nextExpectedRevisions).toEqual([0n, 1n]);
        const [a] = await store.readStream('lead-a');
        expect(a).toMatchObject({ eventId: merged.eventId, metadata: merged.metadata });
        const [, b] = await store.readStream('lead-b');
        expect(b).toMatchObject({
          eventId: survivor.eventId,
          globalPosition: result.lastGlobalPosition,
        });
        expect(a!.globalPosition).toBeLessThan(b!.globalPosition);
      });

      it('is refused whole, naming the stream that moved', async () => {
        await store.append('lead-b', [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
        const error = await rejectionOf(
          store.appendToStreams([
            { streamId: 'lead-a', events: [anEvent()], expectedRevision: 'no_stream' },
            { streamId: 'lead-b', events: [anEvent()], expectedRevision: 0n },
          ]),
        );
        expect(error).toMatchObject({ streamId: 'lead-b', expected: '0', actual: 1n });
        expect(await store.readStream('lead-a')).toEqual([]);
      });

      it('says which server version it needs when the server is older', async () => {
        db.multiStreamAppend = () =>
          Promise.reject(new UnsupportedError('multiStreamAppend', '25.1'));
        const error = await rejectionOf(
          store.appendToStreams([
            { streamId: 'lead-a', events: [anEvent()], expectedRevision: 'no_stream' },
          ]),
        );
        expect((error as Error).message).toMatch(/needs KurrentDB 25\.1 or later/);
      });
    });

    describe('with conditions on other streams (appendRecords, ADR 0015)', () => {
      it('lands while the other stream is at the expected revision, reading back as appended', async () => {
        await store.append('lead-b', [anEvent()], { expectedRevision: 'no_stream' });
        await store.append('lead-a', [anEvent()], { expectedRevision: 'no_stream' });
        const event = { ...anEvent('LeadMerged'), metadata: { actor: { id: 'u', role: 'x' } } };
        const result = await store.append('lead-a', [event], {
          expectedRevision: 0n,
          conditions: [{ streamId: 'lead-b', expectedRevision: 0n }],
        });
        expect(result.nextExpectedRevision).toBe(1n);
        const [, merged] = await store.readStream('lead-a');
        expect(merged).toMatchObject({
          eventId: event.eventId,
          schemaVersion: event.schemaVersion,
          data: event.data,
          metadata: event.metadata,
          globalPosition: result.lastGlobalPosition,
        });
        expect(await store.readStream('lead-b')).toHaveLength(1);
        // Sent as string-valued metadata, as appendRecords demands.
        expect(Object.values(db.log.at(-1)!.metadata as object)).toEqual([expect.any(String)]);
      });

      it('is refused whole, naming the other stream, once it moved', async () => {
        await store.append('lead-b', [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
        await store.append('lead-a', [anEvent()], { expectedRevision: 'no_stream' });
        const error = await rejectionOf(
          store.append('lead-a', [anEvent()], {
            expectedRevision: 0n,
            conditions: [{ streamId: 'lead-b', expectedRevision: 0n }],
          }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: 'lead-b', expected: '0', actual: 1n });
        expect(await store.readStream('lead-a')).toHaveLength(1);
      });

      it("reports the appended stream's own conflict first", async () => {
        await store.append('lead-a', [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
        const error = await rejectionOf(
          store.append('lead-a', [anEvent()], {
            expectedRevision: 0n,
            conditions: [{ streamId: 'lead-b', expectedRevision: 0n }],
          }),
        );
        expect(error).toMatchObject({ streamId: 'lead-a', expected: '0', actual: 1n });
      });

      it('says which server version it needs when the server is older', async () => {
        db.appendRecords = () => Promise.reject(new UnsupportedError('appendRecords', '26.1'));
        await store.append('lead-b', [anEvent()], { expectedRevision: 'no_stream' });
        const error = await rejectionOf(
          store.append('lead-a', [anEvent()], {
            expectedRevision: 'no_stream',
            conditions: [{ streamId: 'lead-b', expectedRevision: 0n }],
          }),
        );
        expect((error as Error).message).toMatch(/needs KurrentDB 26\.1 or later/);
      });

      it('refuses a reserved stream as a condition', async () => {
        const error = await rejectionOf(
          store.append('lead-a', [anEvent()], {
            expectedRevision: 'no_stream',
            conditions: [{ streamId: checkpointStreamName('relay'), expectedRevision: 'any' }],
          }),
        );
        expect(error).toBeInstanceOf(InvalidAppendError);
      });
    });

    it('maps a conflict to WrongExpectedRevisionError with the actual revision, writing nothing', async () => {
      await store.append('lead-1', [anEvent()], { expectedRevision: 'no_stream' });
      const logLength = db.log.length;
      for (const [expected, text] of [
        ['no_stream', 'no_stream'],
        [5n, '5'],
      ] as const) {
        const error = await rejectionOf(
          store.append('lead-1', [anEvent()], { expectedRevision: expected }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: 'lead-1', expected: text, actual: 0n });
      }
      expect(
        await rejectionOf(
          store.append('lead-2', [anEvent()], { expectedRevision: 'stream_exists' }),
        ),
      ).toMatchObject({ expected: 'stream_exists', actual: null });
      expect(db.log).toHaveLength(logLength);
    });

    it('asks the stream for the actual revision when the client reports conflicts as results', async () => {
      await store.append('lead-1', [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
      db.reportConflictsAsResults = true;
      const error = await rejectionOf(
        store.append('lead-1', [anEvent()], { expectedRevision: 0n }),
      );
      expect(error).toMatchObject({ streamId: 'lead-1', expected: '0', actual: 1n });
      expect(
        await rejectionOf(store.append('lead-9', [anEvent()], { expectedRevision: 3n })),
      ).toMatchObject({ actual: null });
    });

    it('refuses events the $all filter would hide, and the schema-version key, writing nothing', async () => {
      const refused: Array<[string, EventToAppend[]]> = [
        ['lead-1', [anEvent(), anEvent('$>')]],
        ['lead-1', [anEvent(CHECKPOINT_EVENT_TYPE)]],
        [checkpointStreamName('relay'), [anEvent()]],
        ['lead-1', [{ ...anEvent(), metadata: { [SCHEMA_VERSION_KEY]: 1 } }]],
        ['$all', [anEvent()]],
      ];
      for (const [streamId, events] of refused) {
        await expect(store.append(streamId, events, { expectedRevision: 'any' })).rejects.toThrow(
          InvalidAppendError,
        );
      }
      expect(db.log).toEqual([]);
    });
  });

  describe('readStream', () => {
    it('returns [] for a missing stream, a system stream and a checkpoint stream', async () => {
      await store.checkpoints.save('relay', 5n, null);
      expect(await store.readStream('lead-404')).toEqual([]);
      expect(await store.readStream(checkpointStreamName('relay'))).toEqual([]);
      expect(await store.readStream(`$$${checkpointStreamName('relay')}`)).toEqual([]);
    });

    it('selects a window with fromRevision and maxCount', async () => {
      await store.append(
        'lead-1',
        Array.from({ length: 12 }, () => anEvent()),
        { expectedRevision: 'no_stream' },
      );
      const revisions = async (fromRevision?: bigint, maxCount?: number): Promise<bigint[]> =>
        (await store.readStream('lead-1', { fromRevision, maxCount })).map((e) => e.streamRevision);
      expect(await revisions(3n, 4)).toEqual([3n, 4n, 5n, 6n]);
      expect(await revisions(10n)).toEqual([10n, 11n]);
      expect(await revisions(12n)).toEqual([]);
      expect(await revisions(undefined, 0)).toEqual([]);
      await expect(revisions(-1n)).rejects.toThrow(RangeError);
      await expect(revisions(0n, -1)).rejects.toThrow(RangeError);
    });

    it("fails on an event in a Tandem stream that is not Tandem's", async () => {
      await store.append('lead-1', [anEvent()], { expectedRevision: 'no_stream' });
      db.write('lead-1', [foreignEvent()]);
      await expect(store.readStream('lead-1')).rejects.toThrow(KurrentDbRecordError);
    });
  });

  describe('readMergesInto', () => {
    it('reads $all filtered on LeadMerged server side, and keeps the merges into the lead', async () => {
      const merged = (into: string): EventToAppend => ({
        ...anEvent('LeadMerged'),
        data: { intoLeadId: into },
      });
      await store.append('lead-a', [anEvent(), merged('lead-s')], {
        expectedRevision: 'no_stream',
      });
      await store.append('lead-b', [merged('lead-other')], { expectedRevision: 'no_stream' });
      // Another application's event of the same name: not Tandem's, so not a merge.
      const foreignMerge: EventData = {
        id: uuidv7(),
        contentType: 'application/json',
        type: 'LeadMerged',
        data: { intoLeadId: 'lead-s' },
        metadata: undefined,
      };
      db.write('other-app', [foreignMerge]);
      await store.append('lead-c', [merged('lead-s')], { expectedRevision: 'no_stream' });
      db.readAllRequests.length = 0;
      db.readAllFilters.length = 0;

      const found = await store.readMergesInto('lead-s');
      expect(found.map((event) => [event.streamId, event.streamRevision])).toEqual([
        ['lead-a', 1n],
        ['lead-c', 0n],
      ]);
      expect(db.readAllRequests).toEqual([
        { fromPosition: START, maxCount: Number.MAX_SAFE_INTEGER },
      ]);
      expect(db.readAllFilters).toEqual([
        expect.objectContaining({ filterOn: 'eventType', regex: '^LeadMerged$' }),
      ]);
      expect(await store.readMergesInto('lead-none')).toEqual([]);
    });
  });

  describe('readAll', () => {
    it('reads strictly after a position, asking for one more because reads start inclusively', async () => {
      const appended: RecordedEvent[] = [];
      for (let i = 0; i < 5; i += 1) {
        await store.append(`lead-${i}`, [anEvent()], { expectedRevision: 'no_stream' });
      }
      appended.push(...(await store.readAll()));
      expect(appended).toHaveLength(5);

      db.readAllRequests.length = 0;
      const page = await store.readAll({ after: appended[1]!.globalPosition, maxCount: 2 });
      expect(page.map((event) => event.eventId)).toEqual(
        appended.slice(2, 4).map((event) => event.eventId),
      );
      expect(db.readAllRequests).toEqual([
        {
          fromPosition: {
            commit: appended[1]!.globalPosition,
            prepare: appended[1]!.globalPosition,
          },
          maxCount: 3,
        },
      ]);
      expect(await store.readAll({ after: appended[4]!.globalPosition })).toEqual([]);
    });

    it('skips system, bookkeeping and foreign events, and keeps paging past them', async () => {
      const start = await store.headPosition();
      await store.append('lead-1', [anEvent()], { expectedRevision: 'no_stream' });
      for (let i = 0; i < 7; i += 1) db.write(`other-app-${i}`, [foreignEvent()]);
      await store.checkpoints.save('relay', 1n, null); // a checkpoint event and a $metadata event
      db.write('$stats-node', [foreignEvent('$statsCollected')]);
      db.write('lead-links', [foreignEvent('$>')]);
      await store.append('lead-2', [anEvent()], { expectedRevision: 'no_stream' });

      const page = await store.readAll({ after: start, maxCount: 2 });
      expect(page.map((event) => event.streamId)).toEqual(['lead-1', 'lead-2']);
      // The server filter dropped the system and checkpoint events; the foreign ones took more pages.
      expect(db.readAllRequests.length).toBeGreaterThan(1);
      expect(await store.readAll({ after: page[1]!.globalPosition })).toEqual([]);
    });

    it('pages through everything in order, whatever the page size', async () => {
      for (let i = 0; i < 3; i += 1) {
        await store.append(`lead-${i}`, [anEvent(), anEvent(), anEvent()], {
          expectedRevision: 'any',
        });
        db.write(`other-${i}`, [foreignEvent()]);
      }
      const all = await store.readAll({ maxCount: 1000 });
      expect(all).toHaveLength(9);
      for (const size of [1, 2, 4]) {
        const seen: RecordedEvent[] = [];
        let after: bigint | null = null;
        for (;;) {
          const page: RecordedEvent[] = await store.readAll({ after, maxCount: size });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(size);
          seen.push(...page);
          after = page[page.length - 1]!.globalPosition;
        }
        expect(seen.map((event) => event.eventId)).toEqual(all.map((event) => event.eventId));
      }
    });

    it('returns [] for maxCount 0 and refuses a negative one', async () => {
      await store.append('lead-1', [anEvent()], { expectedRevision: 'any' });
      expect(await store.readAll({ maxCount: 0 })).toEqual([]);
      await expect(store.readAll({ maxCount: -1 })).rejects.toThrow(RangeError);
      await expect(store.readAll({ after: -1n })).rejects.toThrow(RangeError);
    });

    it('fails on a Tandem event from an explicit transaction rather than give it a shared position', async () => {
      db.writeLegacyTransaction('lead-old', [markedEvent(), markedEvent()]);
      await expect(store.readAll()).rejects.toThrow(UnrepresentablePositionError);
    });

    it('passes over foreign events from explicit transactions', async () => {
      db.writeLegacyTransaction('other-old', [foreignEvent(), foreignEvent()]);
      await store.append('lead-1', [anEvent()], { expectedRevision: 'any' });
      expect((await store.readAll()).map((event) => event.streamId)).toEqual(['lead-1']);
    });
  });

  describe('headPosition', () => {
    it('is null for an empty store', async () => {
      expect(await store.headPosition()).toBeNull();
    });

    it('is the newest deliverable position, ignoring checkpoints and system events', async () => {
      const result = await store.append('lead-1', [anEvent()], { expectedRevision: 'any' });
      await store.checkpoints.save('relay', result.lastGlobalPosition, null);
      db.write('$stats-node', [foreignEvent('$statsCollected')]);
      expect(await store.headPosition()).toBe(result.lastGlobalPosition);
    });

    it('may be a foreign event, which still bounds what readAll returns', async () => {
      db.writeLegacyTransaction('other-old', [foreignEvent(), foreignEvent()]);
      const head = await store.headPosition();
      expect(head).toBe(db.log[1]!.position.commit);
      await store.append('lead-1', [anEvent()], { expectedRevision: 'any' });
      expect((await store.readAll({ after: head })).map((event) => event.streamId)).toEqual([
        'lead-1',
      ]);
    });
  });

  describe('subscribeToAll', () => {
    it('catches up in batches, then is woken by the live subscription (no polling)', async () => {
      await store.append('lead-1', [anEvent(), anEvent(), anEvent()], {
        expectedRevision: 'no_stream',
      });
      const delivered: RecordedEvent[] = [];
      const sizes: number[] = [];
      const subscription = store.subscribeToAll({
        after: null,
        batchSize: 2,
        handle: (batch) => {
          sizes.push(batch.length);
          delivered.push(...batch);
          return Promise.resolve();
        },
      });
      const caughtUp = await store.headPosition();
      await subscription.waitFor(caughtUp!, DELIVERY_TIMEOUT_MS);
      expect(sizes).toEqual([2, 1]);

      // The poll interval is an hour: only the live signal can deliver this in time.
      const live = await store.append('lead-1', [anEvent()], { expectedRevision: 2n });
      await subscription.waitFor(live.lastGlobalPosition, DELIVERY_TIMEOUT_MS);
      expect(delivered.map((event) => event.streamRevision)).toEqual([0n, 1n, 2n, 3n]);
      expect(db.openLiveSubscriptions).toHaveLength(1);
      expect(db.openLiveSubscriptions[0]!.filter).toMatchObject({ filterOn: 'eventType' });
    });

    it('shares one live subscription and closes it when the last subscriber stops', async () => {
      const first = store.subscribeToAll({ handle: () => Promise.resolve() });
      const second = store.subscribeToAll({ handle: () => Promise.resolve() });
      expect(db.openLiveSubscriptions).toHaveLength(1);
      await first.stop();
      expect(db.openLiveSubscriptions).toHaveLength(1);
      await second.stop();
      expect(db.openLiveSubscriptions).toHaveLength(0);
      const third = store.subscribeToAll({ handle: () => Promise.resolve() });
      expect(db.openLiveSubscriptions).toHaveLength(1);
      await third.stop();
    });

    it('keeps delivering by polling when the live subscription fails', async () => {
      await store.close();
      db = new FakeKurrentDb();
      store = newStore(20);
      const delivered: RecordedEvent[] = [];
      const subscription = store.subscribeToAll({
        handle: (batch) => {
          delivered.push(...batch);
          return Promise.resolve();
        },
      });
      await new Promise((resolve) => setImmediate(resolve));
      db.live[0]!.emit('error', new UnavailableError());
      expect(db.openLiveSubscriptions).toHaveLength(0);
      const result = await store.append('lead-1', [anEvent()], { expectedRevision: 'any' });
      await subscription.waitFor(result.lastGlobalPosition, DELIVERY_TIMEOUT_MS);
      expect(delivered).toHaveLength(1);
    });

    it('resumes after a checkpoint without redelivering', async () => {
      await store.append('lead-1', [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
      const [, second] = await store.readAll();
      await store.checkpoints.save('relay', second!.globalPosition, null);
      await store.append('lead-1', [anEvent()], { expectedRevision: 1n });

      const resumed = await store.checkpoints.load('relay');
      const delivered: RecordedEvent[] = [];
      const subscription = store.subscribeToAll({
        after: resumed!.position,
        handle: (batch) => {
          delivered.push(...batch);
          return Promise.resolve();
        },
      });
      await subscription.waitFor((await store.headPosition())!, DELIVERY_TIMEOUT_MS);
      expect(delivered.map((event) => event.streamRevision)).toEqual([2n]);
    });

    it('ends with the read error when the store cannot be read', async () => {
      db.failReadsWith = new UnavailableError();
      const subscription = store.subscribeToAll({ handle: () => Promise.resolve() });
      await expect(subscription.done).rejects.toBeInstanceOf(UnavailableError);
    });
  });

  describe('checkpoints', () => {
    it('creates, advances and loads a checkpoint', async () => {
      expect(await store.checkpoints.load('relay')).toBeNull();
      await store.checkpoints.save('relay', 5n, null);
      const created = await store.checkpoints.load('relay');
      expect(created).toMatchObject({ name: 'relay', position: 5n });
      expect(created!.updatedAt).toBeInstanceOf(Date);
      await store.checkpoints.save('relay', 9_007_199_254_740_993n, 5n);
      expect((await store.checkpoints.load('relay'))!.position).toBe(9_007_199_254_740_993n);
    });

    it('keeps checkpoints in their own stream, limited to the latest event', async () => {
      await store.checkpoints.save('relay', 5n, null);
      await store.checkpoints.save('relay', 6n, 5n);
      await store.checkpoints.save('relay', 7n, 6n);
      const stream = checkpointStreamName('relay');
      expect(db.log.filter((record) => record.streamId === stream)).toHaveLength(3);
      const metadata = db.log.filter((record) => record.streamId === `$$${stream}`);
      expect(metadata.map((record) => [record.type, record.data])).toEqual([
        ['$metadata', { $maxCount: 1 }],
      ]);
      // The metastream is a system stream: hidden from the port.
      expect(await store.readStream(`$$${stream}`)).toEqual([]);
    });

    it('reports a stale or wrong expectation as CheckpointConflictError and changes nothing', async () => {
      await store.checkpoints.save('relay', 5n, null);
      expect(await rejectionOf(store.checkpoints.save('relay', 6n, null))).toMatchObject({
        checkpoint: 'relay',
        expected: null,
        actual: 5n,
      });
      expect(await rejectionOf(store.checkpoints.save('relay', 7n, 3n))).toMatchObject({
        expected: 3n,
        actual: 5n,
      });
      const missing = await rejectionOf(store.checkpoints.save('nobody', 1n, 4n));
      expect(missing).toBeInstanceOf(CheckpointConflictError);
      expect(missing).toMatchObject({ expected: 4n, actual: null });
      expect((await store.checkpoints.load('relay'))!.position).toBe(5n);
      expect(await store.checkpoints.load('nobody')).toBeNull();
    });

    it('lets exactly one of two followers advance from the same position', async () => {
      await store.checkpoints.save('relay', 1n, null);
      const outcomes = await Promise.allSettled([
        store.checkpoints.save('relay', 2n, 1n),
        store.checkpoints.save('relay', 3n, 1n),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((outcome) => outcome.status === 'rejected');
      expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(CheckpointConflictError);
    });

    it('refuses an empty name', async () => {
      await expect(store.checkpoints.save('', 1n, null)).rejects.toThrow(RangeError);
      await expect(store.checkpoints.load('')).rejects.toThrow(RangeError);
    });
  });

  describe('init and close', () => {
    it('init reads the head of $all, so an unreachable server fails it', async () => {
      await expect(store.init()).resolves.toBeUndefined();
      db.failReadsWith = new UnavailableError();
      await expect(store.init()).rejects.toBeInstanceOf(UnavailableError);
    });

    it('close stops subscriptions, closes the live subscription and disposes the client once', async () => {
      const subscription = store.subscribeToAll({ handle: () => Promise.resolve() });
      await Promise.all([store.close(), store.close()]);
      await expect(subscription.done).resolves.toBeUndefined();
      expect(db.openLiveSubscriptions).toHaveLength(0);
      expect(db.disposed).toBe(true);
      expect(() => store.subscribeToAll({ handle: () => Promise.resolve() })).toThrow(
        'event store is closed',
      );
    });
  });

  describe('createKurrentDbEventStore', () => {
    it('fails when nothing answers, naming the server but not the password', async () => {
      // Port 1 on the loopback refuses at once: no server, no network needed.
      const error = await rejectionOf(
        createKurrentDbEventStore({
          connectionString: 'kurrentdb://admin:hunter2@127.0.0.1:1?tls=false',
        }),
      );
      expect((error as Error).message).toMatch(
        /^KurrentDB at kurrentdb:\/\/admin:\*\*\*@127\.0\.0\.1:1\?tls=false did not answer/,
      );
      expect((error as Error).message).not.toContain('hunter2');
    }, 30_000);

    it('refuses a malformed connection string before connecting', async () => {
      await expect(
        createKurrentDbEventStore({ connectionString: 'postgres://admin:hunter2@db/tandem' }),
      ).rejects.toThrow(/is invalid.*expected kurrentdb:\/\//);
    });
  });
});
