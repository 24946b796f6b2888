/**
 * The merge index (events_merged_into, read by readMergesInto) on a PostgreSQL server: the
 * first start after the upgrade builds it on a store that already holds the log, CONCURRENTLY,
 * so appends go on while it scans the table, and a build that died midway (an INVALID index)
 * is dropped and built again at the next start. PGlite builds it in the schema's transaction
 * (one session: no append to hold), as before; its specs are the contract suite's.
 *
 * No clock: the build is held at its lock by a transaction holding SHARE UPDATE EXCLUSIVE on
 * the table (a lock appends do not conflict with, a plain CREATE INDEX's SHARE does, and so
 * does every append queued behind it), and what the append does meanwhile is read from
 * pg_locks: done, or waiting for the table.
 */
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  eventually,
  freshSchemaName,
  postgresUnavailableReason,
} from '@tandem/testing';
import type { EventToAppend } from '../event-store.port';
import { createPostgresEventStore } from './postgres-event-store.factories';
import type { PostgresEventStore } from './postgres-event-store';

const schemas: string[] = [];
const stores: PostgresEventStore[] = [];
let admin: Client;

const merged = (into: string): EventToAppend => ({
  eventId: uuidv7(),
  type: 'LeadMerged',
  schemaVersion: 1,
  data: { intoLeadId: into },
  metadata: {},
});

async function openStore(schema: string): Promise<PostgresEventStore> {
  const store = await createPostgresEventStore({
    connectionString: TEST_POSTGRES_URL,
    schema,
    poolSize: 2,
  });
  stores.push(store);
  return store;
}

/** A store whose log was written before the merge index existed. */
async function storeFromBefore(prefix: string): Promise<[string, PostgresEventStore]> {
  const schema = freshSchemaName(prefix);
  schemas.push(schema);
  const store = await openStore(schema);
  await admin.query(`DROP INDEX "${schema}".events_merged_into`);
  return [schema, store];
}

/** The index as the catalog has it, or null. */
async function mergesIndex(schema: string) {
  const { rows } = await admin.query<{ valid: boolean; definition: string }>(
    `SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i WHERE i.indexrelid = to_regclass($1::text)`,
    [`"${schema}".events_merged_into`],
  );
  return rows[0] ?? null;
}

/** The sessions waiting for a lock on the schema's events table (pg_locks, not granted). */
async function waitingForTheTable(schema: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT DISTINCT pid FROM pg_locks
      WHERE NOT granted AND relation = to_regclass($1::text) ORDER BY pid`,
    [`"${schema}".events`],
  );
  return rows.map((row) => row.pid);
}

describeWhenPostgres(postgresUnavailableReason())('PostgreSQL merge index', () => {
  beforeAll(async () => {
    admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await admin?.end();
    for (const schema of schemas) await dropSchema(schema);
  });

  it('is built at the first start after the upgrade while appends go on', async () => {
    const [schema, running] = await storeFromBefore('es_pg_merges_build');
    await running.append(`lead-${uuidv7()}`, [merged(uuidv7())], { expectedRevision: 'no_stream' });
    const holder = new Client({ connectionString: TEST_POSTGRES_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".events IN SHARE UPDATE EXCLUSIVE MODE`);
      // The first start of the new build: its index build waits at the table's lock.
      const starting = openStore(schema);
      starting.catch(() => undefined);
      const [build] = await eventually(async () => {
        const waiting = await waitingForTheTable(schema);
        return waiting.length > 0 ? waiting : undefined;
      }, 'the index build waits at the table');

      // An append of the running process meanwhile: done, or queued behind the build.
      let done = false;
      const survivor = uuidv7();
      const appending = running
        .append(`lead-${uuidv7()}`, [merged(survivor)], { expectedRevision: 'no_stream' })
        .then(() => {
          done = true;
        });
      appending.catch(() => undefined);
      const append = await eventually(async () => {
        if (done) return 'done';
        const queued = (await waitingForTheTable(schema)).filter((pid) => pid !== build);
        return queued.length > 0 ? 'waiting on a lock' : undefined;
      }, 'the append is done or waits');
      await holder.query('COMMIT');
      await appending;
      expect(append).toBe('done');

      const started = await starting;
      expect(await mergesIndex(schema)).toMatchObject({ valid: true });
      expect(await started.readMergesInto(survivor)).toHaveLength(1);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });

  it('drops an INVALID index a failed build left, and builds it again at start', async () => {
    const [schema, running] = await storeFromBefore('es_pg_merges_invalid');
    const survivor = uuidv7();
    await running.append(`lead-${uuidv7()}`, [merged(survivor)], { expectedRevision: 'no_stream' });
    // A concurrent build that fails midway (here on a row it cannot index) leaves its index
    // in the catalog, INVALID: never read by a query, yet kept up to date by every append.
    await expect(
      admin.query(
        `CREATE INDEX CONCURRENTLY events_merged_into ON "${schema}".events
           (((data ->> 'intoLeadId')::integer)) WHERE event_type = 'LeadMerged'`,
      ),
    ).rejects.toThrow(/integer/);
    expect(await mergesIndex(schema)).toMatchObject({ valid: false });
    // The failed build's session shows as building it until it has cleaned up after the error
    // (it answers the client first): a start meanwhile would leave the index to it.
    await eventually(async () => {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_progress_create_index
          WHERE index_relid = to_regclass($1::text)`,
        [`"${schema}".events_merged_into`],
      );
      return rows[0]?.n === 0 ? true : undefined;
    }, 'the failed build ended');

    const started = await openStore(schema);
    const index = await mergesIndex(schema);
    expect(index).toMatchObject({ valid: true });
    expect(index?.definition).toContain(`((data ->> 'intoLeadId'::text))`);
    expect(index?.definition).not.toContain('integer');
    expect(await started.readMergesInto(survivor)).toHaveLength(1);
  });
});
