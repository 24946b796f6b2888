/**
 * What every request meets before Nest routes it: security headers (helmet, no X-Powered-By),
 * the CORS policy, limits on the identity headers that end up in every event's envelope, and
 * the request body limit with a 413 problem (body-parser's own error reached the exception
 * filter as an unknown error: a 500), a body that is not JSON as a 415 problem, malformed
 * JSON as a 400 problem, JSON that is not an object (`null`, `[]`, `3`) as a 400 problem
 * that says so, and a number JSON.parse would not read as written (`1.00000000000000001`,
 * `9007199254740993`) as a 400 problem naming its field and the text sent, and an object naming
 * a key twice (`{"amount": 1, "amount": 1000}`) as a 400 problem naming its path. These answer before
 * Nest routes, so they render through problem-details.ts like the exception filter does; a
 * request Node cannot parse at all (431, 400) is answered on the socket in the same shape.
 *
 * It must never decide who may do what (authentication and the AccessGuard do) and
 * never look into a body beyond its size, its being an object, its numbers being read as
 * sent and its keys being unique (which only the text shows: the pipes see the rounded double
 * and the last of two keys): validation stays with the zod pipes.
 */
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HttpConfig } from '@tandem/config';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { notReadAsSentOf } from '@tandem/contracts';

import { internalProblem, type Problem, problem, problemOf, sendProblem } from './problem-details';

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
 * JSON bodies up to the configured size; a larger one is refused with 413 before it is read in
 * full (the declared Content-Length is checked first), so nothing is appended. A body of any
 * other media type is refused with 415 before it is parsed: every route takes JSON, and a
 * body nothing parsed would reach the zod pipes as "no body", so the caller would be told its
 * fields are missing rather than that it sent the wrong kind of body (and form fields, which
 * a form parser made strings, would have been validated as if typed JSON). Nest's own parsers
 * must be off (`bodyParser: false`) or they would parse first, at 100kb.
 */
export function limitBodies(app: NestExpressApplication, http: HttpConfig): void {
  app.use(requireJsonBodies);
  // Not strict: body-parser's strict mode refuses any JSON but an object or array with the
  // error malformed JSON gets, so `null` was answered "not valid JSON". Every JSON value is
  // parsed, and requireObjectBodies names what came instead of an object.
  app.useBodyParser('json', { limit: http.bodyLimitBytes, strict: false, verify: readAsSent });
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
    if (error instanceof UnreadableBodyError) {
      const { field, refusal: message } = error;
      sendProblem(
        request,
        response,
        problem(400, 'invalid_request', `invalid request: ${field}: ${message}`, {
          errors: [{ in: 'body', field, message }],
        }),
      );
      return;
    }
    const refusal = bodyRefusalOf(error);
    if (refusal !== null) {
      sendProblem(request, response, refusal);
      return;
    }
    next(error);
  });
  app.use(requireObjectBodies);
}

/**
 * Refuses a body JSON.parse would read other than it was sent, before it parses it
 * (body-parser calls this with the raw bytes):
 *   - a key named twice in one object: JSON.parse keeps the last, another reader of the same
 *     request may keep the first (duplicateJsonKeyOf, one pass over the text);
 *   - a number JSON.parse would not read as written: the double it reads passes the schemas
 *     (`1.00000000000000001` is 1, an amount of no decimals) and would be stored rounded
 *     without a word. The usual body costs one regular expression (mayHoldInexactNumber), and
 *     only a body with a long run of digits or a long exponent is parsed once more to tell.
 * Both are notReadAsSentOf's, on the text decoded as UTF-8 once (keys compare as the parse reads them).
 */
function readAsSent(_request: Request, _response: Response, body: Buffer): void {
  const refused = notReadAsSentOf(body.toString('utf8'));
  if (refused !== null) throw new UnreadableBodyError(refused.field, refused.message);
}

/**
 * A body refused by readAsSent, naming the field. body-parser passes what verify throws on as
 * an http-error of this status and type.
 */
class UnreadableBodyError extends Error {
  readonly status = 400;
  readonly type = 'entity.not.as.sent';
  constructor(
    readonly field: string,
    readonly refusal: string,
  ) {
    super(`${field}: ${refusal}`);
    this.name = 'UnreadableBodyError';
  }
}

/**
 * 400 for a body that is JSON but not an object: every route takes an object (a command's
 * fields, a draft definition), and the pipes would read `null` as no body at all and name
 * each missing field, or answer "expected object, received array".
 */
function requireObjectBodies(request: Request, response: Response, next: NextFunction): void {
  const body: unknown = request.body;
  // undefined: nothing was parsed (an empty chunked body), which the pipes read as no body.
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (!carriesBody(request) || body === undefined || isObject) {
    next();
    return;
  }
  const message = `must be a JSON object, got ${jsonKindOf(body)}`;
  sendProblem(
    request,
    response,
    problem(400, 'invalid_request', `invalid request: the body ${message}`, {
      errors: [{ in: 'body', field: '(body)', message }],
    }),
  );
}

/** What a JSON value is, as a refusal names it: null, an array, a string, a number, a boolean. */
function jsonKindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'boolean' ? 'a boolean' : `a ${typeof value}`;
}

const JSON_ONLY = 'must be application/json (UTF-8)';

/** A request that carries a body: declared with a non-zero length, or sent in chunks. */
const carriesBody = (request: Request): boolean =>
  request.headers['transfer-encoding'] !== undefined ||
  Number(request.headers['content-length'] ?? 0) > 0;

