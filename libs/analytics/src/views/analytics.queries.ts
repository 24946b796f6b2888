/**
 * The read side of libs/analytics: runs the reviewed query files in sql/views with bound
 * parameters and returns typed rows. Every query orders everything it returns, so the same
 * events give the same output byte for byte.
 *
 * It must never build SQL from caller input: callers choose a query by method and pass values
 * that travel as ClickHouse query parameters ({name:Type}); the database name is validated.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { exactTimeZoneName, reportingCalendar, type ReportingCalendar } from '@tandem/domain';
import { analyticsDatabase, type AnalyticsDatabaseOptions } from '../clickhouse/analytics.database';
import {
  attributionModels,
  parseAccountLensRows,
  parseSalesPerformanceRows,
  parseTargetProgressRows,
  cohortGrains,
  trendGrains,
  type TrendGrain,
  parseCohortFunnelRows,
  parseStageDurationRows,
  parseAlignmentRows,
  parseMarketingAttributionRows,
  parseFunnelStageRows,
  parseFunnelLeadRows,
  parseFunnelTrendRows,
  funnelReportStages,
  type FunnelLeadRow,
  type FunnelReportStage,
  type FunnelTrendRow,
  parseMarketingLensRows,
  parseSalesLensRows,
  parseSharedTotals,
  parseChangedLeads,
  parseMqlConversion,
  type ChangedLeads,
  type MqlConversion,
  type AlignmentRow,
  type AttributionModel,
  type AccountLensRow,
  type SalesPerformanceRow,
  type TargetProgressRow,
  type CohortFunnelRow,
  type CohortGrain,
  type StageDurationRow,
  type FunnelStageRow,
  type MarketingAttributionRow,
  type MarketingLensRow,
  type SalesLensRow,
  type SharedTotals,
} from './analytics.rows';
import { toClickHouseDateTime } from '../clickhouse/clickhouse-datetime';
import { reconcileTotals, sumLensRows, type Reconciliation } from './reconciliation';
import {
  readRuleSets,
  RuleSetRegistryCache,
  type RuleSet,
  type RuleSetKey,
  type RuleSetSelection,
} from '../rules/rule-sets';
import { resolveSqlDirectory } from '../clickhouse/sql-directory';
import { loadMigrationFiles } from '../clickhouse/analytics.migrations';
import {
  composeLeadFunnel,
  composePageSql,
  composeViewRows,
  readsViewRows,
  composeViewSql,
  composeViewSqlFromSnapshot,
  composeChangedFunnel,
  composeRollupMoments,
  composeRollupRows,
  composeKeptAttributionRows,
  composeEventAudit,
  composeLensTotalsChanges,
  type KeptEventAuditFragments,
  cutAuditedLeads,
  cutLeads,
  EVENT_AUDIT_MARKER,
  readViewFile,
  type LeadFold,
  type ViewFragment,
} from '../clickhouse/view-sql';
import {
  digestOf,
  LeadFunnelSnapshots,
  sameSnapshotKey,
  snapshotKeyOf,
  type FunnelSnapshot,
  type FunnelSnapshotKey,
  type LeadFunnelSnapshotsOptions,
  type SnapshotRead,
} from './lead-snapshots/lead-funnel-snapshots';
import { FunnelRollups, rollupRowsInsert } from './funnel-rollups/funnel-rollups';
import {
  AttributionCredits,
  attributionParams,
  creditRowsInserts,
} from './attribution-credits/attribution-credits';
import { factsOutdated, ruleFactsVersion } from '../rules/rule-facts-version';
import { RULE_INPUT_TYPES } from '../rules/rule-facts';
import {
  EVERY_EVENT,
  eventAuditRowsInserts,
  LeadEventAudits,
  MAX_AUDITED_LEADS,
  type KeptEventAudit,
} from './reconciliation/lead-event-audits';
import { parseRuleSetAudit, type RuleSetAudit } from './reconciliation/rule-set-audit.rows';
import {
  correctLensTotals,
  parseLensTotalsChanges,
  type LensTotals,
} from './reconciliation/lens-totals';
import type { LeadAuditGroup, StageCount } from './reconciliation/rule-set-findings';

/** The query files of sql/views, by name. */
export const viewQueries = [
  'shared-funnel',
  'marketing-lens',
  'sales-lens',
  'event-totals',
  'marketing-attribution',
  'alignment',
  'funnel-time-in-stage',
  'funnel-by-cohort',
  'funnel-trend',
  'funnel-leads',
  'account-lens',
  'sales-performance',
  'targets-progress',
  'rule-set-changes',
  'mql-conversion',
  'rule-set-audit',
] as const;
export type ViewQuery = (typeof viewQueries)[number];

/**
 * The views the API pages in ClickHouse: each has a `<view>.page.sql` beside it that filters,
 * orders totally and cuts one page of its rows, with the count of every matching row.
 */
export type PagedView = Extract<ViewQuery, 'funnel-leads' | 'account-lens'>;

/** One page: at most `limit` rows after skipping `offset` (the API bounds both). */
export interface PageRequest {
  readonly limit: number;
  readonly offset: number;
}

/** A page of rows and how many rows match in all (what paging links need). */
export interface RowPage<Row> {
  readonly rows: Row[];
  readonly total: number;
}

/** Exact-match row filters of a paged view; an absent one does not filter. */
export type RowMatch<Name extends string> = Partial<Record<Name, string | undefined>>;

/**
 * The capture cohort a report covers: leads whose LeadCaptured business time is in
 * [capturedFrom, capturedTo). ISO-8601 with a zone; both ends open by default.
 */
export interface CaptureWindow {
  readonly capturedFrom?: string;
  readonly capturedTo?: string;
}

/**
 * Under which rules and as of when a view is computed. `rules` is a set resolved with
 * `ruleSet()` (resolve once per request and pass it to every query of the request, so the
 * whole response is under one set); the active set when omitted. `asOf` (ISO-8601 with a zone)
 * keeps only events that occurred up to it; all events when omitted.
 */
export interface ViewScope {
  readonly rules?: RuleSet;
  readonly asOf?: string;
  /**
   * The reporting calendar periods are grouped in (cohorts, trend, targets, a trend point's
   * leads): each field given replaces the rule set's (its dictionary's `reporting`, UTC and
   * January by default), as an analyst passes `time_zone` / `fiscal_start_month` to the views.
   */
  readonly calendar?: Partial<ReportingCalendar>;
  /**
   * The per-lead funnel of "now" several views of one answer share (`funnelRead(rules)`), so
   * that each does not look up the set's snapshot again; ignored "as of" and for another set.
   */
  readonly funnel?: FunnelRead;
}

