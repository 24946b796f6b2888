/**
 * The one place Tandem builds Kafka clients (@platformatic/kafka 2.x, ADR 0004), from its
 * configuration: brokers, TLS and SASL. Credentials come from the environment through
 * libs/config and are never logged.
 *
 * The client's defaults break Tandem's delivery rules, so the fences live here, where no
 * caller can forget one:
 * - producers are idempotent (acks=all, one request in flight) and partition with the Java
 *   client's murmur2 (`compatibilityPartitioner`). The default partitioner differs for about
 *   half the keys: a lead's events would split over two partitions (order per lead lost) and
 *   stop matching what every other client computes for the same key.
 * - consumers read from the group's committed offsets (the earliest for a new group) and never
 *   autocommit. The default `latest` mode skips what was produced while a member was down, and
 *   autocommit commits fetched messages before they are processed.
 * - after a rebalance the stream still hands over buffered messages of partitions that moved:
 *   `ownsPartition` is the check every consumer loop makes before it processes or commits.
 * It must never hand out a producer or a message stream without these settings.
 */
import type { KafkaConfig } from '@tandem/config';
import {
  Admin,
  compatibilityPartitioner,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializer,
  type BaseOptions,
  type ConsumerOptions,
  type MessagesStream,
  type ProducerOptions,
  type SASLOptions,
} from '@platformatic/kafka';

/** A key, value or header value as Tandem hands it to a producer: text, or bytes passed on. */
export type KafkaBytes = string | Buffer;

export type KafkaProducer = Producer<KafkaBytes, KafkaBytes, string, KafkaBytes>;
/** Keys and header names arrive as text, values and header values as bytes. */
export type KafkaConsumer = Consumer<string, Buffer, string, Buffer>;
export type KafkaMessageStream = MessagesStream<string, Buffer, string, Buffer>;
export type KafkaAdmin = Admin;

const toBuffer = (data?: KafkaBytes): Buffer | undefined =>
  data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data) : data;
const passBytes = (data?: Buffer): Buffer | undefined => data;
const bytesSerializers = {
  key: toBuffer,
  value: toBuffer,
  headerKey: (data?: string) => toBuffer(data),
  headerValue: toBuffer,
};

function sasl(config: KafkaConfig): SASLOptions | undefined {
  if (!config.sasl) return undefined;
  const { username, password } = config.sasl;
  switch (config.sasl.mechanism) {
    case 'plain':
      return { mechanism: 'PLAIN', username, password };
    case 'scram-sha-256':
      return { mechanism: 'SCRAM-SHA-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'SCRAM-SHA-512', username, password };
  }
}

/** Connection settings every client shares: brokers, TLS, SASL, retries. */
export function kafkaBaseOptions(config: KafkaConfig, clientIdSuffix?: string): BaseOptions {
  const credentials = sasl(config);
  return {
    clientId: clientIdSuffix ? `${config.clientId}-${clientIdSuffix}` : config.clientId,
    bootstrapBrokers: [...config.brokers],
    ...(config.ssl ? { tls: {} } : {}),
    ...(credentials ? { sasl: credentials } : {}),
    retries: 8,
    retryDelay: 200,
    // Topics are created on purpose (ensureLeadEventTopics), never by a produce or a fetch.
    autocreateTopics: false,
  };
}

/** The producer settings, apart so a spec can check the fences without a broker. */
export function producerOptions(
  config: KafkaConfig,
  clientIdSuffix?: string,
): ProducerOptions<KafkaBytes, KafkaBytes, string, KafkaBytes> {
  return {
    ...kafkaBaseOptions(config, clientIdSuffix),
    // Idempotent implies acks=all and one request in flight (the client enforces both).
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
    serializers: bytesSerializers,
  };
}

/** An idempotent producer (acks=all) that puts each key where the Java client would. */
export function createProducer(config: KafkaConfig, clientIdSuffix?: string): KafkaProducer {
  return new Producer(producerOptions(config, clientIdSuffix));
}

/** The client's default for a whole fetch response (50 MB). */
const CLIENT_MAX_FETCH_BYTES = 50 * 1024 * 1024;
/** What a fetch takes per partition when the topics' largest message is smaller. */
const MIN_PARTITION_FETCH_BYTES = 4 << 20;

/**
 * Group settings: kafkajs' defaults, which the projector was measured with (ADR 0004), except
 * the fetch sizes, which follow the topics' largest message (TANDEM_KAFKA_MAX_MESSAGE_BYTES).
 * The broker hands a record batch over a partition's fetch size only to the first partition of
 * a fetch that has data; for any other it cuts the batch off, and the client drops the cut-off
 * batch. A partition holding a batch that large would then wait for a fetch in which every
 * partition before it is empty, which a steady stream of events on those never gives.
 */
export function consumerOptions(
  config: KafkaConfig,
  groupId: string,
  clientIdSuffix?: string,
): ConsumerOptions<string, Buffer, string, Buffer> {
  return {
    ...kafkaBaseOptions(config, clientIdSuffix),
    groupId,
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: Math.max(MIN_PARTITION_FETCH_BYTES, config.topic.maxMessageBytes),
    maxBytes: Math.max(CLIENT_MAX_FETCH_BYTES, config.topic.maxMessageBytes),
    autocommit: false,
    deserializers: {
      key: stringDeserializer,
      value: passBytes,
      headerKey: stringDeserializer,
      headerValue: passBytes,
    },
  };
}

export function createConsumer(
  config: KafkaConfig,
  groupId: string,
  clientIdSuffix?: string,
): KafkaConsumer {
  return new Consumer(consumerOptions(config, groupId, clientIdSuffix));
}

/** The stream settings: committed offsets (earliest for a new group), no autocommit. */
export const consumeFences = {
  mode: MessagesStreamModes.COMMITTED,
  fallbackMode: MessagesStreamFallbackModes.EARLIEST,
  autocommit: false,
} as const;

/**
 * Joins the group and streams `topics` from the group's committed offsets. Nothing is
 * committed unless the caller commits it, after the message is processed.
 */
export function consumeTopics(
  consumer: KafkaConsumer,
  topics: readonly string[],
): Promise<KafkaMessageStream> {
  return consumer.consume({ topics: [...topics], ...consumeFences });
}

/**
 * True while `partition` of `topic` is assigned to this member. After a rebalance the stream
 * still delivers what it buffered for partitions that moved: those must be dropped, neither
 * processed nor committed (the new owner reads them from the committed offset).
 */
export function ownsPartition(consumer: KafkaConsumer, topic: string, partition: number): boolean {
  return (
    consumer.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ??
    false
  );
}

export function createAdmin(config: KafkaConfig, clientIdSuffix?: string): KafkaAdmin {
  return new Admin(kafkaBaseOptions(config, clientIdSuffix));
}

/** A message's headers as the contracts' decoder reads them (a plain record). */
export function headerRecord(headers: ReadonlyMap<string, Buffer>): Record<string, Buffer> {
  return Object.fromEntries(headers);
}
