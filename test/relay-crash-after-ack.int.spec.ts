/**
 * The relay's narrowest crash window, on the real broker and a PostgreSQL store: the broker has
 * acknowledged a request (acks=all) and the relay dies before it writes the checkpoint. A
 * SIGKILL cannot be aimed there from outside a process, so this spec kills the relay in process
 * at exactly that point (its checkpoint write throws, which ends it as a crash would: nothing
 * after it runs) and starts another on a new producer, as a restarted process would be, four
 * times while a writer appends journeys, merges (one event on each lead, one atomic append) and
 * erasures. What a downstream service then reads from the topic (events-topic-audit) must keep
 * docs/events.md's promises: every event at least once, each stream in order on its lead's
 * partition, one event id per event to dedupe by. The kills re-publish what was acknowledged
 * and not checkpointed, so the topic must hold duplicates: the proof that each kill landed there.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaConfig } from '@tandem/config';
import { leadStreamId } from '@tandem/domain';
import { createEventStore, type CheckpointStore, type EventStore } from '@tandem/event-store';
import { createProducer, ensureLeadEventTopics } from '@tandem/messaging';
import pino from 'pino';
import { Relay } from '../apps/relay/src/relay';
import { auditEventsTopic } from './support/events-topic-audit';
import { eventually } from './support/eventually';
import { leadEventToAppend, leadJourney } from './support/lead-journeys';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
} from './support/postgres';
import { relayTestConfig } from './support/relay-test-config';

jest.setTimeout(240_000);

const kafkaBrokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const KILLS = 4;
const JOURNEYS = 120;

class KilledAfterAck extends Error {}

/**
 * The store as the relay sees it, except that the checkpoint write `killAt` (counted from 1,
 * per relay) throws: the broker has acknowledged the request before it, the checkpoint misses it.
 */
function killedAtCheckpoint(store: EventStore, killAt: number): EventStore {
  let saves = 0;
  const checkpoints: CheckpointStore = {
    load: (name) => store.checkpoints.load(name),
    save: async (name, position, expected) => {
      saves += 1;
      if (saves === killAt) throw new KilledAfterAck(`killed after the ack of ${position}`);
      await store.checkpoints.save(name, position, expected);
    },
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'checkpoints') return checkpoints;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

describeWhenPostgres(
  postgresUnavailableReason() ?? (kafkaBrokers ? null : 'no Kafka broker in this run'),
)('relay killed between the broker ack and its checkpoint (real broker)', () => {
  const schema = freshSchemaName('relay_ack_kill');
  const topic = `tandem.test.relay-ack-kill.${randomUUID()}`;
  let keyDir: string;
  let kafka: KafkaConfig;
  let store: EventStore;

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'tandem-relay-ack-kill-'));
    const config = relayTestConfig({
      schema,
      topic,
      keyDir,
      env: { TANDEM_KAFKA_PARTITIONS: '3' },
    });
    kafka = config.kafka!;
    await ensureLeadEventTopics(kafka);
    store = await createEventStore(config.eventStore, { keyDir });
  });

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
    await rm(keyDir, { recursive: true, force: true });
  });

  it('re-publishes what was acknowledged and not checkpointed: every event, in order per lead', async () => {
    const checkpoint = `relay:${topic}`;
    let writing = true;
    const writer = (async () => {
      const leads: string[] = [];
      for (let i = 0; i < JOURNEYS; i++) {
        const journey = leadJourney(i);
        await store.append(leadStreamId(journey.leadId), journey.events, {
          expectedRevision: 'no_stream',
        });
        leads.push(journey.leadId);
        // Every fifth lead is merged into the one before it: two streams, one atomic append.
        if (i % 5 === 4) {
          const [survivor, merged] = [leads[i - 1]!, journey.leadId];
          const [survivorAt, mergedAt] = await Promise.all([
            store.readStream(leadStreamId(survivor)),
            store.readStream(leadStreamId(merged)),
          ]);
          await store.appendToStreams([
            {
              streamId: leadStreamId(merged),
              events: [
                leadEventToAppend(merged, { type: 'LeadMerged', data: { intoLeadId: survivor } }),
              ],
              expectedRevision: BigInt(mergedAt.length - 1),
            },
            {
              streamId: leadStreamId(survivor),
              events: [
                leadEventToAppend(survivor, {
                  type: 'DuplicateMergedIn',
                  data: { mergedLeadId: merged, touchpoints: [] },
                }),
              ],
              expectedRevision: BigInt(survivorAt.length - 1),
            },
          ]);
        }
        // Every seventh is erased (its key shredded, LeadErased appended).
        if (i % 7 === 6) {
          const history = await store.readStream(leadStreamId(journey.leadId));
          await store.append(
            leadStreamId(journey.leadId),
            [
              leadEventToAppend(journey.leadId, {
                type: 'LeadErased',
                data: { reason: 'request' },
              }),
            ],
            { expectedRevision: BigInt(history.length - 1) },
          );
        }
      }
      writing = false;
    })();

    const kills: { position: string | null; head: string | null; writing: boolean }[] = [];
    for (let generation = 0; generation <= KILLS; generation++) {
      const killed = generation < KILLS;
      const producer = createProducer(kafka, `relay-${generation}`);
      const relay = new Relay(
        killed ? killedAtCheckpoint(store, 2 + (generation % 2)) : store,
        producer,
        { topic, checkpoint, batchSize: 20, maxMessageBytes: 8 * 1024 * 1024 },
        pino({ level: 'silent' }),
      );
      await relay.start();
      if (killed) {
        await expect(relay.done).rejects.toBeInstanceOf(KilledAfterAck);
        const saved = await store.checkpoints.load(checkpoint);
        const head = await store.headPosition();
        kills.push({
          position: saved?.position.toString() ?? null,
          head: head?.toString() ?? null,
          writing,
        });
      } else {
        await writer;
        const head = await store.headPosition();
        await eventually(
          async () =>
            (await store.checkpoints.load(checkpoint))?.position === head ? true : undefined,
          'the last relay publishes the whole log',
        );
        await relay.stop();
      }
      await producer.close();
    }
    await writer;

    // Each kill landed while the log went on past it: real work was in hand.
    expect(kills).toHaveLength(KILLS);
    for (const kill of kills)
      expect(BigInt(kill.head ?? '0')).toBeGreaterThan(BigInt(kill.position ?? '0'));
    expect(kills.some((kill) => kill.writing)).toBe(true);

    const audit = await auditEventsTopic(kafka, topic, store);
    expect(audit.problems).toEqual([]);
    expect(audit.events).toBeGreaterThan(JOURNEYS * 6);
    // Each kill dropped one acknowledged request's checkpoint: it went out twice.
    expect(audit.duplicates).toBeGreaterThanOrEqual(KILLS);
    expect(audit.messages).toBe(audit.events + audit.duplicates);
  });
});
