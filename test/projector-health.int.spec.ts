/**
 * The Kafka projector's `GET /health` is open to whoever reaches its port (a worker has no
 * identity provider; TANDEM_METRICS_TOKEN guards /metrics only), so while a batch fails it
 * says `degraded` and never the error's words: ClickHouse's message names its database and
 * tables (a server's, its host and the rows it refused). Real broker (the run's, or
 * TANDEM_TEST_KAFKA_BROKERS), real chDB, the projector's own health report behind the worker
 * health server, read without a credential.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAnalyticsClient, createAnalyticsClient, migrate } from '@tandem/analytics';
import { createProducer } from '@tandem/messaging';
import { eventually } from './support/eventually';
import {
  type ProjectorMember,
  leadEventMessage,
  projectorKafka,
  startProjectorMember,
} from './support/kafka-projector-member';

jest.setTimeout(180_000);

const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
const DATABASE = `projector_health_${process.pid}`;
/** The table every batch writes its checkpoint to: renamed away, every batch fails. */
const HIDDEN_TABLE = 'projection_checkpoint';

(brokers ? it : it.skip)(
  'says degraded while a batch fails, and names no table, database or error of ClickHouse',
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-projector-health-'));
    const topic = `tandem.test.health.${randomUUID()}`;
    const kafka = await projectorKafka(
      brokers ?? '',
      dataDir,
      topic,
      `projector-health-${randomUUID()}`,
    );
    const client = await createAnalyticsClient({ mode: 'embedded', path: join(dataDir, 'chdb') });
    const producer = createProducer(kafka, 'health-test');
    let member: ProjectorMember | null = null;
    try {
      await migrate(client, { database: DATABASE });
      await client.command({
        query: 'RENAME TABLE {db:Identifier}.{from:Identifier} TO {db:Identifier}.{to:Identifier}',
        query_params: { db: DATABASE, from: HIDDEN_TABLE, to: `${HIDDEN_TABLE}_away` },
      });
      member = await startProjectorMember(kafka, client, {
        groupId: kafka.consumerGroup,
        database: DATABASE,
        name: 'health-member',
      });
      const { projector, url } = member;
      const leadId = randomUUID();
      const message = leadEventMessage(leadId, 'projector-health');
      await producer.send({ messages: [{ topic, ...message }] });

      const reason = await eventually(
        async () => projector.status().failure ?? undefined,
        'the batch fails',
      );
      // What the log gets, and what an open port must not: ClickHouse's own words.
      expect(reason).toContain(HIDDEN_TABLE);
      const answer = await fetch(url);
      const text = await answer.text();
      expect(answer.status).toBe(503);
      expect(JSON.parse(text)).toMatchObject({
        status: 'degraded',
        crashed: null,
        failure: 'a batch is being retried; the projector log has the reason',
        lag: '1',
        projected: 0,
      });
      for (const internal of [HIDDEN_TABLE, DATABASE, reason]) {
        expect(text).not.toContain(internal);
      }
    } finally {
      await member?.stop();
      await producer.close();
      await closeAnalyticsClient(client);
      await rm(dataDir, { recursive: true, force: true });
    }
  },
);
