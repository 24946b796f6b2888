/**
 * The set-based catch-up's fast-path INSERT (lead-events-from-staging.sql) as a literal
 * statement, its placeholders replaced by values this module writes itself. Why: chDB runs every
 * statement with bound parameters one at a time per process (chdb's process-wide parameter
 * chain, libchdb's parameter state being shared), while literal statements on two connections
 * run side by side. The next slice's staging must stay bound (it carries the store's
 * credentials), so the fast path is the one that goes literal, and the two overlap.
 *
 * It must never inline a value the code does not control: only the analytics database (its
 * validated name), a staging table from analyticsTables, and positions as bigints. Any other
 * placeholder, or a value outside those, is refused rather than quoted.
 */
import { analyticsTables } from '../../clickhouse/analytics.database';

export type StagingTable =
  typeof analyticsTables.eventLogStaging | typeof analyticsTables.eventLogStagingB;

export interface BulkStatementValues {
  readonly db: string;
  readonly staging: StagingTable;
  readonly from: bigint;
  readonly to: bigint;
}

/** As analyticsDatabase() admits them. */
const DATABASE = /^[a-z_][a-z0-9_]{0,62}$/;
const STAGING_TABLES: readonly string[] = [
  analyticsTables.eventLogStaging,
  analyticsTables.eventLogStagingB,
];
const UINT64_MAX = (1n << 64n) - 1n;
/** ClickHouse's query parameter syntax, `{name:Type}`. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]*)\}/g;

export class UnsafeBulkStatementError extends Error {
  constructor(detail: string) {
    super(`cannot inline the bulk statement: ${detail}`);
    this.name = 'UnsafeBulkStatementError';
  }
}

/** `sql` with `{db:Identifier}`, `{staging:Identifier}`, `{from:UInt64}` and `{to:UInt64}` inlined. */
export function inlineBulkStatement(sql: string, values: BulkStatementValues): string {
  return sql.replace(PLACEHOLDER, (placeholder, name: string, type: string) => {
    switch (`${name}:${type}`) {
      case 'db:Identifier':
        return identifier(values.db, DATABASE.test(values.db));
      case 'staging:Identifier':
        return identifier(values.staging, STAGING_TABLES.includes(values.staging));
      case 'from:UInt64':
        return uint64(values.from);
      case 'to:UInt64':
        return uint64(values.to);
      default:
        throw new UnsafeBulkStatementError(`unexpected placeholder ${placeholder}`);
    }
  });
}

function identifier(name: string, allowed: boolean): string {
  if (!allowed) throw new UnsafeBulkStatementError(`identifier ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

function uint64(value: bigint): string {
  if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) {
    throw new UnsafeBulkStatementError(`position ${String(value)}`);
  }
  return value.toString();
}
