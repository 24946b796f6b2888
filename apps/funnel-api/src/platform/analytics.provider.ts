/** Opens the configured ClickHouse (embedded chDB or a server) and applies its migrations. */
import type { Provider } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  AnalyticsHealthRepository,
  AnalyticsQueries,
  closeAnalyticsClient,
  createAnalyticsClient,
  migrate,
  ReconciliationRepository,
  RuleSetRepository,
} from '@tandem/analytics';
import type { TandemConfig } from '@tandem/config';
import { ANALYTICS, TANDEM_CONFIG } from './tokens';

export interface AnalyticsHandle {
  /** What the projector, the replays and the rule-set lifecycle write and read on. */
  readonly client: ClickHouseClient;
  /**
   * What the views read on: embedded, two more chDB connections on the same path whose
   * statements reach chDB with their parameters bound in this process, so that they run beside
   * `client`'s instead of behind them (docs/adr/0014); the same client as `client` in server
   * mode, where the server runs statements side by side.
   */
  readonly reader: ClickHouseClient;
  /**
   * What the views' background builds (snapshots and what is kept per snapshot) run on:
   * embedded, a connection of their own binding in the process, so that the projector's
   * statements on `client` never wait behind a build's (docs/adr/0014); `client` in server mode.
   */
  readonly builder: ClickHouseClient;
  readonly database: string;
  readonly queries: AnalyticsQueries;
  /** Rule sets and activations: services use this, never SQL of their own. */
  readonly ruleSets: RuleSetRepository;
  /** The full reconciliation verdict (lenses and rule sets against the raw events). */
  readonly reconciliation: ReconciliationRepository;
  /** Whether ClickHouse answers, for the readiness probe. */
  readonly health: AnalyticsHealthRepository;
  close(): Promise<void>;
}

/**
 * `snapshots`: views read "now" from snapshots of the per-lead funnel (AnalyticsQueries), which
 * is exact only where this process's log projection writes the tables (TANDEM_PROJECTOR
 * embedded), never beside the Kafka projector; `minLeads` is the state's size below which none
 * is taken in the background.
 */
export async function openAnalytics(
  config: TandemConfig['clickhouse'],
  options: { readonly snapshots?: false | { readonly minLeads: number } } = {},
): Promise<AnalyticsHandle> {
  const client = await createAnalyticsClient(config);
  let reader = client;
  let builder = client;
  try {
    await migrate(client, { database: config.database });
    if (config.mode === 'embedded') {
      // Two connections: a view's read never waits behind another's long statement (the
      // reconciliation monitor's audit, seconds at 1M events, once a minute).
      reader = await createAnalyticsClient({ ...config, binding: 'in-process', connections: 2 });
      // Background: a snapshot's statements give way to the projector's and the views' reads.
      builder = await createAnalyticsClient({
        ...config,
        binding: 'in-process',
        priority: 'background',
      });
    }
  } catch (error) {
    if (reader !== client) await closeAnalyticsClient(reader);
    await closeAnalyticsClient(client);
    throw error;
  }
  const queries = new AnalyticsQueries(client, {
    database: config.database,
    reader,
    builder,
    snapshots: options.snapshots ?? false,
  });
  return {
    client,
    reader,
    builder,
    database: config.database,
    queries,
    ruleSets: new RuleSetRepository(client, { database: config.database }),
    // The views' own queries: reconciliation checks the lenses as the views answer them.
    reconciliation: new ReconciliationRepository(client, { database: config.database }, queries),
    // On the views' connection: the other one runs the views' background builds, whose single
    // statements (a snapshot's attribution credits: seconds at 10M events) held the probe's
    // SELECT 1 past its deadline, so readiness said ClickHouse was down during each snapshot.
    health: new AnalyticsHealthRepository(reader),
    // Every connection; chDB drains once the last one on the path is closed.
    close: async () => {
      await queries.close();
      if (builder !== client) await closeAnalyticsClient(builder);
      if (reader !== client) await closeAnalyticsClient(reader);
      await closeAnalyticsClient(client);
    },
  };
}

export const analyticsProvider: Provider = {
  provide: ANALYTICS,
  inject: [TANDEM_CONFIG],
  useFactory: (config: TandemConfig) =>
    openAnalytics(config.clickhouse, {
      snapshots: config.projector === 'embedded' ? config.viewSnapshots : false,
    }),
};
