/**
 * Embedded clients take a part in ClickHouse's statement priorities (`priority`): a
 * 'background' client's statement gives way to any 'foreground' statement of the engine, so
 * the views' background builds do not take the cores from the projector and the views' reads
 * (ADR 0014, addendum of 2026-12-02). chDB in a temporary directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { closeAnalyticsClient, createAnalyticsClient } from './clickhouse.client';

jest.setTimeout(120_000);

let dir: string;
let foreground: ClickHouseClient;
let background: ClickHouseClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-statement-priority-'));
  foreground = await createAnalyticsClient({ mode: 'embedded', path: dir });
  background = await createAnalyticsClient({
    mode: 'embedded',
    path: dir,
    binding: 'in-process',
    connections: 2,
    priority: 'background',
  });
});

afterAll(async () => {
  await closeAnalyticsClient(background);
  await closeAnalyticsClient(foreground);
  await rm(dir, { recursive: true, force: true });
});

/** One row per block, `seconds` each: a statement that checks in between blocks. */
const sleeping = (client: ClickHouseClient, rows: number, seconds: number, name: string) =>
  client
    .query({
      query: `SELECT sum(sleepEachRow(${seconds})) AS s FROM numbers(${rows})`,
      clickhouse_settings: { max_block_size: '1' },
      format: 'JSONEachRow',
    })
    .then(() => name);

it('sets the priority on every connection of a client, foreground by default', async () => {
  const priorityOf = async (client: ClickHouseClient) => {
    const result = await client.query({
      query: "SELECT getSetting('priority') AS priority",
      format: 'JSONEachRow',
    });
    return (await result.json<{ priority: string | number }>())[0]?.priority;
  };
  expect(Number(await priorityOf(foreground))).toBe(1);
  // Both connections of the background client: two statements at once take one each.
  const both = await Promise.all([priorityOf(background), priorityOf(background)]);
  expect(both.map(Number)).toEqual([2, 2]);
});

it('pauses a background statement while a foreground one runs, and finishes it after', async () => {
  // Alone, the background statement ends first (1.2 s against 2.4 s); paused from the moment
  // the foreground one starts, it can only end after it.
  const behind = sleeping(background, 6, 0.2, 'background');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const ahead = sleeping(foreground, 6, 0.4, 'foreground');
  expect(await Promise.race([behind, ahead])).toBe('foreground');
  expect(await behind).toBe('background');
});
