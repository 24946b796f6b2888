/**
 * Creating the lead-event topics explicitly (auto-creation is off in any sane
 * cluster): partitions, replication and retention come from configuration, and
 * the call waits until every partition has a leader so the first produce does
 * not race the controller. Idempotent: existing topics are left as they are.
 */
import type { KafkaConfig } from '@tandem/config';
import type { Kafka } from 'kafkajs';

export async function ensureLeadEventTopics(kafka: Kafka, config: KafkaConfig): Promise<void> {
  const topics = { events: config.topic.name, dlq: config.topic.dlq };
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [topics.events, topics.dlq].filter((topic) => !existing.has(topic));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((topic) => ({
          topic,
          numPartitions: topic === topics.dlq ? 1 : config.topic.partitions,
          replicationFactor: config.topic.replicationFactor,
          configEntries: [
            { name: 'retention.ms', value: String(config.topic.retentionMs) },
            { name: 'cleanup.policy', value: 'delete' },
          ],
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
