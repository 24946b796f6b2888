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
