/**
 * The authenticator's API-key path against an in-memory key store: a key is admitted with its
 * own roles and actor, refused when unknown, forged or revoked (the same words for unknown and
 * forged), refused on a store without keys (KurrentDB), and never handed to the JWT verifier.
 */
import { generateApiKey } from '@tandem/auth';
import type { AccessTokenVerifier } from '@tandem/auth';
import type { AuthConfig } from '@tandem/config';
import type { ApiKeyCredential, ApiKeyRecord, ApiKeyStore, NewApiKey } from '@tandem/event-store';
import type { Request } from 'express';
import { RequestAuthenticator } from './request-authenticator';

const auth = { trustedProxySecret: null } as AuthConfig;

class MemoryKeys implements ApiKeyStore {
  readonly rows = new Map<string, ApiKeyCredential>();
  readonly used: string[] = [];
  create(key: NewApiKey): Promise<ApiKeyRecord> {
    const record: ApiKeyCredential = {
      ...key,
      createdAt: new Date(),
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    };
    this.rows.set(key.keyId, record);
    return Promise.resolve(record);
  }
  credential(keyId: string) {
    return Promise.resolve(this.rows.get(keyId) ?? null);
  }
  list() {
    return Promise.resolve([...this.rows.values()]);
  }
  revoke(keyId: string, revokedBy: string) {
    const row = this.rows.get(keyId);
    if (row === undefined) return Promise.resolve(null);
    const revoked = { ...row, revokedAt: new Date(), revokedBy };
    this.rows.set(keyId, revoked);
    return Promise.resolve(revoked);
  }
  markUsed(keyId: string) {
    this.used.push(keyId);
    return Promise.resolve();
  }
}

const verifier = () => {
  const seen: string[] = [];
  const tokens: AccessTokenVerifier = {
    verify: (token) => {
      seen.push(token);
      return Promise.resolve({ ok: false, description: 'not a token' });
    },
  };
  return { tokens, seen };
};

const withKey = (apiKey: string) =>
  ({ headers: { authorization: `Bearer ${apiKey}` } }) as unknown as Request;

async function setUp() {
  const keys = new MemoryKeys();
  const { tokens, seen } = verifier();
  const generated = generateApiKey();
  await keys.create({
    keyId: generated.keyId,
    secretHash: generated.secretHash,
    name: 'hubspot-sync',
    roles: ['system', 'marketing'],
    actorId: 'apikey:hubspot-sync',
    createdBy: 'ops@example.com',
  });
  return { keys, seen, generated, authenticator: new RequestAuthenticator(auth, tokens, keys) };
}

it('admits a key with its roles, in order, and its actor; the JWT verifier never sees it', async () => {
  const { authenticator, generated, seen, keys } = await setUp();
  expect(await authenticator.authenticate(withKey(generated.apiKey))).toEqual({
    kind: 'authenticated',
    identity: { actorId: 'apikey:hubspot-sync', roles: ['system', 'marketing'], via: 'api-key' },
  });
  expect(seen).toEqual([]);
  expect(keys.used).toEqual([generated.keyId]);
});

it('refuses a forged secret and an unknown id in the same words', async () => {
  const { authenticator, generated } = await setUp();
  const forged = await authenticator.authenticate(
    withKey(`tdk_${generated.keyId}_${'A'.repeat(43)}`),
  );
  const unknown = await authenticator.authenticate(withKey(generateApiKey().apiKey));
  expect(forged).toEqual({ kind: 'rejected', description: 'the API key is not valid' });
  expect(unknown).toEqual(forged);
});

it('refuses a revoked key from the next request on', async () => {
  const { authenticator, generated, keys } = await setUp();
  await keys.revoke(generated.keyId, 'ops@example.com');
  expect(await authenticator.authenticate(withKey(generated.apiKey))).toEqual({
    kind: 'rejected',
    description: 'the API key was revoked',
  });
});

it('refuses every key where the store keeps none (KurrentDB)', async () => {
  const { tokens, seen } = verifier();
  const authenticator = new RequestAuthenticator(auth, tokens, null);
  const outcome = await authenticator.authenticate(withKey(generateApiKey().apiKey));
  expect(outcome.kind).toBe('rejected');
  expect(seen).toEqual([]);
});
