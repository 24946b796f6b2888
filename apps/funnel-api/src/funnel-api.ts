/** Creates the configured Nest application (used by main, the demo and the tests). */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { TandemConfig } from '@tandem/config';
import { createLogger, PinoNestLogger, runWithLogContext } from '@tandem/logging';
import type { NextFunction, Request, Response } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { AppModule } from './app.module';
import { authenticateRequests } from './auth/authentication.middleware';
import { RequestAuthenticator } from './auth/request-authenticator';
import { authorisedActorOf } from './auth/verified-identity';
import { BoundedExpressAdapter } from './http/bounded-express.adapter';
import { answerEdgeErrors, limitBodies, protectEdge } from './http/http-edge';
import { createOpenApiDocument } from './http/openapi-document';
import { ApiMetrics } from './observability/api-metrics';
import { observeRequests } from './observability/request-observability';

/** Every request runs in a correlation context: the caller's id, or a new one. */
function correlate(request: Request, response: Response, next: NextFunction): void {
  const given = request.headers['x-correlation-id'];
  const correlationId = (Array.isArray(given) ? given[0] : given)?.trim() || uuidv7();
  request.headers['x-correlation-id'] = correlationId;
  response.setHeader('x-correlation-id', correlationId);
  runWithLogContext({ correlationId }, next);
}

export async function createFunnelApi(config: TandemConfig): Promise<INestApplication> {
  const logger = createLogger('funnel-api', config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forConfig(config, logger),
    // Its server is bounded (checked every second, not Node's default 30 s) and answers
    // requests Node cannot parse (oversized headers, malformed lines) as problem details.
    new BoundedExpressAdapter(config.http),
    // Body parsers are registered by limitBodies, with the configured limit.
    { logger: new PinoNestLogger(logger), bodyParser: false },
  );
  protectEdge(app, config.http);
  app.use(correlate);
  app.use(observeRequests(logger, app.get(ApiMetrics), authorisedActorOf));
  limitBodies(app, config.http);
  // Before routing, so the write rate limit counts per verified caller (the guard then decides).
  app.use(authenticateRequests(app.get(RequestAuthenticator)));
  // Errors of the middleware above, as problem details (Nest's routes have the exception filter).
  app.use(answerEdgeErrors);
  app.enableShutdownHooks();
  // OpenAPI 3.1 at /docs-json, Swagger UI at /docs: its "Authorize" sends the token.
  SwaggerModule.setup('docs', app, createOpenApiDocument(app));
  await app.init();
  return app;
}
