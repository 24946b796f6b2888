/**
 * The lenses as objects in ClickHouse that an analyst queries from any SQL tool, with their
 * parameters: ClickHouse parameterised views (`SELECT * FROM tandem.marketing_lens(...)`).
 * Each is the API's own report file (sql/views), composed with the same per-lead funnel and
 * fold (view-sql.ts), so an analyst's number and the dashboard's agree under the same rule set.
 *
 * `migrate` (re)creates them after the migrations on every run, from the files of the running
 * version, so they never drift from the API's SQL; they are not numbered migrations because a
 * migration is immutable and a view file is not.
 *
 * What differs from the API's statement, and why:
 * - The fold is always the as-of fold (_lead-fold-as-of.sql): a view cannot choose between the
 *   kept state and the raw events per call, and the as-of fold at a far-future as_of is the
 *   same fold. So `as_of` is a parameter of every lens (`'2299-12-31 23:59:59.999'` = now).
 * - `sla_ms` and `recorded_version` are read from rule_sets by (rules_version,
 *   definition_hash), where the API passes what it resolved from the same rows: an analyst
 *   names a rule set, nothing else about it.
 * - The database is written in (a view's `{db:Identifier}` would become one more parameter).
 * Nothing else is substituted; every other value stays a parameter of the view.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsDatabase, type AnalyticsDatabaseOptions } from './analytics.database';
import { resolveSqlDirectory } from './sql-directory';
import {
  composeLeadFunnel,
  composeViewRows,
  composeViewSql,
  queryParameters,
  readViewFile,
  readsViewRows,
  type QueryParameter,
} from './view-sql';

/** Each analyst view by its ClickHouse name, and the sql/views file it is made of. */
export const analystViews = {
  lead_funnel: '_lead-funnel',
  shared_funnel: 'shared-funnel',
  funnel_time_in_stage: 'funnel-time-in-stage',
  funnel_by_cohort: 'funnel-by-cohort',
  funnel_trend: 'funnel-trend',
  funnel_leads: 'funnel-leads',
  marketing_lens: 'marketing-lens',
  marketing_attribution: 'marketing-attribution',
  sales_lens: 'sales-lens',
  sales_performance: 'sales-performance',
  account_lens: 'account-lens',
  alignment: 'alignment',
  targets_progress: 'targets-progress',
  event_totals: 'event-totals',
  active_rule_set: 'active-rule-set',
} as const;
export type AnalystView = keyof typeof analystViews;

export class AnalystViewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalystViewError';
  }
}

const DATABASE_TOKEN = '{db:Identifier}';
const RULE_SET = (db: string) =>
  `FROM ${db}.rule_sets FINAL WHERE rules_version = {rules_version:UInt32} ` +
  `AND definition_hash = {definition_hash:String}`;
/** Parameters the API resolves from the rule set, read here from the same rule_sets row. */
const fromRuleSet: Readonly<Record<string, (db: string) => string>> = {
  '{sla_ms:UInt64}': (db) => `(SELECT any(sla_ms) ${RULE_SET(db)})`,
  // Live decisions recorded under a version are facts of its published set only (as the API).
  '{recorded_version:UInt32}': (db) =>
    `(SELECT any(if(kind = 'published', rules_version, 0)) ${RULE_SET(db)})`,
};

/** The SELECT of one analyst view for one database. Pure. */
export function analystViewSelect(
  files: { readonly view: string; readonly funnel: string; readonly asOfFold: string },
  database: string,
  leadFunnelItself = false,
): string {
  const db = `\`${analyticsDatabase({ database })}\``;
  let sql = leadFunnelItself
    ? composeLeadFunnel(files.funnel, files.asOfFold)
    : composeViewSql(files.view, files.funnel, files.asOfFold);
  for (const [token, replacement] of Object.entries(fromRuleSet)) {
    if (sql.includes(token)) {
      if (!sql.includes('{rules_version:UInt32}') || !sql.includes('{definition_hash:String}')) {
        throw new AnalystViewError(`${token} without the rule set it is read from`);
      }
      sql = sql.split(token).join(replacement(db));
    }
  }
  return sql.split(DATABASE_TOKEN).join(db).trim().replace(/;\s*$/, '');
}

export interface AnalystViewDefinition {
  readonly name: AnalystView;
  readonly file: string;
  readonly select: string;
  /** What the analyst passes, in order of first use. */
  readonly parameters: readonly QueryParameter[];
}

/** Every analyst view of the files in `sqlDir`, for one database. */
export async function analystViewDefinitions(
  options: AnalyticsDatabaseOptions & { readonly sqlDir?: string } = {},
): Promise<AnalystViewDefinition[]> {
  const database = analyticsDatabase(options);
  const sqlDir = resolveSqlDirectory(options.sqlDir);
  const [funnel, asOfFold] = await Promise.all([
    readViewFile(sqlDir, '_lead-funnel'),
    readViewFile(sqlDir, '_lead-fold-as-of'),
  ]);
  const definitions: AnalystViewDefinition[] = [];
  for (const [name, file] of Object.entries(analystViews) as [AnalystView, string][]) {
    const read = await readViewFile(sqlDir, file);
    const view = readsViewRows(read)
      ? composeViewRows(read, await readViewFile(sqlDir, `${file}.rows`))
      : read;
    const select = analystViewSelect({ view, funnel, asOfFold }, database, name === 'lead_funnel');
    definitions.push({ name, file, select, parameters: queryParameters(select) });
  }
  return definitions;
}

/** CREATE OR REPLACE VIEW for every analyst view; returns their names. */
export async function createAnalystViews(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions & { readonly sqlDir?: string } = {},
): Promise<string[]> {
  const database = analyticsDatabase(options);
  const created: string[] = [];
  for (const definition of await analystViewDefinitions(options)) {
    await client.command({
      query: `CREATE OR REPLACE VIEW \`${database}\`.\`${definition.name}\` AS\n${definition.select}`,
    });
    created.push(definition.name);
  }
  return created;
}
