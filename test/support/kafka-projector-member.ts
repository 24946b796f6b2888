/**
 * Test support: a Kafka projector member as apps/projector/src/main.ts wires it (consumer of
 * its group, DLQ producer, admin for the lag, its /health behind the worker health server),
 * in the test's own process, for specs that read its state and its open /health together.
 * Each spec brings its own topic, group and ClickHouse database; stop() closes what it opened.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import { type KafkaConfig, loadConfig } from '@tandem/config';
import { encodeForStore, toEventMessage } from '@tandem/contracts';
import {
  createAdmin,
  createConsumer,
  createProducer,
  ensureLeadEventTopics,
  serveHealth,
} from '@tandem/messaging';
import { KafkaProjector } from '../../apps/projector/src/kafka-projector';

/** A topic of one partition on the run's broker, with its DLQ, created; `group` the default. */
export async function projectorKafka(
  brokers: string,
  dataDir: string,
  topic: string,
  group: string,
): Promise<KafkaConfig> {
  const kafka = loadConfig({
    TANDEM_KAFKA: 'on',
    KAFKA_BROKERS: brokers,
    TANDEM_KAFKA_TOPIC: topic,
    TANDEM_KAFKA_PARTITIONS: '1',
    TANDEM_KAFKA_REPLICATION: '1',
    TANDEM_KAFKA_GROUP: group,
    TANDEM_DATA_DIR: dataDir,
  }).kafka!;
  await ensureLeadEventTopics(kafka);
  return kafka;
}

export interface ProjectorMember {
  readonly projector: KafkaProjector;
  /** The member's GET /health, open to anyone (no credential). */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a member of `groupId` writing `database`; its /health on a free port. */
export async function startProjectorMember(
  kafka: KafkaConfig,
  client: ClickHouseClient,
  options: {
    readonly groupId: string;
    readonly database: string;
    readonly name: string;
    /** KafkaProjectorOptions.deadLetterRecountMs (default: the projector's). */
    readonly deadLetterRecountMs?: number;
  },
): Promise<ProjectorMember> {
  const consumer = createConsumer(kafka, options.groupId, options.name);
  const dlq = createProducer(kafka, options.name);
  const admin = createAdmin(kafka, options.name);
  const projector = new KafkaProjector(consumer, dlq, admin, client, {
    topic: kafka.topic.name,
    dlqTopic: kafka.topic.dlq,
    groupId: options.groupId,
    database: options.database,
    ...(options.deadLetterRecountMs === undefined
      ? {}
      : { deadLetterRecountMs: options.deadLetterRecountMs }),
  });
  let server: Server | null = null;
  const stop = async () => {
    if (server !== null) await new Promise((resolve) => server?.close(resolve));
    await projector.stop();
    await consumer.close(true);
    await Promise.all([dlq.close(), admin.close()]);
  };
  try {
    await projector.start();
    server = await serveHealth('127.0.0.1', 0, async () => ({ ...(await projector.health()) }));
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  return { projector, url, stop };
}

/** One valid lead event as the relay publishes it (LeadRecycled, position 1), for `lead-<leadId>`. */
export function leadEventMessage(leadId: string, correlationId: string) {
  const event = encodeForStore(
    { type: 'LeadRecycled', data: { from: 'mql', reason: 'no answer' } },
    {
      eventId: randomUUID(),
      leadId,
      accountId: null,
      occurredAt: '2026-03-01T09:00:00.000Z',
      correlationId,
      causationId: null,
      actor: { kind: 'service', id: correlationId, role: 'system' },
    },
  );
  return toEventMessage({
    ...event,
    streamId: `lead-${leadId}`,
    streamRevision: 0n,
    globalPosition: 1n,
    recordedAt: new Date('2026-03-01T09:00:01.000Z'),
  });
}
