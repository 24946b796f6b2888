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
  readonly client: ClickHouseClient;
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

export async function openAnalytics(config: TandemConfig['clickhouse']): Promise<AnalyticsHandle> {
  const client = await createAnalyticsClient(config);
  try {
    await migrate(client, { database: config.database });
  } catch (error) {
    await closeAnalyticsClient(client);
    throw error;
  }
  return {
    client,
    database: config.database,
    queries: new AnalyticsQueries(client, { database: config.database }),
    ruleSets: new RuleSetRepository(client, { database: config.database }),
    reconciliation: new ReconciliationRepository(client, { database: config.database }),
    health: new AnalyticsHealthRepository(client),
    close: () => closeAnalyticsClient(client),
  };
}

export const analyticsProvider: Provider = {
  provide: ANALYTICS,
  inject: [TANDEM_CONFIG],
  useFactory: (config: TandemConfig) => openAnalytics(config.clickhouse),
};
