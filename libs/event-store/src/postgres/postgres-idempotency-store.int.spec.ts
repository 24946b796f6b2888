/**
 * The idempotency-store contract on both PostgreSQL engines: embedded PGlite (one
 * in-memory database, reopened as a second store on the same instance) and the local
 * server (a fresh schema, reopened over a new pool as another process would).
 */
import { TEST_POSTGRES_URL, describeWithPglite, describeWithPostgresSchema } from '@tandem/testing';
import { describeIdempotencyStoreContract } from '../idempotency/idempotency-store.contract';
import { createPgliteEventStore, createPostgresEventStore } from './postgres-event-store.factories';

describeWithPglite('PGlite idempotency store', (db) => {
  describeIdempotencyStoreContract('PGlite in memory', async () => {
    const open = () => createPgliteEventStore({ db: db(), schema: 'idempotency_contract' });
    const store = await open();
    return { store, reopen: open, cleanup: () => store.close() };
  });
});

describeWithPostgresSchema('PostgreSQL idempotency store', 'idem_pg', (schema) => {
  describeIdempotencyStoreContract('PostgreSQL server', async () => {
    const open = () =>
      createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 4 });
    const store = await open();
    return { store, reopen: open, cleanup: () => store.close() };
  });
});
