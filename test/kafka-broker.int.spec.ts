/**
 * End-to-end proof that test/support/kafka-broker.ts gives us a real Kafka broker: start one,
 * create a 3-partition topic explicitly, wait for leaders, produce with an idempotent
 * producer, consume in a consumer group, then stop the broker and check the JVM is gone.
 *
 * It must never talk to a fake broker, sleep for a fixed time (it polls with deadlines), or
 * touch the run-wide broker from kafka-global-setup (it starts and stops its own).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  Kafka,
  Partitioners,
  logLevel,
  type Consumer,
  type EachMessagePayload,
  type Producer,
} from 'kafkajs';
import {
  isProcessAlive,
  startKafkaBroker,
  waitFor,
  type KafkaBroker,
} from './support/kafka-broker';

const PARTITIONS = 3;
const MESSAGES = 30;
// Explicit: jest 30 ignores `testTimeout` inside a `projects` entry (only the top-level
// value counts), so the int project's 120 s never reaches this file.
const START_TIMEOUT_MS = 180_000; // covers a cold Maven fetch if global setup did not run
const TEST_TIMEOUT_MS = START_TIMEOUT_MS + 60_000;

describe('real Kafka broker (infra/kafka)', () => {
  let broker: KafkaBroker | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  afterAll(async () => {
    // Only reached with live clients if the test failed half-way.
    await consumer?.disconnect();
    await producer?.disconnect();
    await broker?.stop();
  }, 60_000);

  it(
    'round-trips messages through a 3-partition topic and stops cleanly',
    async () => {
      broker = await startKafkaBroker({ dataDir: tmpdir(), timeoutMs: START_TIMEOUT_MS });
      const kafka = new Kafka({
        clientId: 'tandem-kafka-broker-spec',
        brokers: broker.brokers.split(','),
        logLevel: logLevel.WARN,
      });

      const topic = `tandem.broker-check.${randomUUID()}`;
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({
          topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
          waitForLeaders: true,
        });
        const partitions = await waitFor(
          `leaders for all ${PARTITIONS} partitions of ${topic}`,
          async () => {
            const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
            const meta = topics[0]?.partitions ?? [];
            const led = meta.filter((p) => p.leader >= 0);
            return led.length === PARTITIONS ? led : undefined;
          },
          { timeoutMs: 30_000 },
        );
        expect(partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      } finally {
        await admin.disconnect();
      }

      producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      const sent = Array.from({ length: MESSAGES }, (_, i) => ({
        key: `lead-${i}`,
        value: JSON.stringify({ seq: i, type: 'LeadCaptured' }),
      }));
      const acks = await producer.send({ topic, acks: -1, messages: sent });
      expect(acks.every((a) => a.errorCode === 0)).toBe(true);
      await producer.disconnect();
      producer = undefined;

      const received: EachMessagePayload[] = [];
      consumer = kafka.consumer({ groupId: `tandem-broker-check-${randomUUID()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: (payload) => {
          received.push(payload);
          return Promise.resolve();
        },
      });
      await waitFor(
        `${MESSAGES} messages from ${topic}`,
        () => (received.length >= MESSAGES ? true : undefined),
        { timeoutMs: 60_000 },
      );
      await consumer.disconnect();
      consumer = undefined;

      expect(received.map((m) => m.message.value?.toString()).sort()).toEqual(
        sent.map((m) => m.value).sort(),
      );
      // Keys spread over every partition, and each partition keeps the send order.
      expect(new Set(received.map((m) => m.partition)).size).toBe(PARTITIONS);
      for (let p = 0; p < PARTITIONS; p++) {
        const seqs = received
          .filter((m) => m.partition === p)
          .map((m) => (JSON.parse(m.message.value!.toString()) as { seq: number }).seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }

      const { pid, dataDir } = broker;
      await broker.stop();
      if (pid !== undefined) {
        // Own broker (not KAFKA_BROKERS): the JVM must be gone and its data dir removed.
        expect(isProcessAlive(pid)).toBe(false);
        expect(existsSync(dataDir!)).toBe(false);
      }
    },
    TEST_TIMEOUT_MS,
  );
});
