/// <reference types="jest" />
/**
 * The event-store port's contract: one jest suite that every adapter's integration
 * spec runs, so "an EventStore" means the same thing on PGlite, PostgreSQL and KurrentDB.
 * Importing it defines nothing; call `describeEventStoreContract` from a spec file.
 * (The triple-slash reference lets the production build type-check jest's globals
 * without loading jest at run time.)
 * It must never rely on an empty store or on another test's data: every test writes
 * to its own uuid streams and reasons about positions relative to what it observed,
 * so the suite also holds on a shared server where other suites append concurrently.
 */
import { v7 as uuidv7 } from 'uuid';
import {
  CheckpointConflictError,
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from './event-store.errors';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  JsonObject,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from './event-store.port';

export interface EventStoreContractFixture {
  readonly store: EventStore;
  /** Closes the store and whatever else the factory opened. */
  cleanup(): Promise<void>;
}

/** An append held open inside a transaction on its own connection. */
export interface UncommittedAppend {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface EventStoreContractOptions {
  /**
   * For adapters whose writers overlap in time (a server with several connections):
   * append `events` to `streamId` with expected revision 'any' in a transaction on a
   * connection of its own, and keep it open until commit/rollback. Enables the
   * sequence-gap test; adapters that serialise all writers cannot have the gap.
   */
  readonly beginUncommittedAppend?: (
    streamId: string,
    events: readonly EventToAppend[],
  ) => Promise<UncommittedAppend>;
  /**
   * `false` for engines that deduplicate event ids per stream only (KurrentDB): the two
   * tests that use a cross-stream duplicate as their failure trigger are skipped, saying so.
   */
  readonly eventIdsUniqueAcrossStreams?: boolean;
}

/** Generous: an embedded WASM engine is slow on a busy CI machine. */
const DELIVERY_TIMEOUT_MS = 20_000;
const HEAVY_TEST_TIMEOUT_MS = 120_000;

export function describeEventStoreContract(
  name: string,
  factory: () => Promise<EventStoreContractFixture>,
  options: EventStoreContractOptions = {},
): void {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventStoreContractFixture;
    let store: EventStore;
    const subscriptions: Subscription[] = [];

    function subscribe(...args: Parameters<EventStore['subscribeToAll']>): Subscription {
      const subscription = store.subscribeToAll(...args);
      subscriptions.push(subscription);
      return subscription;
    }

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
      await fixture.cleanup();
    });

    describe('init', () => {
      it('is idempotent, also when called concurrently', async () => {
        await Promise.all([store.init(), store.init()]);
        await store.init();
        const stream = newStreamId('init');
        await expect(
          store.append(stream, [anEvent()], { expectedRevision: 'no_stream' }),
        ).resolves.toMatchObject({ nextExpectedRevision: 0n });
      });
    });

    describe('append with an expected revision', () => {
      it("'no_stream' creates the stream at revision 0 and fails once it exists", async () => {
        const stream = newStreamId('no-stream');
        const first = await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(0n);

        const error = await rejectionOf(
          store.append(stream, [anEvent()], { expectedRevision: 'no_stream' }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: stream, expected: 'no_stream', actual: 0n });
      });

      it("'stream_exists' fails on a missing stream and succeeds on an existing one", async () => {
        const stream = newStreamId('stream-exists');
        const error = await rejectionOf(
          store.append(stream, [anEvent()], { expectedRevision: 'stream_exists' }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: stream, expected: 'stream_exists', actual: null });

        await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
        const result = await store.append(stream, [anEvent()], {
          expectedRevision: 'stream_exists',
        });
        expect(result.nextExpectedRevision).toBe(1n);
      });

      it('an exact revision must equal the revision of the last event', async () => {
        const stream = newStreamId('exact');
        const created = await store.append(stream, [anEvent(), anEvent()], {
          expectedRevision: 'no_stream',
        });
        expect(created.nextExpectedRevision).toBe(1n);

        const next = await store.append(stream, [anEvent()], { expectedRevision: 1n });
        expect(next.nextExpectedRevision).toBe(2n);

        for (const stale of [1n, 0n, 5n]) {
          const error = await rejectionOf(
            store.append(stream, [anEvent()], { expectedRevision: stale }),
          );
          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          expect(error).toMatchObject({ streamId: stream, expected: stale.toString(), actual: 2n });
        }
      });

      it('an exact revision on a missing stream fails with actual null', async () => {
        const stream = newStreamId('exact-missing');
        const error = await rejectionOf(
          store.append(stream, [anEvent()], { expectedRevision: 0n }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ expected: '0', actual: null });
        expect(await store.readStream(stream)).toEqual([]);
      });

      it("'any' appends whether or not the stream exists", async () => {
        const stream = newStreamId('any');
        const first = await store.append(stream, [anEvent()], { expectedRevision: 'any' });
        const second = await store.append(stream, [anEvent(), anEvent()], {
          expectedRevision: 'any',
        });
        expect(first.nextExpectedRevision).toBe(0n);
        expect(second.nextExpectedRevision).toBe(2n);
        expect(second.lastGlobalPosition).toBeGreaterThan(first.lastGlobalPosition);
      });

      it('a refused append writes nothing', async () => {
        const stream = newStreamId('refused');
        await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
        const refused = [anEvent(), anEvent()];
        await expect(
          store.append(stream, refused, { expectedRevision: 5n }),
        ).rejects.toBeInstanceOf(WrongExpectedRevisionError);

        const events = await store.readStream(stream);
        expect(events.map((event) => event.streamRevision)).toEqual([0n]);
        // The refused ids are still free: nothing of the batch was kept.
        await store.append(stream, refused, { expectedRevision: 0n });
        expect(await store.readStream(stream)).toHaveLength(3);
      });
    });

    describe('append with conditions on other streams (ADR 0015)', () => {
      it('lands while each other stream holds its expected revision, writing nothing there', async () => {
        const [stream, other, missing] = ['cond', 'cond-other', 'cond-missing'].map(newStreamId);
        await store.append(stream!, [anEvent()], { expectedRevision: 'no_stream' });
        await store.append(other!, [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
        const event = {
          ...anEvent(),
          metadata: { correlationId: uuidv7(), actor: { id: 'u-1', role: 'sales' }, n: 1 },
        };
        const result = await store.append(stream!, [event], {
          expectedRevision: 0n,
          conditions: [
            { streamId: other!, expectedRevision: 1n },
            { streamId: missing!, expectedRevision: 'no_stream' },
          ],
        });
        expect(result.nextExpectedRevision).toBe(1n);
        const [, appended] = await store.readStream(stream!);
        expect(appended).toMatchObject({
          eventId: event.eventId,
          type: event.type,
          schemaVersion: event.schemaVersion,
          data: event.data,
          metadata: event.metadata,
          streamRevision: 1n,
          globalPosition: result.lastGlobalPosition,
        });
        expect(await store.readStream(other!)).toHaveLength(2);
        expect(await store.readStream(missing!)).toEqual([]);
      });

      it('is refused whole, naming the other stream, once that stream moved', async () => {
        const [stream, other] = ['cond-refused', 'cond-moved'].map(newStreamId);
        await store.append(other!, [anEvent()], { expectedRevision: 'no_stream' });
        await store.append(other!, [anEvent()], { expectedRevision: 0n });
        const refused = [anEvent(), anEvent()];
        const error = await rejectionOf(
          store.append(stream!, refused, {
            expectedRevision: 'no_stream',
            conditions: [{ streamId: other!, expectedRevision: 0n }],
          }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: other, expected: '0', actual: 1n });
        expect(await store.readStream(stream!)).toEqual([]);

        const missing = newStreamId('cond-missing');
        const absent = await rejectionOf(
          store.append(stream!, refused, {
            expectedRevision: 'no_stream',
            conditions: [{ streamId: missing, expectedRevision: 'stream_exists' }],
          }),
        );
        expect(absent).toMatchObject({
          streamId: missing,
          expected: 'stream_exists',
          actual: null,
        });
        // The refused ids are still free: nothing of the batch was kept.
        await store.append(stream!, refused, {
          expectedRevision: 'no_stream',
          conditions: [{ streamId: other!, expectedRevision: 1n }],
        });
        expect(await store.readStream(stream!)).toHaveLength(2);
      });

      it("reports a stale revision of the appended stream as that stream's conflict", async () => {
        const [stream, other] = ['cond-stale', 'cond-fine'].map(newStreamId);
        await store.append(stream!, [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
        await store.append(other!, [anEvent()], { expectedRevision: 'no_stream' });
        const error = await rejectionOf(
          store.append(stream!, [anEvent()], {
            expectedRevision: 0n,
            conditions: [{ streamId: other!, expectedRevision: 0n }],
          }),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: stream, expected: '0', actual: 1n });
      });

      it('refuses conditions that name the appended stream, one stream twice, or a bad revision', async () => {
        const [stream, other] = ['cond-invalid', 'cond-twice'].map(newStreamId);
        const bad: { expectedRevision: ExpectedRevision; streamId: string }[][] = [
          [{ streamId: stream!, expectedRevision: 'any' }],
          [
            { streamId: other!, expectedRevision: 'any' },
            { streamId: other!, expectedRevision: 'no_stream' },
          ],
          [{ streamId: other!, expectedRevision: -1n }],
          [{ streamId: '', expectedRevision: 'any' }],
        ];
        for (const conditions of bad) {
          await expect(
            store.append(stream!, [anEvent()], { expectedRevision: 'no_stream', conditions }),
          ).rejects.toBeInstanceOf(InvalidAppendError);
        }
        expect(await store.readStream(stream!)).toEqual([]);
      });

      it(
        'of two crossing appends (each conditioned on the other stream), never both land',
        async () => {
          for (let round = 0; round < 20; round++) {
            const [a, b] = ['cross-a', 'cross-b'].map(newStreamId);
            await store.append(a!, [anEvent()], { expectedRevision: 'no_stream' });
            await store.append(b!, [anEvent()], { expectedRevision: 'no_stream' });
            const outcomes = await Promise.allSettled([
              store.append(a!, [anEvent()], {
                expectedRevision: 0n,
                conditions: [{ streamId: b!, expectedRevision: 0n }],
              }),
              store.append(b!, [anEvent()], {
                expectedRevision: 0n,
                conditions: [{ streamId: a!, expectedRevision: 0n }],
              }),
            ]);
            const landed = outcomes.filter((outcome) => outcome.status === 'fulfilled');
            expect(landed).toHaveLength(1);
            const [refused] = outcomes.filter((outcome) => outcome.status === 'rejected');
            expect(refused?.reason).toBeInstanceOf(WrongExpectedRevisionError);
            const lengths = [
              (await store.readStream(a!)).length,
              (await store.readStream(b!)).length,
            ];
            expect(lengths.sort()).toEqual([1, 2]);
          }
        },
        HEAVY_TEST_TIMEOUT_MS,
      );

      it(
        "an append to a condition's stream either comes first (refusing the conditional one) or after it",
        async () => {
          for (let round = 0; round < 20; round++) {
            const [stream, other] = ['cond-race', 'cond-race-other'].map(newStreamId);
            await store.append(other!, [anEvent()], { expectedRevision: 'no_stream' });
            const [conditional, plain] = await Promise.allSettled([
              store.append(stream!, [anEvent()], {
                expectedRevision: 'no_stream',
                conditions: [{ streamId: other!, expectedRevision: 0n }],
              }),
              store.append(other!, [anEvent()], { expectedRevision: 0n }),
            ]);
            if (plain.status !== 'fulfilled') throw plain.reason;
            if (conditional.status === 'fulfilled') {
              expect(conditional.value.lastGlobalPosition).toBeLessThan(
                plain.value.lastGlobalPosition,
              );
            } else {
              expect(conditional.reason).toMatchObject({ streamId: other, actual: 1n });
              expect(await store.readStream(stream!)).toEqual([]);
            }
          }
        },
        HEAVY_TEST_TIMEOUT_MS,
      );
    });

    describe('append to several streams at once (ADR 0016)', () => {
      it('writes each stream at its revision, as one block of the global log in the order given', async () => {
        const [a, b] = ['multi-a', 'multi-b'].map(newStreamId);
        await store.append(b!, [anEvent()], { expectedRevision: 'no_stream' });
        const head = await store.headPosition();
        const first = [anEvent(), anEvent()];
        const second = [anEvent()];
        const result = await store.appendToStreams([
          { streamId: a!, events: first, expectedRevision: 'no_stream' },
          { streamId: b!, events: second, expectedRevision: 0n },
        ]);
        expect(result.nextExpectedRevisions).toEqual([1n, 1n]);
        expect((await store.readStream(a!)).map((e) => e.eventId)).toEqual(
          first.map((e) => e.eventId),
        );
        const [, survivor] = await store.readStream(b!);
        expect(survivor).toMatchObject({
          eventId: second[0]!.eventId,
          streamRevision: 1n,
          globalPosition: result.lastGlobalPosition,
        });
        // No other event between them, whoever else is appending meanwhile.
        const log = (await store.readAll({ after: head, maxCount: 1000 })).map((e) => e.eventId);
        const start = log.indexOf(first[0]!.eventId);
        expect(log.slice(start, start + 3)).toEqual([...first, ...second].map((e) => e.eventId));
      });

      it('is refused whole, naming the first stream whose revision does not hold', async () => {
        const [a, b] = ['multi-refused-a', 'multi-refused-b'].map(newStreamId);
        await store.append(a!, [anEvent()], { expectedRevision: 'no_stream' });
        await store.append(b!, [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
        const events = [anEvent(), anEvent()];
        const moved = await rejectionOf(
          store.appendToStreams([
            { streamId: a!, events: [events[0]!], expectedRevision: 0n },
            { streamId: b!, events: [events[1]!], expectedRevision: 0n },
          ]),
        );
        expect(moved).toBeInstanceOf(WrongExpectedRevisionError);
        expect(moved).toMatchObject({ streamId: b, expected: '0', actual: 1n });
        const missing = newStreamId('multi-missing');
        const absent = await rejectionOf(
          store.appendToStreams([
            { streamId: missing, events: [events[0]!], expectedRevision: 'stream_exists' },
            { streamId: b!, events: [events[1]!], expectedRevision: 0n },
          ]),
        );
        expect(absent).toMatchObject({
          streamId: missing,
          expected: 'stream_exists',
          actual: null,
        });
        expect(await store.readStream(a!)).toHaveLength(1);
        expect(await store.readStream(b!)).toHaveLength(2);
        expect(await store.readStream(missing)).toEqual([]);
        // Nothing of the refused writes was kept: the same ids land once the revisions hold.
        await store.appendToStreams([
          { streamId: a!, events: [events[0]!], expectedRevision: 0n },
          { streamId: b!, events: [events[1]!], expectedRevision: 1n },
        ]);
        expect(await store.readStream(a!)).toHaveLength(2);
        expect(await store.readStream(b!)).toHaveLength(3);
      });

      it('refuses no stream, a stream twice, an empty part, an id twice or a bad revision', async () => {
        const [a, b] = ['multi-invalid-a', 'multi-invalid-b'].map(newStreamId);
        const twice = anEvent();
        const bad: Parameters<EventStore['appendToStreams']>[0][] = [
          [],
          [
            { streamId: a!, events: [anEvent()], expectedRevision: 'any' },
            { streamId: a!, events: [anEvent()], expectedRevision: 'any' },
          ],
          [
            { streamId: a!, events: [anEvent()], expectedRevision: 'any' },
            { streamId: b!, events: [], expectedRevision: 'any' },
          ],
          [
            { streamId: a!, events: [twice], expectedRevision: 'any' },
            { streamId: b!, events: [twice], expectedRevision: 'any' },
          ],
          [{ streamId: a!, events: [anEvent()], expectedRevision: -1n }],
          Array.from({ length: 17 }, (_, i) => ({
            streamId: `${a!}-${i}`,
            events: [anEvent()],
            expectedRevision: 'any' as const,
          })),
        ];
        for (const appends of bad) {
          await expect(store.appendToStreams(appends)).rejects.toBeInstanceOf(InvalidAppendError);
        }
        expect(await store.readStream(a!)).toEqual([]);
        expect(await store.readStream(b!)).toEqual([]);
      });

      it(
        'of two crossing writes to the same two streams, or one racing a plain append, one lands',
        async () => {
          for (let round = 0; round < 20; round++) {
            const [a, b] = ['multi-cross-a', 'multi-cross-b'].map(newStreamId);
            await store.append(a!, [anEvent()], { expectedRevision: 'no_stream' });
            await store.append(b!, [anEvent()], { expectedRevision: 'no_stream' });
            const [one, two, plain] = await Promise.allSettled([
              store.appendToStreams([
                { streamId: a!, events: [anEvent()], expectedRevision: 0n },
                { streamId: b!, events: [anEvent()], expectedRevision: 0n },
              ]),
              store.appendToStreams([
                { streamId: b!, events: [anEvent()], expectedRevision: 0n },
                { streamId: a!, events: [anEvent()], expectedRevision: 0n },
              ]),
              store.append(b!, [anEvent()], { expectedRevision: 0n }),
            ]);
            const landed = [one, two, plain].filter((o) => o.status === 'fulfilled');
            expect(landed).toHaveLength(1);
            for (const outcome of [one, two, plain]) {
              if (outcome.status === 'rejected') {
                expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
              }
            }
            const lengths = [
              (await store.readStream(a!)).length,
              (await store.readStream(b!)).length,
            ];
            expect(lengths).toEqual(plain.status === 'fulfilled' ? [1, 2] : [2, 2]);
          }
        },
        HEAVY_TEST_TIMEOUT_MS,
      );

      // Skipped where ids are unique per stream only, as the cross-stream tests below say.
      const multiDuplicateTest = (options.eventIdsUniqueAcrossStreams ?? true) ? it : it.skip;
      multiDuplicateTest(
        'refuses an event id already recorded elsewhere, writing none of the streams',
        async () => {
          const [a, b] = ['multi-dup-a', 'multi-dup-b'].map(newStreamId);
          const recorded = anEvent();
          await store.append(newStreamId('multi-dup-other'), [recorded], {
            expectedRevision: 'any',
          });
          const error = await rejectionOf(
            store.appendToStreams([
              { streamId: a!, events: [anEvent()], expectedRevision: 'no_stream' },
              { streamId: b!, events: [anEvent(), recorded], expectedRevision: 'no_stream' },
            ]),
          );
          expect(error).toBeInstanceOf(DuplicateEventIdError);
          expect(await store.readStream(a!)).toEqual([]);
          expect(await store.readStream(b!)).toEqual([]);
        },
      );
    });

    describe('ordering and fields', () => {
      it('a batch gets consecutive revisions and increasing global positions, in batch order', async () => {
        const stream = newStreamId('batch');
        const batch = [anEvent(), anEvent(), anEvent(), anEvent(), anEvent()];
        const result = await store.append(stream, batch, { expectedRevision: 'no_stream' });

        const events = await store.readStream(stream);
        expect(events.map((event) => event.eventId)).toEqual(batch.map((event) => event.eventId));
        expect(events.map((event) => event.streamRevision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expectStrictlyIncreasing(events.map((event) => event.globalPosition));
        expect(events[4]?.globalPosition).toBe(result.lastGlobalPosition);
        expect(result.nextExpectedRevision).toBe(4n);
      });

      it('global positions grow across streams in append order', async () => {
        const results: AppendResult[] = [];
        for (let i = 0; i < 4; i += 1) {
          const stream = newStreamId(`order-${i}`);
          results.push(await store.append(stream, [anEvent()], { expectedRevision: 'any' }));
        }
        expectStrictlyIncreasing(results.map((result) => result.lastGlobalPosition));
      });

      it('a recorded event keeps every field it was appended with', async () => {
        const stream = newStreamId('fields');
        const event: EventToAppend = {
          eventId: uuidv7(),
          type: 'LeadCaptured',
          schemaVersion: 3,
          data: {
            contact: { name: 'Zoë Ørsted-Łukasiewicz', email: 'zoe@example.com' },
            interest: ['city car', 'financing'],
            budget: 18_500.75,
            consent: true,
            referrer: null,
            nested: { deeper: [{ a: 1 }, [], {}] },
          },
          metadata: { correlationId: uuidv7(), actor: 'contract-suite', emoji: '🚗' },
        };
        const before = Date.now();
        const result = await store.append(stream, [event], { expectedRevision: 'no_stream' });
        const after = Date.now();

        const [recorded] = await store.readStream(stream);
        const { recordedAt, ...fields } = recorded!;
        expect(fields).toEqual({
          ...event,
          streamId: stream,
          streamRevision: 0n,
          globalPosition: result.lastGlobalPosition,
        });
        expect(recordedAt).toBeInstanceOf(Date);
        // Clocks of a database server and of this process may differ slightly.
        expect(recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
        expect(recordedAt.getTime()).toBeLessThanOrEqual(after + 5_000);
      });
    });

    describe('readStream', () => {
      it('returns [] for a stream that does not exist', async () => {
        expect(await store.readStream(newStreamId('missing'))).toEqual([]);
      });

      it('selects a window with fromRevision and maxCount', async () => {
        const stream = newStreamId('window');
        // 12 events: revisions 10 and 11 must sort after 9 (numerically, not as text).
        await store.append(
          stream,
          Array.from({ length: 12 }, () => anEvent()),
          {
            expectedRevision: 'no_stream',
          },
        );
        const revisionsRead = async (from?: bigint, maxCount?: number): Promise<bigint[]> =>
          (await store.readStream(stream, { fromRevision: from, maxCount })).map(
            (event) => event.streamRevision,
          );

        expect(await revisionsRead()).toEqual(revisions(12));
        expect(await revisionsRead(3n, 4)).toEqual([3n, 4n, 5n, 6n]);
        expect(await revisionsRead(8n)).toEqual([8n, 9n, 10n, 11n]);
        expect(await revisionsRead(undefined, 2)).toEqual([0n, 1n]);
        expect(await revisionsRead(12n)).toEqual([]);
      });
    });

    describe('readAll and headPosition', () => {
      it('reads strictly after a position, ascending, at most maxCount per page', async () => {
        const start = await store.headPosition();
        const streams = [newStreamId('all-a'), newStreamId('all-b'), newStreamId('all-c')];
        const appended: string[] = [];
        let last: AppendResult | undefined;
        for (let round = 0; round < 3; round += 1) {
          for (const stream of streams) {
            const event = anEvent();
            appended.push(event.eventId);
            last = await store.append(stream, [event], { expectedRevision: 'any' });
          }
        }

        const seen: RecordedEvent[] = [];
        let after = start;
        while (last !== undefined && (after === null || after < last.lastGlobalPosition)) {
          const page = await store.readAll({ after, maxCount: 2 });
          expect(page.length).toBeGreaterThan(0);
          expect(page.length).toBeLessThanOrEqual(2);
          for (const event of page) {
            if (after !== null) expect(event.globalPosition).toBeGreaterThan(after);
            after = event.globalPosition;
          }
          seen.push(...page);
        }
        expectStrictlyIncreasing(seen.map((event) => event.globalPosition));
        const ours = seen.filter((event) => streams.includes(event.streamId));
        expect(ours.map((event) => event.eventId)).toEqual(appended);
      });

      it('reads from the beginning when no position is given', async () => {
        await store.append(newStreamId('from-start'), [anEvent()], { expectedRevision: 'any' });
        const page = await store.readAll({ maxCount: 3 });
        expect(page.length).toBeGreaterThan(0);
        expectStrictlyIncreasing(page.map((event) => event.globalPosition));
        const again = await store.readAll({ after: null, maxCount: 3 });
        expect(again.map((event) => event.eventId)).toEqual(page.map((event) => event.eventId));
      });

      it('headPosition is at least the position of the last append, and nothing is after it', async () => {
        const result = await store.append(newStreamId('head'), [anEvent()], {
          expectedRevision: 'any',
        });
        const head = await store.headPosition();
        expect(head).not.toBeNull();
        expect(head!).toBeGreaterThanOrEqual(result.lastGlobalPosition);
        const upToHead = await store.readAll({ after: result.lastGlobalPosition, maxCount: 1000 });
        for (const event of upToHead) expect(event.globalPosition).toBeLessThanOrEqual(head!);
      });
    });

    describe('readMergesInto', () => {
      it('finds every LeadMerged naming the lead, in global order, and nothing else', async () => {
        const survivor = uuidv7();
        const merged = (into: string, type = 'LeadMerged'): EventToAppend => ({
          ...anEvent(),
          type,
          data: { intoLeadId: into },
        });
        const [first, other, second, lookalike] = [
          newStreamId('merged-a'),
          newStreamId('merged-elsewhere'),
          newStreamId('merged-b'),
          newStreamId('merged-lookalike'),
        ];
        await store.append(first, [anEvent(), merged(survivor)], { expectedRevision: 'no_stream' });
        await store.append(other, [merged(uuidv7())], { expectedRevision: 'no_stream' });
        await store.append(second, [merged(survivor)], { expectedRevision: 'no_stream' });
        // The type decides, not the field: another event naming the same id is not a merge.
        await store.append(lookalike, [merged(survivor, 'ContractChecked')], {
          expectedRevision: 'no_stream',
        });

        const found = await store.readMergesInto(survivor);
        expect(found.map((event) => [event.streamId, event.streamRevision])).toEqual([
          [first, 1n],
          [second, 0n],
        ]);
        expect(found[0]).toMatchObject({ type: 'LeadMerged', data: { intoLeadId: survivor } });
        expect(await store.readMergesInto(uuidv7())).toEqual([]);
      });
    });

    describe('duplicates, atomicity and invalid input', () => {
      const crossStreamIds = options.eventIdsUniqueAcrossStreams ?? true;
      const crossStreamTest = crossStreamIds ? it : it.skip;
      if (!crossStreamIds) {
        console.warn(
          `${name}: cross-stream duplicate-id tests skipped: this engine deduplicates event ids per stream only (Tandem mints UUIDv7 ids, so cross-stream collisions do not arise)`,
        );
      }
      crossStreamTest(
        'refuses an event id that is already recorded, even in another stream',
        async () => {
          const event = anEvent();
          await store.append(newStreamId('dup-first'), [event], { expectedRevision: 'no_stream' });
          const other = newStreamId('dup-second');

          const error = await rejectionOf(
            store.append(other, [{ ...event, type: 'Different' }], { expectedRevision: 'any' }),
          );
          expect(error).toBeInstanceOf(DuplicateEventIdError);
          expect(error).toMatchObject({ eventId: event.eventId });
          expect(await store.readStream(other)).toEqual([]);
        },
      );

      crossStreamTest('a batch that fails part-way writes none of its events', async () => {
        const stream = newStreamId('atomic');
        await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
        const recorded = anEvent();
        await store.append(newStreamId('atomic-other'), [recorded], { expectedRevision: 'any' });
        const head = await store.headPosition();

        const fresh = [anEvent(), anEvent()];
        await expect(
          store.append(stream, [fresh[0]!, recorded, fresh[1]!], { expectedRevision: 0n }),
        ).rejects.toBeInstanceOf(DuplicateEventIdError);

        expect(await store.readStream(stream)).toHaveLength(1);
        const later = await store.readAll({ after: head, maxCount: 1000 });
        const freshIds = fresh.map((event) => event.eventId);
        expect(later.filter((event) => freshIds.includes(event.eventId))).toEqual([]);
      });

      it('refuses malformed appends with InvalidAppendError and writes nothing', async () => {
        const stream = newStreamId('invalid');
        const malformed: Array<[string, string, readonly EventToAppend[]]> = [
          ['empty batch', stream, []],
          ['empty stream id', '', [anEvent()]],
          ['system stream id', '$all', [anEvent()]],
          ['event id not a uuid', stream, [{ ...anEvent(), eventId: 'not-a-uuid' }]],
          ['empty type', stream, [{ ...anEvent(), type: '' }]],
          ['schema version 0', stream, [{ ...anEvent(), schemaVersion: 0 }]],
          ['data not an object', stream, [{ ...anEvent(), data: [1, 2] as unknown as JsonObject }]],
          ['non-finite number', stream, [{ ...anEvent(), data: { n: Number.NaN } }]],
          ['a NUL character', stream, [{ ...anEvent(), data: { s: 'a\u0000b' } }]],
          ['a lone surrogate half', stream, [{ ...anEvent(), metadata: { s: 'a\uD800b' } }]],
          ['same id twice in a batch', stream, twice(anEvent())],
        ];
        for (const [why, streamId, events] of malformed) {
          const error = await rejectionOf(
            store.append(streamId, events, { expectedRevision: 'any' }),
          );
          expect([why, error]).toEqual([why, expect.any(InvalidAppendError)]);
        }
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('checkpoints', () => {
      it('load returns null for a name never saved', async () => {
        expect(await store.checkpoints.load(`cp-${uuidv7()}`)).toBeNull();
      });

      it('save creates, then advances only from the expected position', async () => {
        const name = `cp-${uuidv7()}`;
        await store.checkpoints.save(name, 5n, null);
        const created = await store.checkpoints.load(name);
        expect(created).toMatchObject({ name, position: 5n });
        expect(created?.updatedAt).toBeInstanceOf(Date);
        await store.checkpoints.save(name, 9n, 5n);
        expect((await store.checkpoints.load(name))?.position).toBe(9n);
      });

      it('a stale or wrong expectation is a CheckpointConflictError and changes nothing', async () => {
        const name = `cp-${uuidv7()}`;
        await store.checkpoints.save(name, 5n, null);

        const again = await rejectionOf(store.checkpoints.save(name, 6n, null));
        expect(again).toBeInstanceOf(CheckpointConflictError);
        expect(again).toMatchObject({ checkpoint: name, expected: null, actual: 5n });

        const stale = await rejectionOf(store.checkpoints.save(name, 7n, 3n));
        expect(stale).toMatchObject({ checkpoint: name, expected: 3n, actual: 5n });

        const missing = `cp-${uuidv7()}`;
        const none = await rejectionOf(store.checkpoints.save(missing, 1n, 4n));
        expect(none).toBeInstanceOf(CheckpointConflictError);
        expect(none).toMatchObject({ expected: 4n, actual: null });

        expect((await store.checkpoints.load(name))?.position).toBe(5n);
        expect(await store.checkpoints.load(missing)).toBeNull();
      });

      it('of two followers saving from the same position, exactly one wins', async () => {
        const name = `cp-${uuidv7()}`;
        await store.checkpoints.save(name, 1n, null);
        const outcomes = await Promise.allSettled([
          store.checkpoints.save(name, 2n, 1n),
          store.checkpoints.save(name, 3n, 1n),
        ]);
        const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const lost = outcomes.flatMap((outcome) =>
          outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
        );
        expect(won).toHaveLength(1);
        expect(lost).toEqual([expect.any(CheckpointConflictError)]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up in batches, then delivers live appends in global order', async () => {
        const stream = newStreamId('sub-live');
        const start = await store.headPosition();
        let position = await appendOneByOne(store, stream, 5, 'no_stream');

        const delivered: RecordedEvent[] = [];
        const batchSizes: number[] = [];
        const subscription = subscribe({
          after: start,
          batchSize: 2,
          handle: (batch) => {
            batchSizes.push(batch.length);
            return collectInto(delivered)(batch);
          },
        });
        expect(subscription.position).toBe(start);
        await subscription.waitFor(position.lastGlobalPosition, DELIVERY_TIMEOUT_MS);
        expect(ofStream(delivered, stream)).toHaveLength(5);

        position = await appendOneByOne(store, stream, 3, position.nextExpectedRevision);
        await subscription.waitFor(position.lastGlobalPosition, DELIVERY_TIMEOUT_MS);

        expect(ofStream(delivered, stream).map((event) => event.streamRevision)).toEqual([
          0n,
          1n,
          2n,
          3n,
          4n,
          5n,
          6n,
          7n,
        ]);
        expectStrictlyIncreasing(delivered.map((event) => event.globalPosition));
        expect(Math.max(...batchSizes)).toBeLessThanOrEqual(2);
        expect(subscription.position).toBeGreaterThanOrEqual(position.lastGlobalPosition);
        // Already reached: resolves at once.
        await subscription.waitFor(position.lastGlobalPosition, 1);
      });

      it('resumes from a saved checkpoint without redelivering', async () => {
        const stream = newStreamId('sub-resume');
        const checkpoint = `cp-${uuidv7()}`;
        const start = await store.headPosition();
        const firstRun: RecordedEvent[] = [];
        let saved: bigint | null = null;
        const first = subscribe({
          after: start,
          handle: async (batch) => {
            firstRun.push(...batch);
            const position = batch[batch.length - 1]!.globalPosition;
            await store.checkpoints.save(checkpoint, position, saved);
            saved = position;
          },
        });
        const before = await appendOneByOne(store, stream, 3, 'no_stream');
        await first.waitFor(before.lastGlobalPosition, DELIVERY_TIMEOUT_MS);
        await first.stop();

        const after = await appendOneByOne(store, stream, 2, before.nextExpectedRevision);
        const resumedFrom = await store.checkpoints.load(checkpoint);
        expect(resumedFrom?.position).toBeGreaterThanOrEqual(before.lastGlobalPosition);
        const secondRun: RecordedEvent[] = [];
        const second = subscribe({
          after: resumedFrom!.position,
          handle: collectInto(secondRun),
        });
        await second.waitFor(after.lastGlobalPosition, DELIVERY_TIMEOUT_MS);

        expect(ofStream(firstRun, stream).map((event) => event.streamRevision)).toEqual([
          0n,
          1n,
          2n,
        ]);
        expect(ofStream(secondRun, stream).map((event) => event.streamRevision)).toEqual([3n, 4n]);
      });

      it('a failing handler stops the subscription and rejects done and waitFor', async () => {
        const start = await store.headPosition();
        const result = await store.append(newStreamId('sub-fail'), [anEvent()], {
          expectedRevision: 'no_stream',
        });
        let calls = 0;
        const subscription = subscribe({
          after: start,
          handle: () => {
            calls += 1;
            return Promise.reject(new Error('handler refused the batch'));
          },
        });
        await expect(subscription.done).rejects.toThrow('handler refused the batch');
        await expect(
          subscription.waitFor(result.lastGlobalPosition, DELIVERY_TIMEOUT_MS),
        ).rejects.toThrow('handler refused the batch');
        expect(calls).toBe(1);
        expect(subscription.position).toBe(start);
      });

      it('stop() resolves done and rejects a pending waitFor', async () => {
        const head = (await store.headPosition()) ?? 0n;
        const subscription = subscribe({ after: head, handle: () => Promise.resolve() });
        const pending = subscription.waitFor(head + 1_000_000n, DELIVERY_TIMEOUT_MS);
        await subscription.stop();
        await expect(pending).rejects.toThrow();
        await expect(subscription.done).resolves.toBeUndefined();
      });

      it('waitFor rejects when the position is not reached in time', async () => {
        const head = (await store.headPosition()) ?? 0n;
        const subscription = subscribe({ after: head, handle: () => Promise.resolve() });
        await expect(subscription.waitFor(head + 1_000_000n, 50)).rejects.toThrow();
      });
    });

    describe('concurrent appends', () => {
      it(
        'a live subscriber gets every event exactly once, in strictly increasing positions',
        async () => {
          const start = await store.headPosition();
          const delivered: RecordedEvent[] = [];
          const subscription = subscribe({
            after: start,
            batchSize: 50,
            handle: collectInto(delivered),
          });

          const ownStreams = Array.from({ length: 6 }, (_, i) => newStreamId(`own-${i}`));
          const shared = newStreamId('shared');
          const results = await Promise.all([
            ...ownStreams.map((stream) => appendOneByOne(store, stream, 100, 'no_stream')),
            appendWithRetries(store, shared, 100),
            appendWithRetries(store, shared, 100),
          ]);
          const lastPosition = results
            .map((result) => result.lastGlobalPosition)
            .reduce((max, position) => (position > max ? position : max));
          await subscription.waitFor(lastPosition, DELIVERY_TIMEOUT_MS);

          expectStrictlyIncreasing(delivered.map((event) => event.globalPosition));
          const streams = new Set([...ownStreams, shared]);
          const ours = delivered.filter((event) => streams.has(event.streamId));
          expect(ours).toHaveLength(800);
          expect(new Set(ours.map((event) => event.eventId)).size).toBe(800);
          for (const stream of ownStreams) {
            expect(ofStream(ours, stream).map((event) => event.streamRevision)).toEqual(
              revisions(100),
            );
          }
          const sharedEvents = await store.readStream(shared);
          expect(sharedEvents.map((event) => event.streamRevision)).toEqual(revisions(200));
          expect(ofStream(ours, shared).map((event) => event.eventId)).toEqual(
            sharedEvents.map((event) => event.eventId),
          );
        },
        HEAVY_TEST_TIMEOUT_MS,
      );

      it('concurrent appends to different streams each get their own outcome: a refused one fails alone', async () => {
        const crossStreamIds = options.eventIdsUniqueAcrossStreams ?? true;
        const existing = newStreamId('own-outcome-existing');
        await store.append(existing, [anEvent()], { expectedRevision: 'no_stream' });
        const recorded = anEvent();
        await store.append(newStreamId('own-outcome-recorded'), [recorded], {
          expectedRevision: 'no_stream',
        });
        const streams = Array.from({ length: 12 }, (_, i) => newStreamId(`own-outcome-${i}`));
        const landing = streams.map((stream) =>
          store.append(stream, [anEvent(), anEvent()], { expectedRevision: 'no_stream' }),
        );
        // Sent among the others, so a store that groups concurrent appends groups them together.
        const conflicting = store.append(existing, [anEvent()], { expectedRevision: 5n });
        const duplicateStream = newStreamId('own-outcome-duplicate');
        const duplicate = crossStreamIds
          ? store.append(duplicateStream, [anEvent(), recorded], { expectedRevision: 'any' })
          : Promise.reject(new DuplicateEventIdError(recorded.eventId));
        const settled = await Promise.allSettled([
          ...landing.slice(0, 6),
          conflicting,
          duplicate,
          ...landing.slice(6),
        ]);

        const conflict = await rejectionOf(conflicting);
        expect(conflict).toBeInstanceOf(WrongExpectedRevisionError);
        expect(conflict).toMatchObject({ streamId: existing, actual: 0n });
        const duplicated = await rejectionOf(duplicate);
        expect(duplicated).toBeInstanceOf(DuplicateEventIdError);
        expect(duplicated).toMatchObject({ eventId: recorded.eventId });
        expect(await store.readStream(existing)).toHaveLength(1);
        expect(await store.readStream(duplicateStream)).toEqual([]);

        const results = await Promise.all(landing);
        expect(settled.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(12);
        for (const [i, stream] of streams.entries()) {
          const recordedEvents = await store.readStream(stream);
          expect(recordedEvents.map((event) => event.streamRevision)).toEqual([0n, 1n]);
          expect(results[i]).toEqual({
            nextExpectedRevision: 1n,
            lastGlobalPosition: recordedEvents[1]!.globalPosition,
          });
        }
        const positions = results.map((result) => result.lastGlobalPosition);
        expect(new Set(positions).size).toBe(positions.length);
      });

      const beginUncommittedAppend = options.beginUncommittedAppend;
      const gapTest = beginUncommittedAppend === undefined ? it.skip : it;
      if (beginUncommittedAppend === undefined) {
        console.warn(
          `${name}: sequence-gap test skipped: this adapter offers no way to hold an append open while another commits (it makes events visible only in commit order, so the race cannot occur)`,
        );
      }
      gapTest(
        'an append committed first is not delivered past an earlier one still in flight',
        async () => {
          const begin = beginUncommittedAppend!;
          const start = await store.headPosition();
          const delivered: RecordedEvent[] = [];
          const subscription = subscribe({
            after: start,
            handle: collectInto(delivered),
          });
          const isDelivered = (eventId: string): boolean =>
            delivered.some((event) => event.eventId === eventId);

          // A: appended in a transaction that stays open, so its position is taken but unseen.
          const early = anEvent();
          const open = await begin(newStreamId('gap-early'), [early]);
          let committed = false;
          try {
            // B: appended from another connection while A is in flight.
            const late = anEvent();
            const lateAppend = store.append(newStreamId('gap-late'), [late], {
              expectedRevision: 'no_stream',
            });
            lateAppend.catch(() => undefined);

            // Give a store without ordering every chance to hand B out ahead of A: a
            // subscriber that does so has already checkpointed past A's position.
            const deliveredAhead = await becomesTrue(() => isDelivered(late.eventId), 2_000);

            await open.commit();
            committed = true;
            const lateResult = await lateAppend;
            await pollUntil(
              () => isDelivered(early.eventId) && isDelivered(late.eventId),
              DELIVERY_TIMEOUT_MS,
              () =>
                `expected both events; delivered B ahead of A: ${deliveredAhead}; delivered: ` +
                delivered.map((event) => `${event.globalPosition}:${event.eventId}`).join(', '),
            );
            await subscription.waitFor(lateResult.lastGlobalPosition, DELIVERY_TIMEOUT_MS);

            expectStrictlyIncreasing(delivered.map((event) => event.globalPosition));
            const ids = delivered.map((event) => event.eventId);
            expect(ids.filter((id) => id === early.eventId)).toHaveLength(1);
            expect(ids.filter((id) => id === late.eventId)).toHaveLength(1);
            expect(ids.indexOf(early.eventId)).toBeLessThan(ids.indexOf(late.eventId));
            expect(deliveredAhead).toBe(false);
          } finally {
            if (!committed) await open.rollback();
          }
        },
        HEAVY_TEST_TIMEOUT_MS,
      );
    });
  });
}

function newStreamId(prefix: string): string {
  return `contract-${prefix}-${uuidv7()}`;
}

function anEvent(): EventToAppend {
  return {
    eventId: uuidv7(),
    type: 'ContractChecked',
    schemaVersion: 1,
    data: { nonce: uuidv7() },
    metadata: { correlationId: uuidv7() },
  };
}

function collectInto(sink: RecordedEvent[]): SubscribeOptions['handle'] {
  return (batch) => {
    sink.push(...batch);
    return Promise.resolve();
  };
}

function twice(event: EventToAppend): EventToAppend[] {
  return [event, { ...event }];
}

function revisions(count: number): bigint[] {
  return Array.from({ length: count }, (_, i) => BigInt(i));
}

function ofStream(events: readonly RecordedEvent[], streamId: string): RecordedEvent[] {
  return events.filter((event) => event.streamId === streamId);
}

/** `count` single-event appends, each with the exact revision the previous one returned. */
async function appendOneByOne(
  store: EventStore,
  streamId: string,
  count: number,
  expected: ExpectedRevision,
): Promise<AppendResult> {
  let expectedRevision = expected;
  let result: AppendResult | undefined;
  for (let i = 0; i < count; i += 1) {
    result = await store.append(streamId, [anEvent()], { expectedRevision });
    expectedRevision = result.nextExpectedRevision;
  }
  if (result === undefined) throw new Error('appendOneByOne needs count >= 1');
  return result;
}

/**
 * Appends like a command handler under contention: at the revision it believes, and
 * on a conflict again at the revision the store reported.
 */
async function appendWithRetries(
  store: EventStore,
  streamId: string,
  count: number,
): Promise<AppendResult> {
  let expectedRevision: ExpectedRevision = 'no_stream';
  let result: AppendResult | undefined;
  for (let i = 0; i < count; i += 1) {
    const event = anEvent();
    for (let attempt = 1; ; attempt += 1) {
      try {
        result = await store.append(streamId, [event], { expectedRevision });
        expectedRevision = result.nextExpectedRevision;
        break;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 1_000) throw error;
        expectedRevision = error.actual ?? 'no_stream';
      }
    }
  }
  if (result === undefined) throw new Error('appendWithRetries needs count >= 1');
  return result;
}

function expectStrictlyIncreasing(positions: readonly bigint[]): void {
  const backwards = positions.findIndex((position, i) => i > 0 && position <= positions[i - 1]!);
  if (backwards !== -1) {
    throw new Error(
      `positions must strictly increase, but #${backwards} (${String(positions[backwards])}) ` +
        `follows ${String(positions[backwards - 1])}`,
    );
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Polls `condition` until it holds or `timeoutMs` passes; never throws. */
async function becomesTrue(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

async function pollUntil(
  condition: () => boolean,
  timeoutMs: number,
  describeFailure: () => string,
): Promise<void> {
  if (!(await becomesTrue(condition, timeoutMs))) {
    throw new Error(`not within ${timeoutMs} ms: ${describeFailure()}`);
  }
}
