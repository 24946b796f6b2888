/**
 * Projects a slice of the store's global log set-based, when the projector is far behind the
 * head (a first start over years of history, a rebuild): ClickHouse reads the slice from
 * PostgreSQL itself (the `postgresql` table function) into event_log_staging and turns every
 * event the fast path vouches for into its lead_events row in one INSERT … SELECT
 * (sql/projection/lead-events-from-staging.sql). The rest — funnel definitions, planning facts,
 * anything in another schema version or shape — goes through the TypeScript path, decoded as
 * when the projector follows the log live. Rules stay deferred (LogProjection classifies once
 * the head is reached). See ADR 0006.
 *
 * Order where it matters: a FunnelDefinitionPublished event registers its rule set as ready or
 * pending depending on whether lead rows exist yet, so the slice is cut at each one and the
 * pieces are projected in global order.
 *
 * Reading ahead (PostgreSQL, with a staging connection): while ClickHouse projects a slice from
 * one staging table, the next slice is read into the other (event_log_staging_b) over a second
 * chDB connection, so that the wait on PostgreSQL overlaps the projection instead of following
 * it. The staging statement stays bound (it carries the credentials) and the fast path's INSERT
 * runs literal (bulk-statement.ts): chDB runs bound statements one at a time per process. So
 * the read-ahead starts with the slice's last piece, not before its first: the pieces a
 * publication cuts off run bound statements (the fallback's read, the definition's
 * registration), and each of them would wait for the whole next slice's staging. A store's
 * first slice always holds one (the bootstrap publishes v1 at position 1), and its publication's
 * fallback read waited there for the next slice's staging with nothing else running: 2–3 s of
 * a 1M catch-up's ~30 s on a loaded box (docs/performance.md, 2026-12-02).
 *
 * It must never write a row the TypeScript path would not (the fast path is conservative and a
 * differential spec holds the two paths to the same rows), nor pass credentials as SQL text
 * (they travel as query parameters). One project() at a time: the read-ahead slice is staged in
 * the table the current one does not use.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  type AnalyticsDatabaseOptions,
} from '../../clickhouse/analytics.database';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import type { AnyEnvelope } from '../lead-event.row';
import { projectBatch } from '../lead-events.writer';
import { deadLettersOf, type DeadLetter } from '../projection-dead-letters';
import { inlineBulkStatement, type StagingTable } from './bulk-statement';

/** Where ClickHouse reads the log from: a PostgreSQL event store (libs/event-store's tables). */
export interface PostgresLogSource {
  /** `host:port` as ClickHouse's postgresql() takes it. */
  readonly address: string;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** The schema holding the store's `events` table. */
  readonly schema: string;
}

/**
 * Any other way to fill event_log_staging with the slice (after, upTo] — emptied before the
 * call — for a store ClickHouse cannot read itself (PGlite: csv-file-log-source.ts).
 */
export interface StagingLoader {
  /**
   * `next`, when given, is the slice the caller will ask for after this one, every position of
   * it already final in the store: the loader may start reading it meanwhile.
   */
  loadSlice(
    client: ClickHouseClient,
    database: string,
    after: bigint,
    upTo: bigint,
    next?: SliceRange,
  ): Promise<void>;
}

/** A PostgreSQL URL (postgres://user:pass@host:port/db) and schema as a log source. */
export function postgresLogSource(url: string, schema: string): PostgresLogSource {
  const parsed = new URL(url);
  return {
    address: `${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}`,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password),
    schema,
  };
}

/** A stored event as staged (JSON text), for the TypeScript path. */
/** The positions (after, upTo] of the store's global log. */
export interface SliceRange {
  readonly after: bigint;
  readonly upTo: bigint;
}

export interface StagedEvent {
  readonly globalPosition: bigint;
  readonly streamId: string;
  readonly streamRevision: bigint;
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly recordedAt: Date;
}

/** The caller's decoder (the contract's decodeStoredEvent): analytics does not own the contract. */
export type DecodeStaged = (
  event: StagedEvent,
) =>
  | { readonly ok: true; readonly envelope: AnyEnvelope }
  | { readonly ok: false; readonly reason: string };

export interface BulkSliceOutcome {
  /** Events staged from the store. */
  readonly staged: number;
  /** Events that went through the TypeScript path. */
  readonly fallback: number;
  /** Events neither path projects, with why (the caller dead-letters them). */
  readonly invalid: readonly DeadLetter[];
}

interface FallbackRow {
  position: string;
  stream_id: string;
  revision: string;
  id: string;
  event_type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded: string;
}

const PUBLISHED = 'FunnelDefinitionPublished';

