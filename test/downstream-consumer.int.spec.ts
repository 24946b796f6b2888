/**
 * docs/events.md as a downstream team reads it, end to end: the real API (PostgreSQL store)
 * records a history with a v1 capture from before LeadCaptured v2, a merge and two erasures; the
 * real relay publishes it to the real broker (twice: at least once); a consumer written only
 * from the page and libs/contracts/README.md (subscribeToLeadEvents, route by type, dedupe by
 * event id, treat `source.content` as personal, act on DuplicateMergedIn / LeadMerged / LeadErased)
 * folds it into its own state, which must be the state the history means.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeForStore,
  isPersonalGiven,
  subscribeToLeadEvents,
  type Subscription,
  type TandemEnvelope,
} from '@tandem/contracts';
import { leadStreamId } from '@tandem/domain';
import { createEventStore, type EventStore } from '@tandem/event-store';
import { createProducer, ensureLeadEventTopics, type KafkaProducer } from '@tandem/messaging';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import type { App } from 'supertest/types';
import { Relay } from '../apps/relay/src/relay';
import { type FunnelApiFixture, startFunnelApi } from './support/funnel-api.fixture';
import { eventually } from './support/eventually';
import { postAs } from './support/lead-commands';
import {
  TEST_POSTGRES_URL,
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from './support/postgres';
import { relayTestConfig } from './support/relay-test-config';

jest.setTimeout(180_000);

const kafkaBrokers = process.env.TANDEM_TEST_KAFKA_BROKERS;

/** What the downstream service keeps per lead: no contact data, only what it may derive. */
interface DownstreamLead {
  channel: string;
  /** The capture's UTM content when it arrived readable (v1); personal: forgotten on erasure. */
  utmContent: string | null;
  utmContentGiven: boolean;
  touches: Set<string>;
  mergedInto: string | null;
  mergedFrom: Set<string>;
  erased: boolean;
}

/** The consumer, as events.md and the package's README tell a team to write it. */
function downstreamService() {
  const leads = new Map<string, DownstreamLead>();
  const processed = new Set<string>(); // the durable processed_events table of the README
  const effects = new Map<string, number>(); // how often each event's side effect ran
  const lead = (leadId: string): DownstreamLead => {
    let found = leads.get(leadId);
    if (!found) {
      // Another lead's event may come first: there is no order across leads (partitions).
      found = {
        channel: '',
        utmContent: null,
        utmContentGiven: false,
        touches: new Set(),
        mergedInto: null,
        mergedFrom: new Set(),
        erased: false,
      };
      leads.set(leadId, found);
    }
    return found;
  };
  const apply = (event: TandemEnvelope): void => {
    if (event.leadId === null) return; // definitions, targets, spend: not ours
    const target = lead(event.leadId);
    // Only the types this service acts on; a tolerant reader ignores the rest.
    if (event.type === 'LeadCaptured') {
      expect(event.schemaVersion).toBe(2); // v1 captures arrive lifted (upcast) to v2
      const content = event.data.source.content;
      target.channel = event.data.source.channel;
      target.utmContentGiven = isPersonalGiven(content);
      target.utmContent = typeof content === 'string' && content !== '' ? content : null;
      if (target.erased) target.utmContent = null; // erased before we saw the capture
    } else if (event.type === 'TouchpointRecorded') {
      target.touches.add(event.data.touchpointId);
    } else if (event.type === 'DuplicateMergedIn') {
      target.mergedFrom.add(event.data.mergedLeadId);
      for (const touch of event.data.touchpoints) target.touches.add(touch.touchpointId);
    } else if (event.type === 'LeadMerged') {
      target.mergedInto = event.data.intoLeadId;
    } else if (event.type === 'LeadErased') {
      target.erased = true;
      target.utmContent = null;
    }
  };
  return {
    leads,
    processed,
    effects,
    handle: async (event: TandemEnvelope): Promise<'ok'> => {
      if (processed.has(event.eventId)) return 'ok';
      apply(event);
      processed.add(event.eventId);
      effects.set(event.eventId, (effects.get(event.eventId) ?? 0) + 1);
      return 'ok';
    },
  };
}

