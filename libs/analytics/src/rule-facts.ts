/**
 * Rule-derived rows (lead_rule_facts): what each kept rule set says about a lead. A row is a
 * pure function of the lead's events in lead_events and the set's definition, computed by the
 * domain's own classifier — the rules are never re-implemented in SQL, so live decisions and
 * replays cannot drift apart.
 *
 * Input: lead_events, not the store. The projector (embedded or fed by Kafka) and replays then
 * read one and the same copy of the history, and lead_events already holds everything the
 * rules read except what the contact was: it keeps whether a name and an email were given
 * (`contactGiven`), which is all the MQL rules need. Only the events that change the facts the
 * rules score (capture, profile, touchpoints) or end a lead's evaluation (merge, erasure) are
 * folded: between them a score can only decay, so they are the only moments a lead can first
 * qualify.
 *
 * A decision recorded live is a fact of the version it names: a LeadQualifiedAsMql recorded
 * under version V makes the lead an MQL under V's published set from that moment, whatever the
 * replay finds (imports and decisions taken by hand are recorded that way too). Replaying V's
 * rules finds every live V decision anyway — the facts at decision time were already there at
 * the last fact-changing event, with intent no lower — so this only matters for history that
 * did not come through the live rules.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  classifyLead,
  touchpointKinds,
  type LeadEvent,
  type LeadHistoryEvent,
  type TouchpointKind,
} from '@tandem/domain';
import {
  analyticsDatabase,
  analyticsTables,
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from './analytics.database';
import { toClickHouseDateTime } from './lead-event.row';
import type { RuleSet } from './rule-sets';

/** The lead_events columns the rules read. */
export interface RuleInputRow {
  readonly lead_id: string;
  readonly type: string;
  readonly occurred_at: string;
  /** Decimal string. */
  readonly position: string;
  readonly data: string;
}

export interface LeadRuleFactRow {
  readonly rules_version: number;
  readonly definition_hash: string;
  readonly lead_id: string;
  readonly mql: boolean;
  readonly mql_at: string | null;
  readonly fit_score: number;
  readonly intent_score: number;
  readonly score: number;
  readonly event_count: number;
  readonly last_position: string;
}

export const RULE_INPUT_TYPES = [
  'LeadQualifiedAsMql',
  'LeadCaptured',
  'LeadProfiled',
  'TouchpointRecorded',
  'LeadMerged',
  'LeadErased',
] as const;

type Json = Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const obj = (value: unknown): Json =>
  typeof value === 'object' && value !== null ? (value as Json) : {};
const kindSet: ReadonlySet<string> = new Set(touchpointKinds);

/** ClickHouse DateTime64 text (UTC) -> ISO-8601. */
const isoOf = (clickhouse: string): string => `${clickhouse.replace(' ', 'T')}Z`;

/**
 * The domain event a lead_events row stands for, as far as the rules read it; null for rows
 * the rules do not read. The contact's values are not in analytics: a given name or email
 * becomes a placeholder, which is all the required-field check looks at.
 */
export function ruleInputEvent(row: Pick<RuleInputRow, 'type' | 'data'>): LeadEvent | null {
  const data = obj(JSON.parse(row.data));
  switch (row.type) {
    case 'LeadCaptured': {
      const given = obj(data.contactGiven);
      const company = obj(data.company);
      const source = obj(data.source);
      return {
        type: 'LeadCaptured',
        data: {
          contact: {
            name: given.name === true ? 'given' : '',
            email: given.email === true ? 'given' : '',
          },
          company: {
            name: '',
            industry: text(company.industry) ?? undefined,
            size: num(company.size) ?? undefined,
            country: text(company.country) ?? undefined,
          },
          source: {
            channel: text(source.channel) ?? '',
            campaign: text(source.campaign) ?? undefined,
            medium: text(source.medium) ?? undefined,
            content: text(source.content) ?? undefined,
          },
          productInterest: text(data.productInterest),
          timeframe: text(data.timeframe),
          consent: { marketing: obj(data.consent).marketing === true },
        },
      };
    }
    case 'LeadProfiled':
      return {
        type: 'LeadProfiled',
        data: {
          industry: text(data.industry),
          companySize: num(data.companySize),
          country: text(data.country),
          role: text(data.role),
          budget: null,
          timeline: text(data.timeline),
        },
      };
    case 'TouchpointRecorded': {
      const kind = text(data.kind);
      if (kind === null || !kindSet.has(kind)) return null;
      return {
        type: 'TouchpointRecorded',
        data: {
          touchpointId: text(data.touchpointId) ?? '',
          kind: kind as TouchpointKind,
          channel: text(data.channel) ?? '',
          campaign: text(data.campaign),
          content: text(data.content),
        },
      };
    }
    case 'LeadMerged':
      return { type: 'LeadMerged', data: { intoLeadId: text(data.intoLeadId) ?? '' } };
    case 'LeadErased':
      return { type: 'LeadErased', data: { reason: '' } };
    default:
      return null;
  }
}

