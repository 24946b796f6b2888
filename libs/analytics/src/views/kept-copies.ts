/**
 * What the kept copies of the views (the per-lead funnel snapshots, their day rollups and
 * attribution credits) share:
 * each copy is one partition of its rows table, keyed by its id, and counts only while a row of
 * its markers table names it.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Drops the copies `ids`: each one's marker first, then its partition, so a kill in between
 * leaves rows without a marker, which nothing reads and the next pass drops.
 */
export async function dropKeptCopies(
  client: ClickHouseClient,
  database: string,
  tables: { readonly markers: string; readonly rows: string },
  ids: readonly string[],
): Promise<void> {
  for (const id of ids) {
    await client.command({
      query: 'DELETE FROM {db:Identifier}.{markers:Identifier} WHERE snapshot_id = {id:UInt64}',
      query_params: { db: database, markers: tables.markers, id },
    });
    await client.command({
      query: 'ALTER TABLE {db:Identifier}.{rows:Identifier} DROP PARTITION {id:UInt64}',
      query_params: { db: database, rows: tables.rows, id },
    });
  }
}
