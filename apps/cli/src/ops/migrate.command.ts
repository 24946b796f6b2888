/**
 * `tandem migrate`: applies the ClickHouse migrations (libs/analytics/sql) to the
 * configured target — a server, or an embedded chDB directory no running API
 * owns (the API also migrates at start). The same files serve both; each applied
 * file is recorded, with its checksum, in schema_migrations. It then (re)creates
 * the parameterised views analysts query (marketing_lens(...), …) from this
 * version's view files. On a server, with CLICKHOUSE_ANALYST_USER/PASSWORD set, it
 * also creates (or re-keys) the read-only analyst login, whose SELECT on the
 * database covers those views.
 */
import {
  closeAnalyticsClient,
  createAnalyticsClient,
  ensureAnalystAccess,
  migrate,
  type MigrationReport,
} from '@tandem/analytics';
import type { TandemConfig } from '@tandem/config';

export async function migrateAnalytics(
  clickhouse: TandemConfig['clickhouse'],
): Promise<MigrationReport> {
  const client = await createAnalyticsClient(clickhouse);
  try {
    const report = await migrate(client, { database: clickhouse.database });
    if (clickhouse.mode === 'server' && clickhouse.analyst) {
      await ensureAnalystAccess(client, clickhouse.database, clickhouse.analyst);
    }
    return report;
  } finally {
    await closeAnalyticsClient(client);
  }
}

/** The one line `tandem migrate` prints without --json. */
export function migrationSummary(report: MigrationReport): string {
  return (
    `ClickHouse ${report.database}: applied ${report.applied.length} (${report.applied.join(', ') || 'none'}), ` +
    `${report.alreadyApplied.length} already applied; ${report.views.length} analyst views ` +
    `(${report.views.join(', ')})`
  );
}
