/**
 * jest globalSetup for the `int` project: starts one real Kafka broker for the whole run
 * (or adopts KAFKA_BROKERS) and hands its bootstrap list to every test file through
 * process.env.TANDEM_TEST_KAFKA_BROKERS. Test workers start after this and inherit the env.
 *
 * It must never start more than one broker per jest run, reuse a data directory, or swallow
 * a start-up failure (the run must fail loudly with the broker's log tail instead).
 */
import { startKafkaBroker, type KafkaBroker } from './kafka-broker';

/** Where the broker waits for kafka-global-teardown (same process, see jest's docs). */
export const KAFKA_BROKER_GLOBAL = '__TANDEM_TEST_KAFKA_BROKER__';

export default async function kafkaGlobalSetup(): Promise<void> {
  const broker: KafkaBroker = await startKafkaBroker();
  (globalThis as Record<string, unknown>)[KAFKA_BROKER_GLOBAL] = broker;
  process.env.TANDEM_TEST_KAFKA_BROKERS = broker.brokers;
  // The broker's files, for specs that search its log segments (the erasure test); unset when
  // KAFKA_BROKERS names a cluster of someone else's.
  if (broker.dataDir !== undefined) process.env.TANDEM_TEST_KAFKA_DATA_DIR = broker.dataDir;
}
