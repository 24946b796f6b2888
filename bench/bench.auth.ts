/**
 * How benchmark requests authenticate: the benchmark plays the identity provider with an
 * Ed25519 key of its own, made per run; the API under test trusts it through the same
 * settings a real IdP uses (TANDEM_AUTH_JWKS, issuer, audience). Tokens are signed
 * synchronously and cached per (role, actor), so signing costs nothing measurable.
 *
 * It must never reuse the key outside this process, or measure an API that trusts anything
 * else than this key and its own embedded one.
 */
import { generateKeyPairSync, sign } from 'node:crypto';

const ISSUER = 'https://idp.bench.tandem';
const AUDIENCE = 'tandem';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const tokens = new Map<string, string>();

/** The environment that makes a spawned API trust the benchmark's key. */
export function benchAuthEnv(): Record<string, string> {
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'EdDSA' };
  return {
    TANDEM_AUTH_JWKS: JSON.stringify({ keys: [jwk] }),
    TANDEM_AUTH_ISSUER: ISSUER,
    TANDEM_AUTH_AUDIENCE: AUDIENCE,
  };
}

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `Authorization: Bearer …` for `role` and `actor`, valid for a day (longer than any run). */
export function benchAuthorization(role: string, actor: string): string {
  const cacheKey = `${role}\n${actor}`;
  const cached = tokens.get(cacheKey);
  if (cached !== undefined) return cached;
  const now = Math.floor(Date.now() / 1000);
  const input = `${encode({ alg: 'EdDSA', kid: 'bench', typ: 'JWT' })}.${encode({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: actor,
    roles: [role],
    iat: now,
    exp: now + 86_400,
  })}`;
  const header = `Bearer ${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
  tokens.set(cacheKey, header);
  return header;
}
