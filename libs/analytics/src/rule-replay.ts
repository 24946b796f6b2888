/**
 * Replays the whole history under one rule set: computes every lead's lead_rule_facts row,
 * lead by lead in lead_id order, and records after each batch where it got to
 * (rule_sets.checkpoint_lead_id). A replay that was killed resumes after its checkpoint; since
 * every row is a pure function of the lead's events, rows written twice are identical and the
 * resumed replay ends exactly where an uninterrupted one would.
 *
 * Leads that get events while (or after) the replay runs are not its concern: the projector
 * recomputes the rows of every kept set, whatever its status, for the leads of each batch it
 * writes, and it reads the registry after writing lead_events, so every lead is covered either
 * by the projector or by this pass (ADR 0005).
 *
 * It must never mark a set ready before every lead present at its start has its row.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  type AnalyticsDatabaseOptions,
} from './analytics.database';
import { computeRuleFacts } from './rule-facts';
import { readRuleSet, writeRuleSet, type RuleSet } from './rule-sets';

export interface ReplayProgress {
  readonly eventsDone: number;
  readonly eventsTotal: number;
  /** True when this run continued after an earlier run's checkpoint. */
  readonly resumed: boolean;
}

export interface ReplayOptions extends AnalyticsDatabaseOptions {
  /** Leads per batch (one checkpoint each). */
  readonly batchLeads?: number;
  /** Who runs it (shown in rule_sets.owner). */
  readonly owner: string;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Stops after the current batch when aborted; the checkpoint stays for a resume. */
  readonly signal?: AbortSignal;
}

async function scalar(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<number> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await result.json<{ value: string | number }>();
  return Number(row?.value ?? 0);
}

/**
 * Builds (or finishes building) `target`'s rows. Returns the set as left: 'ready' unless
 * aborted. A set already 'ready' is returned as it is.
 */
export async function replayRuleSet(
  client: ClickHouseClient,
  target: RuleSet,
  options: ReplayOptions,
): Promise<RuleSet> {
  const database = analyticsDatabase(options);
  const existing = await readRuleSet(client, target, { database });
  if (existing?.status === 'ready') return existing;

  const resumeAfter = existing?.status === 'building' ? existing.checkpointLeadId : '';
  const params = { db: database, events: analyticsTables.leadEvents };
  const eventsTotal = await scalar(
    client,
    'SELECT count() AS value FROM {db:Identifier}.{events:Identifier} FINAL',
    params,
  );
  let eventsDone =
    resumeAfter === ''
      ? 0
      : await scalar(
          client,
          'SELECT count() AS value FROM {db:Identifier}.{events:Identifier} FINAL WHERE lead_id <= {after:String}',
          { ...params, after: resumeAfter },
        );
  const resumed = resumeAfter !== '';
  let set: RuleSet = {
    ...(existing ?? target),
    status: 'building',
    checkpointLeadId: resumeAfter,
    eventsDone,
    eventsTotal,
    owner: options.owner,
    heartbeatAt: new Date().toISOString(),
  };
  // Registered before the first lead is read: from here on the projector computes this set for
  // every lead it writes, so no lead can fall between the two.
  await writeRuleSet(client, set, { database });
  options.onProgress?.({ eventsDone, eventsTotal, resumed });

  const batchLeads = options.batchLeads ?? 500;
  let after = resumeAfter;
  for (;;) {
    if (options.signal?.aborted === true) return set;
    const result = await client.query({
      query: `
        SELECT lead_id, count() AS events
        FROM {db:Identifier}.{events:Identifier} FINAL
        WHERE lead_id > {after:String}
        GROUP BY lead_id
        ORDER BY lead_id
        LIMIT {limit:UInt32}`,
      query_params: { ...params, after, limit: batchLeads },
      format: 'JSONEachRow',
    });
    const leads = await result.json<{ lead_id: string; events: string | number }>();
    if (leads.length === 0) break;
    await computeRuleFacts(
      client,
      [set],
      leads.map((lead) => lead.lead_id),
      { database },
    );
    after = leads.at(-1)!.lead_id;
    eventsDone += leads.reduce((sum, lead) => sum + Number(lead.events), 0);
    set = {
      ...set,
      checkpointLeadId: after,
      eventsDone,
      eventsTotal: Math.max(eventsTotal, eventsDone),
      heartbeatAt: new Date().toISOString(),
    };
    await writeRuleSet(client, set, { database });
    options.onProgress?.({ eventsDone, eventsTotal: set.eventsTotal, resumed });
  }
  set = { ...set, status: 'ready', eventsTotal: eventsDone, heartbeatAt: new Date().toISOString() };
  await writeRuleSet(client, set, { database });
  options.onProgress?.({ eventsDone, eventsTotal: eventsDone, resumed });
  return set;
}
