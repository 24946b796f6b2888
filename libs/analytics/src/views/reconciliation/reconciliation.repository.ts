/**
 * The apps' one door to reconciliation (the health monitor's background check, the
 * /analytics/reconciliation view, `tandem reconcile` through it): they hold this instead of
 * the ClickHouse client, so the queries behind a verdict stay in views/.
 *
 * It judges nothing itself: the verdict is reconcileAll's (rule-set-reconciliation.ts).
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

  constructor(
    private readonly client: ClickHouseClient,
    options: AnalyticsDatabaseOptions = {},
  ) {
    this.database = analyticsDatabase(options);
    this.queries = new AnalyticsQueries(client, { database: this.database });
  }

  /** The lenses and every kept rule set against the raw events (under `rules`, else the active set). */
  reconcile(options: Omit<ReconcileOptions, 'database'> = {}): Promise<FullReconciliation> {
    return reconcileAll(this.client, this.queries, { ...options, database: this.database });
  }
}
