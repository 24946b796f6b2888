/**
 * Creating the lead-event topics explicitly (auto-creation is off in any sane
 * cluster): partitions, replication, retention and the largest message (max.message.bytes:
 * Kafka's 1 MB default is less than one event may take) come from configuration, and
 * the call waits until every partition has a leader so the first produce does
 * not race the controller. Idempotent: existing topics are left as they are, and
 * two processes starting at once (relay and projector) may both try.
 */
import { findErrorBy } from '@platformatic/kafka';
import type { KafkaConfig } from '@tandem/config';
import { createAdmin, type KafkaAdmin } from './kafka.factory';

const LEADER_POLL_MS = 100;
const LEADER_DEADLINE_MS = 30_000;

export async function ensureLeadEventTopics(config: KafkaConfig): Promise<void> {
  const topics = { events: config.topic.name, dlq: config.topic.dlq };
  const admin = createAdmin(config, 'topics');
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [topics.events, topics.dlq].filter((topic) => !existing.has(topic));
    if (wanted.length > 0) {
      await admin
        .createTopics({
          topics: wanted.map((topic) => ({
            topic,
            partitions: topic === topics.dlq ? 1 : config.topic.partitions,
            replicas: config.topic.replicationFactor,
          })),
          configs: [
            { name: 'retention.ms', value: String(config.topic.retentionMs) },
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'max.message.bytes', value: String(config.topic.maxMessageBytes) },
          ],
        })
        .catch((error: unknown) => {
          // Another process created it between our list and our create: that is the goal.
          if (!findErrorBy(error as Error, 'apiId', 'TOPIC_ALREADY_EXISTS')) throw error;
        });
    }
    await untilEveryPartitionHasALeader(admin, [topics.events, topics.dlq]);
  } finally {
    await admin.close();
  }
}

/** The client has no `waitForLeaders`: poll fresh metadata until no partition lacks a leader. */
async function untilEveryPartitionHasALeader(
  admin: KafkaAdmin,
  topics: readonly string[],
): Promise<void> {
  const deadline = Date.now() + LEADER_DEADLINE_MS;
  for (;;) {
    const led = await admin.metadata({ topics: [...topics], forceUpdate: true }).then(
      (metadata) =>
        topics.every((name) => {
          const topic = metadata.topics.get(name);
          return (
            topic !== undefined &&
            topic.partitions.length === topic.partitionsCount &&
            topic.partitions.every((partition) => partition.leader >= 0)
          );
        }),
      () => false,
    );
    if (led) return;
    if (Date.now() >= deadline) {
      throw new Error(`topics ${topics.join(', ')}: no leader for every partition after 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
  }
}