/**
 * The charset a Content-Type names, lower-case and unquoted, or null when it names none. JSON
 * is UTF-8 (RFC 8259 §8.1): body-parser would decode a `utf-16` body nonetheless and answer
 * the JSON it garbled with a 400, where `latin1` got a 415.
 */
function charsetOf(contentType: string | undefined): string | null {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const [name = '', value = ''] = parameter.split('=', 2).map((part) => part.trim());
    if (name.toLowerCase() === 'charset') return value.replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return null;
}
const UTF8_NAMES: readonly (string | null)[] = [null, 'utf-8'];

/**
 * 415 for a body that is not JSON in UTF-8 (any other charset, utf-16 included); a request
 * without a body (a bare POST) goes on.
 */
function requireJsonBodies(request: Request, response: Response, next: NextFunction): void {
  if (
    !carriesBody(request) ||
    (request.is('application/json') === 'application/json' &&
      UTF8_NAMES.includes(charsetOf(request.headers['content-type'])))
  ) {
    next();
    return;
  }
  const sent = request.headers['content-type'];
  sendProblem(
    request,
    response,
    problem(
      415,
      'unsupported_media_type',
      sent === undefined
        ? `the request has a body but no Content-Type: send it as application/json`
        : `Content-Type ${sent.slice(0, 100)} is not accepted: send the body as application/json`,
      { errors: [{ in: 'header', field: 'content-type', message: JSON_ONLY }] },
    ),
  );
}

/**
 * The problem for any other refusal body-parser raises for the client's request (an http-error
 * with a 4xx status: a charset or Content-Encoding it cannot read is 415, a body shorter than
 * its Content-Length or an aborted upload 400, a body its Content-Encoding does not decode 400),
 * instead of the 500 an unknown error gets.
 */
function bodyRefusalOf(error: unknown): Problem | null {
  if (isUndecodable(error)) {
    const message = 'the body is not compressed as its Content-Encoding says';
    return problem(400, 'invalid_request', `invalid request: ${message}`, {
      errors: [{ in: 'body', field: '(body)', message }],
    });
  }
  const type = bodyParserErrorType(error);
  const status = (error as { status?: unknown }).status;
  if (typeof type !== 'string' || typeof status !== 'number' || status < 400 || status > 499) {
    return null;
  }
  if (status === 415) {
    const header = type === 'encoding.unsupported' ? 'content-encoding' : 'content-type';
    const message =
      header === 'content-encoding' ? 'must be identity, gzip, deflate or br' : JSON_ONLY;
    return problem(415, 'unsupported_media_type', `${header} ${message}`, {
      errors: [{ in: 'header', field: header, message }],
    });
  }
  const message = 'the body could not be read in full (aborted or shorter than Content-Length)';
  return problem(400, 'invalid_request', `invalid request: ${message}`, {
    errors: [{ in: 'body', field: '(body)', message }],
  });
}

/** A route the Express router holds: its path matcher and the methods it answers. */
interface RegisteredRoute {
  readonly matches: (path: string) => unknown;
  readonly methods: readonly string[];
}
interface RouterLayer {
  readonly match?: (path: string) => unknown;
  readonly route?: { readonly methods?: Readonly<Record<string, boolean>> };
}

/**
 * 405 with Allow for a method a known path does not take (PUT /leads), rather than the 404
 * the router answers when no route has that path and method together: the path exists, the
 * method is the mistake. Asked by the exception filter for a 404 only, so a request a route
 * takes pays nothing (as a middleware before the routes it cost ~4 % of bench:api's rate).
 * The routes are the ones Nest registered on the Express router, read once (they exist only
 * after init), so nothing is listed twice and a new route is covered as it is declared. Null
 * for a path no route matches, and for a method some route of the path answers (that 404 is
 * the route's own: an unknown lead); HEAD goes where GET is answered, and a route taking all
 * methods (`_all`) takes this one.
 */
export function methodNotAllowed(
  express: unknown,
  request: Request,
): { readonly allow: string; readonly problem: Problem } | null {
  let routes = routesOf.get(express as object);
  if (routes === undefined) {
    routes = registeredRoutes(express);
    routesOf.set(express as object, routes);
  }
  const allowed = new Set<string>();
  for (const route of routes) {
    if (route.matches(request.path)) for (const method of route.methods) allowed.add(method);
  }
  if (allowed.has('GET')) allowed.add('HEAD');
  if (allowed.size === 0 || allowed.has(request.method) || allowed.has('_ALL')) return null;
  const allow = [...allowed].sort().join(', ');
  return {
    allow,
    problem: problem(
      405,
      'method_not_allowed',
      `${request.method} is not allowed here: use ${allow}`,
    ),
  };
}

const routesOf = new WeakMap<object, readonly RegisteredRoute[]>();

function registeredRoutes(express: unknown): RegisteredRoute[] {
  const stack = (express as { router?: { stack?: RouterLayer[] } } | undefined)?.router?.stack;
  return (stack ?? []).flatMap((layer): RegisteredRoute[] => {
    const { match, route } = layer;
    if (match === undefined || route?.methods === undefined) return [];
    const methods = Object.keys(route.methods)
      .filter((method) => route.methods?.[method] === true)
      .map((method) => method.toUpperCase());
    return [{ matches: (path) => match.call(layer, path), methods }];
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
/**
 * zlib's refusal of a gzip, deflate or br body that is not what its Content-Encoding says:
 * body-parser passes it on with status 400 and zlib's errno, without a `type`.
 */
const isUndecodable = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  'errno' in error &&
  (error as { status?: unknown }).status === 400 &&
  bodyParserErrorType(error) === undefined;
