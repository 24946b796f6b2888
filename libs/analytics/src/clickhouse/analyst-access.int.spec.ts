/**
 * The analyst login on a real ClickHouse server (chDB has no access management):
 * it can read Tandem's analytics and nothing else. Runs when
 * TANDEM_TEST_CLICKHOUSE_URL is set (the int global setup sets it where Docker exists).
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { ensureAnalystAccess } from './analyst-access';
import { migrate } from './analytics.migrations';
import { closeAnalyticsClient, createAnalyticsClient } from './clickhouse.client';

const url = process.env.TANDEM_TEST_CLICKHOUSE_URL?.trim() ?? '';

if (url === '') {
  // Straight to stderr: jest drops the console output of a suite whose tests are all skipped.
  process.stderr.write(
    'analyst access specs skipped: TANDEM_TEST_CLICKHOUSE_URL is not set (chDB has no users or grants to test)\n',
  );
}

(url === '' ? describe.skip : describe)('read-only analyst user (ClickHouse server)', () => {
  let admin: ClickHouseClient;
  const database = `analyst_int_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const access = {
    user: `analyst_${randomUUID().replaceAll('-', '').slice(0, 8)}`,
    password: randomUUID(),
  };

  beforeAll(async () => {
    admin = await createAnalyticsClient({
      mode: 'server',
      url,
      username: process.env.TANDEM_TEST_CLICKHOUSE_USER ?? 'default',
      password: process.env.TANDEM_TEST_CLICKHOUSE_PASSWORD ?? '',
    });
    await migrate(admin, { database });
    await ensureAnalystAccess(admin, database, access);
    await ensureAnalystAccess(admin, database, access); // idempotent
  });

  afterAll(async () => {
    await admin.command({ query: `DROP USER IF EXISTS \`${access.user}\`` });
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await closeAnalyticsClient(admin);
  });

  it('reads the analytics tables and cannot write or change anything', async () => {
    const analyst = await createAnalyticsClient({
      mode: 'server',
      url,
      username: access.user,
      password: access.password,
    });
    try {
      const result = await analyst.query({
        query: 'SELECT count() AS n FROM {db:Identifier}.lead_events',
        query_params: { db: database },
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([{ n: expect.anything() }]);
      await expect(
        analyst.command({
          query: 'TRUNCATE TABLE {db:Identifier}.lead_events',
          query_params: { db: database },
        }),
      ).rejects.toThrow();
      await expect(
        analyst.command({ query: `CREATE DATABASE \`${database}_x\`` }),
      ).rejects.toThrow();
    } finally {
      await closeAnalyticsClient(analyst);
    }
  });
});
