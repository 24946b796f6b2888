/**
 * The one place that decides whether a call may proceed (ADR 0011). It reads the route's
 * access rule (access.decorators.ts) and the caller's authentication (set by the
 * authentication middleware): no rule → refused to everyone (a route nobody thought about
 * is not open); public → through; no or bad credential → 401 with `WWW-Authenticate: Bearer`
 * and the RFC 6750 error code; a verified caller without an allowed role → 403. Admitted, it
 * records the actor the call acts as: the verified subject, under the first of the caller's
 * roles that the route allows; commands re-check that role against the domain's permissions.
 *
 * It must never read identity from anything but the verified authentication.
 */
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  InternalServerErrorException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { ACCESS_RULE, type AccessRule } from './access.decorators';
import { authenticationOf, recordAuthorisedActor } from './verified-identity';

const REALM = 'tandem';

/**
 * RFC 6750 §3: error_description holds %x20-21 / %x23-5B / %x5D-7E only: `"` and `\` read
 * as `'`, anything else outside printable ASCII as `?`. Descriptions are ours, but one that
 * strayed (an en dash once did) must not make setting the header throw: a 500, not a 401.
 */
const quoted = (text: string): string =>
  `"${text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?')}"`;

@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return false;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    if (rule === undefined) {
      throw new InternalServerErrorException({
        statusCode: 500,
        error: 'Internal Server Error',
        message: `${request.method} ${request.path} has no access rule; it is refused to everyone`,
        code: 'no_access_rule',
      });
    }
    if (rule.kind === 'public') return true;

    const authentication = authenticationOf(request);
    if (authentication.kind !== 'authenticated') {
      const challenge =
        authentication.kind === 'anonymous'
          ? `Bearer realm=${quoted(REALM)}`
          : `Bearer realm=${quoted(REALM)}, error="invalid_token", error_description=${quoted(authentication.description)}`;
      response.setHeader('WWW-Authenticate', challenge);
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message:
          authentication.kind === 'anonymous'
            ? 'authentication required: send Authorization: Bearer <token> (see `tandem token`)'
            : `invalid credentials: ${authentication.description}`,
        code: authentication.kind === 'anonymous' ? 'unauthenticated' : 'invalid_token',
      });
    }
    const { identity } = authentication;
    const role = identity.roles.find((granted) => rule.roles.includes(granted));
    if (role === undefined) {
      response.setHeader(
        'WWW-Authenticate',
        `Bearer realm=${quoted(REALM)}, error="insufficient_scope", scope=${quoted(rule.roles.join(' '))}`,
      );
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `${identity.actorId} (${identity.roles.join(', ') || 'no role'}) may not ${request.method} ${request.path}; allowed: ${rule.roles.join(', ')}`,
        code: 'forbidden',
      });
    }
    recordAuthorisedActor(request, {
      kind: role === 'system' ? 'system' : identity.via === 'api-key' ? 'service' : 'user',
      id: identity.actorId,
      role,
    });
    return true;
  }
}
