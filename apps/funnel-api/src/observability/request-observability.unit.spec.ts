import { Writable } from 'node:stream';
import { createLogger } from '@tandem/logging';
import { metricNames } from '@tandem/observability';
import { parsePrometheusText, sampleValue } from '@tandem/testing';
import express from 'express';
import request from 'supertest';
import { ApiMetrics } from './api-metrics';
import { observeRequests } from './request-observability';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('funnel-api', 'info', stream) };
}

/** A real Express app with the middleware in front, as funnel-api.ts mounts it. */
function appWith(actor: { id: string; role: string } | null) {
  const { lines, logger } = capturedLogger();
  const metrics = new ApiMetrics();
  const app = express();
  app.use((_request, response, next) => {
    response.setHeader('x-correlation-id', 'corr-1');
    next();
  });
  app.use(observeRequests(logger, metrics, () => actor));
  app.use(express.json());
  app.post('/leads/:leadId/accept', (_request, response) => {
    response.status(422).json({ code: 'lifecycle_violation' });
  });
  app.get('/health/live', (_request, response) => {
    response.json({ status: 'live' });
  });
  return { app, lines, metrics };
}

describe('observeRequests', () => {
  it('logs one line per request: route template, status, duration, correlation id, actor', async () => {
    const { app, lines } = appWith({ id: 'seller@test.tandem', role: 'sales' });
    await request(app)
      .post('/leads/hubspot:4711/accept?email=ada@example.com')
      .send({ note: 'Ada Byron, +44 20 7946 0000' })
      .expect(422);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request',
      method: 'POST',
      route: '/leads/:leadId/accept',
      status: 422,
      correlationId: 'corr-1',
      actor: { id: 'seller@test.tandem', role: 'sales' },
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
    // Never the URL's ids or query, never the body.
    const text = JSON.stringify(lines);
    for (const secret of ['4711', 'ada@example.com', 'Ada Byron', '7946']) {
      expect(text).not.toContain(secret);
    }
  });

  it('counts requests by route template and status; probes log at debug only', async () => {
    const { app, lines, metrics } = appWith(null);
    await request(app).get('/health/live').expect(200);
    await request(app).get('/no/such/route/42').expect(404);
    expect(lines.map((line) => line.route)).toEqual(['unmatched']);
    const samples = parsePrometheusText(await metrics.registry.metrics());
    const count = (route: string, status: string) =>
      sampleValue(samples, metricNames.httpRequests, { method: 'GET', route, status });
    expect(count('/health/live', '200')).toBe(1);
    expect(count('unmatched', '404')).toBe(1);
  });
});
