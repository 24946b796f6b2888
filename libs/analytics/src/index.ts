/**
 * Public surface of libs/analytics: ClickHouse projections of the lead events, the shared
 * funnel, the marketing and sales lenses, and their reconciliation. One code path,
 * `@clickhouse/client`, against chDB or a ClickHouse server.
 *
 * Folders by job, each importing only those before it:
 *   clickhouse/  the client, database and table names, migrations, time conversion, analyst login
 *   rules/       rule sets (registry, lifecycle), rule-derived rows, replays
 *   projection/  events → rows (lead_events, planning facts), the log projection and checkpoints
 *   views/       the query side: view SQL runner, row types, reconciliation, rule-set comparison
 */
export {
  createAnalyticsClient,
  closeAnalyticsClient,
  EmbeddedPathInUseError,
  type AnalyticsClientConfig,
} from './clickhouse/clickhouse.client';
export {
  DEFAULT_ANALYTICS_DATABASE,
  analyticsTables,
  InvalidDatabaseNameError,
  type AnalyticsDatabaseOptions,
} from './clickhouse/analytics.database';
export {
  migrate,
  MigrationError,
  type MigrateOptions,
  type MigrationReport,
} from './clickhouse/analytics.migrations';
export {
  projectBatch,
  resetAnalytics,
  type ProjectionOutcome,
} from './projection/lead-events.writer';
export {
  toLeadEventRow,
  analyticsData,
  type AnyEnvelope,
  type LeadEventRow,
  type LeadEventRowOutcome,
} from './projection/lead-event.row';
export {
  AnalyticsQueries,
  InvalidCaptureWindowError,
  InvalidQueryParameterError,
  type AnalyticsQueriesOptions,
  type CaptureWindow,
  type ViewOptions,
  type ViewScope,
  type TrendPoint,
  type PageRequest,
  type RowMatch,
  type RowPage,
} from './views/analytics.queries';
export {
  activeRuleSet,
  describeRuleSet,
  newRuleSet,
  NO_HEARTBEAT,
  promoteToPublished,
  readActivation,
  readRuleSet,
  readRuleSets,
  resolveRuleSet,
  ruleSetKey,
  sameRuleSet,
  writeRuleSet,
  RuleSetNotFoundError,
  type RuleSet,
  type RuleSetKey,
  type RuleSetKind,
  type RuleSetStatus,
} from './rules/rule-sets';
export {
  assertActivatable,
  assertFactsCurrent,
  needsReplay,
  RuleSetTransitionError,
  transition as ruleSetTransition,
  type RuleSetEvent,
  type RuleSetLifecycle,
  type RuleSetTransitionCode,
} from './rules/rule-set.lifecycle';
export { RuleSetRepository } from './rules/rule-set.repository';
export {
  beatRuleFactsProcess,
  processBeatMs,
  readLiveRuleFactsProcesses,
  rederivableNow,
  type RuleFactsProcess,
  type RuleFactsRole,
} from './rules/rule-facts-processes';
export {
  factsOutdated,
  RULE_FACTS_CODE_VERSION,
  ruleFactsVersion,
} from './rules/rule-facts-version';
export { AnalyticsHealthRepository } from './clickhouse/analytics-health.repository';
export { ReconciliationRepository } from './views/reconciliation/reconciliation.repository';
export { computeRuleFacts, computeRuleFactsBetween, ruleInputEvent } from './rules/rule-facts';
export {
  LogProjection,
  type LogBatchOptions,
  type LogBatchOutcome,
} from './projection/log-projection';
export {
  DeadLetterLedger,
  deadLettersOf,
  readDeadLetterLedger,
  readDeadLetters,
  writeDeadLetters,
  type DeadLetter,
  type DeadLetterSummary,
} from './projection/projection-dead-letters';
export {
  backOffMs,
  dlq,
  ok,
  retry,
  retryOnFailure,
  StepCancelledError,
  untilSettled,
  type RetryLoopOptions,
  type StepOutcome,
} from './projection/step-outcome';
export {
  projectionPosition,
  readProjectionCheckpoints,
  type ProjectionCheckpoints,
} from './projection/projection-checkpoints';
export { replayRuleSet, type ReplayOptions, type ReplayProgress } from './rules/rule-replay';
export {
  compareRuleSets,
  type Attributed,
  type StageCounts,
  type WhatIfReport,
} from './views/rule-comparison';
export { type Columns, type RowDeclaration, type RowOf } from './views/row-columns';
export {
  funnelReportStages,
  attributionModels,
  cohortGrains,
  trendGrains,
  type TrendGrain,
  type AccountLensRow,
  type SalesPerformanceRow,
  type TargetProgressRow,
  type CohortGrain,
  type CohortFunnelRow,
  type StageDurationRow,
  type AttributionModel,
  type MarketingAttributionRow,
  type AlignmentRow,
  type FunnelReportStage,
  type FunnelStageRow,
  accountLensRow,
  alignmentRow,
  cohortFunnelRow,
  funnelLeadRow,
  funnelStageRow,
  funnelTrendRow,
  type FunnelLeadRow,
  type FunnelTrendRow,
  marketingAttributionRow,
  marketingLensRow,
  salesLensRow,
  salesPerformanceRow,
  stageDurationRow,
  targetProgressRow,
  type MarketingLensRow,
  type SalesLensRow,
  type SharedTotals,
  type MoneyByCurrency,
  type ChangedLeads,
  type MqlConversion,
} from './views/analytics.rows';
export {
  toPlanningFactRow,
  type CampaignSpendRow,
  type TargetRow,
  type PlanningFactOutcome,
} from './projection/planning-fact.row';
export type { Reconciliation, ReconciliationCheck } from './views/reconciliation';
export {
  failsSettled,
  reconcileAll,
  type FullReconciliation,
  type ReconcileOptions,
  type RuleSetReconciliation,
} from './views/reconciliation/rule-set-reconciliation';
export type { RuleSetFinding } from './views/reconciliation/rule-set-findings';
export { auditedStages, type AuditedStage } from './views/reconciliation/funnel-requirements';
export { SQL_DIR_ENV, SqlDirectoryNotFoundError } from './clickhouse/sql-directory';
export {
  ANALYST_ROLE,
  analystAccessStatements,
  ensureAnalystAccess,
  InvalidAnalystAccessError,
  type AnalystAccess,
} from './clickhouse/analyst-access';
export {
  BulkLogProjection,
  postgresLogSource,
  type BulkLogProjectionOptions,
  type BulkSliceOutcome,
  type DecodeStaged,
  type PostgresLogSource,
  type StagedEvent,
  type StagingLoader,
} from './projection/bulk/bulk-log-projection';
export { csvFileLogSource, type ExportCsvSlice } from './projection/bulk/csv-file-log-source';
