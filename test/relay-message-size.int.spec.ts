/**
 * The relay and Kafka's largest message, on the run's real broker: an event may take more than
 * Kafka's 1 MB default (a merge's survivor record carries the merged lead's touches, ~120 bytes
 * each), so the relay creates its topics with TANDEM_KAFKA_MAX_MESSAGE_BYTES and sends a batch
 * in requests within it; an event larger than that alone stops it, named, after every event
 * before it was published.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeForStore } from '@tandem/contracts';
import { leadStreamId, type LeadEvent, type MergedTouchpoint } from '@tandem/domain';
import { createEventStore, type EventStore } from '@tandem/event-store';
import { createProducer, ensureLeadEventTopics, type KafkaProducer } from '@tandem/messaging';
import pino from 'pino';
import { Relay } from '../apps/relay/src/relay';
import { relayTestConfig } from './support/relay-test-config';
import { eventually } from './support/eventually';
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
  async function relayOver(maxMessageBytes?: number) {
    const schema = freshSchemaName('relay_size');
    schemas.push(schema);
    const topic = `tandem.test.relay-size.${randomUUID()}`;
    const config = relayTestConfig({
      schema,
      topic,
      keyDir,
      env: maxMessageBytes ? { TANDEM_KAFKA_MAX_MESSAGE_BYTES: String(maxMessageBytes) } : {},
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
    return { relay, store, close };
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
});
