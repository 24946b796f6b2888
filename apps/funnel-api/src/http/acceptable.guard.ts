/**
 * 406 Not Acceptable for a request whose Accept header lists only media types its route cannot
 * answer with (`Accept: application/xml` on a JSON route), instead of a JSON 200 the client
 * said it cannot read. What a route answers with is what its documentation says (the 2xx
 * content of @ApiAnswer, @ApiProduces), read once per handler; every route may also answer a
 * problem (application/problem+json). No Accept, `*\/*`, `application/*` and q-values work as
 * RFC 9110 says; a route documenting no content (a 204) is not checked, nor is one whose
 * `?format=` names the form (it overrides Accept). A request without Accept, or with `*\/*`
 * alone, pays one comparison (a middleware before the routes once cost bench:api 4–5 %).
 */
import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  NotAcceptableException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { accepts, parseAccept } from './accept-header';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

/** @nestjs/swagger's metadata keys (its DECORATORS constants). */
const API_RESPONSE = 'swagger/apiResponse';
const API_PRODUCES = 'swagger/apiProduces';

@Injectable()
export class AcceptableGuard implements CanActivate {
  private readonly producedBy = new WeakMap<object, readonly string[] | null>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const accept = request.headers.accept;
    // What most clients send (fetch and curl say */*): nothing to look up.
    if (accept === undefined || accept === '*/*') return true;
    const produces = this.producesOf(context.getHandler());
    if (produces === null || (request.query as Record<string, unknown>).format !== undefined) {
      return true;
    }
    const ranges = parseAccept(accept);
    if (produces.some((type) => accepts(ranges, type))) return true;
    const message = `must accept one of ${produces.join(', ')}`;
    throw new NotAcceptableException({
      code: 'not_acceptable',
      message: `Accept ${accept.slice(0, 100)} names nothing this route answers with: ${produces.join(', ')}`,
      errors: [{ in: 'header', field: 'accept', message }],
    });
  }

  /** The media types the handler's 2xx answers have, then problem+json; null if it has none. */
  private producesOf(handler: object): readonly string[] | null {
    const known = this.producedBy.get(handler);
    if (known !== undefined) return known;
    const responses =
      this.reflector.get<Record<string, { content?: Record<string, unknown> }> | undefined>(
        API_RESPONSE,
        handler as never,
      ) ?? {};
    const types = new Set<string>(
      this.reflector.get<string[] | undefined>(API_PRODUCES, handler as never) ?? [],
    );
    for (const [status, answer] of Object.entries(responses)) {
      if (/^2\d\d$/.test(status))
        for (const type of Object.keys(answer.content ?? {})) types.add(type);
    }
    const produces = types.size === 0 ? null : [...types, PROBLEM_CONTENT_TYPE];
    this.producedBy.set(handler, produces);
    return produces;
  }
}
