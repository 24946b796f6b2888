/**
 * jest globalTeardown for the `int` project: stops the broker that kafka-global-setup started
 * and removes its data directory.
 *
 * It must never stop a cluster it did not start (an external KAFKA_BROKERS cluster is left
 * alone: its stop() is a no-op) and never leave the broker running when it returns.
 */
import { type KafkaBroker } from './kafka-broker';
import { KAFKA_BROKER_GLOBAL } from './kafka-global-setup';

export default async function kafkaGlobalTeardown(): Promise<void> {
  const holder = globalThis as Record<string, unknown>;
  const broker = holder[KAFKA_BROKER_GLOBAL] as KafkaBroker | undefined;
  delete holder[KAFKA_BROKER_GLOBAL];
  delete process.env.TANDEM_TEST_KAFKA_BROKERS;
  await broker?.stop();
}