/**
 * Where a set's views read "now" from, looked up once (AnalyticsQueries.funnelRead): its latest
 * snapshot and the leads changed since, or the state (null). Opaque to callers.
 */
export interface FunnelRead {
  readonly key: FunnelSnapshotKey;
  readonly read: SnapshotRead | null;
}

/** A trend point: the period (its first day, `YYYY-MM-DD`) of one grain. */
export interface TrendPoint {
  readonly grain: TrendGrain;
  readonly period: string;
}

export type ViewOptions = CaptureWindow & ViewScope;

export interface AnalyticsQueriesOptions extends AnalyticsDatabaseOptions {
  /**
   * The connection every view statement runs on (the rule set's resolution, the lookups of
   * the kept copies and the views' own SELECTs); the client given by default. Embedded, the
   * API passes one that binds parameters in the process (clickhouse.client.ts), so reads run
   * beside the projector's and the background builds' statements on `client`, not behind
   * them. Only reads go there: the kept copies are written, and read inside their builds, on
   * `builder`.
   */
  readonly reader?: ClickHouseClient;
  /**
   * The connection the background builds run on (a snapshot of the per-lead funnel, and what is
   * kept per snapshot: day rollups, attribution credits, the event witness), writes and their
   * own reads; the client given by default. Embedded, the API passes a third connection that
   * binds parameters in the process, so that a build's statements (seconds each at 1M events)
   * run beside the projector's on `client` instead of ahead of them: the projector waited for
   * every range and credits statement, and live append → visible with it (docs/adr/0014).
   */
  readonly builder?: ClickHouseClient;
  /** Directory holding migrations/ and views/; found automatically when omitted. */
  readonly sqlDir?: string;
  /**
   * Read "now" from snapshots of the per-lead funnel (lead-snapshots/), kept by this instance.
   * Only where the log projection (LogProjection) writes the tables and their checkpoints; off
   * by default.
   */
  readonly snapshots?: boolean | Omit<LeadFunnelSnapshotsOptions, 'database'>;
  /**
   * With snapshots on, let the trend and targets read day rollups of them (funnel-rollups/);
   * on by default. Off only to measure or compare the two reads.
   */
  readonly rollups?: boolean;
  /**
   * With snapshots on, let marketing attribution read the credits kept per snapshot
   * (attribution-credits/); on by default. Off only to measure or compare the two reads.
   */
  readonly attributionCredits?: boolean;
  /**
   * With snapshots on, let reconciliation read its event witness kept per snapshot
   * (reconciliation/lead-event-audits.ts); on by default. Off only to measure or compare.
   */
  readonly eventAudits?: boolean;
}

export class InvalidCaptureWindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCaptureWindowError';
  }
}

// The whole range of DateTime64(3): "no bound" without a second version of each query.
const EARLIEST = '1900-01-01 00:00:00.000';
const LATEST = '2299-12-31 23:59:59.999';

function windowParams(window: CaptureWindow): Record<string, string> {
  const bound = (value: string | undefined, fallback: string, name: string): string => {
    if (value === undefined) return fallback;
    const converted = toClickHouseDateTime(value);
    if (converted === null) {
      throw new InvalidCaptureWindowError(`${name} must be an ISO-8601 timestamp with a zone`);
    }
    return converted;
  };
  return {
    captured_from: bound(window.capturedFrom, EARLIEST, 'capturedFrom'),
    captured_to: bound(window.capturedTo, LATEST, 'capturedTo'),
  };
}

export class InvalidQueryParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQueryParameterError';
  }
}

const attributionModelSet: ReadonlySet<string> = new Set(attributionModels);
const cohortGrainSet: ReadonlySet<string> = new Set(cohortGrains);
const trendGrainSet: ReadonlySet<string> = new Set(trendGrains);
const reportStageSet: ReadonlySet<string> = new Set(funnelReportStages);

function asOfParam(asOf: string | undefined, fallback: string): string {
  if (asOf === undefined) return fallback;
  const converted = toClickHouseDateTime(asOf);
  if (converted === null) {
    throw new InvalidQueryParameterError('asOf must be an ISO-8601 timestamp with a zone');
  }
  return converted;
}

function checkTrendGrain(grain: string): void {
  if (!trendGrainSet.has(grain)) {
    throw new InvalidQueryParameterError(
      `grain must be one of ${trendGrains.join(', ')}; got ${JSON.stringify(grain)}`,
    );
  }
}

/** The calendar a request groups periods in: the rule set's, with what the request asked over it. */
function calendarOf(rules: RuleSet, scope: ViewScope): ReportingCalendar {
  const calendar = reportingCalendar(rules.definition.reporting);
  return {
    timeZone:
      scope.calendar?.timeZone === undefined
        ? calendar.timeZone
        : exactTimeZoneName(scope.calendar.timeZone),
    fiscalYearStartMonth: scope.calendar?.fiscalYearStartMonth ?? calendar.fiscalYearStartMonth,
  };
}

/** A kept build of the event witness and the leads changed since it (sorted lead ids). */
interface KeptEventAuditRead {
  readonly build: KeptEventAudit;
  readonly changed: readonly string[];
}

/**
 * What the event witness binds (_lead-event-audit.sql): the set, the position its rows are cut
 * at (`covered`), and the kept build it is read from with the leads changed since, if any.
 */
function eventAuditParams(rules: RuleSet, covered: string, read: KeptEventAuditRead | null) {
  return {
    rules_version: String(rules.rulesVersion),
    definition_hash: rules.definitionHash,
    recorded_version: String(rules.kind === 'published' ? rules.rulesVersion : 0),
    covered,
    rule_input_types: RULE_INPUT_TYPES.join(','),
    ...(read === null
      ? {}
      : {
          audit_snapshot: read.build.snapshotId,
          audit_build: read.build.build,
          audit_position: read.build.position,
          audited_leads: read.changed,
        }),
  };
}

const calendarParams = (calendar: ReportingCalendar) => ({
  time_zone: calendar.timeZone,
  fiscal_start_month: String(calendar.fiscalYearStartMonth),
});

/**
 * Fragments (views/_lead-funnel.sql and the per-lead folds) are put in place by composeViewSql
 * (clickhouse/view-sql.ts): the per-lead funnel under a rule set, which itself reads the per-lead
 * fold — the state ClickHouse keeps (_lead-state.sql) for "now", or the fold of the raw events up
 * to a business time (_lead-fold-as-of.sql) for a view asked "as of". With snapshots on, "now"
 * reads the set's latest snapshot of that funnel (_lead-funnel-snapshot.sql), which recomputes
 * from the state only the leads changed since it: the same rows.
 */
