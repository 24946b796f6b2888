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

/**
 * Why a background build stopped between two of its statements: a rebuild is about to empty
 * the tables it reads and writes, or the process shuts down. What it wrote has no marker, so
 * nothing reads it (it goes with the rebuild's truncation, or as an orphan after the grace
 * period): a clean stop, never a failure.
 */
export class BuildCancelledError extends Error {
  constructor(readonly why: string) {
    super(`background build cancelled: ${why}`);
    this.name = 'BuildCancelledError';
  }
}

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
   * reads in flight go first. Resolves at once when `cancelled` aborts.
   */
  readonly readersFirst?: (cancelled: AbortSignal) => Promise<void>;
}

/**
 * What builds a copy kept per snapshot (day rollups, attribution credits): one build at a time
 * per process, started in the background by the read that found none (not again for
 * `retryAfterMs` after it failed). A rebuild (`suspend`) or a shutdown (`close`) cancels the
 * build being written at its next statement and waits for that one statement, not for the
 * build. Subclasses write a build (rows, then marker: `beforeStatement` before each heavy
 * statement, `throwIfCancelled` right before the marker) and name what a build is of.
 */
export abstract class KeptBuilds<Of extends unknown[]> {
  protected readonly database: string;
  protected readonly graceMs: number;
  private readonly readersFirst: (cancelled: AbortSignal) => Promise<void>;
  private readonly retryAfterMs: number;
  /** The one build being written in this process, if any, and what cancels it. */
  private building: Promise<string | null> | null = null;
  private cancelling: AbortController | null = null;
  private readonly failedAt = new Map<string, number>();
  private stopped = false;
  /** How many suspensions (rebuilds) are in force: no build starts meanwhile. */
  private suspended = 0;
  /** The last background failure, for whoever looks (a failure only costs speed). */
  lastFailure: unknown = null;

  constructor(
    protected readonly client: ClickHouseClient,
    options: KeptBuildsOptions,
  ) {
    this.database = analyticsDatabase(options);
    this.graceMs = options.graceMs ?? 5 * 60_000;
    this.retryAfterMs = options.retryAfterMs ?? 60_000;
    this.readersFirst = options.readersFirst ?? (() => Promise.resolve());
  }

  /**
   * Writes a build now (after the one being written) and returns the complete build's id; null
   * when closed, suspended, or cancelled midway (then nothing of it is readable).
   */
  async build(...of: Of): Promise<string | null> {
    while (this.building !== null) await this.building.catch(() => undefined);
    if (this.stopped || this.suspended > 0) return null;
    const cancelling = new AbortController();
    this.cancelling = cancelling;
    this.building = this.write(...of);
    try {
      return await this.building;
    } catch (error) {
      if (cancelling.signal.aborted && error === cancelling.signal.reason) return null;
      throw error;
    } finally {
      this.building = null;
      if (this.cancelling === cancelling) this.cancelling = null;
    }
  }

  /**
   * Cancels the build being written (at its next statement), waits for it to stop, and starts
   * none until the returned release is called: for a rebuild, which empties what builds read.
   */
  async suspend(why: string): Promise<() => void> {
    this.suspended += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.suspended -= 1;
      // The builds went with the tables: one that failed before is due again at once.
      this.failedAt.clear();
    };
    this.cancelling?.abort(new BuildCancelledError(why));
    await this.buildStopped();
    return release;
  }

  /** Starts no more builds, cancels the one being written and waits for it to stop. */
  async close(): Promise<void> {
    this.stopped = true;
    this.cancelling?.abort(new BuildCancelledError('shutting down'));
    await this.buildStopped();
  }

  private async buildStopped(): Promise<void> {
    while (this.building !== null) await this.building.catch(() => undefined);
  }

  /**
   * Awaited before each heavy statement of a build: view reads in flight go first, and a
   * cancelled build stops here (BuildCancelledError) before writing more.
   */
  protected async beforeStatement(): Promise<void> {
    const cancelling = this.cancelling ?? new AbortController();
    cancelling.signal.throwIfAborted();
    await this.readersFirst(cancelling.signal);
    cancelling.signal.throwIfAborted();
  }

  /** Called right before a build's marker: a cancelled build never marks its rows. */
  protected throwIfCancelled(): void {
    this.cancelling?.signal.throwIfAborted();
  }

  protected get closed(): boolean {
    return this.stopped;
  }

  /** Starts a build unless one is being written, builds are suspended, or this one failed lately. */
  protected buildInBackground(...of: Of): void {
    if (this.building !== null || this.stopped || this.suspended > 0) return;
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
