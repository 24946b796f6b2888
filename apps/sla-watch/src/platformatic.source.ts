/**
 * sla-watch's Kafka port on @platformatic/kafka 2.x (what main.ts runs). Each subscription
 * gets its own consumer (its group) and DLQ producer; one admin client answers the offset
 * look-ups. The subscribe helper sets the stream's fences (committed offsets, no autocommit).
 */
import { Admin, Consumer, Producer, type BaseOptions } from '@platformatic/kafka';
import { subscribeWithPlatformatic } from '@tandem/contracts';
import type { LeadEventSource } from './lead-events.source';

const LATEST = -1n;
const EARLIEST = -2n;

/** `connection`: clientId, bootstrapBrokers, tls and sasl, as the caller configured them. */
export function platformaticSource(connection: BaseOptions): LeadEventSource {
  const admin = new Admin(connection);

  async function offsets(topic: string, timestamp: bigint): Promise<Map<number, bigint>> {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const [listed] = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: count }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp,
          })),
        },
      ],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  }

  return {
    async subscribe(options) {
      const consumer = new Consumer({ ...connection, groupId: options.groupId });
      // Idempotent implies acks=all: a dead letter is written once and for good.
      const producer = new Producer({ ...connection, idempotent: true });
      const subscription = await subscribeWithPlatformatic({
        ...options,
        consumer,
        producer,
        fromBeginning: true,
      }).catch(async (error: unknown) => {
        await Promise.allSettled([consumer.close(true), producer.close()]);
        throw error;
      });
      return {
        async stop() {
          await subscription.stop();
          await consumer.close(true);
          await producer.close();
        },
      };
    },
    async topicEnds(topic) {
      const [low, high] = await Promise.all([offsets(topic, EARLIEST), offsets(topic, LATEST)]);
      return new Map([...high].filter(([partition, end]) => low.get(partition) !== end));
    },
    async committed(groupId, topic) {
      const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
      const partitions = group?.topics.find((t) => t.name === topic)?.partitions ?? [];
      return new Map(
        partitions
          .filter((p) => p.committedOffset >= 0n)
          .map((p) => [p.partitionIndex, p.committedOffset]),
      );
    },
    close: () => admin.close(),
  };
}