type Fragment = ViewFragment;
type Fold = LeadFold;
/**
 * Where a view's per-lead funnel comes from: a fold, a snapshot, or (the trend and targets
 * only) the day rollup of a snapshot (funnel-rollups/), by its build id.
 */
type FunnelSource = Fold | SnapshotRead | RollupRead | CreditsRead;
interface RollupRead {
  readonly read: SnapshotRead;
  readonly rollupBuild: string;
}
/** Marketing attribution from a snapshot's kept credits, with the leads it recomputes. */
interface CreditsRead {
  readonly read: SnapshotRead;
  readonly creditsBuild: string;
  readonly attributionLeads: readonly string[];
}
/** The views that read a snapshot's day rollup when they can (`<view>.rollup.sql`). */
type RolledUpView = Extract<ViewQuery, 'funnel-trend' | 'targets-progress'>;
/** Bound query parameters (arrays for Array(String) ones). */
type QueryParams = Record<string, string | null | readonly string[]>;
/** A view as its rows, or as one page of them (`<view>.page.sql`). */
type ViewForm = 'rows' | 'page';
type ViewFile =
  | ViewQuery
  | Fragment
  | `${ViewQuery}.page`
  | `${ViewQuery}.rows`
  | `${RolledUpView}.rollup`
  | 'marketing-attribution.kept'
  | 'lens-totals.changes';

function checkPage(page: PageRequest): void {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 0xffff_ffff) {
    throw new InvalidQueryParameterError(`limit must be a positive integer; got ${page.limit}`);
  }
  if (!Number.isSafeInteger(page.offset) || page.offset < 0) {
    throw new InvalidQueryParameterError(
      `offset must be a non-negative integer; got ${page.offset}`,
    );
  }
}

/** A page file's answer: each row carries `matching_rows` (every match, counted before LIMIT). */
function splitPage(answered: unknown): { rows: unknown[]; total: number } {
  if (!Array.isArray(answered)) throw new TypeError('a page query answers an array of rows');
  let total = 0;
  const rows = answered.map((row: unknown) => {
    const { matching_rows: matching, ...rest } = row as Record<string, unknown>;
    total = Number(matching);
    return rest;
  });
  if (!Number.isSafeInteger(total)) throw new TypeError(`matching_rows is not a count: ${total}`);
  return { rows, total };
}

export class AnalyticsQueries {
  private readonly database: string;
  private readonly sqlDir: string;
  private readonly sql = new Map<ViewFile, Promise<string>>();
  private readonly snapshots: LeadFunnelSnapshots | null;
  private readonly rollups: FunnelRollups | null;
  private readonly credits: AttributionCredits | null;
  private readonly eventAudits: LeadEventAudits | null;
  /**
   * Both lenses summed over the whole of a marked snapshot (by its id and key), as the views'
   * statements give them: the reconciliation's lens witnesses start from these
   * (reconciliation/lens-totals.ts). A snapshot's rows never change, so neither do these; the
   * few latest are kept.
   */
  private readonly snapshotLensTotals = new Map<string, LensTotals>();
  /** Where view statements run (AnalyticsQueriesOptions.reader). */
  private readonly reader: ClickHouseClient;
  /** The registry as last read, and whether it moved since (one metadata statement a request). */
  private readonly registry: RuleSetRegistryCache;

  constructor(client: ClickHouseClient, options: AnalyticsQueriesOptions = {}) {
    this.database = analyticsDatabase(options);
    this.reader = options.reader ?? client;
    this.registry = new RuleSetRegistryCache(this.reader, { database: this.database });
    const builder = options.builder ?? client;
    this.sqlDir = resolveSqlDirectory(options.sqlDir);
    const snapshots = options.snapshots ?? false;
    this.snapshots =
      snapshots === false
        ? null
        : new LeadFunnelSnapshots(builder, () => this.stateFunnel(), {
            ...(snapshots === true ? {} : snapshots),
            database: this.database,
            reader: this.reader,
            fingerprint: () => this.snapshotFingerprint(),
            // A new snapshot's attribution credits before its marker: no view finds the marker
            // without them (a failed build only leaves the snapshot to the fallback below).
            beforeMarked: async (snapshot, rules) => {
              await this.credits?.buildUnlessFailing(snapshot, rules);
            },
            // Its day rollup in the set's zone and the reconciliation's event witness at once,
            // not on the first request that reads them (and its credits, had they failed).
            onMarked: (snapshot, rules) => {
              this.rollups
                ?.current(snapshot.id, calendarOf(rules, {}).timeZone)
                .catch(() => undefined);
              this.credits?.current(snapshot, rules).catch(() => undefined);
              this.eventAudits?.current(snapshot, rules).catch(() => undefined);
            },
          });
    // What is kept per snapshot is built in the background, behind the views' reads; none
    // without snapshots, or where an option turns it off.
    const kept = {
      database: this.database,
      reader: this.reader,
      readersFirst: (cancelled: AbortSignal) =>
        this.snapshots?.readersQuiet(cancelled) ?? Promise.resolve(),
    };
    const keeps = (option: boolean | undefined) => snapshots !== false && option !== false;
    this.rollups = keeps(options.rollups)
      ? new FunnelRollups(builder, () => this.snapshotMoments(), kept)
      : null;
    this.credits = keeps(options.attributionCredits)
      ? new AttributionCredits(builder, () => this.snapshotAttributionRows(), kept)
      : null;
    this.eventAudits = keeps(options.eventAudits)
      ? new LeadEventAudits(builder, () => this.everyLeadEventAudit(), kept)
      : null;
  }

  /**
   * Writes a snapshot of the set's per-lead funnel now (the active set by default) and returns
   * the latest usable one; null when snapshots are off or the set is not ready. Views keep
   * their snapshots themselves: this is for operations and tests.
   */
  async takeSnapshot(rules?: RuleSet): Promise<FunnelSnapshot | null> {
    if (this.snapshots === null) return null;
    return this.snapshots.take(rules ?? (await this.ruleSet()));
  }

  /**
   * Starts a snapshot of the active set's per-lead funnel in the background when it has none,
   * or when too many leads changed since its latest (the same test a view's request makes,
   * whatever the interval since the last look: a view's request during the catch-up may have
   * looked at a partial state moments ago), and returns without waiting for it. For the
   * projector once it reaches the head: the first views after a start, a rebuild or a long
   * catch-up then read a snapshot instead of starting one.
   */
  async refreshSnapshotInBackground(): Promise<void> {
    if (this.snapshots === null) return;
    await this.snapshots.current(await this.ruleSet(), { dueNow: true });
  }

