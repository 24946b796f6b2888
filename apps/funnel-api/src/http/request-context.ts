/**
 * Who is asking and under which correlation id. The actor is the one the AccessGuard
 * admitted: the verified subject of the caller's credential under the role the route allows
 * (ADR 0011). No header or body field can name it.
 */
import {
  createParamDecorator,
  type ExecutionContext,
  InternalServerErrorException,
} from '@nestjs/common';
import type { Actor } from '@tandem/domain';
import type { Request, Response } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { authenticationOf, authorisedActorOf } from '../auth/verified-identity';
import { idempotencyScopeOf } from './idempotency/key-derived-ids';

export interface RequestContext {
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId: string | null;
  /**
   * The Idempotency-Key's scope (its hash) when the request carries a key: the ids the
   * server mints for the request derive from it (key-derived-ids.ts). Absent without a key.
   */
  readonly idempotencyScope?: string;
}

const header = (request: Request, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function readRequestContext(request: Request, response: Response): RequestContext {
  const actor = authorisedActorOf(request);
  // Only a public route (or a missing guard) gets here without one: a wiring bug, not a 401.
  if (actor === null) {
    throw new InternalServerErrorException('request context read on a route without a caller');
  }
  // Set by the correlation middleware for every request; the fallback is for direct use.
  const correlationId = header(request, 'x-correlation-id')?.trim() || uuidv7();
  response.setHeader('x-correlation-id', correlationId);
  const idempotencyScope = idempotencyScopeOf(request);
  return {
    actor,
    correlationId,
    causationId: header(request, 'x-causation-id')?.trim() || null,
    ...(idempotencyScope === undefined ? {} : { idempotencyScope }),
  };
}

/**
 * The key a caller's limits (write rate) are counted under: the verified identity (how it
 * authenticated and its subject), else, for requests that will be refused anyway, the
 * address. The only place that decides who "the same caller" is.
 */
export function callerKey(request: Request): string {
  const authentication = authenticationOf(request);
  if (authentication.kind === 'authenticated') {
    return `${authentication.identity.via}:${authentication.identity.actorId}`;
  }
  return `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
}

export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext) =>
  readRequestContext(
    context.switchToHttp().getRequest<Request>(),
    context.switchToHttp().getResponse<Response>(),
  ),
);
