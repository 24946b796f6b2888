/**
 * The configuration of a relay spec on the run's real broker (kafka-global-setup): a
 * PostgreSQL store in `schema`, one-partition topics named `topic`, keys under `keyDir`.
 */
import { loadConfig, type TandemConfig } from '@tandem/config';
import { TEST_POSTGRES_URL } from './postgres';

export interface RelayTestOptions {
  readonly schema: string;
  readonly topic: string;
  readonly keyDir: string;
  /** More settings (TANDEM_KAFKA_MAX_MESSAGE_BYTES, say). */
  readonly env?: Record<string, string>;
}

/** The settings as a relay process's environment. */
export function relayTestEnv(options: RelayTestOptions): Record<string, string> {
  return {
    TANDEM_EVENT_STORE: 'postgres',
    TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
    TANDEM_POSTGRES_SCHEMA: options.schema,
    TANDEM_KAFKA: 'on',
    KAFKA_BROKERS: process.env.TANDEM_TEST_KAFKA_BROKERS ?? '',
    TANDEM_KAFKA_TOPIC: options.topic,
    TANDEM_KAFKA_PARTITIONS: '1',
    TANDEM_KAFKA_REPLICATION: '1',
    TANDEM_DATA_DIR: options.keyDir,
    ...options.env,
  };
}

export function relayTestConfig(options: RelayTestOptions): TandemConfig {
  return loadConfig(relayTestEnv(options));
}
