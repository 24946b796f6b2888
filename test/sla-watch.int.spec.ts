/**
 * sla-watch on the real broker: envelopes published as the relay publishes them
 * (toEventMessage of stored records), the runner in-process with an in-memory
 * Notifier. One lead misses its SLA, one is accepted in time; a restart replays
 * the topic and the notifier's memory of keys keeps owners from a second page.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@tandem/config';
import {
  encodeForStore,
  type StoredEventLike,
  type TandemEvent,
  toEventMessage,
} from '@tandem/contracts';
import { createKafka, ensureLeadEventTopics } from '@tandem/messaging';
import { type Kafka, Partitioners } from 'kafkajs';
import { createMemoryNotifier } from '../apps/sla-watch/src/memory.notifier';
import { startSlaWatch, type SlaWatchRunner } from '../apps/sla-watch/src/sla-watch.runner';
import { eventually } from './support/eventually';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let position = 0n;
function stored(leadId: string, revision: number, event: TandemEvent, occurredAt: string) {
  const record = encodeForStore(event, {
    eventId: randomUUID(),
    leadId,
    accountId: null,
    occurredAt,
    correlationId: randomUUID(),
    causationId: null,
    actor: { kind: 'service', id: 'sla-watch-test', role: 'system' },
  });
  position++;
  return {
    ...record,
    streamId: `lead-${leadId}`,
    streamRevision: BigInt(revision),
    globalPosition: position,
    recordedAt: new Date(occurredAt),
  } satisfies StoredEventLike;
}

async function leadEventsTopic(): Promise<{ kafka: Kafka; topic: string }> {
  const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
  if (!brokers)
    throw new Error('TANDEM_TEST_KAFKA_BROKERS is not set: the int global setup starts the broker');
  const topic = `tandem.test.sla-watch.${randomUUID()}`;
  const config = loadConfig({
    TANDEM_KAFKA: 'on',
    KAFKA_BROKERS: brokers,
    TANDEM_KAFKA_TOPIC: topic,
    TANDEM_KAFKA_PARTITIONS: '3',
    TANDEM_KAFKA_REPLICATION: '1',
  });
  const kafka = createKafka(config.kafka!, 'sla-watch-test');
  await ensureLeadEventTopics(kafka, config.kafka!);
  return { kafka, topic };
}

describe('sla-watch (real broker)', () => {
  const runners: SlaWatchRunner[] = [];
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
  });

  it('notifies each hand-off once, escalates only the missed SLA, and pages nobody twice after a restart', async () => {
    const { kafka, topic } = await leadEventsTopic();
    const late = `late-${randomUUID()}`;
    const inTime = `in-time-${randomUUID()}`;
    const slaDueAt = ago(HOUR);
    const handOff = (leadId: string) =>
      stored(
        leadId,
        1,
        {
          type: 'LeadHandedToSales',
          data: { owner: 'lena', team: 'emea', slaDueAt, rulesVersion: 1 },
        },
        ago(3 * HOUR),
      );
    const lateHandOff = handOff(late);
    const inTimeHandOff = handOff(inTime);
    const acceptance = stored(
      inTime,
      2,
      { type: 'LeadAcceptedBySales', data: { owner: 'lena', note: null } },
      ago(2 * HOUR),
    );
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // The in-time hand-off twice: the relay delivers at least once.
    await producer.send({
      topic,
      acks: -1,
      messages: [lateHandOff, inTimeHandOff, inTimeHandOff, acceptance].map(toEventMessage),
    });
    await producer.disconnect();

    const notifier = createMemoryNotifier();
    const start = async () => {
      const runner = await startSlaWatch({
        kafka,
        groupId: `sla-watch-test-${randomUUID()}`,
        topic,
        notifier,
        tickMs: 100,
      });
      runners.push(runner);
      return runner;
    };

    const first = await start();
    // Two checks on a state caught up with the log: a late extra escalation would show.
    await eventually(
      async () => (first.status().checks >= 2 ? true : undefined),
      'two escalation checks after catching up',
    );
    const expected = [
      { kind: 'hand-off', key: lateHandOff.eventId, leadId: late, owner: 'lena', slaDueAt },
      { kind: 'hand-off', key: inTimeHandOff.eventId, leadId: inTime, owner: 'lena', slaDueAt },
      { kind: 'sla-missed', key: `${late}:${slaDueAt}`, leadId: late, owner: 'lena', slaDueAt },
    ];
    const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    const delivered = [...notifier.delivered].sort(byKey);
    expect(delivered).toHaveLength(3);
    [...expected].sort(byKey).forEach((notification, i) => {
      expect(delivered[i]).toMatchObject(notification);
    });
    expect(notifier.offered).toHaveLength(3);
    expect(first.status()).toMatchObject({ handled: 3, pending: 1 });

    await first.stop();
    runners.splice(0);
    const second = await start();
    await eventually(
      async () => (second.status().checks >= 1 && second.status().handled === 3 ? true : undefined),
      'the restarted runner caught up with the log',
    );
    expect(notifier.delivered).toHaveLength(3);
    // The replay offered everything again; the notifier's keys turned it into no-ops.
    expect(notifier.offered).toHaveLength(6);
  });
});
