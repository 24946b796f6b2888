/**
 * Public surface of libs/analytics: ClickHouse projections of the lead events (lead_events,
 * the per-lead lead_facts view), the shared funnel, the marketing and sales lenses, and their
 * reconciliation. One code path, `@clickhouse/client`, against chDB or a ClickHouse server.
 */
export {
  createAnalyticsClient,
  closeAnalyticsClient,
  EmbeddedPathInUseError,
  type AnalyticsClientConfig,
} from './clickhouse.client';
export {
  DEFAULT_ANALYTICS_DATABASE,
  analyticsTables,
  InvalidDatabaseNameError,
  type AnalyticsDatabaseOptions,
} from './analytics.database';
export {
  migrate,
  MigrationError,
  type MigrateOptions,
  type MigrationReport,
} from './analytics.migrations';
export {
  projectBatch,
  projectionPosition,
  resetAnalytics,
  type ProjectionOutcome,
} from './lead-events.writer';
export {
  toLeadEventRow,
  analyticsData,
  type AnyEnvelope,
  type LeadEventRow,
  type LeadEventRowOutcome,
} from './lead-event.row';
export {
  AnalyticsQueries,
  InvalidCaptureWindowError,
  InvalidQueryParameterError,
  type AnalyticsQueriesOptions,
  type CaptureWindow,
  type ViewOptions,
  type ViewScope,
} from './analytics.queries';
export {
  activeRuleSet,
  describeRuleSet,
  newRuleSet,
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
} from './rule-sets';
export { computeRuleFacts, computeRuleFactsBetween, ruleInputEvent } from './rule-facts';
export {
  LogProjection,
  readProjectionCheckpoints,
  type LogBatchOptions,
  type ProjectionCheckpoints,
} from './log-projection';
export { replayRuleSet, type ReplayOptions, type ReplayProgress } from './rule-replay';
export {
  compareRuleSets,
  type Attributed,
  type StageCounts,
  type WhatIfReport,
} from './rule-comparison';
export {
  funnelReportStages,
  attributionModels,
  cohortGrains,
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
  type MarketingLensRow,
  type SalesLensRow,
  type SharedTotals,
  type MoneyByCurrency,
  type ChangedLeads,
  type MqlConversion,
} from './analytics.rows';
export {
  toPlanningFactRow,
  type CampaignSpendRow,
  type TargetRow,
  type PlanningFactOutcome,
} from './planning-fact.row';
export type { Reconciliation, ReconciliationCheck } from './reconciliation';
export {
  failsSettled,
  reconcileAll,
  type FullReconciliation,
  type ReconcileOptions,
  type RuleSetReconciliation,
} from './reconciliation/rule-set-reconciliation';
export type { RuleSetFinding } from './reconciliation/rule-set-findings';
export { SQL_DIR_ENV, SqlDirectoryNotFoundError } from './sql-directory';
export {
  ANALYST_ROLE,
  analystAccessStatements,
  ensureAnalystAccess,
  InvalidAnalystAccessError,
  type AnalystAccess,
} from './analyst-access';