/** A slice loaded into a staging table, with where FunnelDefinitionPublished events cut it. */
interface StagedSlice {
  readonly range: SliceRange;
  readonly table: StagingTable;
  readonly staged: number;
  readonly cuts: readonly bigint[];
}

export interface BulkLogProjectionOptions extends AnalyticsDatabaseOptions {
  readonly sqlDir?: string;
  /**
   * A second chDB connection on the same data directory (its own client), for staging: with a
   * PostgreSQL source, the next slice is read ahead on it while this one is projected. The
   * caller owns it and closes it after settle(). Without it, every slice is staged, then
   * projected, on `client`.
   */
  readonly stagingClient?: ClickHouseClient;
}

export class BulkLogProjection {
  private readonly database: string;
  private readonly sqlDir: string;
  private readonly sql = new Map<string, Promise<string>>();
  private readonly stagingClient: ClickHouseClient | null;
  /** The next slice, being staged on the staging connection (null when none is). */
  private ahead: Promise<StagedSlice> | null = null;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly source: PostgresLogSource | StagingLoader,
    private readonly decode: DecodeStaged,
    options: BulkLogProjectionOptions = {},
  ) {
    this.database = analyticsDatabase(options);
    this.sqlDir = resolveSqlDirectory(options.sqlDir);
    this.stagingClient = options.stagingClient ?? null;
  }

  /**
   * Projects the events at positions (after, upTo] without their rules; safe to repeat. `next`:
   * the slice the caller projects after this one, if it knows (its positions up to the store's
   * head): a source that can read it meanwhile does (PGlite's CSV export, on its own thread;
   * PostgreSQL on the staging connection, if there is one).
   */
  async project(after: bigint, upTo: bigint, next?: SliceRange): Promise<BulkSliceOutcome> {
    const slice = await this.take({ after, upTo }, next);
    const { staged, cuts, table } = slice;
    // The pieces before each publication, then the publication alone, in global order.
    const pieces: (readonly [bigint, bigint])[] = [];
    let from = after + 1n;
    for (const cut of [...cuts, upTo + 1n]) {
      if (from <= cut - 1n) pieces.push([from, cut - 1n]);
      if (cut <= upTo) pieces.push([cut, cut]);
      from = cut + 1n;
    }
    const invalid: DeadLetter[] = [];
    let fallback = 0;
    for (const [index, [start, end]] of pieces.entries()) {
      // The last piece's fast path is literal and overlaps the next slice's staging; the
      // earlier pieces' bound statements would have waited for all of it (see the header).
      if (index === pieces.length - 1) this.readAhead(table, next);
      const outcome = await this.projectPiece(table, start, end);
      fallback += outcome.fallback;
      invalid.push(...outcome.invalid);
    }
    if (pieces.length === 0) this.readAhead(table, next);
    return { staged, fallback, invalid };
  }

  /**
   * Resolves once no staging runs on the staging connection (a read-ahead the caller will not
   * ask for, or that failed): call before closing that connection.
   */
  async settle(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = null;
    await ahead?.catch(() => undefined);
  }

  /**
   * The slice staged: the one read ahead if it is this range (a failed or different read-ahead
   * is waited for and dropped: its table is then free), else staged now.
   */
  private async take(range: SliceRange, next?: SliceRange): Promise<StagedSlice> {
    const ahead = this.ahead;
    this.ahead = null;
    const early = await ahead?.catch(() => null);
    return early !== undefined && early !== null && sameRange(early.range, range)
      ? early
      : await this.stage(range, analyticsTables.eventLogStaging, next);
  }

  /**
   * If the source and the connections allow, the next slice starts staging into the table
   * `current` (the slice being projected) does not use.
   */
  private readAhead(current: StagingTable, next?: SliceRange): void {
    if (next === undefined || !this.readsAhead()) return;
    const staging = this.stage(next, otherTable(current));
    // Awaited by the next take() or settle(); never an unhandled rejection meanwhile.
    staging.catch(() => undefined);
    this.ahead = staging;
  }

  /** PGlite's loader reads ahead itself (its export is the bound); PostgreSQL needs the connection. */
  private readsAhead(): boolean {
    return this.stagingClient !== null && !('loadSlice' in this.source);
  }

  private async stage(
    range: SliceRange,
    table: StagingTable,
    next?: SliceRange,
  ): Promise<StagedSlice> {
    const { after, upTo } = range;
    const client = this.stagingClient ?? this.client;
    await client.command({
      query: 'TRUNCATE TABLE {db:Identifier}.{table:Identifier}',
      query_params: { db: this.database, table },
    });
    if ('loadSlice' in this.source) {
      // The loader's own table (event_log_staging): it never reads ahead through ours.
      await this.source.loadSlice(client, this.database, after, upTo, next);
    } else {
      // Two halves, each on a PostgreSQL connection of its own: the server renders the rows
      // (jsonb as text) on both cores, while ClickHouse reads them.
      const middle = after + (upTo - after) / 2n;
      const half = (from: string, to: string) => `
        SELECT global_position, stream_id, stream_revision, event_id, event_type,
               schema_version, data, metadata, recorded_at
        FROM postgresql({address:String}, {database:String}, 'events', {user:String},
                        {password:String}, {schema:String})
        WHERE global_position > {${from}:UInt64} AND global_position <= {${to}:UInt64}`;
      await client.command({
        query: `INSERT INTO {db:Identifier}.{table:Identifier}
        ${half('after', 'middle')}
        UNION ALL
        ${half('middle', 'up_to')}`,
        query_params: {
          db: this.database,
          table,
          ...this.source,
          after: after.toString(),
          middle: middle.toString(),
          up_to: upTo.toString(),
        },
      });
    }
    return {
      range,
      table,
      staged: await this.count(client, table),
      cuts: await this.publishedPositions(client, table),
    };
  }

  private async count(client: ClickHouseClient, table: StagingTable): Promise<number> {
    const result = await client.query({
      query: 'SELECT count() AS staged FROM {db:Identifier}.{table:Identifier}',
      query_params: { db: this.database, table },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ staged: string | number }>();
    return Number(row?.staged ?? 0);
  }

  private async publishedPositions(
    client: ClickHouseClient,
    table: StagingTable,
  ): Promise<bigint[]> {
    const result = await client.query({
      query: `SELECT toString(global_position) AS position FROM {db:Identifier}.{table:Identifier}
              WHERE event_type = {type:String} ORDER BY global_position`,
      query_params: { db: this.database, table, type: PUBLISHED },
      format: 'JSONEachRow',
    });
    return (await result.json<{ position: string }>()).map((row) => BigInt(row.position));
  }

  private async projectPiece(
    staging: StagingTable,
    from: bigint,
    to: bigint,
  ): Promise<{ fallback: number; invalid: DeadLetter[] }> {
    // Literal (see bulk-statement.ts): it runs beside the next slice's staging.
    await this.client.command({
      query: inlineBulkStatement(await this.file('projection/lead-events-from-staging.sql'), {
        db: this.database,
        staging,
        from,
        to,
      }),
    });
    const result = await this.client.query({
      query: await this.file('projection/stage-fallback.sql'),
      query_params: { db: this.database, staging, from: from.toString(), to: to.toString() },
      format: 'JSONEachRow',
    });
    const rows = await result.json<FallbackRow>();
    const envelopes: AnyEnvelope[] = [];
    const invalid: DeadLetter[] = [];
    for (const row of rows) {
      const decoded = this.decode(toStagedEvent(row));
      if (decoded.ok) envelopes.push(decoded.envelope);
      else
        invalid.push({
          eventId: row.id,
          position: row.position,
          type: row.event_type,
          reason: decoded.reason,
        });
    }
    if (envelopes.length > 0) {
      const outcome = await projectBatch(this.client, envelopes, {
        database: this.database,
        ruleFacts: 'deferred',
      });
      invalid.push(...deadLettersOf(outcome.invalid, envelopes));
    }
    return { fallback: rows.length, invalid };
  }

  private file(name: string): Promise<string> {
    let sql = this.sql.get(name);
    if (sql === undefined) {
      sql = readFile(join(this.sqlDir, name), 'utf8');
      this.sql.set(name, sql);
    }
    return sql;
  }
}

function sameRange(a: SliceRange, b: SliceRange): boolean {
  return a.after === b.after && a.upTo === b.upTo;
}

function otherTable(table: StagingTable): StagingTable {
  return table === analyticsTables.eventLogStaging
    ? analyticsTables.eventLogStagingB
    : analyticsTables.eventLogStaging;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // the decoder names it as a payload that is not an object
  }
}

function toStagedEvent(row: FallbackRow): StagedEvent {
  return {
    globalPosition: BigInt(row.position),
    streamId: row.stream_id,
    streamRevision: BigInt(row.revision),
    eventId: row.id,
    type: row.event_type,
    schemaVersion: Number(row.schema_version),
    data: parseJson(row.data),
    metadata: parseJson(row.metadata),
    recordedAt: new Date(`${row.recorded.replace(' ', 'T')}Z`),
  };
}
