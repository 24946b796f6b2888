/**
 * The API-key store contract on both PostgreSQL engines: embedded PGlite (one in-memory
 * database, reopened as a second store on the same instance) and the local server (a fresh
 * schema, reopened over a new pool as another API process would).
 */
import { TEST_POSTGRES_URL, describeWithPglite, describeWithPostgresSchema } from '@tandem/testing';
import {
  type ApiKeyStoreContractFixture,
  describeApiKeyStoreContract,
} from '../api-keys/api-key-store.contract';
import type { PostgresEventStore } from './postgres-event-store';
import { createPgliteEventStore, createPostgresEventStore } from './postgres-event-store.factories';

/** The contract's fixture over event stores `open` makes: the API keys of one, reopened by another. */
async function apiKeysOf(
  open: () => Promise<PostgresEventStore>,
): Promise<ApiKeyStoreContractFixture> {
  const store = await open();
  return {
    store: store.apiKeys,
    reopen: async () => {
      const other = await open();
      return { store: other.apiKeys, close: () => other.close() };
    },
    cleanup: () => store.close(),
  };
}

describeWithPglite('PGlite API-key store', (db) => {
  // Stores on a caller-owned PGlite instance leave the instance open when closed.
  describeApiKeyStoreContract('PGlite in memory', () =>
    apiKeysOf(() => createPgliteEventStore({ db: db(), schema: 'api_key_contract' })),
  );
});

describeWithPostgresSchema('PostgreSQL API-key store', 'apikey_pg', (schema) => {
  describeApiKeyStoreContract('PostgreSQL server', () =>
    apiKeysOf(() =>
      createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 2 }),
    ),
  );
});
