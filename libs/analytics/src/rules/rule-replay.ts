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
 * A set whose rows were computed by other code (rule-facts-version.ts) is replayed from its
 * first lead, even when 'ready' or 'building': this is how a deploy that changes the rules pass
 * re-derives what the old code computed.
 *
 * It must never mark a set ready before every lead present at its start has its row.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';
import { readRuleInputs, writeRuleFacts } from './rule-facts';
import { factsOutdated, ruleFactsVersion } from './rule-facts-version';
import { needsReplay, transition } from './rule-set.lifecycle';
import { readRuleSet, writeRuleSet, type RuleSet } from './rule-sets';

/** Leads per replay batch (one computeRuleFacts call and one checkpoint each). */
export const DEFAULT_REPLAY_BATCH_LEADS = 2_000;

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
  const stored = await readRuleSet(client, target, { database });
  // Rows computed by other code are replayed from the first lead, whatever the set's status:
  // neither 'ready' nor a checkpoint says anything about what this code computes.
  const existing =
    stored !== null && factsOutdated(stored)
      ? { ...stored, ...transition(stored, { type: 'facts_outdated' }) }
      : stored;
  if (existing !== null && !needsReplay(existing)) return existing;

  const resumeAfter = existing?.status === 'building' ? existing.checkpointLeadId : '';
  const params = { db: database, events: analyticsTables.leadEvents };
  // Progress figures only: counted without FINAL (a redelivered copy not merged yet counts
  // twice), so they cost a column scan, not a merge of the whole table.
  const eventsTotal = await scalar(
    client,
    'SELECT count() AS value FROM {db:Identifier}.{events:Identifier}',
    params,
  );
  let eventsDone =
    resumeAfter === ''
      ? 0
      : await scalar(
          client,
          'SELECT count() AS value FROM {db:Identifier}.{events:Identifier} WHERE lead_id <= {after:String}',
          { ...params, after: resumeAfter },
        );
  const resumed = resumeAfter !== '';
  let set: RuleSet = {
    ...(existing ?? target),
    ...transition(existing, { type: 'replay_started', kind: target.kind }),
    checkpointLeadId: resumeAfter,
    eventsDone,
    eventsTotal,
    owner: options.owner,
    heartbeatAt: new Date().toISOString(),
    // Every row from here on is this code's; a checkpoint is resumed only by the same code.
    factsVersion: ruleFactsVersion(),
  };
  // Registered before the first lead is read: from here on the projector computes this set for
  // every lead it writes, so no lead can fall between the two.
  await writeRuleSet(client, set, { database });
  options.onProgress?.({ eventsDone, eventsTotal, resumed });

  const batchLeads = options.batchLeads ?? DEFAULT_REPLAY_BATCH_LEADS;
  // The next leads by id, from lead_state (a row per lead once merged), read in key order so
  // ClickHouse stops after `limit` distinct ids instead of grouping the rest; then what the
  // rules read of them. One batch is read ahead while the current one is classified.
  const nextBatch = async (from: string) => {
    const result = await client.query({
      query: `
        SELECT DISTINCT lead_id
        FROM {db:Identifier}.{state:Identifier}
        WHERE lead_id > {after:String}
        ORDER BY lead_id
        LIMIT {limit:UInt32}`,
      query_params: {
        db: database,
        state: analyticsTables.leadState,
        after: from,
        limit: batchLeads,
      },
      format: 'JSONCompactEachRow',
    });
    const leads = (await result.json<[string]>()).map(([lead]) => lead);
    return { leads, inputs: await readRuleInputs(client, leads, { database }) };
  };
  let after = resumeAfter;
  let ahead = nextBatch(after);
  ahead.catch(() => undefined); // awaited below; never unhandled after an abort
  for (;;) {
    if (options.signal?.aborted === true) return set;
    const { leads, inputs } = await ahead;
    if (leads.length === 0) break;
    after = leads.at(-1)!;
    ahead = nextBatch(after);
    ahead.catch(() => undefined);
    const computed = await writeRuleFacts(client, [set], inputs, { database });
    eventsDone += computed.events;
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
  set = {
    ...set,
    ...transition(set, { type: 'replay_finished' }),
    eventsTotal: eventsDone,
    heartbeatAt: new Date().toISOString(),
  };
  await writeRuleSet(client, set, { database });
  options.onProgress?.({ eventsDone, eventsTotal: eventsDone, resumed });
  return set;
}
