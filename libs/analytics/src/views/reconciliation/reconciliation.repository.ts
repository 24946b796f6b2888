/**
 * The apps' one door to reconciliation (the health monitor's background check, the
 * /analytics/reconciliation view, `tandem reconcile` through it): they hold this instead of
 * the ClickHouse client, so the queries behind a verdict stay in views/.
 *
 * It judges nothing itself: the verdict is reconcileAll's (rule-set-reconciliation.ts).
 *
 * Given the views' own AnalyticsQueries, the lens witnesses and the views' side of the stage
 * counts are read exactly as the views answer them (from the per-lead funnel snapshot when the
 * views use one), so the check covers what a user is shown; the event side (event-totals.sql,
 * the rule-set audit's and stage counts' raw halves) never reads the funnel, its snapshot or
 * lead_state, so it stays an independent witness either way.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  type AnalyticsDatabaseOptions,
} from '../../clickhouse/analytics.database';
import { AnalyticsQueries } from '../analytics.queries';
import {
  reconcileAll,
  type FullReconciliation,
  type ReconcileOptions,
} from './rule-set-reconciliation';

export class ReconciliationRepository {
  private readonly database: string;
  private readonly queries: AnalyticsQueries;

  /**
   * `queries`: the views' AnalyticsQueries on the same database (the API's, snapshots
   * included); without it the lenses are folded from the kept state on every check.
   */
  constructor(
    private readonly client: ClickHouseClient,
    options: AnalyticsDatabaseOptions = {},
    queries?: AnalyticsQueries,
  ) {
    this.database = analyticsDatabase(options);
    this.queries = queries ?? new AnalyticsQueries(client, { database: this.database });
  }

  /** The lenses and every kept rule set against the raw events (under `rules`, else the active set). */
  reconcile(options: Omit<ReconcileOptions, 'database'> = {}): Promise<FullReconciliation> {
    return reconcileAll(this.client, this.queries, { ...options, database: this.database });
  }
}
