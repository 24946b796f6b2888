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
 * It must never write a row the TypeScript path would not (the fast path is conservative and a
 * differential spec holds the two paths to the same rows), nor pass credentials as SQL text
 * (they travel as query parameters).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  type AnalyticsDatabaseOptions,
} from '../../clickhouse/analytics.database';
import { resolveSqlDirectory } from '../../clickhouse/sql-directory';
import type { AnyEnvelope } from '../lead-event.row';
import { projectBatch } from '../lead-events.writer';
import { deadLettersOf, type DeadLetter } from '../projection-dead-letters';

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

export class BulkLogProjection {
  private readonly database: string;
  private readonly sqlDir: string;
  private readonly sql = new Map<string, Promise<string>>();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly source: PostgresLogSource | StagingLoader,
    private readonly decode: DecodeStaged,
    options: AnalyticsDatabaseOptions & { readonly sqlDir?: string } = {},
  ) {
    this.database = analyticsDatabase(options);
    this.sqlDir = resolveSqlDirectory(options.sqlDir);
  }

  /**
   * Projects the events at positions (after, upTo] without their rules; safe to repeat. `next`:
   * the slice the caller projects after this one, if it knows (its positions up to the store's
   * head): a source that can read it meanwhile does (PGlite's CSV export, on its own thread).
   */
  async project(after: bigint, upTo: bigint, next?: SliceRange): Promise<BulkSliceOutcome> {
    const staged = await this.stage(after, upTo, next);
    const cuts = await this.publishedPositions();
    const invalid: DeadLetter[] = [];
    let fallback = 0;
    let from = after + 1n;
    for (const cut of [...cuts, upTo + 1n]) {
      // The pieces before a publication, then the publication alone, in global order.
      for (const [start, end] of [
        [from, cut - 1n],
        [cut, cut],
      ] as const) {
        if (start > end || end > upTo) continue;
        const outcome = await this.projectPiece(start, end);
        fallback += outcome.fallback;
        invalid.push(...outcome.invalid);
      }
      from = cut + 1n;
    }
    return { staged, fallback, invalid };
  }

  private async stage(after: bigint, upTo: bigint, next?: SliceRange): Promise<number> {
    await this.client.command({
      query: 'TRUNCATE TABLE {db:Identifier}.event_log_staging',
      query_params: { db: this.database },
    });
    if ('loadSlice' in this.source) {
      await this.source.loadSlice(this.client, this.database, after, upTo, next);
      return this.count();
    }
    // Two halves, each on a PostgreSQL connection of its own: the server renders the rows
    // (jsonb as text) on both cores, while ClickHouse reads them.
    const middle = after + (upTo - after) / 2n;
    const half = (from: string, to: string) => `
        SELECT global_position, stream_id, stream_revision, event_id, event_type,
               schema_version, data, metadata, recorded_at
        FROM postgresql({address:String}, {database:String}, 'events', {user:String},
                        {password:String}, {schema:String})
        WHERE global_position > {${from}:UInt64} AND global_position <= {${to}:UInt64}`;
    await this.client.command({
      query: `INSERT INTO {db:Identifier}.event_log_staging
        ${half('after', 'middle')}
        UNION ALL
        ${half('middle', 'up_to')}`,
      query_params: {
        db: this.database,
        ...this.source,
        after: after.toString(),
        middle: middle.toString(),
        up_to: upTo.toString(),
      },
    });
    return this.count();
  }

  private async count(): Promise<number> {
    const result = await this.client.query({
      query: 'SELECT count() AS staged FROM {db:Identifier}.event_log_staging',
      query_params: { db: this.database },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ staged: string | number }>();
    return Number(row?.staged ?? 0);
  }

  private async publishedPositions(): Promise<bigint[]> {
    const result = await this.client.query({
      query: `SELECT toString(global_position) AS position FROM {db:Identifier}.event_log_staging
              WHERE event_type = {type:String} ORDER BY global_position`,
      query_params: { db: this.database, type: PUBLISHED },
      format: 'JSONEachRow',
    });
    return (await result.json<{ position: string }>()).map((row) => BigInt(row.position));
  }

  private async projectPiece(
    from: bigint,
    to: bigint,
  ): Promise<{ fallback: number; invalid: DeadLetter[] }> {
    const range = { db: this.database, from: from.toString(), to: to.toString() };
    await this.client.command({
      query: await this.file('projection/lead-events-from-staging.sql'),
      query_params: range,
    });
    const result = await this.client.query({
      query: await this.file('projection/stage-fallback.sql'),
      query_params: range,
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
