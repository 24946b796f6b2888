import { generateKeyPairSync } from 'node:crypto';
import type { AuthConfig } from '@tandem/config';
import { exportJWK, SignJWT } from 'jose';
import { createAccessTokenVerifier } from './access-token.verifier';
import { VerifiedTokenCache } from './verified-token.cache';

const idp = generateKeyPairSync('ed25519');
const ISSUER = 'https://idp.example.com/';
const ann = { actorId: 'ann', roles: ['marketing' as const] };

async function config(): Promise<AuthConfig> {
  return {
    jwksUrl: null,
    jwks: { keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'k1', alg: 'EdDSA' }] },
    issuer: ISSUER,
    audience: 'tandem',
    clockSkewSeconds: 0,
    rolesClaim: 'roles',
    actorClaim: 'sub',
    embeddedKey: false,
    trustedProxySecret: null,
  };
}

const seconds = () => Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: ISSUER, aud: 'tandem', sub: 'ann', roles: ['marketing'], ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setIssuedAt()
    .setExpirationTime(seconds() + 300)
    .sign(idp.privateKey);
}

describe('VerifiedTokenCache', () => {
  it('answers for a token until its exp, and not from then on', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache(10, 60_000, () => now);
    cache.remember('t', ann, 1_030); // exp: 30 s from now
    expect(cache.get('t')).toEqual(ann);
    now = 1_029_999;
    expect(cache.get('t')).toEqual(ann);
    now = 1_030_000;
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('answers for at most maxAgeMs after the verification, however late the exp', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache(10, 60_000, () => now);
    cache.remember('t', ann, 10_000_000);
    now += 59_999;
    expect(cache.get('t')).toEqual(ann);
    now += 1;
    expect(cache.get('t')).toBeUndefined();
  });

  it('keeps nothing for a token already expired', () => {
    const cache = new VerifiedTokenCache(10, 60_000, () => 1_000_000);
    cache.remember('t', ann, 1_000);
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest verification', () => {
    const cache = new VerifiedTokenCache(2, 60_000, () => 1_000_000);
    cache.remember('a', ann, 2_000);
    cache.remember('b', ann, 2_000);
    cache.remember('c', ann, 2_000);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toEqual(ann);
  });
});

describe('the verifier with a cache', () => {
  it('remembers a verified token and answers the same for it', async () => {
    const cache = new VerifiedTokenCache();
    const verifier = createAccessTokenVerifier(await config(), null, cache);
    const jwt = await token();
    const first = await verifier.verify(jwt);
    expect(first).toEqual({ ok: true, token: ann });
    expect(cache.get(jwt)).toEqual(ann);
    await expect(verifier.verify(jwt)).resolves.toEqual(first);
  });

  it('never remembers a rejected token', async () => {
    const cache = new VerifiedTokenCache();
    const verifier = createAccessTokenVerifier(await config(), null, cache);
    const wrongAudience = await token({ aud: 'someone-else' });
    await expect(verifier.verify(wrongAudience)).resolves.toMatchObject({ ok: false });
    expect(cache.size).toBe(0);
    await expect(verifier.verify(wrongAudience)).resolves.toMatchObject({ ok: false });
  });

  it('does not answer from the cache for a token that was never verified (a forged signature)', async () => {
    const cache = new VerifiedTokenCache();
    const verifier = createAccessTokenVerifier(await config(), null, cache);
    const jwt = await token();
    await verifier.verify(jwt);
    const [header, payload] = jwt.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    await expect(verifier.verify(forged)).resolves.toMatchObject({ ok: false });
  });
});
