/**
 * What every request meets before Nest routes it: security headers (helmet, no X-Powered-By),
 * the CORS policy, limits on the identity headers that end up in every event's envelope, and
 * the request body limit with a 413 problem (body-parser's own error reached the exception
 * filter as an unknown error: a 500), and malformed JSON as a 400 problem. These answer before
 * Nest routes, so they render through problem-details.ts like the exception filter does.
 *
 * It must never decide who may do what (authentication and the AccessGuard do) and
 * never touch a body beyond its size: validation stays with the zod pipes.
 */
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HttpConfig } from '@tandem/config';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { internalProblem, problem, problemOf, sendProblem } from './problem-details';

/**
 * Headers recorded in events or echoed back: short, printable ASCII, or refused. The actor
 * header counts only from a trusted proxy (ADR 0011), but is bounded for everyone.
 */
const LIMITED_HEADERS = ['x-tandem-actor', 'x-correlation-id', 'x-causation-id'] as const;
const MAX_HEADER_LENGTH = 200;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Request headers a browser on an allowed origin may send, and response headers it may read. */
const CORS_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'authorization',
  'idempotency-key',
  'x-correlation-id',
  'x-causation-id',
];
const CORS_EXPOSED_HEADERS = [
  'content-disposition',
  'idempotent-replayed',
  'link',
  'location',
  'retry-after',
  'www-authenticate',
  'x-correlation-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-tandem-definition-hash',
  'x-tandem-rules-version',
  'x-total-count',
];

/**
 * Security headers, CORS and header limits, in that order, so even a refused request carries
 * the security headers. Call before the correlation middleware: it echoes x-correlation-id.
 */
export function protectEdge(app: NestExpressApplication, http: HttpConfig): void {
  app.disable('x-powered-by');
  app.use(
    helmet({
      // helmet's default policy, which /docs (Swagger UI: its own scripts, inline styles)
      // needs; the dashboard replaces it with its stricter one on its own responses. No
      // upgrade-insecure-requests: the API listens on plain HTTP on 127.0.0.1 by default.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  );
  if (http.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...http.corsOrigins],
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: CORS_REQUEST_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      // Identity travels in the Authorization header, never cookies: nothing for a browser to
      // send on its own, so no cross-site request forgery.
      credentials: false,
      maxAge: 600,
    });
  }
  app.use(limitIdentityHeaders);
}

function limitIdentityHeaders(request: Request, response: Response, next: NextFunction): void {
  for (const name of LIMITED_HEADERS) {
    const value = request.headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (text.length <= MAX_HEADER_LENGTH && PRINTABLE_ASCII.test(text)) continue;
    const message = `must be at most ${MAX_HEADER_LENGTH} printable ASCII characters`;
    sendProblem(
      request,
      response,
      problem(400, 'invalid_header', `${name} ${message}`, {
        errors: [{ in: 'header', field: name, message }],
      }),
    );
    return;
  }
  next();
}

/**
 * JSON and form bodies up to the configured size; a larger one is refused with 413 before it
 * is read in full (the declared Content-Length is checked first), so nothing is appended.
 * Nest's own parsers must be off (`bodyParser: false`) or they would parse first, at 100kb.
 */
export function limitBodies(app: NestExpressApplication, http: HttpConfig): void {
  app.useBodyParser('json', { limit: http.bodyLimitBytes });
  app.useBodyParser('urlencoded', { limit: http.bodyLimitBytes, extended: true });
  app.use((error: unknown, request: Request, response: Response, next: NextFunction): void => {
    if (isTooLarge(error)) {
      sendProblem(
        request,
        response,
        problem(
          413,
          'body_too_large',
          `request body exceeds the limit of ${http.bodyLimitBytes} bytes (TANDEM_BODY_LIMIT)`,
        ),
      );
      return;
    }
    if (isUnparsable(error)) {
      // Malformed JSON: the client's mistake, in the same shape as a body that fails its schema.
      sendProblem(
        request,
        response,
        problem(400, 'invalid_request', 'invalid request: the body is not valid JSON', {
          errors: [{ in: 'body', field: '(body)', message: 'not valid JSON' }],
        }),
      );
      return;
    }
    next(error);
  });
}

const edgeLogger = new Logger('http');

/**
 * The last word on an error the middleware before Nest's routes passed on (the authenticator
 * failing to reach its key store, say): a 500 problem like the exception filter's, never
 * Express's HTML page, which clients such as the CLI would take for another server.
 */
export function answerEdgeErrors(
  error: unknown,
  request: Request,
  response: Response,
  next: NextFunction,
): void {
  if (response.headersSent) {
    next(error);
    return;
  }
  edgeLogger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  sendProblem(request, response, problemOf(error) ?? internalProblem());
}

/** body-parser's errors are http-errors with a `type`; a client causes these two. */
const bodyParserErrorType = (error: unknown): unknown =>
  typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
const isTooLarge = (error: unknown): boolean => bodyParserErrorType(error) === 'entity.too.large';
const isUnparsable = (error: unknown): boolean =>
  bodyParserErrorType(error) === 'entity.parse.failed';
