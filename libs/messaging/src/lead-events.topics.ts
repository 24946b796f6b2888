/**
 * Creating the lead-event topics explicitly (auto-creation is off in any sane
 * cluster): partitions, replication, retention and the largest message (max.message.bytes:
 * Kafka's 1 MB default is less than one event may take) come from configuration, and
 * the call waits until every partition has a leader so the first produce does
 * not race the controller. Idempotent: existing topics are left as they are, and
 * two processes starting at once (relay and projector) may both try.
 *
 * Topics created before TANDEM_KAFKA_MAX_MESSAGE_BYTES existed keep Kafka's 1 MB: the relay
 * raises theirs (raiseTopicMessageLimits) at start, or refuses to start naming the topic, its
 * value and the command, rather than have the broker refuse a request of events later.
 * It must never lower a topic's limit.
 */
import {
  ConfigResourceTypes,
  findErrorBy,
  IncrementalAlterConfigOperationTypes,
  ProtocolError,
} from '@platformatic/kafka';
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

const MAX_MESSAGE_BYTES = 'max.message.bytes';

/** A topic whose largest message is below TANDEM_KAFKA_MAX_MESSAGE_BYTES. */
export interface TopicLimit {
  readonly topic: string;
  /** The topic's max.message.bytes as the broker describes it (override or default). */
  readonly maxMessageBytes: number;
}

/** What raiseTopicMessageLimits did: the topics it raised, or why it could not tell. */
export type TopicLimitsOutcome =
  | { readonly kind: 'ok'; readonly raised: readonly TopicLimit[] }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The broker refused to raise a topic's limit: nothing was published; ops must act. */
export class TopicLimitError extends Error {
  override readonly name = 'TopicLimitError';
}

/**
 * Raises max.message.bytes of the lead-event topics (events and DLQ) to the configured one
 * where the broker describes less, and waits until it describes the new value (what a produce
 * is checked against). A topic at or above the setting is left alone. When the broker refuses
 * (no AlterConfigs right, a policy), throws a TopicLimitError naming each topic, its value, the
 * setting and the command that raises it. When it refuses to describe them, the outcome says
 * so: the relay starts, as it did before, and warns.
 */
export async function raiseTopicMessageLimits(config: KafkaConfig): Promise<TopicLimitsOutcome> {
  const wanted = config.topic.maxMessageBytes;
  const topics = [config.topic.name, config.topic.dlq];
  const admin = createAdmin(config, 'topic-limits');
  try {
    let below: TopicLimit[];
    try {
      below = (await describeLimits(admin, topics)).filter((t) => t.maxMessageBytes < wanted);
    } catch (error) {
      return { kind: 'unknown', reason: brokerReason(error) };
    }
    if (below.length === 0) return { kind: 'ok', raised: [] };
    await admin
      .incrementalAlterConfigs({
        resources: below.map(({ topic }) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configs: [
            {
              name: MAX_MESSAGE_BYTES,
              configOperation: IncrementalAlterConfigOperationTypes.SET,
              value: String(wanted),
            },
          ],
        })),
      })
      .catch((error: unknown) => {
        throw new TopicLimitError(topicLimitRefusal(below, config, brokerReason(error)));
      });
    await untilDescribedAtLeast(admin, below, wanted);
    return { kind: 'ok', raised: below };
  } finally {
    await admin.close();
  }
}

/** What the relay says when a topic's limit stays below the setting: what, why, and the fix. */
export function topicLimitRefusal(
  below: readonly TopicLimit[],
  config: Pick<KafkaConfig, 'brokers' | 'topic'>,
  reason: string,
): string {
  const wanted = config.topic.maxMessageBytes;
  const lowest = Math.min(...below.map((t) => t.maxMessageBytes));
  const topics = below.map((t) => `${t.topic} (${t.maxMessageBytes})`).join(', ');
  const commands = below.map(
    ({ topic }) =>
      `kafka-configs.sh --bootstrap-server ${config.brokers.join(',')} --alter ` +
      `--entity-type topics --entity-name ${topic} --add-config ${MAX_MESSAGE_BYTES}=${wanted}`,
  );
  return (
    `${MAX_MESSAGE_BYTES} of topic ${topics} is below TANDEM_KAFKA_MAX_MESSAGE_BYTES (${wanted}), ` +
    `and the broker refused to raise it (${reason}). Raise it with: ${commands.join(' ; ')} ` +
    `- or set TANDEM_KAFKA_MAX_MESSAGE_BYTES=${lowest} to publish within it ` +
    `(an event larger than that then stops the relay, named).`
  );
}

async function describeLimits(admin: KafkaAdmin, topics: readonly string[]): Promise<TopicLimit[]> {
  const described = await admin.describeConfigs({
    resources: topics.map((topic) => ({
      resourceType: ConfigResourceTypes.TOPIC,
      resourceName: topic,
      configurationKeys: [MAX_MESSAGE_BYTES],
    })),
  });
  return topics.map((topic) => {
    const value = described
      .find((resource) => resource.resourceName === topic)
      ?.configs.find((entry) => entry.name === MAX_MESSAGE_BYTES)?.value;
    const maxMessageBytes = Number(value);
    if (value == null || !Number.isSafeInteger(maxMessageBytes)) {
      throw new Error(`topic ${topic}: the broker described no ${MAX_MESSAGE_BYTES}`);
    }
    return { topic, maxMessageBytes };
  });
}

/** A config change reaches the brokers through the metadata log: poll until it has. */
async function untilDescribedAtLeast(
  admin: KafkaAdmin,
  limits: readonly TopicLimit[],
  wanted: number,
): Promise<void> {
  const topics = limits.map(({ topic }) => topic);
  const deadline = Date.now() + LEADER_DEADLINE_MS;
  for (;;) {
    const described = await describeLimits(admin, topics).catch(() => []);
    if (described.length > 0 && described.every((t) => t.maxMessageBytes >= wanted)) return;
    if (Date.now() >= deadline) {
      throw new Error(`topics ${topics.join(', ')}: ${MAX_MESSAGE_BYTES} not ${wanted} after 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
  }
}

/** The broker's error code and text where it gave them (TOPIC_AUTHORIZATION_FAILED, …). */
function brokerReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const protocol = findErrorBy(error, 'code', ProtocolError.code) as {
    readonly apiId?: string;
    readonly serverErrorMessage?: string | null;
  } | null;
  if (!protocol?.apiId) return error.message;
  return protocol.serverErrorMessage
    ? `${protocol.apiId}: ${protocol.serverErrorMessage}`
    : protocol.apiId;
}
