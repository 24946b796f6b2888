/**
 * Bulk append to new streams (`appendToNewStreams`) on PGlite and on the local PostgreSQL
 * server: revisions per stream and global positions in the order given, all or nothing, the
 * port's typed errors, and the global order kept against live appends (the same horizon as
 * `append`, so a reader never skips a position). Each test has its own schema.
 */
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  describeWithPglite,
  freshSchemaName,
  postgresUnavailableReason,
} from '@tandem/testing';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '../event-store.errors';
import {
  type BulkEvent,
  type EventToAppend,
  type RecordedEvent,
  supportsBulkAppend,
} from '../event-store.port';
import { postgresEventStoreSql } from './postgres-event-store.sql';
import type { PostgresEventStore } from './postgres-event-store';
import { createPgliteEventStore, createPostgresEventStore } from './postgres-event-store.factories';
import { postgresStoreNames } from './postgres-store-names';

const BOOT_TIMEOUT_MS = 60_000;

interface Fixture {
  readonly store: PostgresEventStore;
  readonly schema: string;
  cleanup(): Promise<void>;
}

function describeBulkAppend(engine: string, open: () => Promise<Fixture>): void {
  describe(`bulk append on ${engine}`, () => {
    let fixture: Fixture;
    beforeEach(async () => {
      fixture = await open();
    }, BOOT_TIMEOUT_MS);
    afterEach(() => fixture.cleanup());

    it('is the optional port capability the adapter advertises', () => {
      expect(supportsBulkAppend(fixture.store)).toBe(true);
    });

    it('writes interleaved new streams: revisions per stream, positions in the order given', async () => {
      const { store } = fixture;
      const [a, b, c] = [`bulk-a-${uuidv7()}`, `bulk-b-${uuidv7()}`, `bulk-c-${uuidv7()}`];
      const batch = [a, b, a, c, b, a].map((streamId, index) => ({
        streamId,
        event: anEvent({ index, nested: { list: [1, 'two', null], flag: true } }),
      }));
      const before = await store.headPosition();

      const result = await store.appendToNewStreams(batch);

      expect(result).toMatchObject({ streams: 3, events: 6 });
      const all = await store.readAll({ after: before });
      expect(all.map((event) => event.eventId)).toEqual(batch.map((entry) => entry.event.eventId));
      expect(all[0]?.globalPosition).toBe(result.firstGlobalPosition);
      expect(all.at(-1)?.globalPosition).toBe(result.lastGlobalPosition);
      expect(all.map((event) => `${event.streamId}@${event.streamRevision}`)).toEqual([
        `${a}@0`,
        `${b}@0`,
        `${a}@1`,
        `${c}@0`,
        `${b}@1`,
        `${a}@2`,
      ]);
      expect(all.map(stored)).toEqual(batch.map((entry) => stored(entry.event)));
      // The streams read back like any other, and take normal appends afterwards.
      expect((await store.readStream(a)).map((event) => event.eventId)).toEqual(
        [0, 2, 5].map((index) => batch[index]!.event.eventId),
      );
      const next = await store.append(a, [anEvent()], { expectedRevision: 2n });
      expect(next.nextExpectedRevision).toBe(3n);
    });

    it('refuses a stream that exists, naming it, and writes nothing of the batch', async () => {
      const { store } = fixture;
      const existing = `bulk-existing-${uuidv7()}`;
      await store.append(existing, [anEvent(), anEvent()], { expectedRevision: 'no_stream' });
      const fresh = `bulk-fresh-${uuidv7()}`;

      const refused = store.appendToNewStreams([
        { streamId: fresh, event: anEvent() },
        { streamId: existing, event: anEvent() },
      ]);

      await expect(refused).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(refused).rejects.toMatchObject({
        streamId: existing,
        expected: 'no_stream',
        actual: 1n,
      });
      expect(await store.readStream(fresh)).toEqual([]);
      expect(await store.readStream(existing)).toHaveLength(2);
    });

    it('refuses an event id already recorded, and one given twice, writing nothing', async () => {
      const { store } = fixture;
      const recorded = anEvent();
      await store.append(`bulk-dup-${uuidv7()}`, [recorded], { expectedRevision: 'no_stream' });
      // Not the head position: another session's open transaction anywhere on the server can
      // hold the visibility horizon back, so the head may move later for reasons of its own.
      const refused = Array.from({ length: 4 }, () => `bulk-new-${uuidv7()}`);

      const again = store.appendToNewStreams([
        { streamId: refused[0]!, event: anEvent() },
        { streamId: refused[1]!, event: { ...anEvent(), eventId: recorded.eventId } },
      ]);
      await expect(again).rejects.toBeInstanceOf(DuplicateEventIdError);
      await expect(again).rejects.toMatchObject({ eventId: recorded.eventId });

      const twice = anEvent();
      await expect(
        store.appendToNewStreams([
          { streamId: refused[2]!, event: twice },
          { streamId: refused[3]!, event: twice },
        ]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
      for (const streamId of refused) expect(await store.readStream(streamId)).toEqual([]);
    });

    it('stores what COPY reads specially exactly as given, and stamps recorded_at as an append does', async () => {
      const { store } = fixture;
      const awkward = 'tab\there, line\nbreak, cr\r, back\\slash \\N \\., quote " \' é 漢 🙂';
      const streamId = `bulk-copy\\N-${uuidv7()}`;
      const event = {
        ...anEvent({ awkward, nested: { [awkward]: [awkward, '\\', '\u0001'] } }),
        type: 'Bulk\\Checked\tType',
        metadata: { note: awkward },
      };
      const before = await store.headPosition();
      await store.appendToNewStreams([{ streamId, event }]);
      await store.append(`bulk-copy-after-${uuidv7()}`, [anEvent()], {
        expectedRevision: 'no_stream',
      });

      const [read, after] = await store.readAll({ after: before });
      expect(read && stored(read)).toEqual(stored(event));
      expect(read?.streamId).toBe(streamId);
      expect(read?.recordedAt).toBeInstanceOf(Date);
      // Drawn inside the same ordered section as an append's: it does not run ahead of the next.
      expect(read!.recordedAt.getTime()).toBeLessThanOrEqual(after!.recordedAt.getTime());
    });

    it('validates as append does: empty batch, bad id, non-JSON data', async () => {
      const { store } = fixture;
      const streamId = `bulk-bad-${uuidv7()}`;
      await expect(store.appendToNewStreams([])).rejects.toBeInstanceOf(InvalidAppendError);
      await expect(
        store.appendToNewStreams([{ streamId, event: { ...anEvent(), eventId: 'not-a-uuid' } }]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
      await expect(
        store.appendToNewStreams([
          { streamId, event: { ...anEvent(), data: { when: new Date() } } },
        ]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
      await expect(
        store.appendToNewStreams([{ streamId: '$system', event: anEvent() }]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
      expect(await store.readStream(streamId)).toEqual([]);
    });

    it('keeps one global order with live appends: a subscriber sees every event once, in order', async () => {
      const { store } = fixture;
      const delivered: RecordedEvent[] = [];
      const subscription = store.subscribeToAll({
        after: await store.headPosition(),
        handle: (batch) => {
          delivered.push(...batch);
          return Promise.resolve();
        },
      });
      try {
        const written: string[] = [];
        const bulk = async (round: number) => {
          const batch: BulkEvent[] = Array.from({ length: 200 }, (_, index) => ({
            streamId: `bulk-live-${round}-${index % 20}-${uuidv7()}`,
            event: anEvent({ round, index }),
          }));
          await store.appendToNewStreams(batch);
          written.push(...batch.map((entry) => entry.event.eventId));
        };
        const single = async (round: number) => {
          const event = anEvent({ round });
          await store.append(`live-${uuidv7()}`, [event], { expectedRevision: 'no_stream' });
          written.push(event.eventId);
        };
        await Promise.all(
          Array.from({ length: 10 }, (_, round) => [bulk(round), single(round)]).flat(),
        );
        const head = await store.headPosition();
        await subscription.waitFor(head!, 20_000);

        const positions = delivered.map((event) => event.globalPosition);
        expect(positions.every((position, i) => i === 0 || position > positions[i - 1]!)).toBe(
          true,
        );
        expect(new Set(delivered.map((event) => event.eventId))).toEqual(new Set(written));
      } finally {
        await subscription.stop();
      }
    });
  });
}

describeWithPglite('PGlite', (db) => {
  let schemas = 0;
  describeBulkAppend('PGlite in memory', async () => {
    const schema = `bulk_${++schemas}`;
    const store = await createPgliteEventStore({ db: db(), schema, pollIntervalMs: 50 });
    return { store, schema, cleanup: () => store.close() };
  });
});

describeWhenPostgres(postgresUnavailableReason())('PostgreSQL server', () => {
  describeBulkAppend('PostgreSQL server', async () => {
    const schema = freshSchemaName('es_bulk');
    const store = await createPostgresEventStore({
      connectionString: TEST_POSTGRES_URL,
      schema,
      pollIntervalMs: 100,
    });
    return {
      store,
      schema,
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });

  it('commits past an append in flight, but is not read before it', async () => {
    const schema = freshSchemaName('es_bulk_horizon');
    const store = await createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema });
    const client = new Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    let open = false;
    try {
      const sql = postgresEventStoreSql(postgresStoreNames(schema));
      const before = await store.headPosition();
      await client.query('BEGIN');
      open = true;
      const heldEvent = anEvent();
      const [held] = (
        await client.query<{ last_global_position: string }>(sql.append, [
          `held-${uuidv7()}`,
          'no_stream',
          JSON.stringify([heldEvent]),
        ])
      ).rows;

      // No global lock to wait for: the bulk append commits while the other is still open…
      const bulkEvent = anEvent();
      const result = await store.appendToNewStreams([
        { streamId: `bulk-after-${uuidv7()}`, event: bulkEvent },
      ]);
      expect(result.firstGlobalPosition).toBeGreaterThan(BigInt(held!.last_global_position));
      // …but a reader sees neither while the smaller position may still commit.
      expect(await store.readAll({ after: before })).toEqual([]);
      expect(await store.headPosition()).toBe(before);

      await client.query('COMMIT');
      open = false;
      // Polled: another suite's open transaction on the shared server also holds readers back.
      const deadline = Date.now() + 20_000;
      let read: RecordedEvent[] = [];
      while (read.length < 2 && Date.now() < deadline) {
        read = await store.readAll({ after: before });
        if (read.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(read.map((event) => event.eventId)).toEqual([heldEvent.eventId, bulkEvent.eventId]);
    } finally {
      if (open) await client.query('ROLLBACK');
      await client.end();
      await store.close();
      await dropSchema(schema);
    }
  });
});

function anEvent(data: Record<string, unknown> = {}): EventToAppend {
  return {
    eventId: uuidv7(),
    type: 'BulkChecked',
    schemaVersion: 1,
    data,
    metadata: { occurredAt: new Date(0).toISOString(), actor: { id: 'spec' } },
  };
}

/** The fields a caller gave, as read back. */
function stored(event: EventToAppend | RecordedEvent) {
  const { eventId, type, schemaVersion, data, metadata } = event;
  return { eventId, type, schemaVersion, data, metadata };
}
