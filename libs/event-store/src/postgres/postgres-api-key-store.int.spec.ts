/**
 * The API-key store contract on both PostgreSQL engines: embedded PGlite (one in-memory
 * database, reopened as a second store on the same instance) and the local server (a fresh
 * schema, reopened over a new pool as another API process would).
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
import { describeApiKeyStoreContract } from '../api-keys/api-key-store.contract';
import { createPgliteEventStore, createPostgresEventStore } from './postgres-event-store.factories';

const BOOT_TIMEOUT_MS = 60_000;
const pgliteUnavailable = pgliteUnavailableReason();

if (pgliteUnavailable !== null) {
  describe('PGlite API-key store', () => {
    it('boots PGlite under jest', () => {
      throw new Error(pgliteUnavailable);
    });
  });
} else {
  describe('PGlite API-key store', () => {
    let db: PGlite;

    beforeAll(async () => {
      db = await PGlite.create();
    }, BOOT_TIMEOUT_MS);

    afterAll(() => db.close());

    describeApiKeyStoreContract('PGlite in memory', async () => {
      const open = () => createPgliteEventStore({ db, schema: 'api_key_contract' });
      const store = await open();
      // Stores on a caller-owned PGlite instance leave the instance open when closed.
      return {
        store: store.apiKeys,
        reopen: async () => {
          const other = await open();
          return { store: other.apiKeys, close: () => other.close() };
        },
        cleanup: () => store.close(),
      };
    });
  });
}

const schema = freshSchemaName('apikey_pg');

describeWhenPostgres(postgresUnavailableReason())('PostgreSQL API-key store', () => {
  afterAll(() => dropSchema(schema));

  describeApiKeyStoreContract('PostgreSQL server', async () => {
    const open = () =>
      createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 2 });
    const store = await open();
    return {
      store: store.apiKeys,
      reopen: async () => {
        const other = await open();
        return { store: other.apiKeys, close: () => other.close() };
      },
      cleanup: () => store.close(),
    };
  });
});
