/**
 * The subscribe helpers on the real broker, one suite over both adapters (kafkajs,
 * @platformatic/kafka): decoding, dedupe of redelivered ids, dead letters with their
 * reason, retry with backoff, and offsets committed only for messages that reached 'ok'
 * or the DLQ. One-partition topics keep the order of every case visible; the messages
 * are written and the offsets read with kafkajs, whichever adapter consumes.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@tandem/config';
import { ensureLeadEventTopics } from '@tandem/messaging';
import { Consumer, Producer } from '@platformatic/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { eventually } from '@tandem/testing';
import { encodeForStore, type StoredEventLike } from './envelope.codec';
import { eventHeaders, toEventMessage } from './kafka-message.codec';
import {
  type HandleOutcome,
  type SubscribeOptions,
  type Subscription,
  subscribeToLeadEvents,
} from './subscribe';
import { subscribeWithPlatformatic } from './subscribe.platformatic';
import type { TandemEnvelope } from './tandem-event';

jest.setTimeout(120_000);

let position = 0n;
function leadEvent(leadId = randomUUID()): StoredEventLike {
  const record = encodeForStore(
    {
      type: 'LeadRecycled',
      data: { from: 'mql', reason: 'no answer' },
    },
    {
      eventId: randomUUID(),
      leadId,
      accountId: null,
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      actor: { kind: 'service', id: 'subscribe-test', role: 'system' },
    },
  );
  position++;
  return {
    ...record,
    streamId: `lead-${leadId}`,
    streamRevision: 0n,
    globalPosition: position,
    recordedAt: new Date(),
  };
}

async function oneTopic(): Promise<{ kafka: Kafka; topic: string }> {
  const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
  if (!brokers)
    throw new Error('TANDEM_TEST_KAFKA_BROKERS is not set: the int global setup starts the broker');
  const topic = `tandem.test.subscribe.${randomUUID()}`;
  const config = loadConfig({
    TANDEM_KAFKA: 'on',
    KAFKA_BROKERS: brokers,
    TANDEM_KAFKA_TOPIC: topic,
    TANDEM_KAFKA_PARTITIONS: '1',
    TANDEM_KAFKA_REPLICATION: '1',
  });
  await ensureLeadEventTopics(config.kafka!);
  // Test tooling (produce, committed offsets, the DLQ) on kafkajs, whichever adapter is tested.
  const kafka = new Kafka({
    clientId: 'subscribe-test',
    brokers: [...config.kafka!.brokers],
    logLevel: logLevel.WARN,
  });
  return { kafka, topic };
}

async function produce(
  kafka: Kafka,
  topic: string,
  messages: { key: string; value: string; headers?: Record<string, string> }[],
) {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

async function committed(kafka: Kafka, groupId: string, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions[0]?.offset ?? '-1';
  } finally {
    await admin.disconnect();
  }
}

async function readDlq(kafka: Kafka, topic: string, count: number) {
  const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
  const letters: { value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [`${topic}.dlq`], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      letters.push({ value: message.value?.toString() ?? '', headers });
    },
  });
  try {
    return await eventually(
      async () => (letters.length >= count ? letters : undefined),
      `${count} dead letters`,
    );
  } finally {
    await consumer.disconnect();
  }
}

type Adapter = 'kafkajs' | 'platformatic';

/** The same options through either adapter; platformatic gets clients built as a team would. */
async function subscribeWith(
  adapter: Adapter,
  options: SubscribeOptions & { kafka: Kafka },
): Promise<Subscription> {
  if (adapter === 'kafkajs') return subscribeToLeadEvents(options);
  const connection = { clientId: 'subscribe-test', bootstrapBrokers: brokerList() };
  const consumer = new Consumer({ ...connection, groupId: options.groupId });
  const producer = new Producer({ ...connection, idempotent: true });
  const subscription = await subscribeWithPlatformatic({ ...options, consumer, producer });
  return {
    stop: async () => {
      await subscription.stop();
      await consumer.close(true);
      await producer.close();
    },
  };
}

function brokerList(): string[] {
  return (process.env.TANDEM_TEST_KAFKA_BROKERS ?? '').split(',');
}

