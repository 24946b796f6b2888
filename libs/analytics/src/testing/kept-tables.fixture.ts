/**
 * Test support shared by the specs of what is kept per snapshot of the funnel (the snapshots,
 * their day rollups, attribution credits and the reconciliation's event witness): each projects
 * a scenario, keeps a copy, lets more events arrive and compares the views with the state.
 * Never used outside tests.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import { LogProjection } from '../projection/log-projection';
import type { AnalyticsQueries } from '../views/analytics.queries';

/** A what-if of the shipped dictionary with a lower MQL threshold: other MQLs, other rows. */
export const lowerMqlThreshold: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  mql: { ...defaultFunnelDefinition.mql, threshold: 40 },
};

/** A log projection of `database`, started (its checkpoints read). */
export async function startProjection(
  client: ClickHouseClient,
  database: string,
): Promise<LogProjection> {
  const projection = new LogProjection(client, { database });
  await projection.start();
  return projection;
}

/** The rows of one table, as stored (no FINAL). */
export async function countRows(
  client: ClickHouseClient,
  database: string,
  table: string,
): Promise<number> {
  const result = await client.query({
    query: 'SELECT count() AS n FROM {db:Identifier}.{table:Identifier}',
    query_params: { db: database, table },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n);
}

/** How many of the statements `work` sends through `client.query` match `reads`. */
export async function countQueries(
  client: ClickHouseClient,
  work: () => Promise<unknown>,
  reads: (sql: string) => boolean,
): Promise<number> {
  const query = jest.spyOn(client, 'query');
  try {
    await work();
    return query.mock.calls.filter(([params]) => reads(String(params.query))).length;
  } finally {
    query.mockRestore();
  }
}

/** Runs `work` (a reset, as a rebuild does) with the views' background builds suspended. */
export async function whileBuildsSuspended<T>(
  queries: AnalyticsQueries,
  work: () => Promise<T>,
): Promise<T> {
  const release = await queries.suspendBackgroundBuilds('a reset in a spec');
  try {
    return await work();
  } finally {
    release();
  }
}
