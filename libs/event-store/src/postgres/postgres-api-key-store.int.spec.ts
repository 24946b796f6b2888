/**
 * The API-key store contract on both PostgreSQL engines: embedded PGlite (one in-memory
 * database, reopened as a second store on the same instance) and the local server (a fresh
 * schema, reopened over a new pool as another API process would).
 */
import { Client } from 'pg';
import { TEST_POSTGRES_URL, describeWithPglite, describeWithPostgresSchema } from '@tandem/testing';
import { ApiKeyNameTakenError } from '../api-keys/api-key-store.port';
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

  it("an older store's keys get their names held at init: of keys sharing one, the newest", async () => {
    const open = () =>
      createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 2 });
    const admin = new Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
      await (await open()).close();
      // The table as it was: no active_name, and two active keys that share a name.
      await admin.query(`DROP INDEX "${schema}".api_keys_active_name_unique`);
      await admin.query(`ALTER TABLE "${schema}".api_keys DROP COLUMN active_name`);
      for (const [keyId, at] of [
        ['00000000000000a1', '2026-11-01T00:00:00Z'],
        ['00000000000000a2', '2026-11-02T00:00:00Z'],
      ]) {
        await admin.query(
          `INSERT INTO "${schema}".api_keys
             (key_id, secret_hash, name, roles, actor, created_at, created_by)
           VALUES ($1, $2, 'legacy-twice', '{system}', 'apikey:legacy-twice', $3, 'ops')`,
          [keyId, 'f'.repeat(64), at],
        );
      }
      const store = await open();
      try {
        const refused = await store.apiKeys
          .create({
            keyId: '00000000000000a3',
            secretHash: 'e'.repeat(64),
            name: 'legacy-twice',
            roles: ['system'],
            actorId: 'apikey:legacy-twice',
            createdBy: 'ops',
          })
          .then(
            () => null,
            (error: unknown) => error,
          );
        expect(refused).toBeInstanceOf(ApiKeyNameTakenError);
        expect(refused).toMatchObject({ keyId: '00000000000000a2' });
        // Both older keys still work until revoked.
        expect((await store.apiKeys.credential('00000000000000a1'))?.revokedAt).toBeNull();
      } finally {
        await store.close();
      }
    } finally {
      await admin.end();
    }
  });
});
