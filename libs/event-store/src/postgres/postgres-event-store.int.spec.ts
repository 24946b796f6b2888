/**
 * The PostgreSQL adapter on the local server: the port's contract — including the
 * sequence-gap test, which needs a second connection — plus what only a server has:
 * processes racing to init, and a LISTEN connection that dies.
 */
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from '@tandem/testing';
import { describeEventStoreContract, type UncommittedAppend } from '../event-store.contract';
import type { EventToAppend, RecordedEvent } from '../event-store.port';
import { postgresEventStoreSql } from './postgres-event-store.sql';
import { createPostgresEventStore } from './postgres-event-store.factories';
import { postgresStoreNames } from './postgres-store-names';

const schema = freshSchemaName('es_pg');

describeWhenPostgres(postgresUnavailableReason())('PostgreSQL event store', () => {
  afterAll(() => dropSchema(schema));

  describeEventStoreContract(
    'PostgreSQL server',
    async () => {
      const store = await createPostgresEventStore({
        connectionString: TEST_POSTGRES_URL,
        schema,
        pollIntervalMs: 100,
      });
      return { store, cleanup: () => store.close() };
    },
    { beginUncommittedAppend: (streamId, events) => beginUncommittedAppend(streamId, events) },
  );

  describe('server specifics', () => {
    it('init is safe when several processes race on a fresh schema', async () => {
      const raceSchema = freshSchemaName('es_pg_race');
      try {
        const stores = await Promise.all(
          Array.from({ length: 4 }, () =>
            createPostgresEventStore({
              connectionString: TEST_POSTGRES_URL,
              schema: raceSchema,
              poolSize: 2,
            }),
          ),
        );
        try {
          await Promise.all(stores.map((store) => store.init()));
          const stream = `race-${uuidv7()}`;
          await stores[0]!.append(stream, [anEvent()], { expectedRevision: 'no_stream' });
          expect(await stores[3]!.readStream(stream)).toHaveLength(1);
        } finally {
          await Promise.all(stores.map((store) => store.close()));
        }
      } finally {
        await dropSchema(raceSchema);
      }
    });

    it('payloads: a bulk COPY keeps its text as written; a store made with jsonb columns keeps them and works', async () => {
      const legacySchema = freshSchemaName('es_pg_jsonb');
      const admin = new Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      const payload = { z: 1, a: [1.5, 'é'], nested: { b: null, a: true } };
      const columnTypes = async (): Promise<string[]> =>
        (
          await admin.query<{ type: string }>(
            `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
              WHERE attrelid = $1::regclass AND attname IN ('data', 'metadata') ORDER BY attname`,
            [`"${legacySchema}".events`],
          )
        ).rows.map((row) => row.type);
      try {
        await withStore(legacySchema, async (fresh) => {
          expect(await columnTypes()).toEqual(['json', 'json']);
          const event = { ...anEvent(), data: payload, metadata: payload };
          await fresh.appendToNewStreams([{ streamId: `bulk-${uuidv7()}`, event }]);
          const stored = await admin.query<{ data: string }>(
            `SELECT data::text AS data FROM "${legacySchema}".events WHERE event_id = $1`,
            [event.eventId],
          );
          expect(stored.rows[0]?.data).toBe(JSON.stringify(payload));
        });
        // A store created before the json columns: init leaves its jsonb alone.
        await admin.query(`ALTER TABLE "${legacySchema}".events
          ALTER COLUMN data TYPE jsonb USING data::jsonb,
          ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb`);
        await withStore(legacySchema, async (legacy) => {
          expect(await columnTypes()).toEqual(['jsonb', 'jsonb']);
          const appended = { ...anEvent(), data: payload, metadata: payload };
          const bulk = { ...anEvent(), data: payload, metadata: payload };
          await legacy.append(`legacy-${uuidv7()}`, [appended], { expectedRevision: 'no_stream' });
          await legacy.appendToNewStreams([{ streamId: `legacy-bulk-${uuidv7()}`, event: bulk }]);
          const all = await legacy.readAll({ after: 0n, maxCount: 10 });
          expect(all).toHaveLength(3);
          for (const recorded of all) {
            expect([recorded.data, recorded.metadata]).toEqual([payload, payload]);
          }
        });
      } finally {
        await admin.end();
        await dropSchema(legacySchema);
      }
    });

    it('a store made with a jsonb idempotency answer gets a json one at init, its rows kept', async () => {
      const legacySchema = freshSchemaName('es_pg_idem_jsonb');
      const admin = new Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      const answerType = async (): Promise<string | undefined> =>
        (
          await admin.query<{ type: string }>(
            `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
              WHERE attrelid = $1::regclass AND attname = 'response_body'`,
            [`"${legacySchema}".idempotency_keys`],
          )
        ).rows[0]?.type;
      try {
        await withStore(legacySchema, async () => {
          expect(await answerType()).toBe('json');
        });
        await admin.query(`ALTER TABLE "${legacySchema}".idempotency_keys
          ALTER COLUMN response_body TYPE jsonb USING response_body::jsonb`);
        await admin.query(
          `INSERT INTO "${legacySchema}".idempotency_keys
             (scope_key, fingerprint, owner, lease_until, created_at, expires_at,
              response_status, response_headers, response_body, completed_at)
           VALUES ('k', 'fp', gen_random_uuid(), now(), now(), now() + interval '1 day',
                   201, '{}', '{"revision":1,"leadId":"l"}', now())`,
        );
        await withStore(legacySchema, async (migrated) => {
          expect(await answerType()).toBe('json');
          const kept = await migrated.idempotency.reserve('k', 'fp', {
            ttlSeconds: 60,
            leaseSeconds: 60,
          });
          expect(kept).toEqual({
            kind: 'completed',
            response: { statusCode: 201, headers: {}, body: { leadId: 'l', revision: 1 } },
          });
        });
      } finally {
        await admin.end();
        await dropSchema(legacySchema);
      }
    });

    it('a live subscription keeps delivering when its LISTEN connection is killed', async () => {
      const store = await createPostgresEventStore({
        connectionString: TEST_POSTGRES_URL,
        schema,
        pollIntervalMs: 100,
      });
      const admin = new Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      try {
        const delivered: RecordedEvent[] = [];
        const subscription = store.subscribeToAll({
          after: await store.headPosition(),
          handle: (batch) => {
            delivered.push(...batch);
            return Promise.resolve();
          },
        });
        const listeners = async (): Promise<number[]> =>
          (
            await admin.query<{ pid: number }>(
              'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1',
              [`LISTEN "${store.names.channel}"`],
            )
          ).rows.map((row) => row.pid);

        await pollUntil(async () => (await listeners()).length === 1);
        const [killed] = await listeners();
        await admin.query('SELECT pg_terminate_backend($1)', [killed]);

        const result = await store.append(`listen-${uuidv7()}`, [anEvent()], {
          expectedRevision: 'no_stream',
        });
        await subscription.waitFor(result.lastGlobalPosition, 10_000);
        expect(delivered.at(-1)?.globalPosition).toBe(result.lastGlobalPosition);
        // And it listens again, on a new connection.
        await pollUntil(async () => {
          const pids = await listeners();
          return pids.length === 1 && pids[0] !== killed;
        });
      } finally {
        await admin.end();
        await store.close();
      }
    });
  });
});

