/**
 * A minimal HTTP health/metrics endpoint for the worker processes (relay,
 * projector): `GET /health` answers the JSON the worker reports, `GET /metrics`
 * (when given) the Prometheus exposition. Workers are not web apps; this is all
 * the HTTP they need.
 */
import { createServer, type Server } from 'node:http';

/** What `GET /metrics` answers; structural, so this lib needs no metrics library. */
export type MetricsResponder = (authorization: string | undefined) => Promise<{
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}>;

export async function serveHealth(
  host: string,
  port: number,
  report: () => Promise<Record<string, unknown>>,
  metrics?: MetricsResponder,
): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/metrics' && metrics) {
      metrics(request.headers.authorization).then(
        ({ status, headers, body }) => response.writeHead(status, headers).end(body),
        (error: unknown) =>
          response
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(error instanceof Error ? error.message : String(error)),
      );
      return;
    }
    if (request.method !== 'GET' || request.url !== '/health') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    report().then(
      (body) => {
        const status = body.status === 'ok' ? 200 : 503;
        response
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify(body));
      },
      (error: unknown) => {
        response.writeHead(503, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'error',
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
