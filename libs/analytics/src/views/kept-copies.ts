/**
 * What the kept copies of the views (the per-lead funnel snapshots, their day rollups and
 * attribution credits) share:
 * each copy is one partition of its rows table, keyed by its id, and counts only while a row of
 * its markers table names it.
 */
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';

/** A random build id (63 bits, so it prints the same as UInt64 and as a JS string). */
export function newBuildId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

export interface KeptBuildsOptions extends AnalyticsDatabaseOptions {
  /** Builds of a dropped snapshot are dropped this long after their last write. */
  readonly graceMs?: number;
  /** A failed build is retried after this long. */
  readonly retryAfterMs?: number;
  /**
   * Awaited before each heavy statement of a build (LeadFunnelSnapshots.readersQuiet): view
   * reads in flight go first.
   */
  readonly beforeStatement?: () => Promise<void>;
}

/**
 * What builds a copy kept per snapshot (day rollups, attribution credits): one build at a time
 * per process, started in the background by the read that found none (not again for
 * `retryAfterMs` after it failed), and waited for on close. Subclasses write a build (rows, then
 * marker) and name what a build is of.
 */
export abstract class KeptBuilds<Of extends unknown[]> {
  protected readonly database: string;
  protected readonly graceMs: number;
  protected readonly beforeStatement: () => Promise<void>;
  private readonly retryAfterMs: number;
  /** The one build being written in this process, if any. */
  private building: Promise<string | null> | null = null;
  private readonly failedAt = new Map<string, number>();
  private stopped = false;
  /** The last background failure, for whoever looks (a failure only costs speed). */
  lastFailure: unknown = null;

  constructor(
    protected readonly client: ClickHouseClient,
    options: KeptBuildsOptions,
  ) {
    this.database = analyticsDatabase(options);
    this.graceMs = options.graceMs ?? 5 * 60_000;
    this.retryAfterMs = options.retryAfterMs ?? 60_000;
    this.beforeStatement = options.beforeStatement ?? (() => Promise.resolve());
  }

  /** Writes a build now (after the one being written) and returns the complete build's id. */
  async build(...of: Of): Promise<string | null> {
    while (this.building !== null) await this.building.catch(() => undefined);
    if (this.stopped) return null;
    this.building = this.write(...of);
    try {
      return await this.building;
    } finally {
      this.building = null;
    }
  }

  /** Stops starting background work and waits for the build being written. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.building?.catch(() => undefined);
  }

  protected get closed(): boolean {
    return this.stopped;
  }

  /** Starts a build unless one is being written, or this one failed lately. */
  protected buildInBackground(...of: Of): void {
    if (this.building !== null || this.stopped) return;
    const name = this.nameOf(...of);
    if (Date.now() - (this.failedAt.get(name) ?? -Infinity) < this.retryAfterMs) return;
    this.build(...of).catch((error: unknown) => {
      this.failedAt.set(name, Date.now());
      this.lastFailure = error;
    });
  }

  /**
   * Drops the builds of snapshots no longer marked (superseded and dropped, or emptied by a
   * rebuild) once untouched for the grace period: markers first, rows after (dropKeptCopies).
   */
  protected async dropOrphaned(tables: {
    readonly markers: string;
    readonly rows: string;
  }): Promise<void> {
    const result = await this.client.query({
      query: `
        SELECT toString(toUInt64(partition)) AS id
        FROM system.parts
        WHERE database = {db:String} AND table = {rows:String} AND active
          AND toUInt64(partition) NOT IN (
              SELECT snapshot_id FROM {db:Identifier}.{snapshot_markers:Identifier}
          )
        GROUP BY partition
        HAVING max(modification_time) < now() - toIntervalSecond(intDiv({grace_ms:UInt64}, 1000))`,
      query_params: {
        db: this.database,
        rows: tables.rows,
        snapshot_markers: analyticsTables.leadFunnelSnapshotMarkers,
        grace_ms: String(this.graceMs),
      },
      format: 'JSONEachRow',
    });
    const orphaned = await result.json<{ id: string }>();
    await dropKeptCopies(
      this.client,
      this.database,
      tables,
      orphaned.map(({ id }) => id),
    );
  }

  /** Rows, then marker (then superseded builds go); the complete build's id. */
  protected abstract write(...of: Of): Promise<string | null>;

  /** What a build is of, as failures are remembered. */
  protected abstract nameOf(...of: Of): string;
}

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