/** Calls append_events exactly as the store does, but leaves the transaction open. */
async function beginUncommittedAppend(
  streamId: string,
  events: readonly EventToAppend[],
): Promise<UncommittedAppend> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  const sql = postgresEventStoreSql(postgresStoreNames(schema));
  const finish = async (command: 'COMMIT' | 'ROLLBACK'): Promise<void> => {
    try {
      await client.query(command);
    } finally {
      await client.end();
    }
  };
  try {
    await client.query('BEGIN');
    await client.query(sql.append, [streamId, 'any', JSON.stringify(events)]);
  } catch (error) {
    await client.end();
    throw error;
  }
  return { commit: () => finish('COMMIT'), rollback: () => finish('ROLLBACK') };
}

/** A store on `storeSchema` (made or brought up to date by init), closed after `work`. */
async function withStore(
  storeSchema: string,
  work: (store: Awaited<ReturnType<typeof createPostgresEventStore>>) => Promise<void>,
): Promise<void> {
  const store = await createPostgresEventStore({
    connectionString: TEST_POSTGRES_URL,
    schema: storeSchema,
  });
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

function anEvent(): EventToAppend {
  return { eventId: uuidv7(), type: 'ServerChecked', schemaVersion: 1, data: {}, metadata: {} };
}

async function pollUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
