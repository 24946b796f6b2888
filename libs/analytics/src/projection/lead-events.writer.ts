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
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';
import {
  isValidGlobalPosition,
  toLeadEventRow,
  type AnyEnvelope,
  type LeadEventRow,
} from './lead-event.row';
import { toPlanningFactRow, type CampaignSpendRow, type TargetRow } from './planning-fact.row';
import { toVisitorTouchRow, type VisitorTouchRow } from './visitor-touch.row';
import { computeRuleFacts, computeRuleFactsBetween } from '../rules/rule-facts';
import { factsOutdated, ruleFactsVersion } from '../rules/rule-facts-version';
import { transition } from '../rules/rule-set.lifecycle';
import { writeProjectionCheckpoints } from './projection-checkpoints';
import {
  newRuleSet,
  promoteToPublished,
  readRuleSets,
  sameRuleSet,
  ruleSetKey,
  writeActivations,
  writeRuleSet,
  type Activation,
} from '../rules/rule-sets';

export interface ProjectionOutcome {
  /** The leads the batch's lead rows belong to, each once. */
  readonly leadIds: readonly string[];
  /** Rows written to lead_events (redelivered events included: they collapse on read). */
  readonly projected: number;
  /**
   * Facts outside a lead written to campaign_spend, targets and visitor_touches (redelivered
   * ones collapse too).
   */
  readonly planning: number;
  /** Rule-derived rows (lead_rule_facts) recomputed for the batch's leads, all kept sets. */
  readonly ruleFacts: number;
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
export interface ProjectBatchOptions extends AnalyticsDatabaseOptions {
  /**
   * 'batch' (default): recompute the rule-derived rows of the batch's leads now, and record the
   * checkpoint. 'deferred': write the events' rows only and record no checkpoint; the caller
   * (LogProjection) brings the rules up to date later, once per lead, and owns the checkpoint.
   */
  readonly ruleFacts?: 'batch' | 'deferred';
}

export async function projectBatch(
  client: ClickHouseClient,
  envelopes: readonly AnyEnvelope[],
  options: ProjectBatchOptions = {},
): Promise<ProjectionOutcome> {
  const database = analyticsDatabase(options);
  const deferred = options.ruleFacts === 'deferred';
  const rows: LeadEventRow[] = [];
  const spend: CampaignSpendRow[] = [];
  const targets: TargetRow[] = [];
  const visitorTouches: VisitorTouchRow[] = [];
  const invalid: { eventId: string; reason: string }[] = [];
  const activations: Activation[] = [];
  let skipped = 0;
  for (const envelope of envelopes) {
    if (envelope.type === 'FunnelDefinitionActivated') {
      activations.push({
        rulesVersion: envelope.data.version,
        definitionHash: envelope.data.definitionHash,
        previousVersion: envelope.data.previousVersion,
        eventId: envelope.eventId.toLowerCase(),
        globalPosition: envelope.globalPosition,
        activatedAt: envelope.occurredAt,
      });
    }
    const outcome = toLeadEventRow(envelope);
    if (outcome.kind === 'row') {
      rows.push(outcome.row);
      continue;
    }
    if (outcome.kind === 'invalid') {
      invalid.push({ eventId: outcome.eventId, reason: outcome.reason });
      continue;
    }
    const visitor = toVisitorTouchRow(envelope);
    if (visitor.kind === 'row') {
      visitorTouches.push(visitor.row);
      continue;
    }
    if (visitor.kind === 'invalid') {
      invalid.push({ eventId: visitor.eventId, reason: visitor.reason });
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
  // Published definitions first: a version registered before this batch's lead rows are written
  // gets its rows computed for them below (ADR 0005).
  await registerPublishedDefinitions(client, envelopes, database);

  // Every fact table before the checkpoint: a crash in between only causes a re-send, which
  // each ReplacingMergeTree (read with FINAL) absorbs.
  const writes: [(typeof analyticsTables)[keyof typeof analyticsTables], readonly object[]][] = [
    [analyticsTables.leadEvents, rows],
    [analyticsTables.campaignSpend, spend],
    [analyticsTables.targets, targets],
    [analyticsTables.visitorTouches, visitorTouches],
  ];
  for (const [table, values] of writes) {
    if (values.length === 0) continue;
    await client.insert({
      table: qualifiedTable(database, table),
      values: [...values],
      format: 'JSONEachRow',
      // lead_events feeds three materialized views: they fold the block side by side (the
      // other tables have none, and the setting changes nothing for them).
      clickhouse_settings: { parallel_view_processing: 1 },
    });
  }
  // Rule-derived rows after the lead rows they are computed from, for every kept set, whatever
  // its status: a replay then only needs to cover the leads that were there before it began.
  let ruleFacts = 0;
  if (rows.length > 0 && !deferred) {
    const sets = await readRuleSets(client, { database });
    const computed = await computeRuleFacts(
      client,
      sets,
      rows.map((row) => row.lead_id),
      { database },
    );
    ruleFacts = computed.rows;
  }
  await writeActivations(client, activations, { database });

  const position = highestPosition(envelopes);
  if (position !== null && !deferred) {
    await writeProjectionCheckpoints(client, { events: position }, { database });
  }
  return {
    leadIds: [...new Set(rows.map((row) => row.lead_id))],
    projected: rows.length,
    planning: spend.length + targets.length + visitorTouches.length,
    ruleFacts,
    skipped,
    invalid,
    position,
  };
}

/** UInt64's largest value: "up to the end of the log" for a range of positions. */
const END_OF_LOG = '18446744073709551615';

/**
 * Registers each newly published version as a rule set. When no lead event before it in the log
 * is projected, the set is complete by construction: 'ready', and every lead event is computed
 * as it arrives. Otherwise 'pending' until a replay covers that history (`tandem rules apply`).
 * A version already registered keeps its row: redelivery and rebuilds never reset a replay's
 * progress.
 *
 * Before it, not at all: the Kafka-fed projector takes partitions one after another, so lead
 * events published after the dictionary (on other partitions) may be projected before it, and
 * the embedded projector, reading the log in order, would have met the dictionary first. Those
 * leads get the new set's rows here, as they would have had them; judged by "any lead event
 * projected", a projector started on a topic with history left version 1 pending (views ≠ a
 * rebuild) whenever the dictionary's partition came after a lead's.
 */
async function registerPublishedDefinitions(
  client: ClickHouseClient,
  envelopes: readonly AnyEnvelope[],
  database: string,
): Promise<void> {
  const published = envelopes.flatMap((envelope) =>
    envelope.type === 'FunnelDefinitionPublished'
      ? [{ definition: envelope.data.definition, position: envelope.globalPosition }]
      : [],
  );
  if (published.length === 0) return;
  const known = await readRuleSets(client, { database });
  for (const { definition, position } of published) {
    const existing = known.find((set) => sameRuleSet(set, ruleSetKey(definition)));
    if (existing !== undefined) {
      await promoteToPublished(client, existing, { database });
      continue;
    }
    // A position that cannot be placed: any projected lead event counts as before it.
    const at = isValidGlobalPosition(position) ? position : null;
    const next = transition(null, {
      type: 'registered',
      historyEmpty: !(await anyLeadEventBefore(client, at ?? END_OF_LOG, database)),
    });
    const set = newRuleSet(definition, next.kind, next.status);
    // The rows before the set: a crash between the two leaves no set, and the batch's
    // redelivery registers it again with its rows. The other order left a ready set that a
    // redelivery keeps as it is (known above), without the rows the crash cut short.
    if (next.status === 'ready') {
      await computeRuleFactsBetween(client, [set], { after: at, upTo: END_OF_LOG }, { database });
    }
    await writeRuleSet(client, set, { database, registration: true });
  }
}

/** Whether lead_events holds an event before `position` in the log. */
async function anyLeadEventBefore(
  client: ClickHouseClient,
  position: string,
  database: string,
): Promise<boolean> {
  const result = await client.query({
    query: `SELECT count() > 0 AS any FROM (
              SELECT 1 FROM {db:Identifier}.{events:Identifier}
              WHERE global_position < {before:UInt64} LIMIT 1)`,
    query_params: { db: database, events: analyticsTables.leadEvents, before: position },
    format: 'JSONEachRow',
  });
  const [{ any } = { any: false }] = await result.json<{ any: boolean | number }>();
  return any === true || any === 1;
}

/** Empties the projected data for a rebuild from position zero; the schema stays. */
export async function resetAnalytics(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<void> {
  const db = analyticsDatabase(options);
  // rule_sets stays: every kept set gets its rows again as the events are projected again.
  // The checkpoint goes first: a rebuild killed halfway then restarts from the beginning of
  // the log instead of resuming after rows it already emptied. Before it, the per-lead funnel
  // snapshots (views/lead-snapshots/), their day rollups (views/funnel-rollups/), their
  // attribution credits (views/attribution-credits/) and the reconciliation's event witness
  // kept at their positions (views/reconciliation/lead-event-audits.ts), markers first: what
  // they copied or counted is about to go.
  for (const table of [
    analyticsTables.leadEventAuditMarkers,
    analyticsTables.leadEventAudits,
    analyticsTables.leadAttributionCreditMarkers,
    analyticsTables.leadAttributionCredits,
    analyticsTables.leadFunnelRollupMarkers,
    analyticsTables.leadFunnelRollups,
    analyticsTables.leadFunnelSnapshotMarkers,
    analyticsTables.leadFunnelSnapshots,
    analyticsTables.projectionCheckpoint,
    analyticsTables.leadEvents,
    analyticsTables.leadState,
    analyticsTables.leadEventSummary,
    analyticsTables.campaignSpend,
    analyticsTables.targets,
    analyticsTables.visitorTouches,
    analyticsTables.leadRuleFacts,
    analyticsTables.activeRules,
    // Projecting the log again sets the same events aside again.
    analyticsTables.projectionDeadLetters,
  ]) {
    await client.command({
      query: 'TRUNCATE TABLE IF EXISTS {db:Identifier}.{table:Identifier}',
      query_params: { db, table },
    });
  }
  // Every kept set's rows are computed again by this code as the log is projected again: a
  // set computed by other code (rule-facts-version.ts) is this code's from here on, and is not
  // re-derived once more at the next start.
  for (const set of await readRuleSets(client, { database: db })) {
    if (factsOutdated(set)) {
      await writeRuleSet(client, { ...set, factsVersion: ruleFactsVersion() }, { database: db });
    }
  }
}
