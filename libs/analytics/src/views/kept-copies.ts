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

/**
 * One background build at a time in this process (a snapshot, or a copy kept per snapshot),
 * which a rebuild (`suspend`) or a shutdown (`close`) cancels at its next statement: `run` hands
 * the build the signal it checks between statements and before its marker, and a build stopped
 * that way gives null, a clean stop, never a failure. Suspend and close wait for the statement
 * in flight, not for the build.
 */
export class BackgroundBuild<T> {
  /** The build being written, if any, and what cancels it. */
  private running: Promise<T | null> | null = null;
  private cancelling: AbortController | null = null;
  /** Builds asked for and waiting for the one being written (`run`). */
  private waiting = 0;
  /** How many suspensions (rebuilds) are in force: no build starts meanwhile. */
  private suspensions = 0;
  private stopped = false;

  /** Whether a build is being written, or asked for and waiting for the one being written. */
  get busy(): boolean {
    return this.running !== null || this.waiting > 0;
  }

  /** Whether a build may start now: not closed, and no suspension in force. */
  get open(): boolean {
    return !this.stopped && this.suspensions === 0;
  }

  get closed(): boolean {
    return this.stopped;
  }

  /** What cancels the build being written; undefined between builds. */
  get signal(): AbortSignal | undefined {
    return this.cancelling?.signal;
  }

  /**
   * Writes a build after the one being written and returns what it gives; null when closed,
   * suspended, or cancelled midway (then no marker names what it wrote).
   */
  async run(write: (cancelled: AbortSignal) => Promise<T | null>): Promise<T | null> {
    // The slot is looked at again right before it is taken, with no await in between: two
    // builds asked for at once must not both find it free (the second would run beside the
    // first, and a suspension would cancel and wait for only one of them).
    this.waiting += 1;
    try {
      while (this.running !== null) await this.running.catch(() => undefined);
    } finally {
      this.waiting -= 1;
    }
    if (!this.open) return null;
    const cancelling = new AbortController();
    this.cancelling = cancelling;
    const running = write(cancelling.signal);
    this.running = running;
    try {
      return await running;
    } catch (error) {
      if (cancelling.signal.aborted && error === cancelling.signal.reason) return null;
      throw error;
    } finally {
      if (this.running === running) this.running = null;
      if (this.cancelling === cancelling) this.cancelling = null;
    }
  }

  /**
   * Cancels the build being written, waits for its statement in flight, and starts none until
   * the returned release is called (`onRelease` then runs once).
   */
  async suspend(why: string, onRelease: () => void): Promise<() => void> {
    this.suspensions += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.suspensions -= 1;
      onRelease();
    };
    this.cancelling?.abort(new BuildCancelledError(why));
    await this.idle();
    return release;
  }

  /** Starts no more builds, cancels the one being written and waits for it to stop. */
  async close(): Promise<void> {
    this.stopped = true;
    this.cancelling?.abort(new BuildCancelledError('shutting down'));
    await this.idle();
  }

  /** Resolves once no build is being written. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running.catch(() => undefined);
  }
}

/**
 * The leads changed since a copy kept at `position` under the set: those with a row of `table`
 * past it (lead_state or lead_event_summary, whose merged row's last_position is the max of its
 * rows') or a lead_rule_facts row of the set computed past it; sorted, at most `limit`. The
 * caller names the table: the reconciliation's witness reads the events' side only.
 */
