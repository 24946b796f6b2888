/**
 * lead_state (kept by ClickHouse from every block inserted into lead_events) and the fold of
 * the raw events (_lead-fold-as-of.sql) are one definition of a lead's funnel state: for the
 * same events they must give the same rows, byte for byte, whatever the batches, their order,
 * redelivery, and whether ClickHouse has merged the parts yet.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { projectBatch } from './lead-events.writer';
import { resolveSqlDirectory } from '../clickhouse/sql-directory';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';

const analytics = useEmbeddedAnalytics('lead-state-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

const LATEST = '2299-12-31 23:59:59.999';

async function fold(database: string, file: '_lead-state' | '_lead-fold-as-of'): Promise<string> {
  const sql = await readFile(join(resolveSqlDirectory(), 'views', `${file}.sql`), 'utf8');
  const result = await client.query({
    query: `SELECT * FROM (${sql}) ORDER BY lead_id`,
    query_params: { db: database, as_of: LATEST },
    format: 'JSONEachRow',
  });
  return result.text();
}

/** Deterministic shuffle (a linear congruential generator), so a failure replays. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

it('gives the same rows as the raw fold, before and after merges, under redelivery', async () => {
  const database = await analytics.freshDatabase();
  const { envelopes } = funnelScenario();
  // Small batches in a shuffled order, several delivered twice: one lead's events land in
  // many parts, some of them twice.
  const order = shuffled(envelopes, 7);
  for (let start = 0; start < order.length; start += 5) {
    const batch = order.slice(start, start + 5);
    await projectBatch(client, batch, { database });
    if (start % 15 === 0) await projectBatch(client, batch, { database });
  }
  const raw = await fold(database, '_lead-fold-as-of');
  expect(raw.split('\n').filter(Boolean)).toHaveLength(11);
  expect(await fold(database, '_lead-state')).toBe(raw);

  await client.command({
    query: 'OPTIMIZE TABLE {db:Identifier}.lead_state FINAL',
    query_params: { db: database },
  });
  expect(await fold(database, '_lead-state')).toBe(raw);
});
