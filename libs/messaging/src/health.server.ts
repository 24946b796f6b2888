/**
 * A minimal HTTP health/metrics endpoint for the worker processes (relay,
 * projector): `GET /health` answers the JSON the worker reports. Workers are not
 * web apps; this is all the HTTP they need.
 */
import { createServer, type Server } from 'node:http';

export async function serveHealth(
  host: string,
  port: number,
  report: () => Promise<Record<string, unknown>>,
): Promise<Server> {
  const server = createServer((request, response) => {
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
