/**
 * The CSV log source reads the next slice while ClickHouse loads this one, and hands it over
 * only for exactly that slice. A fake export and a fake client that logs each step; loading
 * CSV into ClickHouse for real is pglite-bulk-projection.int.spec's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { csvFileLogSource } from './csv-file-log-source';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-csv-source-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function harness() {
  const log: string[] = [];
  const exportSlice = async (after: bigint, upTo: bigint) => {
    log.push(`export ${after}..${upTo}`);
    await new Promise((resolve) => setImmediate(resolve));
    return new Blob([`${after},${upTo}\n`]);
  };
  const client = {
    command: async () => {
      log.push('load');
      await new Promise((resolve) => setImmediate(resolve));
      log.push('loaded');
      return {};
    },
  } as unknown as ClickHouseClient;
  return { log, source: csvFileLogSource(exportSlice, dir), client };
}

it('exports the next slice while this one loads, and does not export it again', async () => {
  const { log, source, client } = harness();
  await source.loadSlice(client, 'db', 0n, 10n, { after: 10n, upTo: 20n });
  expect(log).toEqual(['export 0..10', 'export 10..20', 'load', 'loaded']);
  await source.loadSlice(client, 'db', 10n, 20n);
  expect(log.slice(4)).toEqual(['load', 'loaded']);
});

it('exports afresh a slice other than the one read ahead', async () => {
  const { log, source, client } = harness();
  await source.loadSlice(client, 'db', 0n, 10n, { after: 10n, upTo: 20n });
  // The head moved on: the caller asks for a longer slice than the one read ahead.
  await source.loadSlice(client, 'db', 10n, 25n);
  expect(log.slice(4)).toEqual(['export 10..25', 'load', 'loaded']);
  // And what was read ahead is not handed to a later call either.
  await source.loadSlice(client, 'db', 10n, 20n);
  expect(log.slice(7)).toEqual(['export 10..20', 'load', 'loaded']);
});
