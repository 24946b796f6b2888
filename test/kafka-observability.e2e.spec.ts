/**
 * One trace from an HTTP command to its projection, across a real Kafka broker (issue 13,
 * item 5): the API's SERVER span → the append span (its traceparent stored in the event) →
 * the relay's PRODUCER span (its traceparent in the Kafka headers) → the projector's
 * CONSUMER span. Relay and projector run in this process, as the two-member test of
 * kafka-pipeline.e2e.spec.ts runs its projectors, so the SDK's own InMemorySpanExporter sees
 * every span; the engines (PostgreSQL, Kafka, chDB) are real. Then the relay and projector
 * processes (from dist/) answer /metrics with their lag and counts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/logging';
import {
  createAdmin,
  createConsumer,
  createProducer,
  ensureLeadEventTopics,
} from '@tandem/messaging';
import { metricNames, startTracing } from '@tandem/observability';
import { leadStreamId } from '@tandem/domain';
import { parsePrometheusText, sampleValue } from '@tandem/testing';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createFunnelApi } from '../apps/funnel-api/src/funnel-api';
import { KafkaProjector } from '../apps/projector/src/kafka-projector';
import type { AnalyticsHandle } from '../apps/funnel-api/src/platform/analytics.provider';
import { ANALYTICS, EVENT_STORE } from '../apps/funnel-api/src/platform/tokens';
import { Relay } from '../apps/relay/src/relay';
import { createPostgresEventStore, type EventStore } from '@tandem/event-store';
import { asRole, testAuthConfig } from './support/auth-headers';
import { eventually } from './support/eventually';
import { leadJourney } from './support/lead-journeys';
import { startWorker, type Worker } from './support/worker-process';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './support/postgres';

jest.setTimeout(300_000);

const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const spans = new InMemorySpanExporter();
const tracing = startTracing('kafka-tracing-test', {
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
afterAll(() => tracing.shutdown());

const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;

describeWhenPostgres(postgresUnavailableReason())('a command’s trace across Kafka', () => {
  it('continues from the HTTP span through the append and the relay to the projector', async () => {
    if (!brokers) {
      throw new Error(
        'TANDEM_TEST_KAFKA_BROKERS is not set: the int global setup starts the broker',
      );
    }
    const schema = freshSchemaName('tracing');
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-tracing-'));
    const config = loadConfig({
      TANDEM_EVENT_STORE: 'postgres',
      TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
      TANDEM_POSTGRES_SCHEMA: schema,
      TANDEM_KAFKA: 'on',
      KAFKA_BROKERS: brokers,
      TANDEM_KAFKA_TOPIC: `tandem.test.${randomUUID()}`,
      TANDEM_KAFKA_PARTITIONS: '1',
      TANDEM_KAFKA_REPLICATION: '1',
      TANDEM_KAFKA_GROUP: `projector-${randomUUID()}`,
      TANDEM_CLICKHOUSE: 'embedded',
      TANDEM_DATA_DIR: dataDir,
      TANDEM_PROJECTOR: 'off',
    });
    const kafkaConfig = config.kafka!;
    const app = await createFunnelApi({ ...config, auth: testAuthConfig(), logLevel: 'error' });
    await ensureLeadEventTopics(kafkaConfig);
    const producer = createProducer(kafkaConfig, 'tracing-relay');
    const consumer = createConsumer(kafkaConfig, kafkaConfig.consumerGroup, 'tracing-projector');
    const dlq = createProducer(kafkaConfig, 'tracing-dlq');
    const admin = createAdmin(kafkaConfig, 'tracing-test');
    // The API's own chDB client: one embedded ClickHouse per data directory and process.
    const analytics = app.get<AnalyticsHandle>(ANALYTICS).client;
    let relay: Relay | null = null;
    let projector: KafkaProjector | null = null;
    try {
      const http = app.getHttpServer() as App;
      await request(http)
        .post('/leads')
        .set(asRole('marketing', 'tracer@test.tandem'))
        .send({
          contact: { name: 'Ada', email: 'ada@example.com' },
          company: { name: 'Acme', industry: 'software', size: 300, country: 'DE' },
          source: { channel: 'webinar', campaign: 'traces-101' },
          productInterest: 'attribution',
          timeframe: 'this_month',
          consent: { marketing: true },
        })
        .expect(201);

      relay = new Relay(
        app.get<EventStore>(EVENT_STORE),
        producer,
        {
          topic: kafkaConfig.topic.name,
          checkpoint: 'relay:tracing',
          batchSize: 50,
          maxMessageBytes: kafkaConfig.topic.maxMessageBytes,
        },
        createLogger('relay', 'error'),
      );
      await relay.start();
      projector = new KafkaProjector(consumer, dlq, admin, analytics, {
        topic: kafkaConfig.topic.name,
        dlqTopic: kafkaConfig.topic.dlq,
        groupId: kafkaConfig.consumerGroup,
        database: config.clickhouse.database,
      });
      await projector.start();

      const server = spans.getFinishedSpans().find((span) => span.name === 'POST /leads');
      const traceId = server?.spanContext().traceId;
      expect(server?.kind).toBe(SpanKind.SERVER);
      const inTrace = (kind: SpanKind) =>
        spans
          .getFinishedSpans()
          .filter((span) => span.kind === kind && span.spanContext().traceId === traceId);
      const consumed = await eventually(
        async () => Promise.resolve(inTrace(SpanKind.CONSUMER)[0]),
        'the projector’s span of the captured lead',
        120_000,
      );
      const [append] = inTrace(SpanKind.CLIENT).filter(
        (span) => span.attributes['tandem.event.types'] === 'LeadCaptured',
      );
      const published = inTrace(SpanKind.PRODUCER).find(
        (span) => span.spanContext().spanId === parentOf(consumed),
      );
      expect(published?.attributes['tandem.event.type']).toBe('LeadCaptured');
      expect(parentOf(published)).toBe(append?.spanContext().spanId);
      expect(consumed.name).toBe(`process ${kafkaConfig.topic.name}`);
    } finally {
      await relay?.stop();
      await projector?.stop();
      await consumer.close(true);
      await Promise.all([producer.close(), dlq.close(), admin.close()]);
      await app.close();
      await dropSchema(schema);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describeWhenPostgres(postgresUnavailableReason())('relay and projector /metrics', () => {
  it('show the relay caught up, every event projected and the consumer group drained', async () => {
    if (!brokers) {
      throw new Error(
        'TANDEM_TEST_KAFKA_BROKERS is not set: the int global setup starts the broker',
      );
    }
    const schema = freshSchemaName('worker_metrics');
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-worker-metrics-'));
    const env = {
      TANDEM_EVENT_STORE: 'postgres',
      TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
      TANDEM_POSTGRES_SCHEMA: schema,
      TANDEM_KAFKA: 'on',
      KAFKA_BROKERS: brokers,
      TANDEM_KAFKA_TOPIC: `tandem.test.${randomUUID()}`,
      TANDEM_KAFKA_PARTITIONS: '2',
      TANDEM_KAFKA_REPLICATION: '1',
      TANDEM_KAFKA_GROUP: `projector-${randomUUID()}`,
      TANDEM_CLICKHOUSE: 'embedded',
      TANDEM_DATA_DIR: dataDir,
      TANDEM_PROJECTOR: 'off',
    };
    const store = await createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema });
    const workers: Worker[] = [];
    try {
      const journeys = [leadJourney(1), leadJourney(2, 'chatbot')];
      for (const journey of journeys) {
        await store.append(leadStreamId(journey.leadId), journey.events, {
          expectedRevision: 'no_stream',
        });
      }
      const total = journeys.reduce((sum, journey) => sum + journey.events.length, 0);
      const relay = await startWorker('relay', env);
      workers.push(relay);
      const projector = await startWorker('projector', env);
      workers.push(projector);
      const scrape = async (worker: Worker) => {
        const response = await fetch(`http://127.0.0.1:${worker.port}/metrics`);
        expect(response.status).toBe(200);
        return parsePrometheusText(await response.text());
      };
      const projected = await eventually(async () => {
        const samples = await scrape(projector);
        const lags = samples.filter((s) => s.name === metricNames.consumerLag);
        return sampleValue(samples, metricNames.projectorProjected) === total &&
          lags.length === 2 &&
          lags.every((lag) => lag.value === 0)
          ? samples
          : undefined;
      }, 'the projector reports every event projected and no lag');
      expect(sampleValue(projected, metricNames.projectorDeadLettered)).toBe(0);
      expect(
        sampleValue(projected, 'process_resident_memory_bytes', { service: 'projector' }),
      ).toBeGreaterThan(0);
      const relayed = await scrape(relay);
      expect(sampleValue(relayed, metricNames.relayPublished)).toBe(total);
      expect(sampleValue(relayed, metricNames.relayLag)).toBe(0);
    } finally {
      for (const worker of workers) await worker.kill('SIGTERM');
      await store.close();
      await dropSchema(schema);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
