/**
 * The idempotency-store contract on both PostgreSQL engines: embedded PGlite (one
 * in-memory database, reopened as a second store on the same instance) and the local
 * server (a fresh schema, reopened over a new pool as another process would).
 */
import { PGlite } from '@electric-sql/pglite';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  pgliteUnavailableReason,
  postgresUnavailableReason,
} from '@tandem/testing';
import { describeIdempotencyStoreContract } from '../idempotency/idempotency-store.contract';
import { createPgliteEventStore, createPostgresEventStore } from './postgres-event-store.factories';

const BOOT_TIMEOUT_MS = 60_000;
const pgliteUnavailable = pgliteUnavailableReason();

if (pgliteUnavailable !== null) {
  describe('PGlite idempotency store', () => {
    it('boots PGlite under jest', () => {
      throw new Error(pgliteUnavailable);
    });
  });
} else {
  describe('PGlite idempotency store', () => {
    let db: PGlite;

    beforeAll(async () => {
      db = await PGlite.create();
    }, BOOT_TIMEOUT_MS);

    afterAll(() => db.close());

    describeIdempotencyStoreContract('PGlite in memory', async () => {
      const open = () => createPgliteEventStore({ db, schema: 'idempotency_contract' });
      const store = await open();
      return { store, reopen: open, cleanup: () => store.close() };
    });
  });
}

const schema = freshSchemaName('idem_pg');

describeWhenPostgres(postgresUnavailableReason())('PostgreSQL idempotency store', () => {
  afterAll(() => dropSchema(schema));

  describeIdempotencyStoreContract('PostgreSQL server', async () => {
    const open = () =>
      createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 4 });
    const store = await open();
    return { store, reopen: open, cleanup: () => store.close() };
  });
});
