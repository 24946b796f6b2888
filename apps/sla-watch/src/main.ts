/**
 * sla-watch, an example downstream service built only on @tandem/contracts (and
 * @platformatic/kafka; kafkajs.source.ts is the same port on kafkajs): it notifies the owner when a lead is handed to sales and escalates
 * when the SLA passes without an answer.
 *
 * Its state is rebuilt from the log on every start: each start joins a new
 * consumer group and reads `tandem.lead-events.v1` from the first offset, so
 * nothing is lost with the process and there is nothing of its own to back up.
 * Notifications go to stdout as JSON lines (logs go to stderr); a real
 * deployment swaps in an email or Slack Notifier that remembers keys, since a
 * restart offers past notifications again. Run one instance: two would both
 * escalate (harmless only with a shared, key-remembering notifier).
 *
 * Environment: KAFKA_BROKERS (required, host:port,...), KAFKA_CLIENT_ID,
 * KAFKA_SSL=true, KAFKA_SASL_MECHANISM (plain | scram-sha-256 | scram-sha-512)
 * with KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD, TANDEM_KAFKA_TOPIC,
 * SLA_WATCH_GROUP_PREFIX (default tandem-sla-watch), SLA_WATCH_TICK_SECONDS
 * (default 30). It must never print credentials.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LEAD_EVENTS_TOPIC } from '@tandem/contracts';
import type { SASLOptions } from '@platformatic/kafka';
import { createJsonLinesNotifier } from './json-lines.notifier';
import { platformaticSource } from './platformatic.source';
import { startSlaWatch } from './sla-watch.runner';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name}: required`);
  return value;
}

function sasl(env: NodeJS.ProcessEnv): SASLOptions | undefined {
  const mechanism = env.KAFKA_SASL_MECHANISM;
  if (!mechanism) return undefined;
  const username = required(env, 'KAFKA_SASL_USERNAME');
  const password = required(env, 'KAFKA_SASL_PASSWORD');
  switch (mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512':
      return {
        mechanism: mechanism.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
        username,
        password,
      };
    default:
      throw new Error('KAFKA_SASL_MECHANISM: expected plain, scram-sha-256 or scram-sha-512');
  }
}

const log = (message: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), message, ...fields })}\n`);

async function main(): Promise<void> {
  const env = process.env;
  const credentials = sasl(env);
  const source = platformaticSource({
    clientId: env.KAFKA_CLIENT_ID ?? 'tandem-sla-watch',
    bootstrapBrokers: required(env, 'KAFKA_BROKERS').split(','),
    ...(env.KAFKA_SSL === 'true' ? { tls: {} } : {}),
    ...(credentials ? { sasl: credentials } : {}),
    retries: 8,
    retryDelay: 200,
  });
  const tickSeconds = Number(env.SLA_WATCH_TICK_SECONDS ?? 30);
  if (!(tickSeconds > 0)) throw new Error('SLA_WATCH_TICK_SECONDS: expected a positive number');
  const groupId = `${env.SLA_WATCH_GROUP_PREFIX ?? 'tandem-sla-watch'}.${hostname()}.${randomUUID()}`;
  const topic = env.TANDEM_KAFKA_TOPIC ?? LEAD_EVENTS_TOPIC;

  const runner = await startSlaWatch({
    source,
    groupId,
    topic,
    notifier: createJsonLinesNotifier(process.stdout),
    tickMs: tickSeconds * 1000,
    log,
  });
  log('sla-watch started', { topic, groupId, tickSeconds });

  const shutdown = (signal: string) => {
    log('stopping', { signal, ...runner.status() });
    runner
      .stop()
      .then(() => source.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log('stop failed', { error: String(error) });
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  log('sla-watch failed to start', {
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
