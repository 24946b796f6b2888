/**
 * Whether ClickHouse answers at all, for readiness probes: the one query they run lives here,
 * beside the client, so no app writes SQL of its own to ask.
 *
 * It must never read or write a table: a probe has to stay cheap and harmless under load.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export class AnalyticsHealthRepository {
  constructor(private readonly client: ClickHouseClient) {}

  /** Resolves once ClickHouse (server or embedded chDB) answers a trivial query; rejects otherwise. */
  async ping(): Promise<void> {
    const result = await this.client.query({ query: 'SELECT 1' });
    await result.text();
  }
}
