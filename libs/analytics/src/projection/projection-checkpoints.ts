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
 * Both checkpoints, and the row count of each of `tables` (trivial counts: metadata only, decimal
 * strings, in the order given), read in one statement: for a check that compares where the
 * projection was before and after it (the reconciliation's `settled`).
 */
export async function readProjectionProgress(
  client: ClickHouseClient,
  tables: readonly string[],
  options: AnalyticsDatabaseOptions = {},
): Promise<{ readonly checkpoints: ProjectionCheckpoints; readonly counts: readonly string[] }> {
  const database = analyticsDatabase(options);
  // Table names bound as identifiers, one parameter each.
  const counted = tables.map(
    (_, index) =>
      `(SELECT toString(count()) FROM {db:Identifier}.{table_${index}:Identifier}) AS count_${index}`,
  );
  const result = await client.query({
    query: `
      SELECT
        toString(maxIf(position, projection_name = {events:String})) AS events,
        toString(maxIf(position, projection_name = {rules:String})) AS rules,
        countIf(projection_name = {events:String}) > 0 AS has_events,
        countIf(projection_name = {rules:String}) > 0 AS has_rules
        ${counted.map((column) => `, ${column}`).join('')}
      FROM {db:Identifier}.{checkpoint:Identifier}`,
    query_params: {
      db: database,
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
    } & Record<`count_${number}`, string>
  >();
  const events = row !== undefined && Boolean(row.has_events) ? row.events : null;
  // Projections from before the rules checkpoint existed computed the rules per batch: their
  // rules are as far as their events.
  // Position 0 records "no rules yet" (global positions start at 1).
  const rules =
    row !== undefined && Boolean(row.has_rules) ? (row.rules === '0' ? null : row.rules) : events;
  return {
    checkpoints: { events, rules },
    counts: tables.map((_, index) => row?.[`count_${index}`] ?? '0'),
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
