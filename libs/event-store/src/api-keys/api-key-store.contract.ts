/// <reference types="jest" />
/**
 * The API-key store port's contract: one jest suite every adapter with the capability runs
 * (PGlite and PostgreSQL today), so "recorded once, revoked for good, listed without its
 * hash" means the same on each. Importing it defines nothing; call
 * `describeApiKeyStoreContract` from an adapter's integration spec.
 * It must never rely on another test's keys: every test makes its own ids.
 */
import { randomBytes } from 'node:crypto';
import {
  ApiKeyExistsError,
  ApiKeyNameTakenError,
  type ApiKeyStore,
  type NewApiKey,
} from './api-key-store.port';

export interface ApiKeyStoreContractFixture {
  readonly store: ApiKeyStore;
  /** A second store on the same database, as another API process opens it. */
  reopen(): Promise<{ readonly store: ApiKeyStore; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

const newKey = (overrides: Partial<NewApiKey> = {}): NewApiKey => ({
  keyId: randomBytes(8).toString('hex'),
  secretHash: randomBytes(32).toString('hex'),
  // A name of its own: an active key holds its name.
  name: `hubspot-sync-${randomBytes(4).toString('hex')}`,
  roles: ['marketing', 'system'],
  actorId: 'apikey:hubspot-sync',
  createdBy: 'ops@example.com',
  ...overrides,
});

export function describeApiKeyStoreContract(
  name: string,
  factory: () => Promise<ApiKeyStoreContractFixture>,
): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    let fixture: ApiKeyStoreContractFixture;
    let store: ApiKeyStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(() => fixture.cleanup());

    it('records a key and finds it by id with its hash, roles in the order given', async () => {
      const key = newKey({ roles: ['system', 'marketing'] });
      const created = await store.create(key);
      expect(created).toMatchObject({
        keyId: key.keyId,
        name: key.name,
        roles: ['system', 'marketing'],
        actorId: key.actorId,
        createdBy: key.createdBy,
        revokedAt: null,
        revokedBy: null,
        lastUsedAt: null,
      });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await store.credential(key.keyId)).toEqual({ ...created, secretHash: key.secretHash });
      expect(await store.credential(randomBytes(8).toString('hex'))).toBeNull();
    });

    it('records a key id once: a second create fails and the first record stands', async () => {
      const key = newKey();
      await store.create(key);
      await expect(
        store.create({ ...key, secretHash: 'f'.repeat(64), roles: ['ops'] }),
      ).rejects.toBeInstanceOf(ApiKeyExistsError);
      const stored = await store.credential(key.keyId);
      expect(stored?.secretHash).toBe(key.secretHash);
      expect(stored?.roles).toEqual(key.roles);
    });

    it('holds a name for one active key: a second create names it, a revocation frees it', async () => {
      const held = newKey();
      await store.create(held);
      const retried = newKey({ name: held.name });
      const refused = await store.create(retried).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ApiKeyNameTakenError);
      expect(refused).toMatchObject({ keyName: held.name, keyId: held.keyId });
      expect(await store.credential(retried.keyId)).toBeNull();
      // Many at once under one new name: one key, every other create names it.
      const name = newKey().name;
      const attempts = await Promise.allSettled(
        Array.from({ length: 5 }, () => store.create(newKey({ name }))),
      );
      const created = attempts.filter((attempt) => attempt.status === 'fulfilled');
      expect(created).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === 'rejected') {
          expect(attempt.reason).toMatchObject({ keyId: created[0]!.value.keyId });
        }
      }
      await store.revoke(held.keyId, 'ops@example.com');
      expect((await store.create(retried)).name).toBe(held.name);
    });

    it('lists keys without their hashes, newest first', async () => {
      const first = newKey({ name: 'first' });
      const second = newKey({ name: 'second' });
      await store.create(first);
      await store.create(second);
      const listed = (await store.list()).filter((key) =>
        [first.keyId, second.keyId].includes(key.keyId),
      );
      expect(listed.map((key) => key.name).sort()).toEqual(['first', 'second']);
      // Newest first; keys made within one tick of the database clock (PGlite's is coarse) tie.
      const times = (await store.list()).map((key) => key.createdAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      for (const key of listed) expect(key).not.toHaveProperty('secretHash');
      expect(JSON.stringify(listed)).not.toContain(first.secretHash);
    });

    it('revokes for good: the first revocation stands, and another process sees it at once', async () => {
      const key = newKey();
      await store.create(key);
      const revoked = await store.revoke(key.keyId, 'ops@example.com');
      expect(revoked?.revokedBy).toBe('ops@example.com');
      expect(revoked?.revokedAt).toBeInstanceOf(Date);
      const again = await store.revoke(key.keyId, 'someone-else');
      expect(again?.revokedBy).toBe('ops@example.com');
      expect(again?.revokedAt?.getTime()).toBe(revoked?.revokedAt?.getTime());

      const other = await fixture.reopen();
      try {
        expect((await other.store.credential(key.keyId))?.revokedAt).toEqual(revoked?.revokedAt);
      } finally {
        await other.close();
      }
      expect(await store.revoke(randomBytes(8).toString('hex'), 'ops@example.com')).toBeNull();
    });

    it('notes when a key was last used', async () => {
      const key = newKey();
      await store.create(key);
      await store.markUsed(key.keyId);
      const used = await store.credential(key.keyId);
      expect(used?.lastUsedAt).toBeInstanceOf(Date);
      expect(used!.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(used!.createdAt.getTime());
    });
  });
}
