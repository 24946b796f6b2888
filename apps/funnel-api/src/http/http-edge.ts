/**
 * What every request meets before Nest routes it: security headers (helmet, no X-Powered-By),
 * the CORS policy, limits on the identity headers that end up in every event's envelope, and
 * the request body limit with a 413 in the API's error shape (body-parser's own error reached
 * the exception filter as an unknown error: a 500).
 *
 * It must never decide who may do what (authentication and the AccessGuard do) and
 * never touch a body beyond its size: validation stays with the zod pipes.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HttpConfig } from '@tandem/config';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

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
    response.status(400).json({
      statusCode: 400,
      error: 'Bad Request',
      message: `${name} must be at most ${MAX_HEADER_LENGTH} printable ASCII characters`,
      code: 'invalid_header',
      header: name,
    });
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
  app.use((error: unknown, _request: Request, response: Response, next: NextFunction): void => {
    if (!isTooLarge(error)) {
      next(error);
      return;
    }
    response.status(413).json({
      statusCode: 413,
      error: 'Payload Too Large',
      message: `request body exceeds the limit of ${http.bodyLimitBytes} bytes (TANDEM_BODY_LIMIT)`,
      code: 'body_too_large',
    });
  });
}

/** body-parser's errors are http-errors with a `type`; this one means "too large". */
const isTooLarge = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  'type' in error &&
  error.type === 'entity.too.large';
