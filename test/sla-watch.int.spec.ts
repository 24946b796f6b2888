/**
 * sla-watch on the real broker: envelopes published as the relay publishes them
 * (toEventMessage of stored records), the runner in-process with an in-memory
 * Notifier, once on each client's LeadEventSource (platformatic, kafkajs). One lead misses its SLA, one is accepted in time; a restart replays
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
import type { KafkaConfig } from '@tandem/config';
import { createProducer, ensureLeadEventTopics } from '@tandem/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { kafkajsSource } from '../apps/sla-watch/src/kafkajs.source';
import type { LeadEventSource } from '../apps/sla-watch/src/lead-events.source';
import { createMemoryNotifier } from '../apps/sla-watch/src/memory.notifier';
import { platformaticSource } from '../apps/sla-watch/src/platformatic.source';
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

async function leadEventsTopic(): Promise<{ kafka: KafkaConfig; topic: string }> {
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
  await ensureLeadEventTopics(config.kafka!);
  return { kafka: config.kafka!, topic };
}

const sources: Record<string, (kafka: KafkaConfig) => Promise<LeadEventSource>> = {
  platformatic: async (kafka) =>
    platformaticSource({ clientId: 'sla-watch-test', bootstrapBrokers: [...kafka.brokers] }),
  kafkajs: (kafka) =>
    kafkajsSource(
      new Kafka({
        clientId: 'sla-watch-test',
        brokers: [...kafka.brokers],
        logLevel: logLevel.WARN,
      }),
    ),
};

describe.each(Object.keys(sources))('sla-watch on %s (real broker)', (client) => {
  const runners: SlaWatchRunner[] = [];
  let source: LeadEventSource | undefined;
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    await source?.close();
  });

  it('notifies each hand-off once, escalates only the missed SLA, and pages nobody twice after a restart', async () => {
    const { kafka, topic } = await leadEventsTopic();
    const opened = await sources[client]!(kafka);
    source = opened;
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
    const producer = createProducer(kafka, 'sla-watch-test');
    // The in-time hand-off twice: the relay delivers at least once.
    await producer.send({
      messages: [lateHandOff, inTimeHandOff, inTimeHandOff, acceptance]
        .map(toEventMessage)
        .map((message) => ({ ...message, topic })),
    });
    await producer.close();

    const notifier = createMemoryNotifier();
    const start = async () => {
      const runner = await startSlaWatch({
        source: opened,
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