  /**
   * Whether the active set's views answer from a snapshot of the per-lead funnel now (or need
   * none: a small state), as a view's request finds them, starting the snapshot a request would
   * start; null when snapshots are off. For readiness: until the first snapshot after a first
   * projection or a rebuild is marked, every view folds the whole state.
   */
  async viewsFromSnapshot(): Promise<boolean | null> {
    if (this.snapshots === null) return null;
    return this.snapshots.serves(await this.ruleSet());
  }

  /**
   * Resolves once no snapshot of the per-lead funnel is being looked into or written in the
   * background (started by a view or by refreshSnapshotInBackground). For tests and operations.
   */
  async snapshotSettled(): Promise<void> {
    await this.snapshots?.settled();
  }

  /**
   * Cancels the background builds in flight (the snapshot of the per-lead funnel being written,
   * and what is kept per snapshot: day rollups, attribution credits, the event witness) at
   * their next statement, waits for the statements in flight, and starts none until the
   * returned release is called. What empties the tables they read (resetAnalytics) must run
   * under it; a rebuild keeps it until the projection is back at the head. A cancelled build
   * leaves rows without their marker, which nothing reads.
   */
  async suspendBackgroundBuilds(why: string): Promise<() => void> {
    // The lens sums kept in the process are of snapshots the rebuild empties.
    this.snapshotLensTotals.clear();
    // Every one cancelled before waiting for any: their statements in flight end together.
    const releases = await Promise.all([
      this.snapshots?.suspend(why),
      this.rollups?.suspend(why),
      this.credits?.suspend(why),
      this.eventAudits?.suspend(why),
    ]);
    return () => {
      for (const release of releases) release?.();
    };
  }

  /**
   * Starts no background build, cancels those in flight and waits for their statements in
   * flight; call before closing the client.
   */
  async close(): Promise<void> {
    await Promise.all([
      this.eventAudits?.close(),
      this.credits?.close(),
      this.rollups?.close(),
      this.snapshots?.close(),
    ]);
  }

  /**
   * Writes the day rollup of the set's latest snapshot in the set's reporting time zone now (or
   * in `timeZone`) and returns its build id; null when snapshots are off or the set has no
   * usable snapshot. Views keep their rollups themselves: this is for operations and tests.
   */
  async takeRollup(rules?: RuleSet, timeZone?: string): Promise<string | null> {
    if (this.snapshots === null || this.rollups === null) return null;
    const set = rules ?? (await this.ruleSet());
    const snapshot = await this.snapshots.latest(snapshotKeyOf(set));
    if (snapshot === null) return null;
    // The zone a view asking for `timeZone` reads its rollup under (calendarOf's spelling).
    return this.rollups.build(snapshot.id, calendarOf(set, { calendar: { timeZone } }).timeZone);
  }

  /**
   * Writes the attribution credits of the set's latest snapshot now and returns their build id;
   * null when snapshots are off or the set has no usable snapshot. Views keep their credits
   * themselves: this is for operations and tests.
   */
  async takeAttributionCredits(rules?: RuleSet): Promise<string | null> {
    if (this.snapshots === null || this.credits === null) return null;
    const set = rules ?? (await this.ruleSet());
    const snapshot = await this.snapshots.latest(snapshotKeyOf(set));
    if (snapshot === null) return null;
    return this.credits.build(snapshot, set);
  }

  /**
   * Writes the reconciliation's event witness at the position of the set's latest snapshot now
   * and returns its build id; null when snapshots are off or the set has no usable snapshot.
   * Checks keep their builds themselves: this is for operations and tests.
   */
  async takeEventAudit(rules?: RuleSet): Promise<string | null> {
    if (this.snapshots === null || this.eventAudits === null) return null;
    const set = rules ?? (await this.ruleSet());
    const snapshot = await this.snapshots.latest(snapshotKeyOf(set));
    if (snapshot === null) return null;
    return this.eventAudits.build(snapshot, set);
  }

  /**
   * What a snapshot and the copies kept with it are computed by, digested for its marker
   * (LeadFunnelSnapshotsOptions.fingerprint): the statements that write the snapshot's rows,
   * its day rollup, its attribution credits and the event witness, as this code composes them,
   * and every migration (one may rewrite the state a snapshot copied); each build's statements
   * whole, their INSERT wrappers included. And the version of the code that computes
   * lead_rule_facts (ruleFactsVersion): a deploy that changes it re-derives every set's rows
   * with no event past a snapshot's position, so a snapshot of the old rows is never read.
   */
  async snapshotFingerprint(): Promise<string> {
    const [funnel, moments, attribution, audit, migrations] = await Promise.all([
      this.stateFunnel(),
      this.snapshotMoments(),
      this.snapshotAttributionRows(),
      this.everyLeadEventAudit(),
      loadMigrationFiles(this.sqlDir),
    ]);
    return digestOf([
      funnel,
      rollupRowsInsert(moments),
      ...creditRowsInserts(attribution),
      ...eventAuditRowsInserts(audit),
      `rule facts ${ruleFactsVersion()}`,
      ...migrations.map(({ name, checksum }) => `${name} ${checksum}`),
    ]);
  }

  /** _lead-event-audit.sql over every lead (what a build of the event witness writes). */
  private async everyLeadEventAudit(): Promise<string> {
    return cutAuditedLeads(await this.file('_lead-event-audit'), '');
  }

  /**
   * The event witness kept for the set and the leads changed since it, or null (count every
   * lead; also when more than MAX_AUDITED_LEADS changed). `coveredAtMost`: a check cut at a
   * position (the per-lead audit) reads only rows kept at or before it. When the set's newest
   * snapshot has no build yet, starts one in the background (and reads an older one, if any,
   * meanwhile: its rows are exact at its own position).
   */
  private async keptEventAudit(
    rules: RuleSet,
    coveredAtMost: string = EVERY_EVENT,
  ): Promise<KeptEventAuditRead | null> {
    if (
      this.snapshots === null ||
      this.eventAudits === null ||
      rules.status !== 'ready' ||
      factsOutdated(rules)
    ) {
      return null;
    }
    const found = await this.eventAudits.find(
      rules,
      coveredAtMost,
      await this.snapshots.fingerprint(),
    );
    if (!found.newestBuilt) {
      const snapshot = await this.snapshots.latest(snapshotKeyOf(rules));
      if (snapshot !== null) await this.eventAudits.current(snapshot, rules);
    }
    if (found.kept === null) return null;
    const changed = await this.eventAudits.changedSince(found.kept, rules, MAX_AUDITED_LEADS + 1);
    return changed.length > MAX_AUDITED_LEADS ? null : { build: found.kept, changed };
  }

