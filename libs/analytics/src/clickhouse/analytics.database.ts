/**
 * Where the analytics tables live: the database name and the table names, in one place.
 *
 * The database name is configuration, and it ends up inside DDL that ClickHouse cannot bind as
 * a parameter (a view definition, see analytics.migrations.ts) and in `INSERT INTO db.table`
 * built by the client. So it is checked here against a strict identifier pattern before any of
 * that happens. This module must never accept a name that would need quoting.
 */

export const DEFAULT_ANALYTICS_DATABASE = 'tandem';

/** Table and view names; SQL files spell the same names, TS code uses these. */
export const analyticsTables = {
  leadEvents: 'lead_events',
  leadState: 'lead_state',
  leadEventSummary: 'lead_event_summary',
  projectionCheckpoint: 'projection_checkpoint',
  campaignSpend: 'campaign_spend',
  visitorTouches: 'visitor_touches',
  targets: 'targets',
  ruleSets: 'rule_sets',
  ruleFactsProcesses: 'rule_facts_processes',
  leadRuleFacts: 'lead_rule_facts',
  activeRules: 'active_rules',
  projectionDeadLetters: 'projection_dead_letters',
  leadFunnelSnapshots: 'lead_funnel_snapshots',
  leadFunnelSnapshotMarkers: 'lead_funnel_snapshot_markers',
  leadFunnelRollups: 'lead_funnel_rollups',
  leadFunnelRollupMarkers: 'lead_funnel_rollup_markers',
  leadAttributionCredits: 'lead_attribution_credits',
  leadAttributionCreditMarkers: 'lead_attribution_credit_markers',
  leadEventAudits: 'lead_event_audits',
  leadEventAuditMarkers: 'lead_event_audit_markers',
  schemaMigrations: 'schema_migrations',
  /** The two staging tables the set-based catch-up alternates between (scratch, never read by views). */
  eventLogStaging: 'event_log_staging',
  eventLogStagingB: 'event_log_staging_b',
} as const;

/** The projection name under which the lead_events projector records its checkpoint. */
export const LEAD_EVENTS_PROJECTION = 'lead_events';
/**
 * The checkpoint of the rule-derived rows (lead_rule_facts) of a projection that reads the
 * global log (LogProjection): every lead with an event up to it has its rows under every kept
 * set. Never ahead of LEAD_EVENTS_PROJECTION; behind it while a catch-up defers the rules.
 */
export const RULE_FACTS_PROJECTION = 'lead_rule_facts';

const databaseNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

export class InvalidDatabaseNameError extends Error {
  constructor(readonly database: string) {
    super(
      `analytics database name ${JSON.stringify(database)} must match ${String(databaseNamePattern)}`,
    );
    this.name = 'InvalidDatabaseNameError';
  }
}

/** Options every analytics operation accepts: which database to use. */
export interface AnalyticsDatabaseOptions {
  /** Defaults to `tandem`. Lower-case letters, digits and `_` only. */
  readonly database?: string;
}

/** Returns the validated database name (the default when none is given). */
export function analyticsDatabase(options: AnalyticsDatabaseOptions = {}): string {
  const database = options.database ?? DEFAULT_ANALYTICS_DATABASE;
  if (!databaseNamePattern.test(database)) throw new InvalidDatabaseNameError(database);
  return database;
}

/** `database.table` for the client's `insert({ table })`, from a validated database name. */
export function qualifiedTable(
  database: string,
  table: (typeof analyticsTables)[keyof typeof analyticsTables],
): string {
  return `${analyticsDatabase({ database })}.${table}`;
}
