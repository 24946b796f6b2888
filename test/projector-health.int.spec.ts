/**
 * The Kafka projector's `GET /health` is open to whoever reaches its port (a worker has no
 * identity provider; TANDEM_METRICS_TOKEN guards /metrics only), so while a batch fails it
 * says `degraded` and never the error's words: ClickHouse's message names its database and
 * tables (a server's, its host and the rows it refused). Real broker (the run's, or
 * TANDEM_TEST_KAFKA_BROKERS), real chDB, the projector's own health report behind the worker
 * health server, read without a credential.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAnalyticsClient, createAnalyticsClient, migrate } from '@tandem/analytics';
import { loadConfig } from '@tandem/config';
import { encodeForStore, toEventMessage } from '@tandem/contracts';
import {
  createAdmin,
  createConsumer,
  createProducer,
  ensureLeadEventTopics,
  serveHealth,
} from '@tandem/messaging';
import { KafkaProjector } from '../apps/projector/src/kafka-projector';
import { eventually } from './support/eventually';

jest.setTimeout(180_000);

const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const DATABASE = `projector_health_${process.pid}`;
/** The table every batch writes its checkpoint to: renamed away, every batch fails. */
const HIDDEN_TABLE = 'projection_checkpoint';

(brokers ? it : it.skip)(
  'says degraded while a batch fails, and names no table, database or error of ClickHouse',
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-projector-health-'));
    const topic = `tandem.test.health.${randomUUID()}`;
    const kafka = loadConfig({
      TANDEM_KAFKA: 'on',
      KAFKA_BROKERS: brokers ?? '',
      TANDEM_KAFKA_TOPIC: topic,
      TANDEM_KAFKA_PARTITIONS: '1',
      TANDEM_KAFKA_REPLICATION: '1',
      TANDEM_KAFKA_GROUP: `projector-health-${randomUUID()}`,
      TANDEM_DATA_DIR: dataDir,
    }).kafka!;
    await ensureLeadEventTopics(kafka);
    const client = await createAnalyticsClient({ mode: 'embedded', path: join(dataDir, 'chdb') });
    const consumer = createConsumer(kafka, kafka.consumerGroup, 'health-member');
    const dlq = createProducer(kafka, 'health-member');
    const admin = createAdmin(kafka, 'health-member');
    const producer = createProducer(kafka, 'health-test');
    const projector = new KafkaProjector(consumer, dlq, admin, client, {
      topic,
      dlqTopic: kafka.topic.dlq,
      groupId: kafka.consumerGroup,
      database: DATABASE,
    });
    let server: Server | null = null;
    try {
      await migrate(client, { database: DATABASE });
      await client.command({
        query: 'RENAME TABLE {db:Identifier}.{from:Identifier} TO {db:Identifier}.{to:Identifier}',
        query_params: { db: DATABASE, from: HIDDEN_TABLE, to: `${HIDDEN_TABLE}_away` },
      });
      await projector.start();
      server = await serveHealth('127.0.0.1', 0, async () => ({ ...(await projector.health()) }));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
      const leadId = randomUUID();
      const event = encodeForStore(
        { type: 'LeadRecycled', data: { from: 'mql', reason: 'no answer' } },
        {
          eventId: randomUUID(),
          leadId,
          accountId: null,
          occurredAt: '2026-03-01T09:00:00.000Z',
          correlationId: 'projector-health',
          causationId: null,
          actor: { kind: 'service', id: 'projector-health', role: 'system' },
        },
      );
      const message = toEventMessage({
        ...event,
        streamId: `lead-${leadId}`,
        streamRevision: 0n,
        globalPosition: 1n,
        recordedAt: new Date('2026-03-01T09:00:01.000Z'),
      });
      await producer.send({ messages: [{ topic, ...message }] });

      const reason = await eventually(
        async () => projector.status().failure ?? undefined,
        'the batch fails',
      );
      // What the log gets, and what an open port must not: ClickHouse's own words.
      expect(reason).toContain(HIDDEN_TABLE);
      const answer = await fetch(url);
      const text = await answer.text();
      expect(answer.status).toBe(503);
      expect(JSON.parse(text)).toMatchObject({
        status: 'degraded',
        crashed: null,
        failure: 'a batch is being retried; the projector log has the reason',
        lag: '1',
        projected: 0,
      });
      for (const internal of [HIDDEN_TABLE, DATABASE, reason]) {
        expect(text).not.toContain(internal);
      }
    } finally {
      if (server !== null) await new Promise((resolve) => server?.close(resolve));
      await projector.stop();
      await consumer.close(true);
      await Promise.all([dlq.close(), producer.close(), admin.close()]);
      await closeAnalyticsClient(client);
      await rm(dataDir, { recursive: true, force: true });
    }
  },
);
