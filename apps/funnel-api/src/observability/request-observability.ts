/**
 * What every HTTP request leaves behind once answered: a SERVER span (continuing the
 * caller's W3C `traceparent` if it sent one, so the command's append and everything
 * downstream join its trace), one structured access-log line, and the HTTP metrics.
 *
 * The log line holds method, route template, status, duration, correlation id, trace id and
 * the actor the access guard admitted — never a body, a query string, a header value or the
 * raw URL (ids and personal data live there). Probes and scrapes log at debug: they arrive
 * every few seconds and say nothing about users.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { tracer } from '@tandem/observability';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ApiMetrics } from './api-metrics';

/** The actor a request was admitted as, where authentication and the guard leave it. */
export type ActorOf = (request: Request) => { readonly id: string; readonly role: string } | null;

const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/** The route template (`/leads/:leadId/accept`), never the URL; 'unmatched' for a 404. */
function routeOf(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${request.baseUrl}${path}` : 'unmatched';
}

export function observeRequests(logger: Logger, metrics: ApiMetrics, actorOf: ActorOf) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer().startSpan(
      `${request.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method } },
      parent,
    );
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(request);
      // A client that hung up before the answer: 499, as proxies log it.
      const status = response.writableFinished ? response.statusCode : 499;
      span.updateName(`${request.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      span.end();
      metrics.httpRequests.inc({ method: request.method, route, status: String(status) });
      metrics.httpSeconds.observe({ method: request.method, route }, seconds);
      const actor = actorOf(request);
      const line = {
        method: request.method,
        route,
        status,
        durationMs: Math.round(seconds * 1e4) / 10,
        correlationId: response.getHeader('x-correlation-id'),
        traceId: span.isRecording() ? span.spanContext().traceId : undefined,
        actor: actor ? { id: actor.id, role: actor.role } : undefined,
      };
      if (QUIET_ROUTES.has(route)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    };
    response.once('finish', finish);
    response.once('close', finish);
    context.with(trace.setSpan(parent, span), next);
  };
}
