/**
 * Nest's Express adapter with the API's HTTP server created by us, so that Node checks the
 * headers and request timeouts (libs/http `ConnectionBounds`) every second instead of every
 * 30 s: `connectionsCheckingInterval` is an option of `http.createServer` only, and Nest's own
 * adapter creates the server without it, so a slowloris client held its socket up to 30 s past
 * TANDEM_HTTP_HEADERS_TIMEOUT_MS.
 *
 * It creates a plain http server only: it must never be handed `httpsOptions` (TLS ends at the
 * load balancer) nor `forceCloseConnections`, which it refuses rather than ignores.
 */
import type { RequestListener } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { type ConnectionBounds, createBoundedServer } from '@tandem/http';

export class BoundedExpressAdapter extends ExpressAdapter {
  constructor(private readonly bounds: ConnectionBounds) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions !== undefined || options.forceCloseConnections === true) {
      throw new Error('BoundedExpressAdapter serves plain http without forceCloseConnections');
    }
    // Bounded, and answering what Node cannot parse as problem details (libs/http).
    this.setHttpServer(createBoundedServer(this.bounds, this.getInstance<RequestListener>()));
  }
}
