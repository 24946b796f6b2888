/// <reference types="jest" />
/**
 * The idempotency-store port's contract: one jest suite every adapter that has the
 * capability runs (PGlite and PostgreSQL today), so "a key is reserved once and its
 * append is fenced" means the same on each. Importing it defines nothing; call
 * `describeIdempotencyStoreContract` from an adapter's integration spec.
 * It must never rely on another test's keys or streams: every test makes its own.
 */
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { ReservationLostError, WrongExpectedRevisionError } from '../event-store.errors';
import type { EventStore, EventToAppend } from '../event-store.port';
import type {
  IdempotencyReservation,
  IdempotentEventStore,
  ReserveOutcome,
  StoredResponse,
} from './idempotency-store.port';

export interface IdempotencyStoreContractFixture {
  readonly store: EventStore & IdempotentEventStore;
  /** A second store on the same database, as another process (or the next one) opens it. */
  reopen(): Promise<EventStore & IdempotentEventStore>;
  cleanup(): Promise<void>;
}

const LIVE = { ttlSeconds: 3600, leaseSeconds: 60 } as const;
/** A lease that has run out the moment it is granted: the attempt counts as dead. */
const DEAD = { ttlSeconds: 3600, leaseSeconds: 0 } as const;

const key = () => `key-${randomUUID()}`;
const anEvent = (): EventToAppend => ({
  eventId: uuidv7(),
  type: 'IdempotencyChecked',
  schemaVersion: 1,
  data: {},
  metadata: {},
});
const response = (body: StoredResponse['body']): StoredResponse => ({
  statusCode: 201,
  headers: { location: '/things/1' },
  body,
});

function reserved(outcome: ReserveOutcome): IdempotencyReservation {
  if (outcome.kind !== 'reserved') throw new Error(`expected reserved, got ${outcome.kind}`);
  return outcome.reservation;
}

