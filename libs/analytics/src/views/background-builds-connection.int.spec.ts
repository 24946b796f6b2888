/**
 * The views' background builds (a snapshot of the per-lead funnel, its day rollup, attribution
 * credits and the event witness) run on the connection given as `builder`, never on the
 * projector's: chDB runs one statement at a time per connection, so a build's statements
 * (seconds each at 1M events) on the projector's connection held every batch behind them, and
 * live append → visible with it (docs/performance.md, live at 2,000 events/s). And they still
 * build there with their parameters bound in the process, as the API's builder binds them.
 * chDB, one database per test; the statements are counted on the real clients (spied, not
 * replaced).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsQueries } from './analytics.queries';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { startProjection } from '../testing/kept-tables.fixture';
import { funnelScenario, expectedFunnel } from '../testing/funnel-scenario.fixture';
import { batches } from '../testing/event-log.fixture';

jest.setTimeout(300_000);

const analytics = useEmbeddedAnalytics('background-builds-int');

/** Every statement `work` sends through `client` (query, command, insert, exec). */
async function statementsOn(
  client: ClickHouseClient,
  work: () => Promise<unknown>,
): Promise<string[]> {
  const spies = (['query', 'command', 'insert', 'exec'] as const).map((method) =>
    jest.spyOn(client, method),
  );
  try {
    await work();
    return spies.flatMap((spy) =>
      spy.mock.calls.map(([params]) => {
        const { query, table } = params as { query?: string; table?: string };
        return query ?? `INSERT INTO ${table}`;
      }),
    );
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

it("runs every statement of the views' background builds on the builder, none on the projector's connection", async () => {
  const database = await analytics.freshDatabase();
  const projection = await startProjection(analytics.client(), database);
  for (const batch of batches(funnelScenario().envelopes, 20)) {
    await projection.project(batch, { atHead: true });
  }
  // The reader binds in the process, as the API's builder does: it builds there too.
  const builder = analytics.reader();
  const queries = new AnalyticsQueries(analytics.client(), {
    database,
    reader: analytics.reader(),
    builder,
    snapshots: { minLeads: 0 },
  });
  try {
    let built: unknown[] = [];
    const onBuilder = await statementsOn(builder, async () => {
      const onClient = await statementsOn(analytics.client(), async () => {
        built = [
          await queries.takeSnapshot(),
          await queries.takeRollup(),
          await queries.takeAttributionCredits(),
          await queries.takeEventAudit(),
        ];
      });
      expect(onClient).toEqual([]);
    });
    // Each build was written, and by statements on the builder.
    expect(built.every((build) => build !== null)).toBe(true);
    expect(onBuilder.some((sql) => sql.includes('lead_funnel_snapshots'))).toBe(true);
    // The views read the snapshot the builder wrote: the same funnel as from the state.
    expect(await queries.sharedFunnel()).toEqual(expectedFunnel);
  } finally {
    await queries.close();
  }
});