  /** marketing-attribution.rows.sql over every row of one snapshot (bound as snapshot_id). */
  private async snapshotAttributionRows(): Promise<string> {
    const [rows, snapshot, funnel, state] = await Promise.all([
      this.file('marketing-attribution.rows'),
      this.file('_lead-funnel-snapshot'),
      this.file('_lead-funnel'),
      this.file('_lead-state'),
    ]);
    // No lead changed: the snapshot fragment reads every row of the snapshot; no lead cut.
    return composeViewSqlFromSnapshot(cutLeads(rows, ''), snapshot, null, funnel, state);
  }

  /** _funnel-rollup-moments.sql over every row of one snapshot (bound as snapshot_id). */
  private async snapshotMoments(): Promise<string> {
    const [moments, snapshot] = await Promise.all([
      this.file('_funnel-rollup-moments'),
      this.file('_lead-funnel-snapshot'),
    ]);
    // No lead changed: the snapshot fragment reads every row of the snapshot.
    return composeRollupMoments(moments, snapshot);
  }

  /** The per-lead funnel of "now" composed from the kept state: what a snapshot holds. */
  private async stateFunnel(): Promise<string> {
    const [funnel, state] = await Promise.all([
      this.file('_lead-funnel'),
      this.file('_lead-state'),
    ]);
    return composeLeadFunnel(funnel, state);
  }

  /**
   * Where the views of `rules` read "now" from, looked up once for several views answered as one
   * (ViewScope.funnel): the reconciliation's lenses and the views' side of its stage counts.
   */
  async funnelRead(rules: RuleSet): Promise<FunnelRead> {
    const snapshots = this.snapshots;
    return {
      key: snapshotKeyOf(rules),
      read: snapshots === null ? null : await this.reading(() => snapshots.current(rules)),
    };
  }

  /**
   * Both lenses summed over their rows (the reconciliation's lens witnesses), as the views
   * answer them over `funnel` (funnelRead(rules)). Over a snapshot: its sums (computed by the
   * views' statements once per snapshot) corrected for the leads changed since, in one
   * statement, or none when none changed (reconciliation/lens-totals.ts); else, or when the
   * correction cannot tell, both lenses read whole.
   */
  async lensTotals(rules: RuleSet, funnel: FunnelRead): Promise<LensTotals> {
    return this.reading(async () => {
      const whole = (read: FunnelRead) => this.lensesSummed(rules, read);
      const read = sameSnapshotKey(funnel.key, snapshotKeyOf(rules)) ? funnel.read : null;
      if (read === null) return whole(funnel);
      const name = `${read.snapshot.id}/${JSON.stringify(funnel.key)}`;
      let kept = this.snapshotLensTotals.get(name);
      if (kept === undefined) {
        // Every lead read from the snapshot: no lead left out.
        kept = await whole({ key: funnel.key, read: { snapshot: read.snapshot, changed: [] } });
        this.snapshotLensTotals.set(name, kept);
        for (const old of [...this.snapshotLensTotals.keys()].slice(0, -4)) {
          this.snapshotLensTotals.delete(old);
        }
      }
      if (read.changed.length === 0) return kept;
      const changes = parseLensTotalsChanges(
        await this.query(await this.lensTotalsChangesSql(), {
          ...windowParams({}),
          rules_version: String(rules.rulesVersion),
          definition_hash: rules.definitionHash,
          sla_ms: String(rules.slaMs),
          recorded_version: String(rules.kind === 'published' ? rules.rulesVersion : 0),
          as_of: LATEST,
          snapshot_id: read.snapshot.id,
          changed_leads: read.changed,
        }),
      );
      return correctLensTotals(kept, changes) ?? whole(funnel);
    });
  }

  /** Both lens views' rows over `funnel`, each lens summed (sumLensRows). */
  private async lensesSummed(rules: RuleSet, funnel: FunnelRead): Promise<LensTotals> {
    const marketing = await this.marketingLens({ rules, funnel });
    const sales = await this.salesLens({ rules, funnel });
    return { marketing: sumLensRows(marketing), sales: sumLensRows(sales) };
  }

  /** lens-totals.changes.sql with both lenses over the changed leads' two funnels in place. */
  private async lensTotalsChangesSql(): Promise<string> {
    const [changes, marketing, sales, snapshotLeads, changed, funnel, state] = await Promise.all([
      this.file('lens-totals.changes'),
      this.file('marketing-lens'),
      this.file('sales-lens'),
      this.file('_funnel-rollup-snapshot-leads'),
      this.file('_lead-funnel-changed'),
      this.file('_lead-funnel'),
      this.file('_lead-state'),
    ]);
    return composeLensTotalsChanges(
      changes,
      { marketing, sales },
      { takenOut: snapshotLeads, putBack: composeChangedFunnel(changed, funnel, state) },
    );
  }

  /** Leads that ever reached each stage, with stage-to-stage conversion, in funnel order. */
  async sharedFunnel(options: ViewOptions = {}): Promise<FunnelStageRow[]> {
    return parseFunnelStageRows(await this.runScoped('shared-funnel', options, {}));
  }

  /** The funnel per capture (channel, campaign), ordered by channel then campaign. */
  async marketingLens(options: ViewOptions = {}): Promise<MarketingLensRow[]> {
    return parseMarketingLensRows(await this.runScoped('marketing-lens', options, {}));
  }

  /** Median and p90 hours from entering each stage to the next, in funnel order. */
  async funnelTimeInStage(options: ViewOptions = {}): Promise<StageDurationRow[]> {
    return parseStageDurationRows(await this.runScoped('funnel-time-in-stage', options, {}));
  }

  /** The shared funnel's counts per capture week or month (reporting time zone), in cohort order. */
  async funnelByCohort(grain: CohortGrain, options: ViewOptions = {}): Promise<CohortFunnelRow[]> {
    if (!cohortGrainSet.has(grain)) {
      throw new InvalidQueryParameterError(
        `grain must be one of ${cohortGrains.join(', ')}; got ${JSON.stringify(grain)}`,
      );
    }
    // Cohorts are periods like the trend's: in the rule set's reporting time zone.
    const rules = options.rules ?? (await this.ruleSet());
    const { timeZone } = calendarOf(rules, options);
    return parseCohortFunnelRows(
      await this.runScoped(
        'funnel-by-cohort',
        { ...options, rules },
        { grain, time_zone: timeZone },
      ),
    );
  }

