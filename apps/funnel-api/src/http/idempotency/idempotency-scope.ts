/**
 * Who "the same request" belongs to: a key is scoped to the caller's identity, the method and
 * the resource, so two callers (or two routes) never see each other's keys. The one place that
 * decides the identity for idempotency: the actor the AccessGuard admitted (the verified
 * subject and the role it acts under). The store only ever sees the hash.
 *
 * The resource is the route the request matched with its parameters in canonical form, not
 * the URL as sent: `/leads/0190D0B0-…/touchpoints`, `/leads/0190d0b0-…/touchpoints/` and
 * `/LEADS/0190d0b0-…/TOUCHPOINTS` reach one handler and one lead (Express routes ignore case
 * and a trailing slash; every spelling of a lead id is one lead, ADR 0010), so a retry sent
 * under any of them is the same request. Until 2026-12-01 the raw path was hashed and such a
 * retry ran again. A canonical request hashes exactly as before, so keys stored then still
 * hold.
 */
import { createHash } from 'node:crypto';
import { parseLeadId } from '@tandem/domain';
import type { Request } from 'express';
import { authorisedActorOf } from '../../auth/verified-identity';

/** The caller's identity as the request context reads it; `null` before the guard admitted it. */
export function idempotencyIdentity(request: Request): string | null {
  const actor = authorisedActorOf(request);
  return actor === null ? null : `${actor.role}:${actor.id}`;
}

/** sha-256 (hex) of identity, method, resource and key; `null` when the caller has no identity. */
export function idempotencyScopeKey(request: Request, key: string): string | null {
  const identity = idempotencyIdentity(request);
  if (identity === null) return null;
  return createHash('sha256')
    .update(JSON.stringify(['v1', identity, request.method, resourceOf(request), key]))
    .digest('hex');
}

/**
 * The matched route with each parameter in place, a lead id canonical (`:` and every other
 * character of a canonical id or a visitor id stand in a path unescaped, so this is the path a
 * client sends for it). Without a matched route (never for a handler's request), the path as
 * sent.
 */
function resourceOf(request: Request): string {
  const pattern = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string') return request.originalUrl.split('?', 1)[0] ?? request.path;
  const params = request.params as Record<string, string | undefined>;
  return pattern.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name] ?? '';
    if (name !== 'leadId') return value;
    // A malformed id is refused by the LeadIdPipe (400), which releases the key.
    const parsed = parseLeadId(value);
    return parsed.ok ? parsed.leadId : value;
  });
}
