/**
 * The Kafka projector's dead-letter count is what projection_dead_letters holds, not what this
 * run has seen: a poison message dead-lettered before a restart is still counted on `/health`
 * after it (the count was in memory and started again at 0, hiding it from an operator), and a
 * member that reads the same message again (a new group, a redelivery) counts it once. Real
 * broker (the run's, or TANDEM_TEST_KAFKA_BROKERS), real chDB, the worker health server.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
  readDeadLetters,
} from '@tandem/analytics';
import { type KafkaConfig, loadConfig } from '@tandem/config';
import { encodeForStore, toEventMessage } from '@tandem/contracts';
import {
  createAdmin,
  createConsumer,
  createProducer,
  ensureLeadEventTopics,
  serveHealth,
} from '@tandem/messaging';
import type { ClickHouseClient } from '@clickhouse/client';
import { KafkaProjector, type ProjectorHealth } from '../apps/projector/src/kafka-projector';
import { eventually } from './support/eventually';

jest.setTimeout(180_000);

const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const DATABASE = `projector_dead_letters_${process.pid}`;

/** One projector process as main.ts wires it: a group member and its /health, read over HTTP. */
async function startMember(kafka: KafkaConfig, client: ClickHouseClient, group: string) {
  const consumer = createConsumer(kafka, group, 'dead-letters-member');
  const dlq = createProducer(kafka, 'dead-letters-member');
  const admin = createAdmin(kafka, 'dead-letters-member');
  const projector = new KafkaProjector(consumer, dlq, admin, client, {
    topic: kafka.topic.name,
    dlqTopic: kafka.topic.dlq,
    groupId: group,
    database: DATABASE,
  });
  await projector.start();
  const server: Server = await serveHealth('127.0.0.1', 0, async () => ({
    ...(await projector.health()),
  }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  return {
    health: async () => (await (await fetch(url)).json()) as ProjectorHealth,
    stop: async () => {
      await new Promise((resolve) => server.close(resolve));
      await projector.stop();
      await consumer.close(true);
      await Promise.all([dlq.close(), admin.close()]);
    },
  };
}

(brokers ? it : it.skip)(
  'still reports a message dead-lettered before a restart, and counts one read again once',
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-projector-dead-letters-'));
    const topic = `tandem.test.dead-letters.${randomUUID()}`;
    const group = `projector-dead-letters-${randomUUID()}`;
    const kafka = loadConfig({
      TANDEM_KAFKA: 'on',
      KAFKA_BROKERS: brokers ?? '',
      TANDEM_KAFKA_TOPIC: topic,
      TANDEM_KAFKA_PARTITIONS: '1',
      TANDEM_KAFKA_REPLICATION: '1',
      TANDEM_KAFKA_GROUP: group,
      TANDEM_DATA_DIR: dataDir,
    }).kafka!;
    await ensureLeadEventTopics(kafka);
    const client = await createAnalyticsClient({ mode: 'embedded', path: join(dataDir, 'chdb') });
    const producer = createProducer(kafka, 'dead-letters-test');
    const members: { stop: () => Promise<void> }[] = [];
    const start = async (groupId: string) => {
      const member = await startMember(kafka, client, groupId);
      members.push(member);
      return member;
    };
    try {
      await migrate(client, { database: DATABASE });
      // A poison message (no Tandem envelope: it never projects), then a valid event behind it,
      // so a member that has projected the event has settled the poison before it.
      const leadId = randomUUID();
      const event = encodeForStore(
        { type: 'LeadRecycled', data: { from: 'mql', reason: 'no answer' } },
        {
          eventId: randomUUID(),
          leadId,
          accountId: null,
          occurredAt: '2026-03-01T09:00:00.000Z',
          correlationId: 'projector-dead-letters',
          causationId: null,
          actor: { kind: 'service', id: 'projector-dead-letters', role: 'system' },
        },
      );
      await producer.send({
        messages: [
          { topic, key: leadId, value: Buffer.from('{"not": "a tandem event"') },
          {
            topic,
            ...toEventMessage({
              ...event,
              streamId: `lead-${leadId}`,
              streamRevision: 0n,
              globalPosition: 1n,
              recordedAt: new Date('2026-03-01T09:00:01.000Z'),
            }),
          },
        ],
      });

      const first = await start(group);
      const settled = async (member: typeof first) => {
        const health = await member.health();
        return health.projected === 1 && health.lag === '0' ? health : undefined;
      };
      expect(await eventually(() => settled(first), 'the first run settles both')).toMatchObject({
        status: 'ok',
        deadLettered: 1,
      });
      expect((await readDeadLetters(client, { database: DATABASE })).latest).toEqual([
        {
          eventId: `kafka:${topic}/0/0`,
          position: '0',
          type: 'unknown',
          reason: expect.any(String) as unknown,
        },
      ]);

      // Restarted: nothing left to read in the group, and the poison message is still reported.
      await members.pop()!.stop();
      const restarted = await start(group);
      expect(await restarted.health()).toMatchObject({
        status: 'ok',
        projected: 0,
        deadLettered: 1,
        lag: '0',
      });

      // A member reading the topic from the start sets the same message aside again: one letter.
      const again = await start(`${group}-again`);
      expect(await eventually(() => settled(again), 'the re-read settles both')).toMatchObject({
        deadLettered: 1,
      });
      expect((await readDeadLetters(client, { database: DATABASE })).count).toBe(1);
    } finally {
      for (const member of members) await member.stop();
      await producer.close();
      await closeAnalyticsClient(client);
      await rm(dataDir, { recursive: true, force: true });
    }
  },
);
