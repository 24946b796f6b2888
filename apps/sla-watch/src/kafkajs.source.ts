/**
 * sla-watch's Kafka port on kafkajs, for teams that run that client: the caller builds the
 * `Kafka` instance (brokers, TLS, SASL). Only its types are imported here.
 */
import { subscribeToLeadEvents } from '@tandem/contracts';
import type { Kafka } from 'kafkajs';
import type { LeadEventSource } from './lead-events.source';

export async function kafkajsSource(
  kafka: Pick<Kafka, 'consumer' | 'producer' | 'admin'>,
): Promise<LeadEventSource> {
  const admin = kafka.admin();
  await admin.connect();
  return {
    subscribe: (options) => subscribeToLeadEvents({ ...options, kafka, fromBeginning: true }),
    async topicEnds(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(
        offsets.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]),
      );
    },
    async committed(groupId, topic) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map(
        (offsets?.partitions ?? [])
          .filter((p) => BigInt(p.offset) >= 0n)
          .map((p) => [p.partition, BigInt(p.offset)]),
      );
    },
    close: () => admin.disconnect(),
  };
}
