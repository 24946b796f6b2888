/**
 * The Kafka projector's dead-letter count is what projection_dead_letters holds, not what this
 * run has seen: a poison message dead-lettered before a restart is still counted on `/health`
 * after it (the count was in memory and started again at 0, hiding it from an operator), and a
 * member that reads the same message again (a new group, a redelivery) counts it once. A
 * rebuild that empties projection_dead_letters (resetAnalytics) shows on a running member's
 * `/health` without a restart or a dead letter of its own (it kept the old count). Real broker
 * (the run's, or TANDEM_TEST_KAFKA_BROKERS), real chDB, the worker health server.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
  readDeadLetters,
  resetAnalytics,
} from '@tandem/analytics';
import { createProducer } from '@tandem/messaging';
import type { ProjectorHealth } from '../apps/projector/src/kafka-projector';
import { eventually } from './support/eventually';
import {
  type ProjectorMember,
  leadEventMessage,
  projectorKafka,
  startProjectorMember,
} from './support/kafka-projector-member';

jest.setTimeout(180_000);

const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const DATABASE = `projector_dead_letters_${process.pid}`;

const healthOf = async ({ url }: ProjectorMember) =>
  (await (await fetch(url)).json()) as ProjectorHealth;

(brokers ? it : it.skip)(
  'still reports a message dead-lettered before a restart, and counts one read again once',
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-projector-dead-letters-'));
    const topic = `tandem.test.dead-letters.${randomUUID()}`;
    const group = `projector-dead-letters-${randomUUID()}`;
    const kafka = await projectorKafka(brokers ?? '', dataDir, topic, group);
    const client = await createAnalyticsClient({ mode: 'embedded', path: join(dataDir, 'chdb') });
    const producer = createProducer(kafka, 'dead-letters-test');
    const members: ProjectorMember[] = [];
    const start = async (groupId: string) => {
      const member = await startProjectorMember(kafka, client, {
        groupId,
        database: DATABASE,
        name: 'dead-letters-member',
        deadLetterRecountMs: 200,
      });
      members.push(member);
      return member;
    };
    try {
      await migrate(client, { database: DATABASE });
      // A poison message (no Tandem envelope: it never projects), then a valid event behind it,
      // so a member that has projected the event has settled the poison before it.
      const leadId = randomUUID();
      await producer.send({
        messages: [
          { topic, key: leadId, value: Buffer.from('{"not": "a tandem event"') },
          { topic, ...leadEventMessage(leadId, 'projector-dead-letters') },
        ],
      });

      const first = await start(group);
      const settled = async (member: ProjectorMember) => {
        const health = await healthOf(member);
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
      expect(await healthOf(restarted)).toMatchObject({
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

      // A rebuild empties the table (the embedded projection sets its events aside again; this
      // topic's message is not in the store): both running members say so, neither restarted.
      await resetAnalytics(client, { database: DATABASE });
      for (const member of [restarted, again]) {
        expect(
          await eventually(async () => {
            const health = await healthOf(member);
            return health.deadLettered === 0 ? health : undefined;
          }, 'the emptied table shows on /health'),
        ).toMatchObject({ status: 'ok', deadLettered: 0 });
      }
    } finally {
      for (const member of members) await member.stop();
      await producer.close();
      await closeAnalyticsClient(client);
      await rm(dataDir, { recursive: true, force: true });
    }
  },
);
