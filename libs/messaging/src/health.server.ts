/**
 * A minimal HTTP health/metrics endpoint for the worker processes (relay,
 * projector): `GET /health` answers the JSON the worker reports, `GET /metrics`
 * (when given) the Prometheus exposition. Workers are not web apps; this is all
 * the HTTP they need.
 *
 * Every refusal is a problem-details answer, as the API's (libs/http): a request Node cannot
 * parse (431, 400), a path it does not serve (404), a method it does not take (405). It must
 * never answer an error's own words: a failing report or exposition is logged, and the client
 * told only that it failed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  type ConnectionBounds,
  createBoundedServer,
  DEFAULT_CONNECTION_BOUNDS,
  httpProblem,
  type HttpProblem,
  PROBLEM_CONTENT_TYPE,
} from '@tandem/http';

/** What `GET /metrics` answers; structural, so this lib needs no metrics library. */
export type MetricsResponder = (authorization: string | undefined) => Promise<{
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}>;

/** Where a failure the client is not told about goes: the worker's logger (pino's shape). */
export interface HealthServerLog {
  error(details: Record<string, unknown>, message: string): void;
}

/** What the health JSON says when the report itself failed; the reason is in the log. */
const REPORT_FAILED = 'the health report failed; the worker log has the details';

export async function serveHealth(
  host: string,
  port: number,
  report: () => Promise<Record<string, unknown>>,
  metrics?: MetricsResponder,
  log?: HealthServerLog,
  bounds: ConnectionBounds = DEFAULT_CONNECTION_BOUNDS,
): Promise<Server> {
  const routes = new Map<string, (request: IncomingMessage) => Promise<Answer>>([
    [
      '/health',
      () =>
        report().then(
          (body) => json(body.status === 'ok' ? 200 : 503, body),
          (error: unknown) => {
            log?.error({ err: error }, 'health report failed');
            return json(503, { status: 'error', error: REPORT_FAILED });
          },
        ),
    ],
  ]);
  if (metrics) {
    routes.set('/metrics', (request) =>
      metrics(request.headers.authorization).catch((error: unknown) => {
        log?.error({ err: error }, 'metrics exposition failed');
        return problemAnswer(
          httpProblem(500, 'internal_error', 'internal error; the worker log has the details'),
        );
      }),
    );
  }
  const served = [...routes.keys()].map((path) => `GET ${path}`).join(' and ');
  const server = createBoundedServer(bounds, (request, response) => {
    const path = pathOf(request);
    const route = routes.get(path);
    const answer =
      route === undefined
        ? Promise.resolve(
            problemAnswer(
              httpProblem(404, 'not_found', `no such path: this worker answers ${served}`),
            ),
          )
        : request.method !== 'GET' && request.method !== 'HEAD'
          ? Promise.resolve(methodNotAllowed(request.method ?? ''))
          : route(request);
    void answer.then((done) => send(request, response, path, done));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Set on a problem: `instance` is the request's path, filled in when it is sent. */
  readonly problem?: HttpProblem;
}

const json = (status: number, body: unknown): Answer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const methodNotAllowed = (method: string): Answer => ({
  ...problemAnswer(
    httpProblem(405, 'method_not_allowed', `${method.slice(0, 20)} is not allowed here: use GET`),
  ),
  headers: { 'content-type': PROBLEM_CONTENT_TYPE, allow: 'GET, HEAD' },
});

const problemAnswer = (problem: HttpProblem): Answer => ({
  status: problem.status,
  headers: { 'content-type': PROBLEM_CONTENT_TYPE },
  body: '',
  problem,
});

/** The request's path without its query; `/` for a target that is not a path. */
function pathOf(request: IncomingMessage): string {
  const target = request.url ?? '/';
  return target.startsWith('/') ? (target.split(/[?#]/, 1)[0] ?? '/') : '/';
}

function send(request: IncomingMessage, response: ServerResponse, path: string, answer: Answer) {
  const body =
    answer.problem === undefined
      ? answer.body
      : JSON.stringify({ ...answer.problem, instance: path.slice(0, 200) });
  response.writeHead(answer.status, {
    ...answer.headers,
    'content-length': String(Buffer.byteLength(body)),
    'x-content-type-options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
