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
import { ExitCode } from '../cli-failure';
import { asJson, type CliIo } from '../cli-io';

type ClickHouseConfig = TandemConfig['clickhouse'];

/**
 * `tandem migrate` as the terminal sees it: the report on stdout, or, when ClickHouse cannot
 * be opened, one line saying so and exit 3 (as import does for its store). The usual cause
 * is embedded chDB owned by a running API, which migrates at start itself; that is the user's
 * to fix, not a bug, so no stack trace.
 */
export async function migrateCommand(
  clickhouse: ClickHouseConfig,
  options: { readonly json: boolean },
  io: Pick<CliIo, 'print' | 'warn'>,
): Promise<number> {
  let report: MigrationReport;
  try {
    report = await migrateAnalytics(clickhouse);
  } catch (error) {
    if (!(error instanceof ClickHouseUnavailableError)) throw error;
    io.warn(`tandem: ${error.message}`);
    return ExitCode.apiUnavailable;
  }
  io.print(options.json ? asJson(report) : migrationSummary(report));
  return ExitCode.ok;
}

/** ClickHouse could not be opened or reached: nothing was migrated. */
export class ClickHouseUnavailableError extends Error {
  constructor(clickhouse: ClickHouseConfig, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      clickhouse.mode === 'embedded'
        ? `cannot open the embedded ClickHouse at ${clickhouse.path}: ${reason}. A Tandem API ` +
            'running on this data directory owns it, and applies the migrations itself at ' +
            'start: stop it first, or let it migrate'
        : `cannot reach the ClickHouse server at CLICKHOUSE_URL: ${reason}`,
      { cause },
    );
  }
}

/** A network failure of the server client, before ClickHouse answered anything. */
const unreachable = (error: unknown): boolean =>
  ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(
    String((error as { code?: unknown }).code),
  );

export async function migrateAnalytics(clickhouse: ClickHouseConfig): Promise<MigrationReport> {
  let client: Awaited<ReturnType<typeof createAnalyticsClient>>;
  try {
    client = await createAnalyticsClient(clickhouse);
  } catch (error) {
    throw new ClickHouseUnavailableError(clickhouse, error);
  }
  try {
    const report = await migrate(client, { database: clickhouse.database }).catch(
      (error: unknown) => {
        throw unreachable(error) ? new ClickHouseUnavailableError(clickhouse, error) : error;
      },
    );
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
