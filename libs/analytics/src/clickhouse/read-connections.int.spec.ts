/**
 * The views' read client spreads its statements over several chDB connections
 * (`connections`, leastBusy): a short read answers while a long statement of another view is
 * still running on the same client, where one connection runs one statement at a time. chDB in
 * a temporary directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { closeAnalyticsClient, createAnalyticsClient } from './clickhouse.client';

jest.setTimeout(120_000);

let dir: string;
let reader: ClickHouseClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-read-connections-'));
  reader = await createAnalyticsClient({
    mode: 'embedded',
    path: dir,
    binding: 'in-process',
    connections: 2,
  });
});

afterAll(async () => {
  await closeAnalyticsClient(reader);
  await rm(dir, { recursive: true, force: true });
});

it('answers a short read while another statement is still running on the same client', async () => {
  // Six blocks of one row, half a second each: three seconds on one connection.
  const long = reader
    .query({
      query: 'SELECT sum(sleepEachRow(0.5)) AS s FROM numbers({rows:UInt64})',
      query_params: { rows: '6' },
      clickhouse_settings: { max_block_size: '1' },
      format: 'JSONEachRow',
    })
    .then(() => 'long');
  const short = reader
    .query({ query: 'SELECT {n:UInt32} AS n', query_params: { n: 7 }, format: 'JSONEachRow' })
    .then(async (result) => {
      expect(await result.json()).toEqual([{ n: 7 }]);
      return 'short';
    });
  expect(await Promise.race([long, short])).toBe('short');
  expect(await long).toBe('long');
});

it('refuses several connections that chDB would bind, and serialise', async () => {
  await expect(
    createAnalyticsClient({ mode: 'embedded', path: dir, connections: 2 }),
  ).rejects.toThrow(/binding: in-process/);
});

it("answers on another connection while statements queue on one: the queue holds no thread of the process's pool", async () => {
  // More statements queued on one connection than libuv has threads: each one handed to chDB
  // holds a thread until it ends, so the other connection's read waited for most of them.
  const single = await createAnalyticsClient({ mode: 'embedded', path: dir });
  try {
    const queued = Array.from({ length: 24 }, (_, i) =>
      single
        .query({ query: 'SELECT sleep(0.25) AS s', format: 'JSONEachRow' })
        .then(() => `queued ${i}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const other = reader
      .query({ query: 'SELECT {n:UInt32} AS n', query_params: { n: 7 }, format: 'JSONEachRow' })
      .then(() => 'other');
    expect(await Promise.race([queued[0]!, other])).toBe('other');
    await Promise.all(queued);
  } finally {
    await closeAnalyticsClient(single);
  }
});
