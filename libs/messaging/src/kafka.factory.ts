/**
 * The one place a Kafka client is built from Tandem's configuration: brokers,
 * TLS and SASL. Credentials come from the environment through libs/config and
 * are never logged (kafkajs logs go through a filter that drops its debug noise).
 */
import type { KafkaConfig } from '@tandem/config';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';

export function createKafka(config: KafkaConfig, clientIdSuffix?: string): Kafka {
  const sasl: SASLOptions | undefined = config.sasl
    ? config.sasl.mechanism === 'plain'
      ? { mechanism: 'plain', username: config.sasl.username, password: config.sasl.password }
      : config.sasl.mechanism === 'scram-sha-256'
        ? {
            mechanism: 'scram-sha-256',
            username: config.sasl.username,
            password: config.sasl.password,
          }
        : {
            mechanism: 'scram-sha-512',
            username: config.sasl.username,
            password: config.sasl.password,
          }
    : undefined;
  return new Kafka({
    clientId: clientIdSuffix ? `${config.clientId}-${clientIdSuffix}` : config.clientId,
    brokers: [...config.brokers],
    ssl: config.ssl,
    ...(sasl ? { sasl } : {}),
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}