describe.each<Adapter>(['kafkajs', 'platformatic'])('subscribe on %s (real broker)', (adapter) => {
  const subscribeToLeadEvents = (options: SubscribeOptions & { kafka: Kafka }) =>
    subscribeWith(adapter, options);
  const subscriptions: Subscription[] = [];
  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) await subscription.stop();
  });

  it('hands on envelopes once, retries, and dead-letters poison and refusals with the reason', async () => {
    const { kafka, topic } = await oneTopic();
    const [first, refused, flaky] = [leadEvent(), leadEvent(), leadEvent()];
    await produce(kafka, topic, [
      toEventMessage(first),
      toEventMessage(first), // redelivered: same event id
      { key: 'poison', value: 'not json' },
      toEventMessage(refused),
      toEventMessage(flaky),
    ]);
    const calls: string[] = [];
    const letters: string[] = [];
    const groupId = `subscribe-test-${randomUUID()}`;
    subscriptions.push(
      await subscribeToLeadEvents({
        kafka,
        groupId,
        topic,
        fromBeginning: true,
        retry: { initialMs: 20 },
        onDeadLetter: (letter) => {
          letters.push(letter.reason);
        },
        handle: async (envelope: TandemEnvelope): Promise<HandleOutcome> => {
          calls.push(envelope.eventId);
          if (envelope.eventId === refused.eventId) return 'dlq';
          if (envelope.eventId === flaky.eventId) {
            if (calls.filter((id) => id === flaky.eventId).length < 3) return 'retry';
          }
          return 'ok';
        },
      }),
    );

    await eventually(
      async () => ((await committed(kafka, groupId, topic)) === '5' ? true : undefined),
      'all five offsets committed',
    );
    expect(calls).toEqual([
      first.eventId,
      refused.eventId,
      flaky.eventId,
      flaky.eventId,
      flaky.eventId,
    ]);
    expect(letters).toEqual([
      expect.stringMatching(/^value is not JSON/),
      `handler of ${groupId} answered dlq`,
    ]);
    const dlq = await readDlq(kafka, topic, 2);
    expect(dlq.map((l) => l.value)).toEqual(['not json', toEventMessage(refused).value]);
    expect(dlq[0]?.headers[eventHeaders.dlqReason]).toMatch(/^value is not JSON/);
    expect(dlq[1]?.headers).toMatchObject({
      [eventHeaders.dlqReason]: `handler of ${groupId} answered dlq`,
      [eventHeaders.eventId]: refused.eventId,
      'tandem-source': `${topic}/0/3`,
    });
  });

  it('reads a topic holding both header forms: CloudEvents and the older tandem-* only', async () => {
    const { kafka, topic } = await oneTopic();
    const [older, newer, mislabelled] = [leadEvent(), leadEvent(), leadEvent()];
    const olderMessage = toEventMessage(older);
    const legacyHeaders = Object.fromEntries(
      Object.entries(olderMessage.headers).filter(([name]) => name.startsWith('tandem-')),
    );
    await produce(kafka, topic, [
      { ...olderMessage, headers: legacyHeaders }, // as the relay wrote it before CloudEvents
      toEventMessage(newer),
      // Headers naming another event than the value: refused, not processed as either.
      {
        ...toEventMessage(mislabelled),
        headers: { ...toEventMessage(mislabelled).headers, ce_id: newer.eventId },
      },
    ]);
    const handled: string[] = [];
    const groupId = `subscribe-test-${randomUUID()}`;
    subscriptions.push(
      await subscribeToLeadEvents({
        kafka,
        groupId,
        topic,
        fromBeginning: true,
        handle: async (envelope) => {
          handled.push(envelope.eventId);
          return 'ok';
        },
      }),
    );
    await eventually(
      async () => ((await committed(kafka, groupId, topic)) === '3' ? true : undefined),
      'all three offsets committed',
    );
    expect(handled).toEqual([older.eventId, newer.eventId]);
    const [letter] = await readDlq(kafka, topic, 1);
    expect(letter?.headers).toMatchObject({
      [eventHeaders.dlqReason]: `header event id ${newer.eventId} is not the value's`,
      ce_type: 'com.tandem.lead.LeadRecycled.v1',
    });
  });

  it('commits nothing past a message that still asks for retry; the next member gets it again', async () => {
    const { kafka, topic } = await oneTopic();
    const [done, stuck] = [leadEvent(), leadEvent()];
    await produce(kafka, topic, [toEventMessage(done), toEventMessage(stuck)]);
    const groupId = `subscribe-test-${randomUUID()}`;
    let attempts = 0;
    const first = await subscribeToLeadEvents({
      kafka,
      groupId,
      topic,
      fromBeginning: true,
      retry: { initialMs: 20, maxMs: 100 },
      handle: async (envelope) => {
        if (envelope.eventId !== stuck.eventId) return 'ok';
        attempts++;
        return 'retry';
      },
    });
    subscriptions.push(first);
    await eventually(
      async () =>
        attempts >= 3 && (await committed(kafka, groupId, topic)) === '1' ? true : undefined,
      'the first message committed while the second keeps retrying',
    );
    await first.stop();
    subscriptions.splice(0);
    expect(await committed(kafka, groupId, topic)).toBe('1');

    const handled: string[] = [];
    subscriptions.push(
      await subscribeToLeadEvents({
        kafka,
        groupId,
        topic,
        handle: async (envelope) => {
          handled.push(envelope.eventId);
          return 'ok';
        },
      }),
    );
    await eventually(
      async () => ((await committed(kafka, groupId, topic)) === '2' ? true : undefined),
      'the retried message committed by the next member',
    );
    expect(handled).toEqual([stuck.eventId]);
  });

  it('dead-letters a message after maxAttempts retries, naming the last error', async () => {
    const { kafka, topic } = await oneTopic();
    const broken = leadEvent();
    await produce(kafka, topic, [toEventMessage(broken)]);
    const letters: string[] = [];
    subscriptions.push(
      await subscribeToLeadEvents({
        kafka,
        groupId: `subscribe-test-${randomUUID()}`,
        topic,
        fromBeginning: true,
        retry: { initialMs: 10, maxAttempts: 3 },
        onDeadLetter: (letter) => {
          letters.push(letter.reason);
        },
        handle: async () => {
          throw new Error('smtp down');
        },
      }),
    );
    await eventually(async () => (letters.length > 0 ? letters : undefined), 'a dead letter');
    expect(letters).toEqual(['handler still retrying after 3 tries: smtp down']);
  });
});
