/**
 * The read side of libs/analytics: runs the reviewed query files in sql/views with bound
 * parameters and returns typed rows. Every query orders everything it returns, so the same
 * events give the same output byte for byte.
 *
 * It must never build SQL from caller input: callers choose a query by method and pass values
 * that travel as ClickHouse query parameters ({name:Type}); the database name is validated.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsDatabase, type AnalyticsDatabaseOptions } from './analytics.database';
import {
  attributionModels,
  parseAccountLensRows,
  parseSalesPerformanceRows,
  parseTargetProgressRows,
  cohortGrains,
  parseCohortFunnelRows,
  parseStageDurationRows,
  parseAlignmentRows,
  parseMarketingAttributionRows,
  parseFunnelStageRows,
  parseMarketingLensRows,
  parseSalesLensRows,
  parseSharedTotals,
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
import { toClickHouseDateTime } from './lead-event.row';
import { reconcileTotals, sumLensRows, type Reconciliation } from './reconciliation';
import { resolveSqlDirectory } from './sql-directory';

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
  'account-lens',
  'sales-performance',
  'targets-progress',
] as const;
export type ViewQuery = (typeof viewQueries)[number];

/**
 * The capture cohort a report covers: leads whose LeadCaptured business time is in
 * [capturedFrom, capturedTo). ISO-8601 with a zone; both ends open by default.
 */
export interface CaptureWindow {
  readonly capturedFrom?: string;
  readonly capturedTo?: string;
}

export interface AnalyticsQueriesOptions extends AnalyticsDatabaseOptions {
  /** Directory holding migrations/ and views/; found automatically when omitted. */
  readonly sqlDir?: string;
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

function asOfParam(asOf: string | undefined): string {
  const value = asOf ?? new Date().toISOString();
  const converted = toClickHouseDateTime(value);
  if (converted === null) {
    throw new InvalidQueryParameterError('asOf must be an ISO-8601 timestamp with a zone');
  }
  return converted;
}

export class AnalyticsQueries {
  private readonly database: string;
  private readonly sqlDir: string;
  private readonly sql = new Map<ViewQuery, Promise<string>>();

  constructor(
    private readonly client: ClickHouseClient,
    options: AnalyticsQueriesOptions = {},
  ) {
    this.database = analyticsDatabase(options);
    this.sqlDir = resolveSqlDirectory(options.sqlDir);
  }

  /** Leads that ever reached each stage, with stage-to-stage conversion, in funnel order. */
  async sharedFunnel(window: CaptureWindow = {}): Promise<FunnelStageRow[]> {
    return parseFunnelStageRows(await this.run('shared-funnel', windowParams(window)));
  }

  /** The funnel per capture (channel, campaign), ordered by channel then campaign. */
  async marketingLens(window: CaptureWindow = {}): Promise<MarketingLensRow[]> {
    return parseMarketingLensRows(await this.run('marketing-lens', windowParams(window)));
  }

  /** Median and p90 hours from entering each stage to the next, in funnel order. */
  async funnelTimeInStage(window: CaptureWindow = {}): Promise<StageDurationRow[]> {
    return parseStageDurationRows(await this.run('funnel-time-in-stage', windowParams(window)));
  }

  /** The shared funnel's counts per capture week or month, in cohort order. */
  async funnelByCohort(grain: CohortGrain, window: CaptureWindow = {}): Promise<CohortFunnelRow[]> {
    if (!cohortGrainSet.has(grain)) {
      throw new InvalidQueryParameterError(
        `grain must be one of ${cohortGrains.join(', ')}; got ${JSON.stringify(grain)}`,
      );
    }
    return parseCohortFunnelRows(
      await this.run('funnel-by-cohort', { ...windowParams(window), grain }),
    );
  }

  /** What each owner received and closed, ordered by owner. */
  async salesLens(window: CaptureWindow = {}): Promise<SalesLensRow[]> {
    return parseSalesLensRows(await this.run('sales-lens', windowParams(window)));
  }

  /**
   * Won revenue and open pipeline credited to each (channel, campaign) under one attribution
   * model, with spend and ROI, ordered by channel then campaign. Shares are exact: per lead
   * they add up to the lead's amount to the last 0.0001.
   */
  async marketingAttribution(
    model: AttributionModel,
    window: CaptureWindow = {},
  ): Promise<MarketingAttributionRow[]> {
    if (!attributionModelSet.has(model)) {
      throw new InvalidQueryParameterError(
        `model must be one of ${attributionModels.join(', ')}; got ${JSON.stringify(model)}`,
      );
    }
    return parseMarketingAttributionRows(
      await this.run('marketing-attribution', { ...windowParams(window), model }),
    );
  }

  /**
   * SLA compliance, leakage, recycle rate and rejection reasons per capture (channel,
   * campaign). Open hand-offs are judged against `asOf` (ISO-8601 with a zone; default now,
   * so pass it for reproducible output).
   */
  async alignment(
    window: CaptureWindow & { readonly asOf?: string } = {},
  ): Promise<AlignmentRow[]> {
    return parseAlignmentRows(
      await this.run('alignment', { ...windowParams(window), as_of: asOfParam(window.asOf) }),
    );
  }

  /** Every lens total rolled up by account (ABM), ordered by account ('' = no account). */
  async accountLens(window: CaptureWindow = {}): Promise<AccountLensRow[]> {
    return parseAccountLensRows(await this.run('account-lens', windowParams(window)));
  }

  /** Response time, win rate, cycle length and loss reasons per (team, owner). */
  async salesPerformance(window: CaptureWindow = {}): Promise<SalesPerformanceRow[]> {
    return parseSalesPerformanceRows(await this.run('sales-performance', windowParams(window)));
  }

  /** Every current target beside its actual for the period, both teams. */
  async targetsProgress(): Promise<TargetProgressRow[]> {
    return parseTargetProgressRows(await this.run('targets-progress', {}));
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
  async reconcile(): Promise<Reconciliation> {
    const [marketing, sales, events] = await Promise.all([
      this.marketingLens(),
      this.salesLens(),
      this.eventTotals(),
    ]);
    return reconcileTotals(sumLensRows(marketing), sumLensRows(sales), events);
  }

  private async run(name: ViewQuery, params: Record<string, string>): Promise<unknown> {
    const result = await this.client.query({
      query: await this.load(name),
      query_params: { db: this.database, ...params },
      format: 'JSONEachRow',
    });
    return result.json<unknown>();
  }

  private load(name: ViewQuery): Promise<string> {
    let sql = this.sql.get(name);
    if (sql === undefined) {
      sql = readFile(join(this.sqlDir, 'views', `${name}.sql`), 'utf8').catch((error: unknown) => {
        this.sql.delete(name); // let the next call retry instead of caching the failure
        throw error;
      });
      this.sql.set(name, sql);
    }
    return sql;
  }
}
