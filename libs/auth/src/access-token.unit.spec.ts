import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, chmod, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthConfig } from '@tandem/config';
import { exportJWK, SignJWT } from 'jose';
import { EMBEDDED_ISSUER, mintAccessToken } from './access-token';
import { createAccessTokenVerifier } from './access-token.verifier';
import { generateApiKey, parseApiKey, secretMatches } from './api-key';
import { EmbeddedKeyError, embeddedKeyFile, loadOrCreateEmbeddedKey } from './embedded-signing-key';

const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ISSUER = 'https://idp.example.com/';

async function idpConfig(overrides: Partial<AuthConfig> = {}): Promise<AuthConfig> {
  const publicJwk = { ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256' };
  return {
    jwksUrl: null,
    jwks: { keys: [publicJwk] },
    issuer: ISSUER,
    audience: 'tandem',
    clockSkewSeconds: 30,
    rolesClaim: 'realm_access.roles',
    actorClaim: 'email',
    embeddedKey: false,
    trustedProxySecret: null,
    ...overrides,
  };
}

const now = () => Math.floor(Date.now() / 1000);

function idpToken(
  claims: Record<string, unknown>,
  { key = idp.privateKey, alg = 'ES256', kid = 'idp-1' } = {},
) {
  return new SignJWT({
    iss: ISSUER,
    aud: 'tandem',
    email: 'ann@example.com',
    realm_access: { roles: ['marketing', 'admin'] },
    iat: now(),
    exp: now() + 300,
    ...claims,
  })
    .setProtectedHeader({ alg, kid })
    .sign(key);
}

describe('access tokens from an identity provider', () => {
  it('accepts a valid token: actor and Tandem roles from the configured claims', async () => {
    const verifier = createAccessTokenVerifier(await idpConfig(), null);
    await expect(verifier.verify(await idpToken({}))).resolves.toEqual({
      ok: true,
      // 'admin' is not a Tandem role: ignored, not guessed at.
      token: { actorId: 'ann@example.com', roles: ['marketing'] },
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['expired beyond the skew', { exp: now() - 31 }, /expired/],
    ['not yet valid beyond the skew', { nbf: now() + 60 }, /nbf/],
    ['issued in the future beyond the skew', { iat: now() + 3600 }, /iat/],
    ['for another audience', { aud: 'billing' }, /aud/],
    ['from another issuer', { iss: 'https://evil.example.com/' }, /iss/],
    ['without an expiry', { exp: undefined }, /exp/],
    ['without the actor claim', { email: undefined }, /email claim/],
  ])('refuses a token %s', async (_, claims, reason) => {
    const verifier = createAccessTokenVerifier(await idpConfig(), null);
    const outcome = await verifier.verify(await idpToken(claims));
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.description).toMatch(reason);
  });

  it('allows the configured clock skew on expiry', async () => {
    const verifier = createAccessTokenVerifier(await idpConfig(), null);
    expect((await verifier.verify(await idpToken({ exp: now() - 10 }))).ok).toBe(true);
  });

  it('refuses a token signed by a key it does not trust, and an HMAC token', async () => {
    const verifier = createAccessTokenVerifier(await idpConfig(), null);
    expect((await verifier.verify(await idpToken({}, { key: stranger.privateKey }))).ok).toBe(
      false,
    );
    const hmac = new TextEncoder().encode('a shared secret of thirty-two bytes!');
    expect(
      (await verifier.verify(await idpToken({}, { key: hmac as never, alg: 'HS256' }))).ok,
    ).toBe(false);
    expect((await verifier.verify('not.a.jwt')).ok).toBe(false);
  });

  it('reads roles from a space-separated string claim', async () => {
    const verifier = createAccessTokenVerifier(await idpConfig({ rolesClaim: 'scope' }), null);
    const outcome = await verifier.verify(await idpToken({ scope: 'openid sales analyst' }));
    expect(outcome.ok && outcome.token.roles).toEqual(['sales', 'analyst']);
  });
});

describe('the embedded signing key', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tandem-auth-unit-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is created once, private to its owner, and concurrent first starts agree on it', async () => {
    const [first, second] = await Promise.all([
      loadOrCreateEmbeddedKey(dataDir),
      loadOrCreateEmbeddedKey(dataDir),
    ]);
    expect(second.kid).toBe(first.kid);
    expect((await loadOrCreateEmbeddedKey(dataDir)).kid).toBe(first.kid);
    expect((await stat(embeddedKeyFile(dataDir))).mode & 0o777).toBe(0o600);
    expect(first.publicJwk).not.toHaveProperty('d');
  });

  it('refuses a key file other users can read', async () => {
    await loadOrCreateEmbeddedKey(dataDir);
    await chmod(embeddedKeyFile(dataDir), 0o644);
    await expect(loadOrCreateEmbeddedKey(dataDir)).rejects.toThrow(EmbeddedKeyError);
  });

  it('mints tokens the verifier accepts only while the embedded key is trusted', async () => {
    const key = await loadOrCreateEmbeddedKey(dataDir);
    const token = await mintAccessToken(key, {
      roles: ['ops'],
      actor: 'you@example.com',
      audience: 'tandem',
      ttlSeconds: 60,
    });
    const trusting = createAccessTokenVerifier(await idpConfig({ embeddedKey: true }), key);
    await expect(trusting.verify(token)).resolves.toEqual({
      ok: true,
      token: { actorId: 'you@example.com', roles: ['ops'] },
    });
    const notTrusting = createAccessTokenVerifier(await idpConfig(), null);
    expect((await notTrusting.verify(token)).ok).toBe(false);
    // Another data directory's key cannot pass for this one, though its issuer is the same.
    const otherDir = await mkdtemp(join(tmpdir(), 'tandem-auth-unit-'));
    try {
      const other = await loadOrCreateEmbeddedKey(otherDir);
      const forged = await mintAccessToken(other, {
        roles: ['ops'],
        actor: 'x',
        audience: 'tandem',
      });
      expect((await trusting.verify(forged)).ok).toBe(false);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('never mints without a known role or with an unbounded lifetime', async () => {
    const key = await loadOrCreateEmbeddedKey(dataDir);
    const base = { actor: 'a', audience: 'tandem' };
    await expect(mintAccessToken(key, { ...base, roles: [] })).rejects.toThrow(RangeError);
    await expect(mintAccessToken(key, { ...base, roles: ['root' as never] })).rejects.toThrow(
      RangeError,
    );
    await expect(
      mintAccessToken(key, { ...base, roles: ['ops'], ttlSeconds: 10 * 366 * 86_400 }),
    ).rejects.toThrow(RangeError);
    expect(EMBEDDED_ISSUER).toBe('tandem-embedded');
  });

  it('never mints for an actor the verifier refuses (a token answering 401 on every request)', async () => {
    const key = await loadOrCreateEmbeddedKey(dataDir);
    const base = { roles: ['ops' as const], audience: 'tandem' };
    // The verifier reads `sub` as the actor: 1 to 200 printable ASCII characters.
    for (const actor of [
      '',
      '   ',
      'olga\u202E@example.com',
      'ölga@example.com',
      'a'.repeat(201),
    ]) {
      await expect(mintAccessToken(key, { ...base, actor })).rejects.toThrow(
        'the actor must be 1 to 200 printable ASCII characters',
      );
    }
    const token = await mintAccessToken(key, { ...base, actor: 'a'.repeat(200) });
    const trusting = createAccessTokenVerifier(await idpConfig({ embeddedKey: true }), key);
    await expect(trusting.verify(token)).resolves.toMatchObject({
      ok: true,
      token: { actorId: 'a'.repeat(200) },
    });
  });
});

describe('API keys', () => {
  it('are shown once, kept as a hash, and recognised by shape', () => {
    const generated = generateApiKey();
    const parsed = parseApiKey(generated.apiKey);
    expect(parsed?.keyId).toBe(generated.keyId);
    expect(generated.secretHash).not.toContain(parsed?.secret);
    expect(secretMatches(parsed?.secret ?? '', generated.secretHash)).toBe(true);
    expect(secretMatches(`${parsed?.secret.slice(0, -1)}x`, generated.secretHash)).toBe(false);
    expect(parseApiKey('eyJhbGciOiJFZERTQSJ9.e30.sig')).toBeNull();
    expect(generateApiKey().apiKey).not.toBe(generated.apiKey);
  });
});