export function describeIdempotencyStoreContract(
  name: string,
  factory: () => Promise<IdempotencyStoreContractFixture>,
): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let fixture: IdempotencyStoreContractFixture;
    let store: EventStore & IdempotentEventStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(() => fixture.cleanup());

    it('reserves a new key once; the same key is in flight, another body is a mismatch', async () => {
      const k = key();
      reserved(await store.idempotency.reserve(k, 'fp-1', LIVE));
      expect(await store.idempotency.reserve(k, 'fp-1', LIVE)).toEqual({ kind: 'in_flight' });
      expect(await store.idempotency.reserve(k, 'fp-2', LIVE)).toEqual({
        kind: 'fingerprint_mismatch',
      });
    });

    it('of concurrent reservations of one key, exactly one wins', async () => {
      const k = key();
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () => store.idempotency.reserve(k, 'fp', LIVE)),
      );
      expect(outcomes.filter((outcome) => outcome.kind === 'reserved')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.kind === 'in_flight')).toHaveLength(7);
    });

    it('replays a completed response, also from another store on the same database', async () => {
      const k = key();
      const reservation = reserved(await store.idempotency.reserve(k, 'fp', LIVE));
      const stored = response({ id: 1, nested: { list: [1, 'two', null] } });
      expect(await store.idempotency.complete(reservation, stored)).toBe(true);
      expect(await store.idempotency.reserve(k, 'fp', LIVE)).toEqual({
        kind: 'completed',
        response: stored,
      });
      const reopened = await fixture.reopen();
      try {
        expect(await reopened.idempotency.reserve(k, 'fp', LIVE)).toEqual({
          kind: 'completed',
          response: stored,
        });
        expect(await reopened.idempotency.reserve(k, 'other', LIVE)).toEqual({
          kind: 'fingerprint_mismatch',
        });
      } finally {
        await reopened.close();
      }
    });

    it('replays a response with its keys in the order it was given (the same bytes again)', async () => {
      const k = key();
      const reservation = reserved(await store.idempotency.reserve(k, 'fp', LIVE));
      // Longest key first, nested too: an order a store that sorts keys (jsonb) would change.
      const body = { leadId: 'l-1', revision: 1, events: [{ eventId: 'e-1', type: 'T' }] };
      await store.idempotency.complete(reservation, response(body));
      const replayed = await store.idempotency.reserve(k, 'fp', LIVE);
      if (replayed.kind !== 'completed')
        throw new Error(`expected completed, got ${replayed.kind}`);
      expect(JSON.stringify(replayed.response.body)).toBe(JSON.stringify(body));
    });

    it('records the append under a reservation with the key, in one transaction', async () => {
      const k = key();
      const stream = `idem-${uuidv7()}`;
      const reservation = reserved(await store.idempotency.reserve(k, 'fp', LIVE));
      await store.idempotency.runReserved(reservation, () =>
        store.append(stream, [anEvent(), anEvent()], { expectedRevision: 'no_stream' }),
      );
      expect((await store.idempotency.lookup(k))?.appended).toEqual({
        streamId: stream,
        fromRevision: 0n,
        toRevision: 1n,
      });
    });

    it('keeps the conditions on other streams of an append under a reservation (ADR 0015)', async () => {
      const [stream, other] = [`idem-${uuidv7()}`, `idem-other-${uuidv7()}`];
      await store.append(other, [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
      const stale = reserved(await store.idempotency.reserve(key(), 'fp', LIVE));
      await expect(
        store.idempotency.runReserved(stale, () =>
          store.append(stream, [anEvent()], {
            expectedRevision: 'no_stream',
            conditions: [{ streamId: other, expectedRevision: 0n }],
          }),
        ),
      ).rejects.toMatchObject({ streamId: other, actual: 1n });
      expect(await store.readStream(stream)).toEqual([]);
      const k = key();
      const fresh = reserved(await store.idempotency.reserve(k, 'fp', LIVE));
      await store.idempotency.runReserved(fresh, () =>
        store.append(stream, [anEvent()], {
          expectedRevision: 'no_stream',
          conditions: [{ streamId: other, expectedRevision: 1n }],
        }),
      );
      expect((await store.idempotency.lookup(k))?.appended).toEqual({
        streamId: stream,
        fromRevision: 0n,
        toRevision: 0n,
      });
    });

    it('fences an append to several streams: recorded with the key by its first stream, once (ADR 0016)', async () => {
      const [stream, other] = [`idem-${uuidv7()}`, `idem-other-${uuidv7()}`];
      await store.append(other, [anEvent()], { expectedRevision: 'no_stream' });
      const k = key();
      const dead = reserved(await store.idempotency.reserve(k, 'fp', DEAD));
      const merged = anEvent();
      await store.idempotency.runReserved(dead, async () => {
        await store.appendToStreams([
          { streamId: stream, events: [merged], expectedRevision: 'no_stream' },
          { streamId: other, events: [anEvent()], expectedRevision: 0n },
        ]);
        // A second append under the same key is refused, to any stream.
        await expect(
          store.appendToStreams([{ streamId: other, events: [anEvent()], expectedRevision: 1n }]),
        ).rejects.toBeInstanceOf(ReservationLostError);
      });
      expect((await store.idempotency.lookup(k))?.appended).toEqual({
        streamId: stream,
        fromRevision: 0n,
        toRevision: 0n,
      });
      // The attempt died before answering: its retry recovers the first stream's events.
      const outcome = await store.idempotency.reserve(k, 'fp', LIVE);
      if (outcome.kind !== 'recovered') throw new Error(`expected recovered, got ${outcome.kind}`);
      expect(outcome.events.map((recorded) => recorded.eventId)).toEqual([merged.eventId]);
      expect(await store.readStream(other)).toHaveLength(2);
    });

    it('recovers the appended events of an attempt that died before answering, appending nothing', async () => {
      const k = key();
      const stream = `idem-${uuidv7()}`;
      await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
      const dead = reserved(await store.idempotency.reserve(k, 'fp', DEAD));
      const event = anEvent();
      await store.idempotency.runReserved(dead, () =>
        store.append(stream, [event], { expectedRevision: 0n }),
      );
      // The process died here: no complete, no release.
      const outcome = await store.idempotency.reserve(k, 'fp', LIVE);
      if (outcome.kind !== 'recovered') throw new Error(`expected recovered, got ${outcome.kind}`);
      expect(outcome.events.map((recorded) => recorded.eventId)).toEqual([event.eventId]);
      expect(outcome.events[0]?.streamRevision).toBe(1n);
      expect(await store.readStream(stream)).toHaveLength(2);
      // The recoverer holds the key now; completing it makes it a normal completed key.
      expect(await store.idempotency.complete(outcome.reservation, response({ ok: true }))).toBe(
        true,
      );
      expect((await store.idempotency.reserve(k, 'fp', LIVE)).kind).toBe('completed');
    });

    it('takes over an attempt that died before appending; the old attempt can then append nothing', async () => {
      const k = key();
      const stream = `idem-${uuidv7()}`;
      const dead = reserved(await store.idempotency.reserve(k, 'fp', DEAD));
      const next = reserved(await store.idempotency.reserve(k, 'fp', LIVE));
      expect(next.owner).not.toBe(dead.owner);
      await expect(
        store.idempotency.runReserved(dead, () =>
          store.append(stream, [anEvent()], { expectedRevision: 'any' }),
        ),
      ).rejects.toBeInstanceOf(ReservationLostError);
      expect(await store.readStream(stream)).toEqual([]);
      expect(await store.idempotency.complete(dead, response(null))).toBe(false);
      await store.idempotency.runReserved(next, () =>
        store.append(stream, [anEvent()], { expectedRevision: 'any' }),
      );
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('a takeover racing a fenced append either sees the append or wins before it: never two events', async () => {
      const stream = `idem-${uuidv7()}`;
      const rounds = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const k = key();
          const dead = reserved(await store.idempotency.reserve(k, 'fp', DEAD));
          const [appended, retried] = await Promise.allSettled([
            store.idempotency.runReserved(dead, () =>
              store.append(stream, [anEvent()], { expectedRevision: 'any' }),
            ),
            store.idempotency.reserve(k, 'fp', LIVE),
          ]);
          if (retried.status === 'rejected') throw retried.reason;
          const outcome = retried.value;
          if (appended.status === 'fulfilled') {
            expect(outcome.kind).toBe('recovered');
            return 1;
          }
          expect(appended.reason).toBeInstanceOf(ReservationLostError);
          expect(outcome.kind).toBe('reserved');
          return 0;
        }),
      );
      const total = rounds.reduce<number>((sum, count) => sum + count, 0);
      expect(await store.readStream(stream)).toHaveLength(total);
    });

    it('allows one append per reservation', async () => {
      const stream = `idem-${uuidv7()}`;
      const reservation = reserved(await store.idempotency.reserve(key(), 'fp', LIVE));
      await expect(
        store.idempotency.runReserved(reservation, async () => {
          await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
          await store.append(stream, [anEvent()], { expectedRevision: 0n });
        }),
      ).rejects.toBeInstanceOf(ReservationLostError);
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('a refused append records nothing; releasing forgets the key', async () => {
      const k = key();
      const stream = `idem-${uuidv7()}`;
      await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
      const reservation = reserved(await store.idempotency.reserve(k, 'fp', LIVE));
      await expect(
        store.idempotency.runReserved(reservation, () =>
          store.append(stream, [anEvent()], { expectedRevision: 'no_stream' }),
        ),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect((await store.idempotency.lookup(k))?.appended).toBeNull();
      await store.idempotency.release(reservation);
      expect(await store.idempotency.lookup(k)).toBeNull();
      reserved(await store.idempotency.reserve(k, 'another body now', LIVE));
    });

    it('releasing after an append keeps the key: the next attempt recovers at once', async () => {
      const k = key();
      const stream = `idem-${uuidv7()}`;
      const reservation = reserved(await store.idempotency.reserve(k, 'fp', LIVE));
      await store.idempotency.runReserved(reservation, () =>
        store.append(stream, [anEvent()], { expectedRevision: 'no_stream' }),
      );
      await store.idempotency.release(reservation);
      const outcome = await store.idempotency.reserve(k, 'fp', LIVE);
      expect(outcome.kind).toBe('recovered');
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('an expired key is a new key, and purging removes it', async () => {
      const k = key();
      const expiring = { ttlSeconds: 0, leaseSeconds: 60 };
      const first = reserved(await store.idempotency.reserve(k, 'fp-1', expiring));
      await store.idempotency.complete(first, response('first'));
      expect(await store.idempotency.lookup(k)).toBeNull();
      reserved(await store.idempotency.reserve(k, 'fp-2', expiring));
      expect(await store.idempotency.purgeExpired(10_000)).toBeGreaterThanOrEqual(1);
      expect(await store.idempotency.purgeExpired(10_000)).toBe(0);
    });

    it('appends outside runReserved are not fenced', async () => {
      const stream = `idem-${uuidv7()}`;
      reserved(await store.idempotency.reserve(key(), 'fp', LIVE));
      await store.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
      await store.append(stream, [anEvent()], { expectedRevision: 0n });
      expect(await store.readStream(stream)).toHaveLength(2);
    });
  });
}
