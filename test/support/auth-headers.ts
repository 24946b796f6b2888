/**
 * The credentials that make a test's request come from a given role and actor. Every test
 * builds its identity here and nowhere else. Each jest process makes one Ed25519 test key and
 * plays the identity provider: `asRole` mints a bearer JWT signed by it, and the fixtures
 * make the API trust it (`testAuthConfig` in process, `testAuthEnv` for APIs spawned from
 * dist/). The embedded key is off in tests, so only these tokens get in. Tokens are signed
 * synchronously (Ed25519 through node:crypto), so `.set(asRole('ops'))` fits a supertest chain.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { AuthConfig } from '@tandem/config';
import type { Role } from '@tandem/domain';
import type { JWK } from 'jose';

export const TEST_ISSUER = 'https://idp.test.tandem';
export const TEST_AUDIENCE = 'tandem';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const publicJwk: Record<string, unknown> = {
  ...(publicKey.export({ format: 'jwk' }) as JWK),
  kid: 'test',
  alg: 'EdDSA',
};

/** The auth section of a TandemConfig built by a test: trusts the test key, nothing else. */
export function testAuthConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    jwksUrl: null,
    jwks: { keys: [publicJwk] },
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    clockSkewSeconds: 30,
    rolesClaim: 'roles',
    actorClaim: 'sub',
    embeddedKey: false,
    trustedProxySecret: null,
    ...overrides,
  };
}

/** The same, as the environment of an API process started from dist/. */
export function testAuthEnv(): Record<string, string> {
  return {
    TANDEM_AUTH_JWKS: JSON.stringify({ keys: [publicJwk] }),
    TANDEM_AUTH_ISSUER: TEST_ISSUER,
    TANDEM_AUTH_AUDIENCE: TEST_AUDIENCE,
    TANDEM_AUTH_EMBEDDED_KEY: 'off',
  };
}

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWT from the test identity provider: `iss`, `aud`, `iat` and a one-hour `exp` unless
 * `claims` overrides them (an `undefined` value drops the claim).
 */
export function testToken(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = Object.fromEntries(
    Object.entries({
      iss: TEST_ISSUER,
      aud: TEST_AUDIENCE,
      iat: now,
      exp: now + 3_600,
      ...claims,
    }).filter(([, value]) => value !== undefined),
  );
  const signingInput = `${base64url({ alg: 'EdDSA', kid: 'test', typ: 'JWT' })}.${base64url(payload)}`;
  const signature = sign(null, Buffer.from(signingInput), privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

export function asRole(role: Role, actor = `${role}@test.tandem`): Record<string, string> {
  return { authorization: `Bearer ${testToken({ roles: [role], sub: actor })}` };
}

/** Credentials for the CLI's ApiClient in tests: a test token per role and actor. */
export const testApiCredentials = {
  authorization: (role: Role, actor: string): Promise<string | null> =>
    Promise.resolve(asRole(role, actor).authorization ?? null),
};
