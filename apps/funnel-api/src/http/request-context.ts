/**
 * Who is asking and under which correlation id. Identity arrives in headers set
 * by the authenticating proxy in front of Tandem (`x-tandem-actor`,
 * `x-tandem-role`); a request without a valid role is refused before any work.
 */
import { createParamDecorator, type ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { type Actor, type Role, roles } from '@tandem/domain';
import type { Request, Response } from 'express';
import { v7 as uuidv7 } from 'uuid';

export interface RequestContext {
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId: string | null;
}

const header = (request: Request, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function readRequestContext(request: Request, response: Response): RequestContext {
  const role = header(request, 'x-tandem-role');
  if (!role || !(roles as readonly string[]).includes(role)) {
    throw new UnauthorizedException(`x-tandem-role header is required: one of ${roles.join(', ')}`);
  }
  const id = header(request, 'x-tandem-actor')?.trim() || `anonymous-${role}`;
  // Set by the correlation middleware for every request; the fallback is for direct use.
  const correlationId = header(request, 'x-correlation-id')?.trim() || uuidv7();
  response.setHeader('x-correlation-id', correlationId);
  return {
    actor: { kind: role === 'system' ? 'system' : 'user', id, role: role as Role },
    correlationId,
    causationId: header(request, 'x-causation-id')?.trim() || null,
  };
}

/**
 * The key a caller's limits (write rate) are counted under: the actor it names, else its
 * address. The only place that decides who "the same caller" is: today the headers are the
 * client's word, so authentication (issue 12) will replace this with the verified subject.
 */
export function callerKey(request: Request): string {
  const actor = header(request, 'x-tandem-actor')?.trim();
  if (actor) return `actor:${actor}`;
  return `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
}

export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext) =>
  readRequestContext(
    context.switchToHttp().getRequest<Request>(),
    context.switchToHttp().getResponse<Response>(),
  ),
);
