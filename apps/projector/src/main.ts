/**
 * The projector process (server mode): Kafka consumer group → ClickHouse.
 * `GET /health` on TANDEM_PORT reports per-partition lag and dead letters (open to anyone
 * who reaches the port: never an error's words, KafkaProjector.health);
 * `GET /metrics` there the same as Prometheus metrics.
 * In embedded mode there is no such process: the API projects the store itself.
 */
import { closeAnalyticsClient, createAnalyticsClient, migrate } from '@tandem/analytics';
import {
  ConfigError,
  configWarnings,
  describeConfig,
  loadConfig,
  loadObservabilityConfig,
} from '@tandem/config';
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
  createAdmin,
  createConsumer,
  createProducer,
  ensureLeadEventTopics,
  serveHealth,
} from '@tandem/messaging';
import { KafkaProjector } from './kafka-projector';

async function main(): Promise<number> {
  const config = loadConfig();
  if (!config.kafka) throw new ConfigError(['TANDEM_KAFKA: must be on for the projector process']);
  const observability = loadObservabilityConfig();
  const tracing = startTracing('tandem-projector');
  const logger = createLogger('projector', config.logLevel);
  const ch = config.clickhouse;
  const analytics = await createAnalyticsClient(ch);
  await migrate(analytics, { database: ch.database });
  await ensureLeadEventTopics(config.kafka);
  // The fences (committed offsets, no autocommit, idempotent DLQ producer) are libs/messaging's.
  const admin = createAdmin(config.kafka, 'projector');
  const dlq = createProducer(config.kafka, 'projector-dlq');
  const consumer = createConsumer(config.kafka, config.kafka.consumerGroup, 'projector');
  const projector = new KafkaProjector(
    consumer,
    dlq,
    admin,
    analytics,
    {
      topic: config.kafka.topic.name,
      dlqTopic: config.kafka.topic.dlq,
      groupId: config.kafka.consumerGroup,
      database: ch.database,
      processLeaseSeconds: config.replay.leaseSeconds,
    },
    logger,
  );
  await projector.start();
  const metrics = createMetricsRegistry('projector');
  scrapeGauge(
    metrics,
    metricNames.consumerLag,
    'Messages on the topic not yet committed by the consumer group, per partition',
    ['partition'],
    async () =>
      (await projector.lag()).map(({ partition, lag }) => ({
        labels: { partition: String(partition) },
        value: Number(lag),
      })),
  );
  scrapeCounter(
    metrics,
    metricNames.projectorProjected,
    'Events written to ClickHouse since the projector started',
    () => projector.status().projected,
  );
  scrapeCounter(
    metrics,
    metricNames.projectorDeadLettered,
    'Messages the projection refused (undecodable, or breaking its contract), sent to the DLQ and ' +
      'held in projection_dead_letters: every member and run so far, not reset by a restart',
    () => projector.status().deadLettered,
  );
  scrapeGauge(
    metrics,
    metricNames.projectorWaitingSets,
    'Kept rule sets whose rows another build computed: while above 0 the projector waits, uncommitted',
    [],
    () => Promise.resolve(projector.status().otherCode.length),
  );
  const server = await serveHealth(
    config.http.host,
    config.http.port,
    async () => ({ ...(await projector.health()) }),
    metricsEndpoint(metrics, observability.metricsToken),
    logger,
    config.http,
  );
  logger.info(
    { group: config.kafka.consumerGroup },
    `projector running (${describeConfig(config)})`,
  );
  for (const warning of configWarnings(config)) logger.warn(warning);

  const shutdown = async () => {
    server.close();
    await projector.stop();
    await consumer.close();
    await dlq.close();
    await admin.close();
    await closeAnalyticsClient(analytics);
    await tracing.shutdown();
  };
  const stopped = new Promise<number>((resolve) => {
    const onSignal = () => void shutdown().then(() => resolve(0));
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  // The stream failed or a batch could not be settled: exit, so the supervisor restarts us.
  const failed = projector.done.then(
    () => new Promise<number>(() => undefined),
    async (error: unknown) => {
      logger.error({ err: error }, 'projector stopped');
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
