/**
 * `tandem migrate`: applies the ClickHouse migrations (libs/analytics/sql) to the
 * configured target — a server, or an embedded chDB directory no running API
 * owns (the API also migrates at start). The same files serve both; each applied
 * file is recorded, with its checksum, in schema_migrations.
 */
import {
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
  type MigrationReport,
} from '@tandem/analytics';
import type { TandemConfig } from '@tandem/config';

export async function migrateAnalytics(
  clickhouse: TandemConfig['clickhouse'],
): Promise<MigrationReport> {
  const client = await createAnalyticsClient(clickhouse);
  try {
    return await migrate(client, { database: clickhouse.database });
  } finally {
    await closeAnalyticsClient(client);
  }
}