describeWhenPostgres(
  postgresUnavailableReason() ?? (kafkaBrokers ? null : 'no Kafka broker in this run'),
)('a downstream consumer written from docs/events.md (real API, relay and broker)', () => {
  const schema = freshSchemaName('downstream');
  const topic = `tandem.test.downstream.${randomUUID()}`;
  let chdbPath: string;
  let keyDir: string;
  let api: FunnelApiFixture;
  let relayStore: EventStore;
  let producer: KafkaProducer;
  let subscription: Subscription | undefined;
  const relays: Relay[] = [];

  beforeAll(async () => {
    chdbPath = await mkdtemp(join(tmpdir(), 'tandem-downstream-chdb-'));
    keyDir = await mkdtemp(join(tmpdir(), 'tandem-downstream-keys-'));
    api = await startFunnelApi(chdbPath, {
      eventStore: { kind: 'postgres', url: TEST_POSTGRES_URL, schema },
    });
    const config = relayTestConfig({
      schema,
      topic,
      keyDir,
      env: { TANDEM_KAFKA_PARTITIONS: '3' }, // leads on several partitions, as in production
    });
    await ensureLeadEventTopics(config.kafka!);
    relayStore = await createEventStore(config.eventStore, { keyDir });
    producer = createProducer(config.kafka!, 'downstream-relay');
  });

  afterAll(async () => {
    await subscription?.stop();
    for (const relay of relays) await relay.stop();
    await producer?.close();
    await relayStore?.close();
    await api?.close();
    await dropSchema(schema);
    await rm(chdbPath, { recursive: true, force: true });
    await rm(keyDir, { recursive: true, force: true });
  });

  /** A relay with its own checkpoint: a second one publishes every event again. */
  async function startRelay(checkpoint: string): Promise<void> {
    const relay = new Relay(
      relayStore,
      producer,
      { topic, checkpoint, batchSize: 100, maxMessageBytes: 8 * 1024 * 1024 },
      pino({ level: 'silent' }),
    );
    relays.push(relay);
    await relay.start();
  }

  it('folds a history with a v1 capture, a merge and erasures into the state it means', async () => {
    const post = postAs(() => api.app.getHttpServer() as App);
    const capture = async (n: string, content: string): Promise<string> => {
      const created = await post('/leads', 'marketing', {
        contact: { name: `Person ${n}`, email: `${n}@example.com` },
        company: { name: `${n} Ltd` },
        source: { channel: 'email', campaign: 'newsletter', content },
        consent: { marketing: true },
      }).expect(201);
      return (created.body as { leadId: string }).leadId;
    };
    const touch = async (leadId: string, channel: string): Promise<string> => {
      const touchpointId = randomUUID();
      await post(`/leads/${leadId}/touchpoints`, 'marketing', {
        touchpointId,
        kind: 'webinar',
        channel,
      }).expect(200);
      return touchpointId;
    };

    const survivor = await capture('survivor', 'utm-survivor@example.com');
    const duplicate = await capture('duplicate', 'utm-duplicate@example.com');
    const survivorTouch = await touch(survivor, 'web');
    const duplicateTouches = [await touch(duplicate, 'events'), await touch(duplicate, 'web')];
    // A capture recorded before LeadCaptured v2: its UTM content plain, as v1's schema says.
    const historic = randomUUID();
    const v1Capture = encodeForStore(
      {
        type: 'LeadCaptured',
        data: {
          contact: { name: 'Historic Person', email: 'historic@example.com' },
          company: { name: 'Historic Ltd' },
          source: { channel: 'paid_social', content: 'utm-historic@example.com' },
          productInterest: null,
          timeframe: null,
          consent: { marketing: false },
        },
      },
      {
        eventId: randomUUID(),
        leadId: historic,
        accountId: null,
        occurredAt: '2025-01-06T09:00:00.000Z',
        correlationId: randomUUID(),
        causationId: null,
        actor: { kind: 'service', id: 'legacy-import', role: 'system' },
      },
    );
    await api.store.append(leadStreamId(historic), [{ ...v1Capture, schemaVersion: 1 }], {
      expectedRevision: 'no_stream',
    });
    await post(`/leads/${duplicate}/merge`, 'ops', { intoLeadId: survivor }).expect(200);
    await post(`/leads/${survivor}/erase`, 'ops', { reason: 'ticket-1' }).expect(200);
    await post(`/leads/${historic}/erase`, 'ops', { reason: 'ticket-2' }).expect(200);

    const recorded = await api.store.readAll();
    await startRelay(`downstream-first-${topic}`);
    await startRelay(`downstream-again-${topic}`); // at least once: every event published twice

    const service = downstreamService();
    subscription = await subscribeToLeadEvents({
      kafka: new Kafka({
        clientId: 'downstream-test',
        brokers: kafkaBrokers!.split(','),
        logLevel: logLevel.WARN,
      }),
      groupId: `downstream-${randomUUID()}`,
      topic,
      fromBeginning: true,
      handle: service.handle,
      onDeadLetter: (letter) => {
        throw new Error(`dead letter: ${JSON.stringify(letter)}`);
      },
    });
    await eventually(
      async () => (service.processed.size === recorded.length ? true : undefined),
      `the consumer handled all ${recorded.length} recorded events`,
    );

    expect([...service.effects.values()].every((times) => times === 1)).toBe(true);
    const { leads } = service;
    // The survivor's erasure erased the person: the lead merged into it got its own LeadErased
    // (on its own key), and the consumer forgot it too.
    expect(leads.get(duplicate)).toMatchObject({ mergedInto: survivor, erased: true });
    expect([...leads.get(duplicate)!.touches].sort()).toEqual([...duplicateTouches].sort());
    expect(leads.get(survivor)).toMatchObject({
      channel: 'email',
      erased: true,
      utmContent: null,
      utmContentGiven: true,
      mergedInto: null,
    });
    expect([...leads.get(survivor)!.mergedFrom]).toEqual([duplicate]);
    expect([...leads.get(survivor)!.touches].sort()).toEqual(
      [survivorTouch, ...duplicateTouches].sort(),
    );
    // v2 captures arrive sealed: never readable, whatever the consumer does.
    expect(leads.get(duplicate)).toMatchObject({ utmContent: null, utmContentGiven: true });
    // The v1 capture's content arrived plain, and the erasure made the consumer forget it.
    expect(leads.get(historic)).toMatchObject({
      channel: 'paid_social',
      utmContent: null,
      utmContentGiven: true,
      erased: true,
    });
  });
});
