/**
 * The relay, the Kafka-fed projector and Kafka's largest message, on the run's real broker: an
 * event may take more than Kafka's 1 MB default (a merge's survivor record carries the merged
 * lead's touches, ~120 bytes each), so the relay creates its topics with
 * TANDEM_KAFKA_MAX_MESSAGE_BYTES and sends a batch in requests within it; an event larger than
 * that alone stops it, named, after every event before it was published. The projector fetches
 * such an event whole on any partition (libs/messaging's fetch sizes follow the setting), and
 * projects it, and what follows it, into the same rows as the per-event projection of the log.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes } from '@platformatic/kafka';
import { closeAnalyticsClient, createAnalyticsClient, migrate } from '@tandem/analytics';
import { loadConfig } from '@tandem/config';
import { encodeForStore } from '@tandem/contracts';
import { leadStreamId, type LeadEvent, type MergedTouchpoint } from '@tandem/domain';
import { createEventStore, type EventStore } from '@tandem/event-store';
import {
  createAdmin,
  createConsumer,
  consumerOptions,
  createProducer,
  ensureLeadEventTopics,
  raiseTopicMessageLimits,
  type KafkaAdmin,
  type KafkaProducer,
} from '@tandem/messaging';
import pino from 'pino';
import { KafkaProjector } from '../apps/projector/src/kafka-projector';
import { Relay } from '../apps/relay/src/relay';
import { relayTestConfig, relayTestEnv } from './support/relay-test-config';
import { startWorker, type Worker } from './support/worker-process';
import { eventually } from './support/eventually';
import { dumpTable, projectPerEvent } from './support/two-path-projection';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from './support/postgres';

const kafkaBrokers = process.env.TANDEM_TEST_KAFKA_BROKERS;

/** A lead's capture, a survivor record of `touches` touches, and two touches after it. */
function leadHistory(touches: number): LeadEvent[] {
  const merged: MergedTouchpoint[] = Array.from({ length: touches }, (_, i) => ({
    touchpointId: randomUUID(),
    kind: 'email_click',
    channel: 'email',
    campaign: `nurture-${i % 12}`,
    contentGiven: false,
  }));
  const touch = (): LeadEvent => ({
    type: 'TouchpointRecorded',
    data: {
      touchpointId: randomUUID(),
      kind: 'webinar',
      channel: 'web',
      campaign: null,
      content: null,
    },
  });
  return [
    {
      type: 'LeadCaptured',
      data: {
        contact: { name: 'Ada', email: 'ada@example.com' },
        company: { name: 'Acme' },
        source: { channel: 'web' },
        productInterest: null,
        timeframe: null,
        consent: { marketing: true },
      },
    },
    { type: 'DuplicateMergedIn', data: { mergedLeadId: randomUUID(), touchpoints: merged } },
    touch(),
    touch(),
  ];
}

