/**
 * Who "the same request" belongs to: a key is scoped to the caller's identity, the method and
 * the path, so two callers (or two routes) never see each other's keys. The one place that
 * decides the identity for idempotency: the actor the AccessGuard admitted (the verified
 * subject and the role it acts under). The store only ever sees the hash.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { authorisedActorOf } from '../../auth/verified-identity';

/** The caller's identity as the request context reads it; `null` before the guard admitted it. */
export function idempotencyIdentity(request: Request): string | null {
  const actor = authorisedActorOf(request);
  return actor === null ? null : `${actor.role}:${actor.id}`;
}

/** sha-256 (hex) of identity, method, path and key; `null` when the caller has no identity. */
export function idempotencyScopeKey(request: Request, key: string): string | null {
  const identity = idempotencyIdentity(request);
  if (identity === null) return null;
  const path = request.originalUrl.split('?', 1)[0] ?? request.path;
  return createHash('sha256')
    .update(JSON.stringify(['v1', identity, request.method, path, key]))
    .digest('hex');
}
