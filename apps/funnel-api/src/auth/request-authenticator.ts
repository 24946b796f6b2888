/**
 * Turns a request's credential into a verified identity (ADR 0011): `Authorization: Bearer`
 * with a JWT (the identity provider's or the embedded key's), or, only in trusted-proxy mode
 * (TANDEM_AUTH_TRUSTED_PROXY_SECRET set), the proxy's `x-tandem-actor` / `x-tandem-role`
 * headers when the request also carries the shared secret in `x-tandem-proxy-secret`.
 *
 * It must never trust identity headers without the secret, compare the secret in a way whose
 * timing depends on how much of it matched, or decide what a role may do (the AccessGuard).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessTokenVerifier } from '@tandem/auth';
import type { AuthConfig } from '@tandem/config';
import { type Role, roles as knownRoles } from '@tandem/domain';
import type { Request } from 'express';
import type { Authentication } from './verified-identity';

export const PROXY_SECRET_HEADER = 'x-tandem-proxy-secret';
export const PROXY_ACTOR_HEADER = 'x-tandem-actor';
export const PROXY_ROLE_HEADER = 'x-tandem-role';

const header = (request: Request, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export class RequestAuthenticator {
  private readonly proxySecretDigest: Buffer | null;

  constructor(
    auth: AuthConfig,
    private readonly tokens: AccessTokenVerifier,
  ) {
    this.proxySecretDigest =
      auth.trustedProxySecret === null ? null : digest(auth.trustedProxySecret);
  }

  async authenticate(request: Request): Promise<Authentication> {
    const authorization = header(request, 'authorization');
    if (authorization !== undefined) return this.bearer(authorization);
    const proxySecret = header(request, PROXY_SECRET_HEADER);
    if (proxySecret !== undefined) return this.trustedProxy(request, proxySecret);
    // x-tandem-role alone is a client's claim about itself: it counts for nothing.
    return { kind: 'anonymous' };
  }

  private async bearer(authorization: string): Promise<Authentication> {
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
    if (!match) {
      return { kind: 'rejected', description: 'the Authorization header must be "Bearer <token>"' };
    }
    const verification = await this.tokens.verify(match[1] as string);
    if (!verification.ok) return { kind: 'rejected', description: verification.description };
    const { actorId, roles } = verification.token;
    return { kind: 'authenticated', identity: { actorId, roles, via: 'bearer' } };
  }

  private trustedProxy(request: Request, given: string): Authentication {
    // Digests have one length, so timingSafeEqual compares them without leaking the length
    // of the secret or how many leading characters were right.
    if (
      this.proxySecretDigest === null ||
      !timingSafeEqual(digest(given), this.proxySecretDigest)
    ) {
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