describeWhenPostgres(
  postgresUnavailableReason() ?? (kafkaBrokers ? null : 'no Kafka broker in this run'),
)('the relay and Kafka message sizes (real broker)', () => {
  const schemas: string[] = [];
  let keyDir: string;

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'tandem-relay-size-'));
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
    await rm(keyDir, { recursive: true, force: true });
  });

  /** A store and a topic of their own (created as the relay creates it), and a relay. */
  async function relayOver(maxMessageBytes?: number, partitions = 1) {
    const schema = freshSchemaName('relay_size');
    schemas.push(schema);
    const topic = `tandem.test.relay-size.${randomUUID()}`;
    const config = relayTestConfig({
      schema,
      topic,
      keyDir,
      env: {
        TANDEM_KAFKA_PARTITIONS: String(partitions),
        ...(maxMessageBytes ? { TANDEM_KAFKA_MAX_MESSAGE_BYTES: String(maxMessageBytes) } : {}),
      },
    });
    await ensureLeadEventTopics(config.kafka!);
    const store = await createEventStore(config.eventStore, { keyDir });
    const producer: KafkaProducer = createProducer(config.kafka!, 'relay-size');
    const relay = new Relay(
      store,
      producer,
      {
        topic,
        checkpoint: `relay-size-${topic}`,
        batchSize: 500,
        maxMessageBytes: config.kafka!.topic.maxMessageBytes,
      },
      pino({ level: 'silent' }),
    );
    const close = async () => {
      await relay.stop();
      await producer.close();
      await store.close();
    };
    return { relay, store, config, topic, close };
  }

  /** Appends `leadHistory(touches)` as one new lead's stream; returns the events' ids. */
  async function appendLead(store: EventStore, touches: number): Promise<string[]> {
    const leadId = randomUUID();
    const events = leadHistory(touches).map((event, i) =>
      encodeForStore(event, {
        eventId: randomUUID(),
        leadId,
        accountId: null,
        occurredAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        correlationId: `relay-size-${i}`,
        causationId: null,
        actor: { kind: 'system' as const, id: 'relay-size', role: 'system' as const },
      }),
    );
    await store.append(leadStreamId(leadId), events, { expectedRevision: 'no_stream' });
    return events.map((event) => event.eventId);
  }

  it('publishes an event over 1 MB, and the events around it, by default', async () => {
    const { relay, store, close } = await relayOver();
    try {
      await appendLead(store, 12_000);
      await appendLead(store, 0);
      const head = await store.headPosition();
      await relay.start();
      await eventually(
        async () => (relay.status().position === String(head) ? true : undefined),
        'the relay publishes up to the head',
      );
      expect(relay.status().published).toBe(Number(head));
    } finally {
      await close();
    }
  });

  it('stops, naming the event and the setting, at an event over the limit; those before it are published', async () => {
    const { relay, store, close } = await relayOver(1024 * 1024);
    try {
      const [capture, tooLarge] = await appendLead(store, 12_000);
      await relay.start();
      await expect(relay.done).rejects.toThrow(
        new RegExp(`event ${tooLarge} \\(DuplicateMergedIn.*TANDEM_KAFKA_MAX_MESSAGE_BYTES`),
      );
      // The capture before it is published and checkpointed; nothing from it on.
      const [first] = await store.readAll({ after: 0n, maxCount: 1 });
      expect(first?.eventId).toBe(capture);
      expect(relay.status()).toEqual({ position: String(first?.globalPosition), published: 1 });
    } finally {
      await close();
    }
  });

  it('projects an event over its fetch size, and the events after it, as the log projects them', async () => {
    // Two partitions: the large event's batch and the other partition's share one fetch.
    const { relay, store, config, topic, close } = await relayOver(undefined, 2);
    const chdb = await createAnalyticsClient({ mode: 'embedded', path: join(keyDir, topic) });
    const kafka = config.kafka!;
    const consumer = createConsumer(kafka, `projector-size-${topic}`, 'projector-size');
    const dlq = createProducer(kafka, 'projector-size-dlq');
    const admin = createAdmin(kafka, 'projector-size');
    const database = 'kafka_fed';
    await migrate(chdb, { database });
    const projector = new KafkaProjector(
      consumer,
      dlq,
      admin,
      chdb,
      { topic, dlqTopic: kafka.topic.dlq, groupId: `projector-size-${topic}`, database },
      pino({ level: 'silent' }),
    );
    try {
      // ~6.3 MB: over the projector's 4 MiB per partition, within the topic's 8 MiB.
      await appendLead(store, 52_000);
      for (let lead = 0; lead < 20; lead += 1) await appendLead(store, 0);
      const head = await store.headPosition();
      await relay.start();
      await eventually(
        async () => (relay.status().position === String(head) ? true : undefined),
        'the relay publishes up to the head',
      );
      await projector.start();
      await eventually(
        async () => (projector.status().projected === Number(head) ? true : undefined),
        'the projector projects every event',
        120_000,
      );
      expect(projector.status()).toMatchObject({ deadLettered: 0, crashed: null, failure: null });

      const reference = 'log_projected';
      await migrate(chdb, { database: reference });
      expect([...(await projectPerEvent(chdb, store, reference))]).toEqual([]);
      for (const [table, order] of [
        ['lead_events', 'event_id'],
        ['visitor_touches', 'visitor_id, event_id'],
      ] as const) {
        expect({ table, rows: await dumpTable(chdb, database, table, order) }).toEqual({
          table,
          rows: await dumpTable(chdb, reference, table, order),
        });
      }
    } finally {
      await projector.stop();
      await consumer.close();
      await dlq.close();
      await admin.close();
      await closeAnalyticsClient(chdb);
      await close();
    }
  });

  it('fetches an event over 4 MiB whole beside another partition, as the projector consumes', async () => {
    const { config, topic, close } = await relayOver(undefined, 2);
    const kafka = config.kafka!;
    const producer = createProducer(kafka, 'fetch-size');
    const consumer = createConsumer(kafka, `fetch-size-${topic}`, 'fetch-size');
    try {
      // Partition 0 has a small message; partition 1 one of 6 MB, its own record batch.
      const large = Buffer.alloc(6_000_000, 'x');
      await producer.send({ messages: [{ topic, partition: 0, key: 'a', value: 'small' }] });
      await producer.send({ messages: [{ topic, partition: 1, key: 'b', value: large }] });
      const metadata = await consumer.metadata({ topics: [topic] });
      const { id, partitions } = metadata.topics.get(topic)!;
      // One fetch of both partitions, as the message stream sends it: the broker returns a batch
      // over partitionMaxBytes only for the first partition with data; after that it cuts the
      // batch off, and the client drops a cut-off batch (the partition would wait for a fetch in
      // which every partition before it is empty).
      const { maxBytesPerPartition, maxBytes } = consumerOptions(kafka, `fetch-size-${topic}`);
      const response = await consumer.fetch({
        node: partitions[0]!.leader,
        maxBytes,
        maxWaitTime: 1_000,
        topics: [
          {
            topicId: id,
            partitions: [0, 1].map((partition) => ({
              partition,
              fetchOffset: 0n,
              partitionMaxBytes: maxBytesPerPartition!,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            })),
          },
        ],
      });
      const lengths = response.responses[0]!.partitions.map((partition) =>
        (partition.records ?? []).flatMap((batch) => batch.records.map((r) => r.value?.length)),
      );
      expect(lengths).toEqual([[5], [large.length]]);
    } finally {
      await consumer.close();
      await producer.close();
      await close();
    }
  });

  it("raises a topic created with Kafka's 1 MB default at start, then publishes an event over it", async () => {
    const schema = freshSchemaName('relay_limits');
    schemas.push(schema);
    const topic = `tandem.test.relay-limits.${randomUUID()}`;
    const env = relayTestEnv({ schema, topic, keyDir });
    const kafka = loadConfig(env).kafka!;
    // The topics as a relay before TANDEM_KAFKA_MAX_MESSAGE_BYTES created them: the broker's default.
    const admin = createAdmin(kafka, 'relay-limits');
    const store = await createEventStore(loadConfig(env).eventStore, { keyDir });
    let relay: Worker | null = null;
    try {
      await admin.createTopics({ topics: [topic, kafka.topic.dlq], partitions: 1, replicas: 1 });
      expect(await topicLimits(admin, [topic, kafka.topic.dlq])).toEqual([1_048_588, 1_048_588]);
      await appendLead(store, 12_000);
      const head = String(await store.headPosition());

      relay = await startWorker('relay', env);
      const started = relay;
      await eventually(async () => {
        const health = await started.health<{ checkpoint: string | null }>();
        return health.checkpoint === head ? true : undefined;
      }, 'the relay publishes up to the head');
      expect(await topicLimits(admin, [topic, kafka.topic.dlq])).toEqual([8_388_608, 8_388_608]);
      expect(relay.output()).toContain(`"topic":"${topic}","from":1048588,"to":8388608`);
    } finally {
      await relay?.kill('SIGTERM');
      await store.close();
      await admin.close();
    }
  });

  it('leaves a topic whose limit is above the setting as it is', async () => {
    const topic = `tandem.test.relay-limits.${randomUUID()}`;
    const kafka = relayTestConfig({ schema: 'unused', topic, keyDir }).kafka!;
    const admin = createAdmin(kafka, 'relay-limits');
    try {
      await admin.createTopics({
        topics: [topic, kafka.topic.dlq],
        partitions: 1,
        replicas: 1,
        configs: [{ name: 'max.message.bytes', value: String(16 << 20) }],
      });
      expect(await raiseTopicMessageLimits(kafka)).toEqual({ kind: 'ok', raised: [] });
      expect(await topicLimits(admin, [topic, kafka.topic.dlq])).toEqual([16 << 20, 16 << 20]);
    } finally {
      await admin.close();
    }
  });
});

/** Each topic's max.message.bytes, as the broker describes it. */
async function topicLimits(admin: KafkaAdmin, topics: readonly string[]): Promise<number[]> {
  const described = await admin.describeConfigs({
    resources: topics.map((resourceName) => ({
      resourceType: ConfigResourceTypes.TOPIC,
      resourceName,
      configurationKeys: ['max.message.bytes'],
    })),
  });
  return topics.map((topic) =>
    Number(described.find((r) => r.resourceName === topic)?.configs[0]?.value),
  );
}