  /**
   * Leads that reached each stage per week, month or fiscal quarter of the stage's moment (not
   * of capture), per capture (channel, campaign), with won revenue and pipeline created in the
   * period. Periods are in the rule set's reporting calendar (the dictionary's `reporting`; UTC
   * and January when it has none) unless `calendar` names another, so the trend moves with the
   * rules the request names, like every number.
   */
  async funnelTrend(grain: TrendGrain, options: ViewOptions = {}): Promise<FunnelTrendRow[]> {
    checkTrendGrain(grain);
    const rules = options.rules ?? (await this.ruleSet());
    const calendar = calendarOf(rules, options);
    return parseFunnelTrendRows(
      await this.runScoped(
        'funnel-trend',
        { ...options, rules },
        { grain, ...calendarParams(calendar) },
        'rows',
        calendar.timeZone,
      ),
    );
  }

  /**
   * The leads of the capture window that reached `stage`, by capture time then id: the list
   * behind a funnel, lens or trend number. With `point`, only those that reached it in that
   * trend period (bucketed as funnelTrend does, in the same calendar): the leads behind a trend
   * point. Lead ids and non-personal columns only.
   */
  async funnelLeads(
    stage: FunnelReportStage,
    options: ViewOptions = {},
    point?: TrendPoint,
  ): Promise<FunnelLeadRow[]> {
    const { scope, params } = await this.funnelLeadsParams(stage, options, point);
    return parseFunnelLeadRows(await this.runScoped('funnel-leads', scope, params));
  }

  /**
   * One page of `funnelLeads` (same order), filtered by exact channel, campaign and owner, with
   * the number of matching leads: paged in ClickHouse, so only the page leaves it.
   */
  async funnelLeadsPage(
    stage: FunnelReportStage,
    options: ViewOptions,
    point: TrendPoint | undefined,
    page: PageRequest,
    match: RowMatch<'channel' | 'campaign' | 'owner'> = {},
  ): Promise<RowPage<FunnelLeadRow>> {
    const { scope, params } = await this.funnelLeadsParams(stage, options, point);
    const filters = {
      channel: match.channel ?? null,
      campaign: match.campaign ?? null,
      owner: match.owner ?? null,
    };
    return this.runPage(
      'funnel-leads',
      scope,
      { ...params, ...filters },
      page,
      parseFunnelLeadRows,
    );
  }