/** One lead's rows (in global order) classified under each rule set. */
export function ruleFactRows(
  sets: readonly RuleSet[],
  leadId: string,
  rows: readonly RuleInputRow[],
  eventCount: number,
  lastPosition: string,
): LeadRuleFactRow[] {
  const history: LeadHistoryEvent[] = [];
  const recorded = new Map<number, string>(); // rules version -> first recorded MQL decision
  for (const row of rows) {
    if (row.type === 'LeadQualifiedAsMql') {
      const version = num(obj(JSON.parse(row.data)).rulesVersion);
      if (version !== null && !recorded.has(version)) recorded.set(version, row.occurred_at);
      continue;
    }
    const event = ruleInputEvent(row);
    if (event !== null) history.push({ event, occurredAt: isoOf(row.occurred_at) });
  }
  return sets.map((set) => {
    const classification = classifyLead(set.definition, history);
    const classifiedAt =
      classification.mqlAt === null ? null : toClickHouseDateTime(classification.mqlAt);
    const recordedAt = set.kind === 'published' ? (recorded.get(set.rulesVersion) ?? null) : null;
    // ClickHouse DateTime64 text of one format compares correctly as text.
    const mqlAt =
      classifiedAt === null
        ? recordedAt
        : recordedAt === null || classifiedAt <= recordedAt
          ? classifiedAt
          : recordedAt;
    return {
      rules_version: set.rulesVersion,
      definition_hash: set.definitionHash,
      lead_id: leadId,
      mql: mqlAt !== null,
      mql_at: mqlAt,
      fit_score: classification.fitScore,
      intent_score: classification.intentScore,
      score: classification.score,
      event_count: eventCount,
      last_position: lastPosition,
    };
  });
}

/**
 * Recomputes and writes the rows of `leadIds` under every set in `sets`, from lead_events as it
 * is now. Safe to repeat and to run beside another writer: equal inputs give equal rows, and a
 * later computation over more events wins (ReplacingMergeTree(last_position)).
 */
export async function computeRuleFacts(
  client: ClickHouseClient,
  sets: readonly RuleSet[],
  leadIds: readonly string[],
  options: AnalyticsDatabaseOptions = {},
): Promise<number> {
  if (sets.length === 0 || leadIds.length === 0) return 0;
  const database = analyticsDatabase(options);
  // The position's text is aliased `position`, never `global_position`: ORDER BY and max() must
  // see the UInt64 (as text, '9' sorts after '10').
  const result = await client.query({
    query: `
      SELECT lead_id, type, toString(occurred_at) AS occurred_at,
             toString(global_position) AS position, data,
             count() OVER (PARTITION BY lead_id) AS event_count,
             toString(max(global_position) OVER (PARTITION BY lead_id)) AS last_position
      FROM {db:Identifier}.{events:Identifier} FINAL
      WHERE lead_id IN {leads:Array(String)}
      ORDER BY lead_id, global_position`,
    query_params: {
      db: database,
      events: analyticsTables.leadEvents,
      leads: [...new Set(leadIds)],
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<
    RuleInputRow & { event_count: string | number; last_position: string }
  >();
  const facts: LeadRuleFactRow[] = [];
  let start = 0;
  while (start < rows.length) {
    const first = rows[start]!;
    let end = start;
    while (end < rows.length && rows[end]!.lead_id === first.lead_id) end++;
    const leadRows = rows.slice(start, end);
    facts.push(
      ...ruleFactRows(
        sets,
        first.lead_id,
        leadRows.filter((row) => (RULE_INPUT_TYPES as readonly string[]).includes(row.type)),
        Number(first.event_count),
        first.last_position,
      ),
    );
    start = end;
  }
  if (facts.length > 0) {
    await client.insert({
      table: qualifiedTable(database, analyticsTables.leadRuleFacts),
      values: facts,
      format: 'JSONEachRow',
    });
  }
  return facts.length;
}
