/**
 * Writes batches of recorded events into lead_events, and tells the embedded projector where to
 * resume. Exactly-once *numbers* on at-least-once delivery: a batch may be sent again, whole or
 * overlapping, in any order; lead_events keeps one row per event_id (ReplacingMergeTree, read
 * with FINAL) and every view derives from that set, so a redelivered event changes nothing.
 *
 * It must never write PII (rows come only from toLeadEventRow's allow-list), never build SQL
 * from event content (rows go as JSONEachRow data, not SQL text), and never drop an invalid
 * event silently: it reports them, and the caller decides where they go.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  LEAD_EVENTS_PROJECTION,
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from './analytics.database';
import {
  isValidGlobalPosition,
  toLeadEventRow,
  type AnyEnvelope,
  type LeadEventRow,
} from './lead-event.row';
import { toPlanningFactRow, type CampaignSpendRow, type TargetRow } from './planning-fact.row';

export interface ProjectionOutcome {
  /** Rows written to lead_events (redelivered events included: they collapse on read). */
  readonly projected: number;
  /** Planning facts written to campaign_spend and targets (redelivered ones collapse too). */
  readonly planning: number;
  /** Events with no analytics row: funnel definitions, and types this version does not know. */
  readonly skipped: number;
  /** Events that break the envelope contract; not written, for the caller to dead-letter. */
  readonly invalid: readonly { readonly eventId: string; readonly reason: string }[];
  /** Highest global position in the batch (decimal string), or null for an empty batch. */
  readonly position: string | null;
}

function highestPosition(envelopes: readonly AnyEnvelope[]): string | null {
  let highest: bigint | null = null;
  for (const { globalPosition } of envelopes) {
    if (!isValidGlobalPosition(globalPosition)) continue;
    const position = BigInt(globalPosition);
    if (highest === null || position > highest) highest = position;
  }
  return highest === null ? null : highest.toString();
}

/**
 * Projects one batch. Safe to call again with the same or an overlapping batch. The checkpoint
 * is written after the rows, so a crash in between only causes a harmless re-send.
 */
export async function projectBatch(
  client: ClickHouseClient,
  envelopes: readonly AnyEnvelope[],
  options: AnalyticsDatabaseOptions = {},
): Promise<ProjectionOutcome> {
  const database = analyticsDatabase(options);
  const rows: LeadEventRow[] = [];
  const spend: CampaignSpendRow[] = [];
  const targets: TargetRow[] = [];
  const invalid: { eventId: string; reason: string }[] = [];
  let skipped = 0;
  for (const envelope of envelopes) {
    const outcome = toLeadEventRow(envelope);
    if (outcome.kind === 'row') {
      rows.push(outcome.row);
      continue;
    }
    if (outcome.kind === 'invalid') {
      invalid.push({ eventId: outcome.eventId, reason: outcome.reason });
      continue;
    }
    const planning = toPlanningFactRow(envelope);
    switch (planning.kind) {
      case 'campaign_spend':
        spend.push(planning.row);
        break;
      case 'target':
        targets.push(planning.row);
        break;
      case 'skip':
        skipped += 1;
        break;
      case 'invalid':
        invalid.push({ eventId: planning.eventId, reason: planning.reason });
        break;
    }
  }
  // Every fact table before the checkpoint: a crash in between only causes a re-send, which
  // each ReplacingMergeTree (read with FINAL) absorbs.
  const writes: [(typeof analyticsTables)[keyof typeof analyticsTables], readonly object[]][] = [
    [analyticsTables.leadEvents, rows],
    [analyticsTables.campaignSpend, spend],
    [analyticsTables.targets, targets],
  ];
  for (const [table, values] of writes) {
    if (values.length === 0) continue;
    await client.insert({
      table: qualifiedTable(database, table),
      values: [...values],
      format: 'JSONEachRow',
    });
  }
  const position = highestPosition(envelopes);
  if (position !== null) {
    await client.insert({
      table: qualifiedTable(database, analyticsTables.projectionCheckpoint),
      values: [{ projection_name: LEAD_EVENTS_PROJECTION, position }],
      format: 'JSONEachRow',
    });
  }
  return {
    projected: rows.length,
    planning: spend.length + targets.length,
    skipped,
    invalid,
    position,
  };
}

/**
 * The highest global position projected (decimal string), or null when nothing was. The
 * embedded projector, which reads the store's global log in order, resumes after it.
 */
export async function projectionPosition(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<string | null> {
  const result = await client.query({
    query: `
      SELECT toString(maxOrNull(position)) AS position
      FROM
      (
        SELECT position FROM {db:Identifier}.{checkpoint:Identifier}
        WHERE projection_name = {projection:String}
        UNION ALL
        SELECT global_position AS position FROM {db:Identifier}.{events:Identifier}
      )`,
    query_params: {
      db: analyticsDatabase(options),
      checkpoint: analyticsTables.projectionCheckpoint,
      events: analyticsTables.leadEvents,
      projection: LEAD_EVENTS_PROJECTION,
    },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ position: string | null }>();
  return row?.position ?? null;
}

/** Empties the projected data for a rebuild from position zero; the schema stays. */
export async function resetAnalytics(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<void> {
  const db = analyticsDatabase(options);
  for (const table of [
    analyticsTables.leadEvents,
    analyticsTables.campaignSpend,
    analyticsTables.targets,
    analyticsTables.projectionCheckpoint,
  ]) {
    await client.command({
      query: 'TRUNCATE TABLE IF EXISTS {db:Identifier}.{table:Identifier}',
      query_params: { db, table },
    });
  }
}