export async function leadsChangedSince(
  client: ClickHouseClient,
  changed: {
    readonly database: string;
    readonly table: string;
    readonly position: string;
    readonly rulesVersion: number;
    readonly definitionHash: string;
    readonly limit: number;
  },
): Promise<string[]> {
  const result = await client.query({
    query: `
      SELECT DISTINCT lead_id
      FROM
      (
          SELECT lead_id FROM {db:Identifier}.{table:Identifier}
          WHERE last_position > {position:UInt64}
          UNION ALL
          SELECT lead_id FROM {db:Identifier}.{facts:Identifier}
          WHERE rules_version = {rules_version:UInt32}
            AND definition_hash = {definition_hash:String}
            AND last_position > {position:UInt64}
      )
      ORDER BY lead_id
      LIMIT {limit:UInt32}`,
    query_params: {
      db: changed.database,
      table: changed.table,
      facts: analyticsTables.leadRuleFacts,
      position: changed.position,
      rules_version: String(changed.rulesVersion),
      definition_hash: changed.definitionHash,
      limit: String(changed.limit),
    },
    format: 'JSONCompactEachRow',
  });
  return (await result.json<[string]>()).map(([lead]) => lead);
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
  /**
   * Where the views' lookups of a kept build run (`latest` and the leads a read recomputes):
   * the views' read connection, beside the builds' statements; the builds' client by default.
   * A build's rows are complete before its marker is written (a statement that has returned),
   * so a lookup on either connection that finds a marker finds every row it names.
   */
  readonly reader?: ClickHouseClient;
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
  /** The views' lookups (KeptBuildsOptions.reader); the builds write and read on `client`. */
  protected readonly reader: ClickHouseClient;
  private readonly readersFirst: (cancelled: AbortSignal) => Promise<void>;
  private readonly retryAfterMs: number;
  /** The one build being written in this process, if any. */
  private readonly builds = new BackgroundBuild<string>();
  private readonly failedAt = new Map<string, number>();
  /** The last background failure, for whoever looks (a failure only costs speed). */
  lastFailure: unknown = null;

  constructor(
    protected readonly client: ClickHouseClient,
    options: KeptBuildsOptions,
  ) {
    this.database = analyticsDatabase(options);
    this.graceMs = options.graceMs ?? 5 * 60_000;
    this.reader = options.reader ?? client;
    this.retryAfterMs = options.retryAfterMs ?? 60_000;
    this.readersFirst = options.readersFirst ?? (() => Promise.resolve());
  }

  /**
   * Writes a build now (after the one being written) and returns the complete build's id; null
   * when closed, suspended, or cancelled midway (then nothing of it is readable).
   */
  build(...of: Of): Promise<string | null> {
    return this.builds.run(() => this.write(...of));
  }

  /**
   * Cancels the build being written (at its next statement), waits for it to stop, and starts
   * none until the returned release is called: for a rebuild, which empties what builds read.
   */
  suspend(why: string): Promise<() => void> {
    // The builds went with the tables: one that failed before is due again at once.
    return this.builds.suspend(why, () => this.failedAt.clear());
  }

  /** Starts no more builds, cancels the one being written and waits for it to stop. */
  close(): Promise<void> {
    return this.builds.close();
  }

  /**
   * Awaited before each heavy statement of a build: view reads in flight go first, and a
   * cancelled build stops here (BuildCancelledError) before writing more.
   */
  protected async beforeStatement(): Promise<void> {
    const cancelled = this.builds.signal ?? new AbortController().signal;
    cancelled.throwIfAborted();
    await this.readersFirst(cancelled);
    cancelled.throwIfAborted();
  }

  /** Called right before a build's marker: a cancelled build never marks its rows. */
  protected throwIfCancelled(): void {
    this.builds.signal?.throwIfAborted();
  }

  protected get closed(): boolean {
    return this.builds.closed;
  }

  /**
   * Writes a build now (after the one being written) for a caller that must not fail with it:
   * a snapshot about to be marked (LeadFunnelSnapshotsOptions.beforeMarked). Null when closed,
   * suspended, cancelled, failed (remembered as a background failure: the reads retry it after
   * `retryAfterMs`), or when this one failed lately (not tried again before then).
   */
  async buildUnlessFailing(...of: Of): Promise<string | null> {
    if (this.failedLately(...of)) return null;
    return this.remembering(this.build(...of), ...of);
  }

  /** Starts a build unless one is being written, builds are suspended, or this one failed lately. */
  protected buildInBackground(...of: Of): void {
    if (this.builds.busy || !this.builds.open || this.failedLately(...of)) return;
    void this.remembering(this.build(...of), ...of);
  }

  private failedLately(...of: Of): boolean {
    return Date.now() - (this.failedAt.get(this.nameOf(...of)) ?? -Infinity) < this.retryAfterMs;
  }

  /** The build's id, or null with its failure remembered. */
  private async remembering(build: Promise<string | null>, ...of: Of): Promise<string | null> {
    try {
      return await build;
    } catch (error) {
      this.failedAt.set(this.nameOf(...of), Date.now());
      this.lastFailure = error;
      return null;
    }
  }

  /**
   * Drops the builds of snapshots no longer marked (superseded and dropped, or emptied by a
   * rebuild) once untouched for the grace period: markers first, rows after (dropKeptCopies).
   */
  protected async dropOrphaned(
    tables: { readonly markers: string; readonly rows: string },
    /** The snapshot built for: kept, as it may be one not yet marked (beforeMarked). */
    keep: string,
  ): Promise<void> {
    const result = await this.client.query({
      query: `
        SELECT toString(toUInt64(partition)) AS id
        FROM system.parts
        WHERE database = {db:String} AND table = {rows:String} AND active
          AND toUInt64(partition) != {keep:UInt64}
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
        keep,
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
