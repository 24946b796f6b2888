/**
 * Who "the same request" belongs to: a key is scoped to the caller's identity, the method and
 * the path, so two callers (or two routes) never see each other's keys. The one place that
 * decides the identity for idempotency: today it is the x-tandem-role / x-tandem-actor
 * headers (the client's word); authentication (issue 12) swaps in the verified subject here.
 * The store only ever sees the hash.
 */
import { createHash } from 'node:crypto';
import { roles } from '@tandem/domain';
import type { Request } from 'express';

const header = (request: Request, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The caller's identity as the request context reads it; `null` without a valid role. */
export function idempotencyIdentity(request: Request): string | null {
  const role = header(request, 'x-tandem-role');
  if (!role || !(roles as readonly string[]).includes(role)) return null;
  const actor = header(request, 'x-tandem-actor')?.trim() || `anonymous-${role}`;
  return `${role}:${actor}`;
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
