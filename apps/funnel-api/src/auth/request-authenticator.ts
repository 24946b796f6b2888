/**
 * Turns a request's credential into a verified identity (ADR 0011): `Authorization: Bearer`
 * with a JWT (the identity provider's or the embedded key's) or with an API key
 * (`tdk_<id>_<secret>`, told apart by its shape), or, only in trusted-proxy mode
 * (TANDEM_AUTH_TRUSTED_PROXY_SECRET set), the proxy's `x-tandem-actor` / `x-tandem-role`
 * headers when the request also carries the shared secret in `x-tandem-proxy-secret`.
 * API keys are looked up on every request, uncached, so a revocation counts from the next
 * request (a primary-key read: cheaper than the JWT's signature check).
 *
 * A credential header sent on more than one line is refused, never picked from.
 *
 * It must never trust identity headers without the secret, compare a secret in a way whose
 * timing depends on how much of it matched, or decide what a role may do (the AccessGuard).
 */
import { type AccessTokenVerifier, parseApiKey, secretMatches } from '@tandem/auth';
import type { AuthConfig } from '@tandem/config';
import { type Role, roles as knownRoles } from '@tandem/domain';
import type { ApiKeyStore } from '@tandem/event-store';
import { sameSecret, secretDigest } from '@tandem/http';
import type { Request } from 'express';
import type { Authentication } from './verified-identity';

export const PROXY_SECRET_HEADER = 'x-tandem-proxy-secret';
export const PROXY_ACTOR_HEADER = 'x-tandem-actor';
export const PROXY_ROLE_HEADER = 'x-tandem-role';
const PROXY_HEADERS = [PROXY_SECRET_HEADER, PROXY_ACTOR_HEADER, PROXY_ROLE_HEADER] as const;

const header = (request: Request, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The first of `names` the request carries on more than one line. Node keeps only the first
 * Authorization line and joins repeated x-tandem-* lines with commas, so a gateway that adds
 * its line beside the client's (rather than replacing it) would let the client's decide, or
 * add the client's roles to its own. Which line counts must not be a guess: such a request
 * is refused. (`headersDistinct` keeps every line; Node ≥ 18.3.)
 */
const repeatedHeader = (request: Request, names: readonly string[]): string | undefined =>
  names.find((name) => (request.headersDistinct?.[name]?.length ?? 0) > 1);

const sentTwice = (name: string): Authentication => ({
  kind: 'rejected',
  description: `the ${name} header is sent more than once`,
});

/** `last_used_at` is bookkeeping, not a log: written at most this often per key and process. */
const MARK_USED_EVERY_MS = 60_000;
/** Unknown id and wrong secret read alike, so the answer does not say which ids exist. */
const INVALID_API_KEY = 'the API key is not valid';

export class RequestAuthenticator {
  private readonly proxySecretDigest: Buffer | null;
  private readonly lastMarkedUsed = new Map<string, number>();

  constructor(
    auth: AuthConfig,
    private readonly tokens: AccessTokenVerifier,
    /** `null` where the event store keeps no keys (KurrentDB): API keys are then refused. */
    private readonly apiKeys: ApiKeyStore | null = null,
  ) {
    this.proxySecretDigest =
      auth.trustedProxySecret === null ? null : secretDigest(auth.trustedProxySecret);
  }

  async authenticate(request: Request): Promise<Authentication> {
    const authorization = header(request, 'authorization');
    if (authorization !== undefined) {
      if (repeatedHeader(request, ['authorization'])) return sentTwice('authorization');
      return this.bearer(authorization);
    }
    const proxySecret = header(request, PROXY_SECRET_HEADER);
    if (proxySecret !== undefined) {
      const repeated = repeatedHeader(request, PROXY_HEADERS);
      if (repeated !== undefined) return sentTwice(repeated);
      return this.trustedProxy(request, proxySecret);
    }
    // x-tandem-role alone is a client's claim about itself: it counts for nothing.
    return { kind: 'anonymous' };
  }

  private async bearer(authorization: string): Promise<Authentication> {
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
    if (!match) {
      return { kind: 'rejected', description: 'the Authorization header must be "Bearer <token>"' };
    }
    const credential = match[1] as string;
    // A JWT has two dots and never this shape, so an API key is never sent to the verifier.
    const apiKey = parseApiKey(credential);
    if (apiKey !== null) return this.apiKey(apiKey.keyId, apiKey.secret);
    const verification = await this.tokens.verify(credential);
    if (!verification.ok) return { kind: 'rejected', description: verification.description };
    const { actorId, roles } = verification.token;
    return { kind: 'authenticated', identity: { actorId, roles, via: 'bearer' } };
  }

  private async apiKey(keyId: string, secret: string): Promise<Authentication> {
    if (this.apiKeys === null) {
      return {
        kind: 'rejected',
        description: 'API keys need the postgres or pglite event store',
      };
    }
    const key = await this.apiKeys.credential(keyId);
    if (key === null || !secretMatches(secret, key.secretHash)) {
      return { kind: 'rejected', description: INVALID_API_KEY };
    }
    // Told only to a caller who holds the secret: the key is real, and over.
    if (key.revokedAt !== null) return { kind: 'rejected', description: 'the API key was revoked' };
    this.markUsed(this.apiKeys, keyId);
    return {
      kind: 'authenticated',
      identity: { actorId: key.actorId, roles: key.roles, via: 'api-key' },
    };
  }

  /** In the background: a failed bookkeeping write must not fail the caller's request. */
  private markUsed(store: ApiKeyStore, keyId: string): void {
    const now = Date.now();
    if (now - (this.lastMarkedUsed.get(keyId) ?? 0) < MARK_USED_EVERY_MS) return;
    this.lastMarkedUsed.set(keyId, now);
    store.markUsed(keyId).catch(() => this.lastMarkedUsed.delete(keyId)); // retried next request
  }

  private trustedProxy(request: Request, given: string): Authentication {
    if (this.proxySecretDigest === null || !sameSecret(given, this.proxySecretDigest)) {
      return { kind: 'rejected', description: 'the proxy secret is not accepted' };
    }
    const actorId = header(request, PROXY_ACTOR_HEADER)?.trim();
    if (!actorId) {
      return { kind: 'rejected', description: `the proxy must send ${PROXY_ACTOR_HEADER}` };
    }
    const named = (header(request, PROXY_ROLE_HEADER) ?? '').split(',').map((role) => role.trim());
    const roles: Role[] = knownRoles.filter((role) => named.includes(role));
    return { kind: 'authenticated', identity: { actorId, roles, via: 'trusted-proxy' } };
  }
}
