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
  salesEntryPath,
  type TouchpointKind,
} from '@tandem/domain';
import {
  analyticsDatabase,
  analyticsTables,
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';
import { toClickHouseDateTime } from '../clickhouse/clickhouse-datetime';
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
  // A sales-sourced hand-off ends any MQL the rules would find (ADR 0008): the set's row must
  // be recomputed when one arrives.
  'LeadHandedToSales',
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
    case 'LeadHandedToSales':
      return {
        type: 'LeadHandedToSales',
        data: {
          owner: text(data.owner) ?? '',
          team: text(data.team),
          slaDueAt: text(data.slaDueAt) ?? '',
          rulesVersion: num(data.rulesVersion) ?? 0,
          ...(data.path === 'sales_sourced'
            ? { path: 'sales_sourced' as const, salesSource: text(data.salesSource) ?? '' }
            : {}),
        },
      };
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
  // A lead that entered sales on the sales-sourced path is no MQL under any set, not even by a
  // decision recorded live after it was recycled: the views count it on its own path.
  const salesSourced = salesEntryPath(history) === 'sales_sourced';
  return sets.map((set) => {
    const classification = classifyLead(set.definition, history);
    const classifiedAt =
      classification.mqlAt === null ? null : toClickHouseDateTime(classification.mqlAt);
    const recordedAt =
      set.kind === 'published' && !salesSourced ? (recorded.get(set.rulesVersion) ?? null) : null;
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
 * One lead's rule inputs as computeRuleFacts reads them, one compact row per lead:
 * [lead_id, [type, occurred_at, position, data] per rule-input event in global order,
 * event_count, last_position].
 */
type LeadInputsRow = readonly [
  string,
  readonly (readonly [string, string, string, string])[],
  string | number,
  string,
];

/**
 * Recomputes and writes the rows of `leadIds` under every set in `sets`, from lead_events as it
 * is now. Safe to repeat and to run beside another writer: equal inputs give equal rows, and a
 * later computation over more events wins (ReplacingMergeTree(last_position)).
 *
 * One query returns one row per lead with only the events the rules read (in global order),
 * so a lead's other events never cross the wire; sorted ids let ClickHouse read each lead's
 * granules once.
 */
export interface ComputedRuleFacts {
  /** Rows written to lead_rule_facts. */
  readonly rows: number;
  /** Events of the leads computed (all types), for progress. */
  readonly events: number;
}

export async function computeRuleFacts(
  client: ClickHouseClient,
  sets: readonly RuleSet[],
  leadIds: readonly string[],
  options: AnalyticsDatabaseOptions = {},
): Promise<ComputedRuleFacts> {
  if (sets.length === 0 || leadIds.length === 0) return { rows: 0, events: 0 };
  return writeRuleFacts(client, sets, await readRuleInputs(client, leadIds, options), options);
}

/** What the rules read of some leads: one row per lead, its rule-input events in order. */
export type RuleInputs = readonly LeadInputsRow[];

/**
 * One query: the leads' rule-input events as one row per lead, sorted by lead id. Split from
 * writeRuleFacts so that a pass can read the next chunk while it classifies this one.
 *
 * A touchpoint's data is cut down to its kind inside ClickHouse: the rules read nothing else of
 * it (intent is points per kind, decayed by the event's time), and touchpoints are most of a
 * history, so the rest would be sent, parsed and collected for nothing.
 */
export async function readRuleInputs(
  client: ClickHouseClient,
  leadIds: readonly string[],
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleInputs> {
  if (leadIds.length === 0) return [];
  // Positions travel as text (UInt64), aliased so that no alias shadows global_position: the
  // sort must see the number ('9' sorts after '10' as text).
  const result = await client.query({
    query: `
      SELECT
        lead_id,
        arrayMap(
          e -> (e.2, toString(e.3), toString(e.1), e.4),
          arraySort(e -> e.1, groupArrayIf(
            tuple(
              global_position,
              toString(type),
              occurred_at,
              if(type = 'TouchpointRecorded',
                 concat('{"kind":', toJSONString(JSONExtractString(data, 'kind')), '}'),
                 data)
            ),
            type IN {types:Array(String)}
          ))
        ) AS inputs,
        count() AS event_count,
        toString(max(global_position)) AS last_position
      FROM {db:Identifier}.{events:Identifier} FINAL
      WHERE lead_id IN {leads:Array(String)}
      GROUP BY lead_id
      ORDER BY lead_id`,
    query_params: {
      db: analyticsDatabase(options),
      events: analyticsTables.leadEvents,
      leads: [...new Set(leadIds)].sort(),
      types: RULE_INPUT_TYPES,
    },
    format: 'JSONCompactEachRow',
  });
  return result.json<LeadInputsRow>();
}

/** Classifies the leads read by readRuleInputs under every set and writes their rows. */
export async function writeRuleFacts(
  client: ClickHouseClient,
  sets: readonly RuleSet[],
  rows: RuleInputs,
  options: AnalyticsDatabaseOptions = {},
): Promise<ComputedRuleFacts> {
  const facts: LeadRuleFactRow[] = [];
  let events = 0;
  for (const [leadId, leadInputs, eventCount, lastPosition] of rows) {
    events += Number(eventCount);
    const inputs = leadInputs.map(([type, occurred_at, position, data]) => ({
      lead_id: leadId,
      type,
      occurred_at,
      position,
      data,
    }));
    facts.push(...ruleFactRows(sets, leadId, inputs, Number(eventCount), lastPosition));
  }
  if (sets.length > 0 && facts.length > 0) {
    await client.insert({
      table: qualifiedTable(analyticsDatabase(options), analyticsTables.leadRuleFacts),
      values: facts,
      format: 'JSONEachRow',
    });
  }
  return { rows: facts.length, events };
}

/** Leads per computeRuleFacts call in a catch-up pass: one query and one insert each. */
export const RULE_FACTS_CHUNK_LEADS = 2_000;

/**
 * Recomputes the rows of every lead with an event at a global position in (after, upTo], under
 * every set in `sets`, in chunks of leads by id. This is how a projection that deferred the
 * rules while it caught up brings them up to date: each lead is classified once, over its
 * whole history, instead of once per batch its events happened to fall in.
 */
export async function computeRuleFactsBetween(
  client: ClickHouseClient,
  sets: readonly RuleSet[],
  range: { readonly after: string | null; readonly upTo: string },
  options: AnalyticsDatabaseOptions & {
    readonly chunkLeads?: number;
    readonly onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<number> {
  const database = analyticsDatabase(options);
  const result = await client.query({
    query: `
      SELECT DISTINCT lead_id
      FROM {db:Identifier}.{events:Identifier}
      WHERE global_position > {after:UInt64} AND global_position <= {up_to:UInt64}
      ORDER BY lead_id`,
    query_params: {
      db: database,
      events: analyticsTables.leadEvents,
      after: range.after ?? '0',
      up_to: range.upTo,
    },
    format: 'JSONCompactEachRow',
  });
  const leads = (await result.json<[string]>()).map(([lead]) => lead);
  const chunk = options.chunkLeads ?? RULE_FACTS_CHUNK_LEADS;
  const slice = (start: number) => leads.slice(start, start + chunk);
  // One chunk read ahead: ClickHouse reads the next leads while this one is classified.
  let ahead: Promise<RuleInputs> | null =
    leads.length > 0 ? readRuleInputs(client, slice(0), { database }) : null;
  let written = 0;
  for (let start = 0; ahead !== null; start += chunk) {
    const inputs = await ahead;
    ahead =
      start + chunk < leads.length
        ? readRuleInputs(client, slice(start + chunk), { database })
        : null;
    ahead?.catch(() => undefined); // awaited next turn; never unhandled if this one throws
    const computed = await writeRuleFacts(client, sets, inputs, { database });
    written += computed.rows;
    options.onProgress?.(Math.min(start + chunk, leads.length), leads.length);
  }
  return written;
}
