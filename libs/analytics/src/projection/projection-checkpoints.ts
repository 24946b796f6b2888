/**
 * The projection's resume positions in ClickHouse (projection_checkpoint), read and written in
 * one place:
 *   - events (LEAD_EVENTS_PROJECTION): every row the events up to it produce is written;
 *   - rules (RULE_FACTS_PROJECTION): every lead with an event up to it has its rule-derived rows
 *     under every kept set. Never ahead of the events; absent for projections from before it
 *     existed, which computed the rules per batch (their rules are as far as their events).
 * It must never be written before what it covers; writing both in one insert makes them move
 * together (one part).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  LEAD_EVENTS_PROJECTION,
  qualifiedTable,
  RULE_FACTS_PROJECTION,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';

export interface ProjectionCheckpoints {
  /** Decimal strings; null when nothing was projected. */
  readonly events: string | null;
  readonly rules: string | null;
}

/** Both checkpoints, as recorded. */
export async function readProjectionCheckpoints(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<ProjectionCheckpoints> {
  return (await readProjectionProgress(client, [], options)).checkpoints;
}

/**
 * Both checkpoints, and how far inserts into each of `tables` have gone (the highest block
 * number of its active parts: metadata only, decimal strings, in the order given), read in one
 * statement: for a check that compares where the projection was before and after it (the
 * reconciliation's `settled`). Not row counts: a background merge of a ReplacingMergeTree
 * (lead_rule_facts gets a row per lead and set on every batch the lead is in) drops rows while
 * nothing is projected, and a check over a still projection read as one over a moving one. A
 * merge keeps the highest block number; every insert raises it.
 */
export async function readProjectionProgress(
  client: ClickHouseClient,
  tables: readonly string[],
  options: AnalyticsDatabaseOptions = {},
): Promise<{ readonly checkpoints: ProjectionCheckpoints; readonly inserted: readonly string[] }> {
  const database = analyticsDatabase(options);
  // Table names bound as strings, one parameter each (0 for a table with no part).
  const inserted = tables.map(
    (_, index) =>
      `(SELECT toString(max(max_block_number)) FROM system.parts
        WHERE database = {database:String} AND table = {table_${index}:String} AND active)
        AS inserted_${index}`,
  );
  const result = await client.query({
    query: `
      SELECT
        toString(maxIf(position, projection_name = {events:String})) AS events,
        toString(maxIf(position, projection_name = {rules:String})) AS rules,
        countIf(projection_name = {events:String}) > 0 AS has_events,
        countIf(projection_name = {rules:String}) > 0 AS has_rules
        ${inserted.map((column) => `, ${column}`).join('')}
      FROM {db:Identifier}.{checkpoint:Identifier}`,
    query_params: {
      db: database,
      database,
      checkpoint: analyticsTables.projectionCheckpoint,
      events: LEAD_EVENTS_PROJECTION,
      rules: RULE_FACTS_PROJECTION,
      ...Object.fromEntries(tables.map((table, index) => [`table_${index}`, table])),
    },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<
    {
      events: string;
      rules: string;
      has_events: boolean | number;
      has_rules: boolean | number;
    } & Record<`inserted_${number}`, string>
  >();
  const events = row !== undefined && Boolean(row.has_events) ? row.events : null;
  // Projections from before the rules checkpoint existed computed the rules per batch: their
  // rules are as far as their events.
  // Position 0 records "no rules yet" (global positions start at 1).
  const rules =
    row !== undefined && Boolean(row.has_rules) ? (row.rules === '0' ? null : row.rules) : events;
  return {
    checkpoints: { events, rules },
    inserted: tables.map((_, index) => row?.[`inserted_${index}`] ?? '0'),
  };
}

/**
 * Where a projector that reads the log in order resumes: the events checkpoint, and only it
 * (decimal string), or null when nothing was projected. Never derive it from the rows: a batch
 * can be in lead_events without its rule-derived rows when a crash came in between.
 */
export async function projectionPosition(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<string | null> {
  return (await readProjectionCheckpoints(client, options)).events;
}

/**
 * Records the checkpoints in one insert. `rules` undefined: the events only (a projector that
 * computes the rules with every batch); null: "no rules yet", stored as position 0 (global
 * positions start at 1).
 */
export async function writeProjectionCheckpoints(
  client: ClickHouseClient,
  next: { readonly events: string | null; readonly rules?: string | null },
  options: AnalyticsDatabaseOptions = {},
): Promise<void> {
  const values = [
    ...(next.events === null
      ? []
      : [{ projection_name: LEAD_EVENTS_PROJECTION, position: next.events }]),
    ...(next.rules === undefined
      ? []
      : [{ projection_name: RULE_FACTS_PROJECTION, position: next.rules ?? '0' }]),
  ];
  if (values.length === 0) return;
  await client.insert({
    table: qualifiedTable(analyticsDatabase(options), analyticsTables.projectionCheckpoint),
    values,
    format: 'JSONEachRow',
  });
}
