/**
 * The relay process: event store → Kafka. Needs a shared event store
 * (PostgreSQL or KurrentDB): an embedded PGlite belongs to the API process.
 * `GET /health` on TANDEM_PORT reports the checkpoint and how far behind it is;
 * `GET /metrics` there the relay's lag and throughput (Prometheus).
 */
import {
  ConfigError,
  configWarnings,
  describeConfig,
  loadConfig,
  loadObservabilityConfig,
} from '@tandem/config';
import { createEventStore } from '@tandem/event-store';
import { createLogger } from '@tandem/logging';
import {
  createMetricsRegistry,
  metricNames,
  metricsEndpoint,
  scrapeCounter,
  scrapeGauge,
  startTracing,
} from '@tandem/observability';
import {
  createProducer,
  ensureLeadEventTopics,
  raiseTopicMessageLimits,
  serveHealth,
} from '@tandem/messaging';
import { Relay } from './relay';

async function main(): Promise<number> {
  const config = loadConfig();
  if (!config.kafka) throw new ConfigError(['TANDEM_KAFKA: must be on for the relay']);
  if (config.eventStore.kind === 'pglite') {
    throw new ConfigError([
      'TANDEM_EVENT_STORE: the relay needs a shared store (postgres or kurrentdb); PGlite is owned by the API process',
    ]);
  }
  const observability = loadObservabilityConfig();
  const tracing = startTracing('tandem-relay');
  const logger = createLogger('relay', config.logLevel);
  const store = await createEventStore(config.eventStore);
  await ensureLeadEventTopics(config.kafka);
  // A topic created before TANDEM_KAFKA_MAX_MESSAGE_BYTES keeps Kafka's 1 MB: the broker would
  // refuse a request of events up to the setting. Raised here, or the start fails naming it.
  const limits = await raiseTopicMessageLimits(config.kafka);
  if (limits.kind === 'unknown') {
    logger.warn(
      { reason: limits.reason, maxMessageBytes: config.kafka.topic.maxMessageBytes },
      "could not read the topics' max.message.bytes; a topic below TANDEM_KAFKA_MAX_MESSAGE_BYTES refuses larger requests",
    );
  }
  for (const { topic, maxMessageBytes } of limits.kind === 'ok' ? limits.raised : []) {
    logger.warn(
      { topic, from: maxMessageBytes, to: config.kafka.topic.maxMessageBytes },
      "raised the topic's max.message.bytes to TANDEM_KAFKA_MAX_MESSAGE_BYTES",
    );
  }
  // Idempotent (acks=all), murmur2 on the key as the Java client: see libs/messaging.
  const producer = createProducer(config.kafka, 'relay');
  const relay = new Relay(
    store,
    producer,
    {
      topic: config.kafka.topic.name,
      checkpoint: `relay:${config.kafka.topic.name}`,
      batchSize: config.kafka.relayBatchSize,
      maxMessageBytes: config.kafka.topic.maxMessageBytes,
    },
    logger,
  );
  await relay.start();
  const metrics = createMetricsRegistry('relay');
  scrapeGauge(
    metrics,
    metricNames.relayLag,
    'Global-log positions between the store head and the relay checkpoint (events, on PostgreSQL)',
    [],
    async () => {
      const head = await store.headPosition();
      const { position } = relay.status();
      return head === null ? 0 : Number(head - BigInt(position ?? '0'));
    },
  );
  scrapeCounter(
    metrics,
    metricNames.relayPublished,
    'Events published to Kafka since the relay started',
    () => relay.status().published,
  );
  const health = async () => {
    const head = await store.headPosition();
    const { position, published } = relay.status();
    return {
      status: 'ok',
      headPosition: head?.toString() ?? null,
      checkpoint: position,
      caughtUp: head === null || (position !== null && BigInt(position) >= head),
      publishedSinceStart: published,
    };
  };
  const server = await serveHealth(
    config.http.host,
    config.http.port,
    health,
    metricsEndpoint(metrics, observability.metricsToken),
    logger,
    config.http,
  );
  logger.info({ topic: config.kafka.topic.name }, `relay running (${describeConfig(config)})`);
  for (const warning of configWarnings(config)) logger.warn(warning);

  const shutdown = async () => {
    server.close();
    await relay.stop();
    await producer.close();
    await store.close();
    await tracing.shutdown();
  };
  const stopped = new Promise<number>((resolve) => {
    const onSignal = () => void shutdown().then(() => resolve(0));
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  const failed = relay.done.then(
    () => new Promise<number>(() => undefined),
    async (error: unknown) => {
      logger.error({ err: error }, 'relay stopped');
      await shutdown().catch(() => undefined);
      return 1;
    },
  );
  return Promise.race([stopped, failed]);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
