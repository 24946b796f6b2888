/**
 * Test support: the chDB setup every analytics int spec needs. One data directory per spec
 * file (libchdb binds one per process), opened in beforeAll and closed (drained) in afterAll;
 * every test gets a fresh migrated database with version 1 of the dictionary registered, as
 * the projector does when a version is published before any lead. Never used outside tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../clickhouse/analytics.migrations';
import { closeAnalyticsClient, createAnalyticsClient } from '../clickhouse/clickhouse.client';
import { registerRuleSet } from './rule-sets.fixture';

export interface EmbeddedAnalytics {
  /** The open client (valid between beforeAll and afterAll). */
  client(): ClickHouseClient;
  /**
   * A second client on the same path that binds parameters in the process, as the API's views
   * read (AnalyticsQueriesOptions.reader): view specs read through it, so every view statement
   * of the specs goes through the binder.
   */
  reader(): ClickHouseClient;
  /** A fresh, migrated database with the default rule set: tests share the engine, never tables. */
  freshDatabase(): Promise<string>;
}

/** Registers the beforeAll/afterAll hooks of one spec file; `prefix` names its directory and databases. */
export function useEmbeddedAnalytics(prefix: string): EmbeddedAnalytics {
  let dataDir: string;
  let client: ClickHouseClient | null = null;
  let reader: ClickHouseClient | null = null;
  let databases = 0;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `tandem-${prefix}-`));
    client = await createAnalyticsClient({ mode: 'embedded', path: dataDir });
    reader = await createAnalyticsClient({
      mode: 'embedded',
      path: dataDir,
      binding: 'in-process',
    });
  });
  afterAll(async () => {
    if (reader !== null) await closeAnalyticsClient(reader);
    if (client !== null) await closeAnalyticsClient(client);
    await rm(dataDir, { recursive: true, force: true });
  });
  const open = (): ClickHouseClient => {
    if (client === null) throw new Error('the embedded analytics client is opened in beforeAll');
    return client;
  };
  return {
    client: open,
    reader() {
      if (reader === null) throw new Error('the embedded analytics reader is opened in beforeAll');
      return reader;
    },
    async freshDatabase() {
      databases += 1;
      const database = `${prefix.replaceAll('-', '_')}_${process.pid}_${databases}`;
      await migrate(open(), { database });
      await registerRuleSet(open(), database);
      return database;
    },
  };
}
