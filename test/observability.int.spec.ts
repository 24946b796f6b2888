/**
 * The API's observability on real engines (PGlite + chDB), through HTTP (issue 13, items 4–5):
 * /metrics after a few commands shows them by type and outcome, with append latency and the
 * process metrics; one trace runs from the HTTP span through the append span into the stored
 * event's metadata and on to the embedded projector's span (the SDK's own InMemorySpanExporter
 * records the spans); /health/ready is 200, and 503 naming the projection once it refused an
 * event.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { metricNames, startTracing, type Tracing } from '@tandem/observability';
import { eventually, parsePrometheusText, sampleValue } from '@tandem/testing';
import request from 'supertest';
import type { App } from 'supertest/types';
import { v7 as uuidv7 } from 'uuid';
import { asRole } from './support/auth-headers';
import { type FunnelApiFixture, startFunnelApi } from './support/funnel-api.fixture';

jest.setTimeout(180_000);

const captureBody = {
  contact: { name: 'Ada Byron', email: 'ada@example.com' },
  company: { name: 'Analytical', industry: 'software', size: 40, country: 'GB' },
  source: { channel: 'webinar', campaign: 'engines-2026' },
  productInterest: 'funnel_analytics',
  timeframe: '3_months',
  consent: { marketing: true },
};

const spans = new InMemorySpanExporter();
let tracing: Tracing;
let chdbPath: string;
let api: FunnelApiFixture;
let http: App;

beforeAll(async () => {
  // Registered before the app, as main.ts does: the SDK is global to this jest worker.
  tracing = startTracing('funnel-api-test', { spanProcessors: [new SimpleSpanProcessor(spans)] });
  chdbPath = await mkdtemp(join(tmpdir(), 'tandem-observability-chdb-'));
  api = await startFunnelApi(chdbPath);
  http = api.app.getHttpServer() as App;
});

afterAll(async () => {
  await api?.close();
  await tracing?.shutdown();
  await rm(chdbPath, { recursive: true, force: true });
});

const scrape = async () => {
  const response = await request(http)
    .get('/metrics')
    .set(asRole('system', 'scraper@test.tandem'))
    .expect(200);
  // Prometheus's text format, version 0.0.4 (Express adds its charset in its own order).
  expect(response.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
  return parsePrometheusText(response.text);
};

describe('observability of the funnel API', () => {
  let leadId: string;

  it('counts commands by type and outcome, and times the appends', async () => {
    const sales = asRole('sales', 'seller@test.tandem');
    const marketing = asRole('marketing', 'marketer@test.tandem');
    const captured = await request(http).post('/leads').set(marketing).send(captureBody);
    expect(captured.status).toBe(201);
    leadId = (captured.body as { leadId: string }).leadId;
    await request(http)
      .post(`/leads/${leadId}/touchpoints`)
      .set(marketing)
      .send({ kind: 'webinar', channel: 'webinar', campaign: 'engines-2026' })
      .expect(200);
    // Accepting a lead nobody handed to sales breaks the lifecycle: refused with its code.
    const refused = await request(http).post(`/leads/${leadId}/accept`).set(sales).send({});
    expect(refused.status).toBe(422);

    const samples = await scrape();
    const commands = (labels: Record<string, string>) =>
      sampleValue(samples, metricNames.commands, labels);
    expect(commands({ command: 'CaptureLead', outcome: 'accepted' })).toBe(1);
    expect(commands({ command: 'RecordTouchpoint', outcome: 'accepted' })).toBe(1);
    expect(
      commands({ command: 'AcceptLead', outcome: 'refused', reason: 'lifecycle_violation' }),
    ).toBe(1);
    expect(
      sampleValue(samples, `${metricNames.appendSeconds}_count`, { outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(samples, metricNames.httpRequests, {
        method: 'POST',
        route: '/leads',
        status: '201',
      }),
    ).toBe(1);
    expect(sampleValue(samples, metricNames.projectionLag)).toBeGreaterThanOrEqual(0);
    // Default process metrics are on.
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('runs one trace from the HTTP span through the append and the stored event to the projection', async () => {
    const finished = spans.getFinishedSpans();
    const server = finished.find((span) => span.name === 'POST /leads');
    expect(server?.kind).toBe(SpanKind.SERVER);
    const traceId = server?.spanContext().traceId;
    const append = finished.find(
      (span) =>
        span.name === 'event-store append' &&
        span.spanContext().traceId === traceId &&
        span.attributes['tandem.event.types'] === 'LeadCaptured',
    );
    expect(append).toBeDefined();
    const [stored] = await api.store.readStream(`lead-${leadId}`, { maxCount: 1 });
    expect(stored?.metadata.traceparent).toBe(`00-${traceId}-${append?.spanContext().spanId}-01`);
    // The embedded projector continues it: its span for the event is the append's child.
    const projected = await eventually(
      () =>
        Promise.resolve(
          spans
            .getFinishedSpans()
            .find(
              (span) =>
                span.name === 'project event' &&
                span.parentSpanContext?.spanId === append?.spanContext().spanId,
            ),
        ),
      'the embedded projector’s span of the captured lead',
    );
    expect(projected.spanContext().traceId).toBe(traceId);
  });

  it('is ready, then not ready naming the projection once it refused an event', async () => {
    const ready = await request(http).get('/health/ready').expect(200);
    // A state this small needs no snapshot of the views (fewer leads than a view reads beside one).
    expect(ready.body).toMatchObject({
      status: 'ready',
      failed: [],
      checks: { views: { fromSnapshot: true } },
    });

    // An event no decoder accepts (no envelope metadata), written past the API as a bad
    // import or a buggy writer would: the embedded projector must refuse it.
    await api.store.append(
      `lead-${uuidv7()}`,
      [{ eventId: uuidv7(), type: 'LeadCaptured', schemaVersion: 1, data: {}, metadata: {} }],
      { expectedRevision: 'no_stream' },
    );
    const notReady = await eventually(async () => {
      const response = await request(http).get('/health/ready');
      return response.status === 503 ? response : undefined;
    }, 'readiness turns 503');
    expect(notReady.body).toMatchObject({
      status: 'not ready',
      failed: ['projection'],
      checks: {
        eventStore: { up: true },
        clickhouse: { up: true },
        projection: { refusedEvents: 1 },
      },
    });
    expect(sampleValue(await scrape(), metricNames.projectionRefused)).toBe(1);
    // Liveness is another question: the process still serves.
    await request(http).get('/health/live').expect(200);
  });
});
