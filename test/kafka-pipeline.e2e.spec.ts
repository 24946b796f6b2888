/**
 * The server-mode pipeline on real engines: PostgreSQL event store → relay
 * (child process) → a real Kafka broker → projector (child process, consumer
 * group) → ClickHouse (chDB). Includes crash recovery by SIGKILL, a poison
 * message, a batch retried while ClickHouse refuses writes, and two projector
 * members sharing the partitions.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  AnalyticsQueries,
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
} from '@tandem/analytics';
import { loadConfig, type KafkaConfig } from '@tandem/config';
import { encodeForStore, eventHeaders } from '@tandem/contracts';
import { DEFINITIONS_STREAM, defaultFunnelDefinition, leadStreamId } from '@tandem/domain';
import { createPostgresEventStore, type EventStore } from '@tandem/event-store';
import {
  consumeTopics,
  createAdmin,
  createConsumer,
  createProducer,
  ensureLeadEventTopics,
} from '@tandem/messaging';
import request from 'supertest';
import type { App } from 'supertest/types';
import { createFunnelApi } from '../apps/funnel-api/src/funnel-api';
import { KafkaProjector } from '../apps/projector/src/kafka-projector';
import { eventually } from './support/eventually';
import { leadJourney } from './support/lead-journeys';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './support/postgres';
import { startWorker, type Worker } from './support/worker-process';
import { asRole, testAuthConfig } from './support/auth-headers';

jest.setTimeout(300_000);

const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const DATABASE = 'tandem';

interface Pipeline {
  readonly schema: string;
  readonly topic: string;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  readonly store: EventStore;
  readonly kafka: KafkaConfig;
}

async function pipeline(): Promise<Pipeline> {
  if (!brokers)
    throw new Error('TANDEM_TEST_KAFKA_BROKERS is not set: the int global setup starts the broker');
  const schema = freshSchemaName('pipeline');
  const topic = `tandem.test.${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'tandem-pipeline-'));
  const env = {
    TANDEM_EVENT_STORE: 'postgres',
    TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
    TANDEM_POSTGRES_SCHEMA: schema,
    TANDEM_KAFKA: 'on',
    KAFKA_BROKERS: brokers,
    TANDEM_KAFKA_TOPIC: topic,
    TANDEM_KAFKA_PARTITIONS: '3',
    TANDEM_KAFKA_REPLICATION: '1',
    TANDEM_KAFKA_GROUP: `projector-${randomUUID()}`,
    TANDEM_RELAY_BATCH: '50',
    TANDEM_CLICKHOUSE: 'embedded',
    TANDEM_DATA_DIR: dataDir,
    CLICKHOUSE_DATABASE: DATABASE,
    TANDEM_PROJECTOR: 'off',
  };
  const store = await createPostgresEventStore({ connectionString: TEST_POSTGRES_URL, schema });
  // What the API's first start appends: version 1 of the dictionary, so the views have a rule set.
  await store.append(
    DEFINITIONS_STREAM,
    [
      encodeForStore(
        {
          type: 'FunnelDefinitionPublished',
          data: { version: defaultFunnelDefinition.version, definition: defaultFunnelDefinition },
        },
        {
          eventId: randomUUID(),
          leadId: null,
          accountId: null,
          occurredAt: new Date().toISOString(),
          correlationId: randomUUID(),
          causationId: null,
          actor: { kind: 'system', id: 'tandem-bootstrap', role: 'system' },
        },
      ),
    ],
    { expectedRevision: 'no_stream' },
  );
  const config = loadConfig(env);
  await ensureLeadEventTopics(config.kafka!);
  return { schema, topic, dataDir, env, store, kafka: config.kafka! };
}

async function dispose(p: Pipeline, workers: Worker[]): Promise<void> {
  for (const worker of workers) await worker.kill('SIGKILL');
  await p.store.close();
  await dropSchema(p.schema);
  await rm(p.dataDir, { recursive: true, force: true });
}

/** Opens the projector's chDB directory (after its process exited: one process per directory). */
async function openAnalytics(dataDir: string): Promise<ClickHouseClient> {
  return createAnalyticsClient({ mode: 'embedded', path: join(dataDir, 'chdb') });
}