  private async funnelLeadsParams(
    stage: FunnelReportStage,
    options: ViewOptions,
    point: TrendPoint | undefined,
  ): Promise<{ scope: ViewOptions; params: Record<string, string> }> {
    if (!reportStageSet.has(stage)) {
      throw new InvalidQueryParameterError(
        `stage must be one of ${funnelReportStages.join(', ')}; got ${JSON.stringify(stage)}`,
      );
    }
    if (point !== undefined) {
      checkTrendGrain(point.grain);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(point.period)) {
        throw new InvalidQueryParameterError(`period must be YYYY-MM-DD; got ${point.period}`);
      }
    }
    const rules = options.rules ?? (await this.ruleSet());
    return {
      scope: { ...options, rules },
      params: {
        stage,
        grain: point?.grain ?? '',
        period: point?.period ?? '1970-01-01',
        ...calendarParams(calendarOf(rules, options)),
      },
    };
  }

  /** What each owner received and closed, ordered by owner. */
  async salesLens(options: ViewOptions = {}): Promise<SalesLensRow[]> {
    return parseSalesLensRows(await this.runScoped('sales-lens', options, {}));
  }

  /**
   * Won revenue and open pipeline credited to each (channel, campaign) under one attribution
   * model, with spend and ROI, ordered by channel then campaign. Shares are exact: per lead
   * they add up to the lead's amount to the last 0.0001.
   */
  async marketingAttribution(
    model: AttributionModel,
    options: ViewOptions = {},
  ): Promise<MarketingAttributionRow[]> {
    if (!attributionModelSet.has(model)) {
      throw new InvalidQueryParameterError(
        `model must be one of ${attributionModels.join(', ')}; got ${JSON.stringify(model)}`,
      );
    }
    // The positional shares and the half-life are the rule set's (its dictionary's
    // attribution section), so a what-if draft can change them like any other rule.
    const rules = options.rules ?? (await this.ruleSet());
    return parseMarketingAttributionRows(
      await this.runScoped(
        'marketing-attribution',
        { ...options, rules },
        attributionParams(rules, model),
      ),
    );
  }

  /**
   * SLA compliance, leakage, recycle rate and rejection reasons per capture (channel,
   * campaign). Open hand-offs are judged against `asOf` (ISO-8601 with a zone; default now,
   * so pass it for reproducible output), which also cuts the events like every view's asOf.
   */
  async alignment(options: ViewOptions = {}): Promise<AlignmentRow[]> {
    const judgedAt = asOfParam(
      options.asOf,
      toClickHouseDateTime(new Date().toISOString()) ?? LATEST,
    );
    return parseAlignmentRows(await this.runScoped('alignment', options, { judged_at: judgedAt }));
  }

  /** Every lens total rolled up by account (ABM), ordered by account ('' = no account). */
  async accountLens(options: ViewOptions = {}): Promise<AccountLensRow[]> {
    return parseAccountLensRows(await this.runScoped('account-lens', options, {}));
  }

  /** One page of `accountLens` (same order), filtered by exact account, with the match count. */
  async accountLensPage(
    options: ViewOptions,
    page: PageRequest,
    match: RowMatch<'account'> = {},
  ): Promise<RowPage<AccountLensRow>> {
    const filters = { account: match.account ?? null };
    return this.runPage('account-lens', options, filters, page, parseAccountLensRows);
  }

  /** Response time, win rate, cycle length and loss reasons per (team, owner). */
  async salesPerformance(options: ViewOptions = {}): Promise<SalesPerformanceRow[]> {
    return parseSalesPerformanceRows(await this.runScoped('sales-performance', options, {}));
  }

  /** Every current target beside its actual for the period, both teams. */
  async targetsProgress(scope: ViewScope = {}): Promise<TargetProgressRow[]> {
    // Periods are the rule set's: its reporting time zone and fiscal-year start.
    const rules = scope.rules ?? (await this.ruleSet());
    const calendar = calendarOf(rules, scope);
    return parseTargetProgressRows(
      await this.runScoped(
        'targets-progress',
        { ...scope, rules },
        calendarParams(calendar),
        'rows',
        calendar.timeZone,
      ),
    );
  }

  /** The shared totals counted straight from lead_events, for all time. */
  async eventTotals(): Promise<SharedTotals> {
    return parseSharedTotals(await this.run('event-totals', {}));
  }

  /**
   * Compares the shared totals three ways over all time: marketing lens rows summed, sales lens
   * rows summed, and lead_events counted directly. `ok` only when all three agree on every
   * metric. Events that no lens can see (e.g. a lead with no LeadCaptured, or accepted without
   * a hand-off) make it fail, by design.
   */
  async reconcile(scope: { readonly rules?: RuleSet } = {}): Promise<Reconciliation> {
    const rules = scope.rules ?? (await this.ruleSet());
    const [marketing, sales, events] = await Promise.all([
      this.marketingLens({ rules }),
      this.salesLens({ rules }),
      this.eventTotals(),
    ]);
    return reconcileTotals(sumLensRows(marketing), sumLensRows(sales), events);
  }

  /**
   * The rule set a request reads: `rulesVersion` alone names a published version, with
   * `definitionHash` any kept set (a what-if's shadow included); neither, the active set.
   */
  ruleSet(selection: RuleSetSelection = {}): Promise<RuleSet> {
    return this.reading(() => this.registry.resolve(selection));
  }

  /** A view's statements, ahead of a snapshot being written (LeadFunnelSnapshots.reading). */
  private reading<T>(work: () => Promise<T>): Promise<T> {
    return this.snapshots === null ? work() : this.snapshots.reading(work);
  }

  /** Of the MQLs under the scope's rule set, how many became SQLs. */
  async mqlConversion(options: ViewOptions = {}): Promise<MqlConversion> {
    return parseMqlConversion(await this.runScoped('mql-conversion', options, {}));
  }

  /**
   * One rule set's audit against the events (rule-set-audit.sql, in one statement): the per-lead
   * audit's groups (reconciliation/rule-set-findings.ts) over the lead events up to `covered`
   * (the projection checkpoint, decimal string), each funnel stage as the views count it and
   * from every event, and the shared totals from every event. The event side is read from the
   * witness kept for the set when there is one (reconciliation/lead-event-audits.ts), else from
   * every lead: the same answer. `funnel`: the views' read of the set, if already looked up.
   */
  async ruleSetAudit(rules: RuleSet, covered: string, funnel?: FunnelRead): Promise<RuleSetAudit> {
    const kept = await this.keptEventAudit(rules, covered);
    return parseRuleSetAudit(
      await this.runScoped(
        'rule-set-audit',
        { rules, ...(funnel === undefined ? {} : { funnel }) },
        eventAuditParams(rules, covered, kept),
      ),
    );
  }

  /** One rule set's per-lead audit over the lead events up to `covered` (ruleSetAudit's). */
  async ruleSetLeadAudit(rules: RuleSet, covered: string): Promise<LeadAuditGroup[]> {
    return (await this.ruleSetAudit(rules, covered)).groups;
  }

  /** Each funnel stage under one rule set as the views count it and straight from the events. */
  async ruleSetStageCounts(rules: RuleSet): Promise<StageCount[]> {
    return (await this.ruleSetAudit(rules, EVERY_EVENT)).stages;
  }

  /** Every kept rule set, by version then hash. */
  ruleSets(): Promise<RuleSet[]> {
    return readRuleSets(this.reader, { database: this.database });
  }

  /**
   * Leads whose MQL classification differs between two rule sets (all time), by lead id:
   * how many in total and in each direction, and the first `sampleSize` with their scores.
   */
  async changedLeads(
    base: RuleSetKey,
    candidate: RuleSetKey,
    sampleSize = 10,
  ): Promise<ChangedLeads> {
    return parseChangedLeads(
      await this.run('rule-set-changes', {
        base_version: String(base.rulesVersion),
        base_hash: base.definitionHash,
        candidate_version: String(candidate.rulesVersion),
        candidate_hash: candidate.definitionHash,
        sample: String(sampleSize),
      }),
    );
  }

  /**
   * A paged view's page and match count. A page past the end has no row to carry the count,
   * so the count then comes from the first page (one row) of the same query.
   */
  private async runPage<Row>(
    name: PagedView,
    options: ViewOptions,
    params: Record<string, string | null>,
    page: PageRequest,
    parse: (rows: unknown) => Row[],
  ): Promise<RowPage<Row>> {
    checkPage(page);
    const cut = (limit: number, offset: number) =>
      this.runScoped(
        name,
        options,
        { ...params, limit: String(limit), offset: String(offset) },
        'page',
      ).then(splitPage);
    const answered = await cut(page.limit, page.offset);
    if (answered.rows.length === 0 && page.offset > 0) {
      return { rows: [], total: (await cut(1, 0)).total };
    }
    return { rows: parse(answered.rows), total: answered.total };
  }

  /**
   * `rollupZone`: the view (trend or targets) can read the day rollup of the snapshot in this
   * reporting time zone, when it reads a snapshot over the unbounded capture window.
   */
  private runScoped(
    name: ViewQuery,
    options: ViewOptions,
    params: QueryParams,
    form: ViewForm = 'rows',
    rollupZone?: string,
  ): Promise<unknown> {
    return this.reading(() => this.runScopedNow(name, options, params, form, rollupZone));
  }

  private async runScopedNow(
    name: ViewQuery,
    options: ViewOptions,
    params: QueryParams,
    form: ViewForm,
    rollupZone: string | undefined,
  ): Promise<unknown> {
    const rules = options.rules ?? (await this.ruleSet());
    // "Now" reads the state ClickHouse keeps per lead (or its snapshot); "as of" folds the
    // events up to then.
    const shared =
      options.funnel !== undefined && sameSnapshotKey(options.funnel.key, snapshotKeyOf(rules))
        ? options.funnel
        : null;
    const read =
      options.asOf === undefined && this.snapshots !== null
        ? shared !== null
          ? shared.read
          : await this.snapshots.current(rules)
        : null;
    const rollupBuild =
      read !== null &&
      rollupZone !== undefined &&
      this.rollups !== null &&
      options.capturedFrom === undefined &&
      options.capturedTo === undefined
        ? await this.rollups.current(read.snapshot.id, rollupZone)
        : null;
    // Marketing attribution over "now" reads the credits kept for the snapshot, any window.
    const creditsBuild =
      read !== null && name === 'marketing-attribution' && this.credits !== null
        ? await this.credits.current(read.snapshot, rules)
        : null;
    const attributionLeads =
      read !== null && creditsBuild !== null
        ? await this.credits!.changedLeads(read.snapshot, creditsBuild, read.changed)
        : [];
    const source: FunnelSource =
      options.asOf !== undefined
        ? '_lead-fold-as-of'
        : read === null
          ? '_lead-state'
          : creditsBuild !== null
            ? { read, creditsBuild, attributionLeads }
            : rollupBuild === null
              ? read
              : { read, rollupBuild };
    return this.run(
      name,
      {
        ...windowParams(options),
        rules_version: String(rules.rulesVersion),
        definition_hash: rules.definitionHash,
        sla_ms: String(rules.slaMs),
        // Live decisions recorded under a version are facts of its published set only.
        recorded_version: String(rules.kind === 'published' ? rules.rulesVersion : 0),
        as_of: asOfParam(options.asOf, LATEST),
        ...(read === null ? {} : { snapshot_id: read.snapshot.id, changed_leads: read.changed }),
        ...(rollupBuild === null ? {} : { rollup_build: rollupBuild }),
        ...(creditsBuild === null
          ? {}
          : { credits_build: creditsBuild, attribution_leads: attributionLeads }),
        ...params,
      },
      source,
      form,
    );
  }

  private async run(
    name: ViewQuery,
    params: QueryParams,
    source: FunnelSource = '_lead-state',
    form: ViewForm = 'rows',
  ): Promise<unknown> {
    const sql = await this.load(name, source, form);
    if (!sql.includes(EVENT_AUDIT_MARKER)) return this.query(sql, params);
    // The rule-set audit: the event witness's rows, kept when the statement binds a build (with
    // the changed leads' rows when it binds any).
    const kept =
      params.audit_build === undefined
        ? null
        : await this.keptEventAuditFiles((params.audited_leads?.length ?? 0) > 0);
    return this.query(composeEventAudit(sql, await this.file('_lead-event-audit'), kept), params);
  }

  private async query(sql: string, params: QueryParams): Promise<unknown> {
    const result = await this.reader.query({
      query: sql,
      query_params: { db: this.database, ...params },
      format: 'JSONEachRow',
    });
    return result.json<unknown>();
  }

  /**
   * The files of the event witness read from a kept build (composeEventAudit's `kept`), with
   * those of the changed leads when `changes`.
   */
  private async keptEventAuditFiles(changes: boolean): Promise<KeptEventAuditFragments> {
    const [rows, sql, changed] = await Promise.all([
      this.file('_lead-event-audit-kept'),
      changes ? this.file('_lead-event-audit-changes') : null,
      changes ? this.file('_lead-event-audit-changed') : null,
    ]);
    return { rows, changes: sql === null || changed === null ? null : { sql, changed } };
  }

  /** A view's SQL (or its page file's, with the view) with its rows and fragments in place. */
  private async load(name: ViewQuery, source: FunnelSource, form: ViewForm): Promise<string> {
    if (typeof source !== 'string' && 'rollupBuild' in source) {
      return this.loadFromRollup(name, source.read);
    }
    if (typeof source !== 'string' && 'creditsBuild' in source) {
      return this.loadFromCredits(name, source);
    }
    const fold: Fold = typeof source === 'string' ? source : '_lead-state';
    const [view, funnel, folds, page] = await Promise.all([
      this.file(name),
      this.file('_lead-funnel'),
      this.file(fold),
      form === 'page' ? this.file(`${name}.page`) : undefined,
    ]);
    const rows = readsViewRows(view) ? await this.file(`${name}.rows`) : undefined;
    const statement =
      page !== undefined
        ? composePageSql(page, view, rows)
        : rows !== undefined
          ? composeViewRows(view, rows)
          : view;
    if (typeof source === 'string') return composeViewSql(statement, funnel, folds);
    const [snapshot, changed] = await Promise.all([
      this.file('_lead-funnel-snapshot'),
      source.changed.length === 0 ? null : this.file('_lead-funnel-changed'),
    ]);
    return composeViewSqlFromSnapshot(statement, snapshot, changed, funnel, folds);
  }

  /**
   * A trend or targets view with its rows read from the snapshot's day rollup
   * (`<view>.rollup.sql` in place of `<view>.rows.sql`), corrected for the leads changed since.
   */
  private async loadFromRollup(name: ViewQuery, read: SnapshotRead): Promise<string> {
    if (name !== 'funnel-trend' && name !== 'targets-progress') {
      throw new TypeError(`${name} has no rows from a rollup`);
    }
    const [view, rows, rollup, moments] = await Promise.all([
      this.file(name),
      this.file(`${name}.rollup`),
      this.file('_funnel-rollup'),
      this.file('_funnel-rollup-moments'),
    ]);
    const changes =
      read.changed.length === 0
        ? null
        : {
            sql: await this.file('_funnel-rollup-changes'),
            snapshotLeads: await this.file('_funnel-rollup-snapshot-leads'),
            stateLeads: composeChangedFunnel(
              await this.file('_lead-funnel-changed'),
              await this.file('_lead-funnel'),
              await this.file('_lead-state'),
            ),
          };
    return composeViewRows(view, composeRollupRows(rows, { rollup, moments, changes }));
  }

  /**
   * Marketing attribution with its rows read from the snapshot's kept credits
   * (marketing-attribution.kept.sql in place of its rows file), the changed leads' rows computed
   * as the view always does, over the snapshot read.
   */
  private async loadFromCredits(name: ViewQuery, source: CreditsRead): Promise<string> {
    if (name !== 'marketing-attribution') throw new TypeError(`${name} has no kept credits`);
    const [view, kept] = await Promise.all([
      this.file(name),
      this.file('marketing-attribution.kept'),
    ]);
    if (source.attributionLeads.length === 0) {
      return composeViewRows(view, composeKeptAttributionRows(kept, null));
    }
    const [rows, cut, snapshot, funnel, state, changed] = await Promise.all([
      this.file('marketing-attribution.rows'),
      this.file('_attribution-lead-cut'),
      this.file('_lead-funnel-snapshot'),
      this.file('_lead-funnel'),
      this.file('_lead-state'),
      source.read.changed.length === 0 ? null : this.file('_lead-funnel-changed'),
    ]);
    const statement = composeViewRows(view, composeKeptAttributionRows(kept, { rows, cut }));
    return composeViewSqlFromSnapshot(statement, snapshot, changed, funnel, state);
  }

  private file(name: ViewFile): Promise<string> {
    let sql = this.sql.get(name);
    if (sql === undefined) {
      sql = readViewFile(this.sqlDir, name).catch((error: unknown) => {
        this.sql.delete(name); // let the next call retry instead of caching the failure
        throw error;
      });
      this.sql.set(name, sql);
    }
    return sql;
  }
}
