/**
 * Bounds on how long a client may hold a connection of a Tandem HTTP server (the API, the
 * workers' health servers). Node's defaults (60 s for the headers, 300 s for the request, no
 * bound on headers count beyond 2000) let a slowloris client hold a socket for a minute by
 * sending half a request line; these come from configuration instead (TANDEM_HTTP_*).
 *
 * keepAliveTimeout must stay ABOVE the idle timeout of the load balancer in front (AWS ALB:
 * 60 s by default): if the server closes an idle connection first, the balancer can send a
 * request onto a socket being closed and answer the client 502.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { answerClientErrors } from './client-errors';

export interface ConnectionBounds {
  /** Time to receive the complete request headers; Node answers 408 and closes after it. */
  readonly headersTimeoutMs: number;
  /** Time to receive the complete request, body included (a 64mb import on a slow link). */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open; above the load balancer's idle timeout. */
  readonly keepAliveTimeoutMs: number;
  /** At most this many request header lines; a request with more is refused (431). */
  readonly maxHeadersCount: number;
}

/** loadConfig's defaults (TANDEM_HTTP_*), for a server or a test without a configuration. */
export const DEFAULT_CONNECTION_BOUNDS: ConnectionBounds = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 65_000,
  maxHeadersCount: 100,
};

/**
 * How often Node checks the headers and request timeouts, for a server created with it: never
 * more than a second late, rather than Node's default of up to 30 s.
 */
export const connectionsCheckingIntervalMs = (bounds: ConnectionBounds): number =>
  Math.max(10, Math.min(1_000, Math.floor(bounds.headersTimeoutMs / 2)));

export function boundConnections(server: Server, bounds: ConnectionBounds): void {
  server.headersTimeout = bounds.headersTimeoutMs;
  server.requestTimeout = bounds.requestTimeoutMs;
  server.keepAliveTimeout = bounds.keepAliveTimeoutMs;
  server.maxHeadersCount = bounds.maxHeadersCount;
}

/**
 * The one way a Tandem HTTP server is made (the API's, through its Express adapter, and the
 * workers' health servers): bounded as configured, its bounds checked every second, and the
 * requests Node cannot parse answered as problem details.
 */
export function createBoundedServer(bounds: ConnectionBounds, listener: RequestListener): Server {
  const server = createServer(
    { connectionsCheckingInterval: connectionsCheckingIntervalMs(bounds) },
    listener,
  );
  answerClientErrors(server);
  boundConnections(server, bounds);
  return server;
}
