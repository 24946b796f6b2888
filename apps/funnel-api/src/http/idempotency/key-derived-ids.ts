/**
 * The ids a server mints for a request (a captured lead's, a touchpoint's, an opportunity's,
 * every event's), derived from the Idempotency-Key's scope when the request carries a key,
 * random (UUIDv7) when it does not (ADR 0007, "After the key's lifetime").
 *
 * Why: the stored answer lives `TANDEM_IDEMPOTENCY_TTL_HOURS`; a retry after that (or after
 * the row was lost) runs the command again. With ids of its own making it would capture a
 * second lead or count a touch twice. With ids derived from the scope (caller, method, route
 * with its lead id canonical, key: `idempotencyScopeKey`) the retry names the same lead, the
 * same touch, the same events, and the domain (a touchpoint id once per lead, a lead captured
 * once) or the store (an event id once) answers it as what it is: done already.
 *
 * It must never mint a derived id without a key (two keyless requests would collide), nor
 * derive from anything but the scope and the id's purpose: the clock or the body would give a
 * retry other ids.
 */
import type { Request } from 'express';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';

/** The name-based UUIDs' namespace (RFC 9562 §5.5): Tandem's own, fixed for good. */
const KEY_DERIVED_NAMESPACE = '6f1d3c2a-8b4e-5d7f-9a0c-2e4b6d8f1a3c';

/** Where the interceptor leaves a keyed request's scope for the request context to read. */
const SCOPE = Symbol('tandem.idempotency-scope');

export function rememberIdempotencyScope(request: Request, scopeKey: string): void {
  (request as Request & { [SCOPE]?: string })[SCOPE] = scopeKey;
}

export function idempotencyScopeOf(request: Request): string | undefined {
  return (request as Request & { [SCOPE]?: string })[SCOPE];
}

/** A request's id for `purpose` (`lead`, `touchpoint`, …): derived under a key, else random. */
export function mintId(scope: string | undefined, purpose: string): string {
  return scope === undefined ? uuidv7() : uuidv5(`${scope}\n${purpose}`, KEY_DERIVED_NAMESPACE);
}

/**
 * The event ids of one stream's append, in order: under a key the n-th is derived from the
 * scope, the stream and n, so a retry's events are the first attempt's and the store refuses
 * them (DuplicateEventIdError) instead of recording them twice.
 */
export function eventIdsFor(scope: string | undefined, streamId: string): () => string {
  if (scope === undefined) return uuidv7;
  let next = 0;
  return () => mintId(scope, `event\n${streamId}\n${next++}`);
}