async function countRows(client: ClickHouseClient): Promise<{ distinct: number; raw: number }> {
  const result = await client.query({
    query: `SELECT (SELECT count() FROM {db:Identifier}.lead_events FINAL) AS distinct_rows,
                   (SELECT count() FROM {db:Identifier}.lead_events) AS raw_rows`,
    query_params: { db: DATABASE },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ distinct_rows: string; raw_rows: string }>();
  return { distinct: Number(row?.distinct_rows), raw: Number(row?.raw_rows) };
}

const caughtUp = async (relay: Worker, projector: Worker) => {
  const r = await relay.health<{ caughtUp: boolean }>();
  const p = await projector.health<{ lag: string; partitions: unknown[] }>();
  return r.caughtUp && p.partitions.length === 3 && p.lag === '0' ? true : undefined;
};

describeWhenPostgres(postgresUnavailableReason())('Kafka pipeline (real broker)', () => {
  it('carries API commands through store → relay → Kafka → projector → ClickHouse', async () => {
    const p = await pipeline();
    const apiDataDir = await mkdtemp(join(tmpdir(), 'tandem-pipeline-api-'));
    const workers: Worker[] = [];
    try {
      const app = await createFunnelApi({
        ...loadConfig({ ...p.env, TANDEM_DATA_DIR: apiDataDir }),
        projector: 'off',
        auth: testAuthConfig(),
        logLevel: 'error',
      });
      const http = app.getHttpServer() as App;
      const headers = asRole('system', 'pipeline-test');
      const captured = await request(http)
        .post('/leads')
        .set(headers)
        .send({
          contact: { name: 'Ada', email: 'ada@example.com' },
          company: { name: 'Acme', industry: 'software', size: 300, country: 'DE' },
          source: { channel: 'webinar', campaign: 'attribution-101' },
          productInterest: 'attribution',
          timeframe: 'this_month',
          consent: { marketing: true },
        })
        .expect(201);
      const leadId = (captured.body as { leadId: string }).leadId;
      for (const [path, body] of [
        ['touchpoints', { kind: 'demo_request', channel: 'webinar' }],
        ['profile', { role: 'cro' }],
        ['mql', {}],
        ['handoff', { owner: 'lena', team: 'emea' }],
        ['accept', {}],
        ['sql', { criteriaMet: ['budget', 'authority', 'need'] }],
        ['opportunity', { stage: 'proposal', amount: 42000, currency: 'EUR' }],
        ['won', {}],
      ] as const) {
        await request(http).post(`/leads/${leadId}/${path}`).set(headers).send(body).expect(200);
      }
      await app.close();
      await rm(apiDataDir, { recursive: true, force: true });

      const relay = await startWorker('relay', p.env);
      workers.push(relay);
      const projector = await startWorker('projector', p.env);
      workers.push(projector);
      await eventually(() => caughtUp(relay, projector), 'relay and projector catch up');
      await relay.kill('SIGTERM');
      await projector.kill('SIGTERM');

      const events = await p.store.readStream(leadStreamId(leadId));
      const client = await openAnalytics(p.dataDir);
      try {
        expect((await countRows(client)).distinct).toBe(events.length);
        const queries = new AnalyticsQueries(client, { database: DATABASE });
        const [row] = await queries.marketingLens();
        expect(row).toMatchObject({ channel: 'webinar', campaign: 'attribution-101', won: 1 });
        expect(Number(row?.wonRevenue.EUR)).toBe(42000);
        const [owner] = await queries.salesLens();
        expect(owner).toMatchObject({ owner: 'lena', won: 1 });
        expect((await queries.reconcile()).ok).toBe(true);
      } finally {
        await closeAnalyticsClient(client);
      }
    } finally {
      await dispose(p, workers);
    }
  });

  it('survives SIGKILL of the relay and the projector: every event exactly once, lenses reconcile', async () => {
    const p = await pipeline();
    const workers: Worker[] = [];
    try {
      const journeys = Array.from({ length: 450 }, (_, i) => leadJourney(i));
      const total = journeys.reduce((sum, j) => sum + j.events.length, 0);
      const append = async (from: number, to: number) => {
        for (const journey of journeys.slice(from, to)) {
          await p.store.append(leadStreamId(journey.leadId), journey.events, {
            expectedRevision: 'no_stream',
          });
        }
      };
      await append(0, 150);
      let relay = await startWorker('relay', p.env);
      let projector = await startWorker('projector', p.env);
      workers.push(relay, projector);
      const writing = append(150, 450);

      // Kill the relay once it has published some of the log, while the writer still writes.
      await eventually(async () => {
        const h = await relay.health<{ checkpoint: string | null }>();
        return h.checkpoint !== null ? true : undefined;
      }, 'relay mid-way');
      await relay.kill('SIGKILL');
      // Kill the projector once it has projected some; the writer is still writing.
      await eventually(async () => {
        const h = await projector.health<{ projected: number }>();
        return h.projected > 0 ? true : undefined;
      }, 'projector mid-way');
      await projector.kill('SIGKILL');

      relay = await startWorker('relay', p.env);
      projector = await startWorker('projector', p.env);
      workers.push(relay, projector);
      await writing;
      await eventually(
        async () => {
          const head = await p.store.headPosition();
          const h = await relay.health<{ checkpoint: string | null }>();
          return h.checkpoint === head?.toString() ? caughtUp(relay, projector) : undefined;
        },
        'pipeline drains after restarts',
        240_000,
      );
      await relay.kill('SIGTERM');
      await projector.kill('SIGTERM');

      const client = await openAnalytics(p.dataDir);
      try {
        const rows = await countRows(client);
        expect(rows.distinct).toBe(total);
        expect(rows.raw).toBeGreaterThanOrEqual(total);
        const queries = new AnalyticsQueries(client, { database: DATABASE });
        const reconciliation = await queries.reconcile();
        expect(reconciliation.ok).toBe(true);
        const won = reconciliation.checks.find((check) => check.metric === 'won');
        expect(Number(won?.events)).toBe(journeys.filter((j) => !j.rejected).length);
      } finally {
        await closeAnalyticsClient(client);
      }
    } finally {
      await dispose(p, workers);
    }
  });

  it('sends a poison message to the DLQ with its reason and keeps projecting', async () => {
    const p = await pipeline();
    const workers: Worker[] = [];
    try {
      const producer = createProducer(p.kafka, 'poison');
      await producer.send({
        messages: [
          { topic: p.topic, key: 'poison-1', value: 'this is not json' },
          {
            topic: p.topic,
            key: 'poison-2',
            value: JSON.stringify({ eventId: 'x', type: 'LeadCaptured' }),
          },
        ],
      });
      await producer.close();
      const journey = leadJourney(1, 'chatbot');
      await p.store.append(leadStreamId(journey.leadId), journey.events, {
        expectedRevision: 'no_stream',
      });

      const relay = await startWorker('relay', p.env);
      const projector = await startWorker('projector', p.env);
      workers.push(relay, projector);
      await eventually(() => caughtUp(relay, projector), 'projector passes the poison');
      expect((await projector.health<{ deadLettered: number }>()).deadLettered).toBe(2);

      const dead: { key: string; reason: string }[] = [];
      const consumer = createConsumer(p.kafka, `dlq-reader-${randomUUID()}`, 'dlq-reader');
      const stream = await consumeTopics(consumer, [`${p.topic}.dlq`]);
      stream.on('data', (message) => {
        dead.push({
          key: message.key ?? '',
          reason: message.headers.get(eventHeaders.dlqReason)?.toString() ?? '',
        });
      });
      await eventually(async () => (dead.length >= 2 ? true : undefined), 'dead letters arrive');
      await consumer.close(true);
      expect(dead.map((d) => d.key).sort()).toEqual(['poison-1', 'poison-2']);
      expect(dead.find((d) => d.key === 'poison-1')?.reason).toMatch(/not JSON/);
      expect(dead.find((d) => d.key === 'poison-2')?.reason).toMatch(/envelope/);

      await relay.kill('SIGTERM');
      await projector.kill('SIGTERM');
      const client = await openAnalytics(p.dataDir);
      try {
        expect((await countRows(client)).distinct).toBe(journey.events.length);
      } finally {
        await closeAnalyticsClient(client);
      }
    } finally {
      await dispose(p, workers);
    }
  });

  it('retries a batch while ClickHouse refuses writes, committing nothing until it goes through', async () => {
    const p = await pipeline();
    const workers: Worker[] = [];
    const config = loadConfig(p.env).kafka!;
    const client = await openAnalytics(p.dataDir);
    const consumer = createConsumer(config, config.consumerGroup, 'retrying-member');
    const dlq = createProducer(config, 'retrying-member');
    const admin = createAdmin(config, 'retrying-member');
    const projector = new KafkaProjector(consumer, dlq, admin, client, {
      topic: config.topic.name,
      dlqTopic: config.topic.dlq,
      groupId: config.consumerGroup,
      database: DATABASE,
    });
    const rename = (from: string, to: string) =>
      client.command({
        query: 'RENAME TABLE {db:Identifier}.{from:Identifier} TO {db:Identifier}.{to:Identifier}',
        query_params: { db: DATABASE, from, to },
      });
    try {
      await migrate(client, { database: DATABASE });
      // Every batch writes its checkpoint row: without the table, every batch fails.
      await rename('projection_checkpoint', 'projection_checkpoint_away');
      await projector.start();
      const journey = leadJourney(7, 'webinar');
      await p.store.append(leadStreamId(journey.leadId), journey.events, {
        expectedRevision: 'no_stream',
      });
      const relay = await startWorker('relay', p.env);
      workers.push(relay);

      await eventually(
        async () => ((await relay.health<{ caughtUp: boolean }>()).caughtUp ? true : undefined),
        'the relay publishes the journey',
      );
      await eventually(
        async () => (projector.status().failure === null ? undefined : true),
        'the failure shows while the batch is retried',
      );
      // Nothing committed: the topic still lags by every event, the journey's and the
      // published definition the pipeline starts with.
      const lagging = await projector.lag();
      expect(lagging.reduce((sum, partition) => sum + Number(partition.lag), 0)).toBe(
        journey.events.length + 1,
      );
      expect(projector.status()).toMatchObject({ projected: 0, deadLettered: 0, crashed: null });

      await rename('projection_checkpoint_away', 'projection_checkpoint');
      await eventually(async () => {
        const lag = await projector.lag();
        return lag.every((partition) => partition.lag === '0') &&
          projector.status().failure === null
          ? true
          : undefined;
      }, 'the retried batch goes through and is committed');
      expect(projector.status()).toMatchObject({ deadLettered: 0, crashed: null });
      expect((await countRows(client)).distinct).toBe(journey.events.length);
    } finally {
      await projector.stop();
      await consumer.close(true);
      await dlq.close();
      await admin.close();
      await closeAnalyticsClient(client);
      await dispose(p, workers);
    }
  });

  it('two projector members of one group share the partitions and count each event once', async () => {
    const p = await pipeline();
    const workers: Worker[] = [];
    const config = loadConfig(p.env).kafka!;
    const client = await openAnalytics(p.dataDir);
    const members: { projector: KafkaProjector; close: () => Promise<void> }[] = [];
    try {
      await migrate(client, { database: DATABASE });
      for (const name of ['a', 'b']) {
        const consumer = createConsumer(config, config.consumerGroup, `member-${name}`);
        const dlq = createProducer(config, `member-${name}`);
        const admin = createAdmin(config, `member-${name}`);
        const projector = new KafkaProjector(consumer, dlq, admin, client, {
          topic: config.topic.name,
          dlqTopic: config.topic.dlq,
          groupId: config.consumerGroup,
          database: DATABASE,
        });
        await projector.start();
        members.push({
          projector,
          close: async () => {
            await projector.stop();
            await consumer.close(true);
            await dlq.close();
            await admin.close();
          },
        });
      }
      const admin = createAdmin(p.kafka, 'group-watch');
      await eventually(async () => {
        const groups = await admin.describeGroups({ groups: [config.consumerGroup] });
        const group = groups.get(config.consumerGroup);
        return group?.state === 'Stable' && group.members.size === 2 ? true : undefined;
      }, 'both members join the group');

      const journeys = Array.from({ length: 120 }, (_, i) => leadJourney(i));
      for (const journey of journeys) {
        await p.store.append(leadStreamId(journey.leadId), journey.events, {
          expectedRevision: 'no_stream',
        });
      }
      const total = journeys.reduce((sum, j) => sum + j.events.length, 0);
      const relay = await startWorker('relay', p.env);
      workers.push(relay);
      await eventually(async () => {
        const lag = await members[0]!.projector.lag();
        const done = (await relay.health<{ caughtUp: boolean }>()).caughtUp;
        return done && lag.length === 3 && lag.every((partition) => partition.lag === '0')
          ? true
          : undefined;
      }, 'both members drain the topic');
      const [a, b] = members.map((m) => m.projector.status().projected);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
      expect((await countRows(client)).distinct).toBe(total);
      expect((await new AnalyticsQueries(client, { database: DATABASE }).reconcile()).ok).toBe(
        true,
      );
      await admin.close();
    } finally {
      for (const member of members) await member.close();
      await closeAnalyticsClient(client);
      await dispose(p, workers);
    }
  });
});
