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
  leadClassifier,
  touchpointKinds,
  type LeadClassification,
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

/**
 * One lead's rule inputs, in global order: the domain events the rules fold (touchpoints are
 * shared, see touchpointEvent) and the first recorded MQL decision per rules version.
 */
interface LeadRuleHistory {
  readonly history: readonly LeadHistoryEvent[];
  /** rules version -> ClickHouse time of its first recorded LeadQualifiedAsMql. */
  readonly recorded: ReadonlyMap<number, string>;
}

/** What a set classifies with, prepared once per pass: the domain's classifier for it. */
interface PreparedSet {
  readonly set: RuleSet;
  readonly classify: (history: readonly LeadHistoryEvent[]) => LeadClassification;
}

const prepare = (sets: readonly RuleSet[]): PreparedSet[] =>
  sets.map((set) => ({ set, classify: leadClassifier(set.definition) }));

/** One lead's row under each set, in the order of lead_rule_facts' columns. */
function ruleFactRows(
  sets: readonly PreparedSet[],
  leadId: string,
  { history, recorded }: LeadRuleHistory,
  eventCount: number,
  lastPosition: string,
): LeadRuleFactValues[] {
  // A lead that entered sales on the sales-sourced path is no MQL under any set, not even by a
  // decision recorded live after it was recycled: the views count it on its own path.
  const salesSourced = salesEntryPath(history) === 'sales_sourced';
  return sets.map(({ set, classify }) => {
    const classification = classify(history);
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
    return [
      set.rulesVersion,
      set.definitionHash,
      leadId,
      mqlAt !== null,
      mqlAt,
      classification.fitScore,
      classification.intentScore,
      classification.score,
      eventCount,
      lastPosition,
    ];
  });
}

/** lead_rule_facts' columns, in the order LeadRuleFactValues holds them. */
const LEAD_RULE_FACT_COLUMNS = [
  'rules_version',
  'definition_hash',
  'lead_id',
  'mql',
  'mql_at',
  'fit_score',
  'intent_score',
  'score',
  'event_count',
  'last_position',
] as const satisfies readonly (keyof LeadRuleFactRow)[];

export type LeadRuleFactValues = readonly [
  number,
  string,
  string,
  boolean,
  string | null,
  number,
  number,
  number,
  number,
  string,
];

/**
 * How a rule-input event travels from ClickHouse: one small number per event. A touchpoint is
 * its kind's place in touchpointKinds, counted from 1 (0: a kind the contract does not know,
 * which the rules skip, as ruleInputEvent does); any other type is TYPE_CODE_BASE plus its place
 * in RULE_INPUT_TYPES.
 */
export const TYPE_CODE_BASE = 100;
const typeCode = (type: (typeof RULE_INPUT_TYPES)[number]) =>
  TYPE_CODE_BASE + RULE_INPUT_TYPES.indexOf(type);
const QUALIFIED_CODE = typeCode('LeadQualifiedAsMql');

/**
 * The event a touchpoint of each kind stands for, shared by every lead: the fold reads only the
 * kind of a touchpoint, and sharing spares an object per touchpoint, most of a history.
 */
const touchpointEvents: readonly (LeadEvent | null)[] = [
  null,
  ...touchpointKinds.map((kind): LeadEvent =>
    Object.freeze({
      type: 'TouchpointRecorded',
      data: Object.freeze({ touchpointId: '', kind, channel: '', campaign: null, content: null }),
    }),
  ),
];

/**
 * One lead's rule inputs as readRuleInputs returns them, one compact row per lead:
 * [lead_id, code per rule-input event (global order), its occurred_at as ISO-8601 text, the data
 * of each event that is not a touchpoint (in the same order), event_count, last_position].
 */
export type LeadInputsRow = readonly [
  string,
  readonly number[],
  readonly string[],
  readonly string[],
  string | number,
  string,
];

function leadRuleHistory([, codes, times, data]: LeadInputsRow): LeadRuleHistory {
  const history: LeadHistoryEvent[] = [];
  const recorded = new Map<number, string>();
  let next = 0; // the next entry of `data`
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    const occurredAt = times[i]!;
    if (code < TYPE_CODE_BASE) {
      const event = touchpointEvents[code] ?? null;
      if (event !== null) history.push({ event, occurredAt });
      continue;
    }
    const row = { type: RULE_INPUT_TYPES[code - TYPE_CODE_BASE] ?? '', data: data[next++] ?? '' };
    if (code === QUALIFIED_CODE) {
      const version = num(obj(JSON.parse(row.data)).rulesVersion);
      if (version !== null && !recorded.has(version)) {
        recorded.set(version, toClickHouseDateTime(occurredAt) ?? occurredAt);
      }
      continue;
    }
    const event = ruleInputEvent(row);
    if (event !== null) history.push({ event, occurredAt });
  }
  return { history, recorded };
}

export interface ComputedRuleFacts {
  /** Rows written to lead_rule_facts. */
  readonly rows: number;
  /** Events of the leads computed (all types), for progress. */
  readonly events: number;
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
): Promise<ComputedRuleFacts> {
  if (sets.length === 0 || leadIds.length === 0) return { rows: 0, events: 0 };
  return writeRuleFacts(client, sets, await readRuleInputs(client, leadIds, options), options);
}

/** What the rules read of some leads: one row per lead, its rule-input events in order. */
export type RuleInputs = readonly LeadInputsRow[];

/**
 * The statement readRuleInputs runs: part of the rules pass (ruleFactsVersion digests it, so a
 * deploy that changes it re-derives every kept set's rows).
 */
export const RULE_INPUTS_SQL = `
      SELECT
        lead_id,
        arrayMap(e -> e.2, inputs) AS codes,
        arrayMap(e -> concat(replaceOne(toString(e.3), ' ', 'T'), 'Z'), inputs) AS times,
        arrayMap(e -> e.4, arrayFilter(e -> e.2 >= {type_code_base:UInt8}, inputs)) AS data,
        event_count,
        last_position
      FROM (
        SELECT
          lead_id,
          arraySort(e -> e.1, groupArrayIf(
            tuple(
              global_position,
              toUInt8(if(type = 'TouchpointRecorded',
                         indexOf({kinds:Array(String)}, JSONExtractString(data, 'kind')),
                         {type_code_base:UInt8} + indexOf({types:Array(String)}, toString(type)) - 1)),
              occurred_at,
              if(type = 'TouchpointRecorded', '', data)
            ),
            type IN {types:Array(String)}
          )) AS inputs,
          count() AS event_count,
          toString(max(global_position)) AS last_position
        FROM {db:Identifier}.{events:Identifier} FINAL
        WHERE lead_id IN {leads:Array(String)}
        GROUP BY lead_id
      )
      ORDER BY lead_id`;

/** RULE_INPUTS_SQL's parameters: the leads sorted, each once. */
const ruleInputsParams = (database: string, leadIds: readonly string[]) => ({
  db: database,
  events: analyticsTables.leadEvents,
  leads: [...new Set(leadIds)].sort(),
  types: RULE_INPUT_TYPES,
  kinds: touchpointKinds,
  type_code_base: TYPE_CODE_BASE,
});

/**
 * One query: the leads' rule-input events as one row per lead, sorted by lead id, so a lead's
 * other events never cross the wire and sorted ids let ClickHouse read each lead's granules
 * once. Split from writeRuleFacts so that a pass can read the next chunk while it classifies
 * this one.
 *
 * Each event travels as a number and a time (see TYPE_CODE_BASE): touchpoints are most of a
 * history and the rules read nothing of them but their kind and time, so their data is cut
 * down to the kind inside ClickHouse; the other events (a few per lead) bring their data, which
 * ruleInputEvent reads as it always did. Times are ISO-8601, as the domain takes them.
 */
export async function readRuleInputs(
  client: ClickHouseClient,
  leadIds: readonly string[],
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleInputs> {
  if (leadIds.length === 0) return [];
  // Sorted by global_position (a number: '9' sorts after '10' as text), which is not sent.
  const result = await client.query({
    query: RULE_INPUTS_SQL,
    query_params: ruleInputsParams(analyticsDatabase(options), leadIds),
    format: 'JSONCompactEachRow',
  });
  return result.json<LeadInputsRow>();
}

/**
 * readRuleInputs and, in the same statement, the registry's generation: the highest block number
 * of rule_sets' active parts (metadata only, as readProjectionProgress reads it for other
 * tables). Every change to a rule set is an insert (rule-sets.ts), every insert raises it and a
 * merge keeps it, so an equal generation means the registry is the one last read.
 *
 * For the projector at the head (LogProjection): ADR 0005 needs the registry read after a
 * batch's rows are written, and reading it in its own statement was one of a batch's fixed
 * statements (chDB runs them one at a time per connection). Read here, it is read after the
 * rows as before, and the sets are read again, in a statement of their own, only when the
 * generation moved. RULE_INPUTS_SQL is embedded unchanged (ruleFactsVersion digests it).
 */
export async function readRuleInputsAndRegistry(
  client: ClickHouseClient,
  leadIds: readonly string[],
  options: AnalyticsDatabaseOptions = {},
): Promise<{ readonly inputs: RuleInputs; readonly registry: string }> {
  const database = analyticsDatabase(options);
  const result = await client.query({
    query: `
      SELECT *, (
        SELECT toString(max(max_block_number)) FROM system.parts
        WHERE database = {database:String} AND table = {rule_sets:String} AND active
      ) AS registry
      FROM (${RULE_INPUTS_SQL})
      ORDER BY lead_id`,
    query_params: {
      ...ruleInputsParams(database, leadIds),
      database,
      rule_sets: analyticsTables.ruleSets,
    },
    format: 'JSONCompactEachRow',
  });
  const rows = await result.json<readonly [...LeadInputsRow, string]>();
  return {
    inputs: rows.map(([lead, codes, times, data, count, last]) => [
      lead,
      codes,
      times,
      data,
      count,
      last,
    ]),
    // No lead found (never after its rows were written): no generation, the sets are read.
    registry: rows[0]?.[6] ?? '',
  };
}

/**
 * What writeRuleFacts writes for the leads read by readRuleInputs under every set, in the order
 * of lead_rule_facts' columns (LEAD_RULE_FACT_COLUMNS): the whole rules pass but the I/O, so a
 * unit spec pins its output (rule-facts-version.unit.spec.ts).
 */
export function ruleFactValues(
  sets: readonly RuleSet[],
  rows: RuleInputs,
): { readonly facts: LeadRuleFactValues[]; readonly events: number } {
  const prepared = prepare(sets);
  const facts: LeadRuleFactValues[] = [];
  let events = 0;
  for (const row of rows) {
    const [leadId, , , , eventCount, lastPosition] = row;
    events += Number(eventCount);
    const history = leadRuleHistory(row);
    for (const values of ruleFactRows(
      prepared,
      leadId,
      history,
      Number(eventCount),
      lastPosition,
    )) {
      facts.push(values);
    }
  }
  return { facts, events };
}

/** Classifies the leads read by readRuleInputs under every set and writes their rows. */
export async function writeRuleFacts(
  client: ClickHouseClient,
  sets: readonly RuleSet[],
  rows: RuleInputs,
  options: AnalyticsDatabaseOptions = {},
): Promise<ComputedRuleFacts> {
  const { facts, events } = ruleFactValues(sets, rows);
  if (facts.length > 0) {
    await client.insert({
      table: qualifiedTable(analyticsDatabase(options), analyticsTables.leadRuleFacts),
      values: facts,
      columns: [...LEAD_RULE_FACT_COLUMNS],
      format: 'JSONCompactEachRow',
    });
  }
  return { rows: facts.length, events };
}

/**
 * Leads per chunk of a catch-up pass: one query and one insert each. 5,000 rather than 2,000:
 * at 1M events the pass took 2.0 s instead of 2.5 s (fewer statements and parts); 10,000 and
 * 20,000 gained nothing more, and two chunks are held at a time (the next one read ahead).
 */
export const RULE_FACTS_CHUNK_LEADS = 5_000;

/** computeRuleFactsBetween left between chunks because its caller's `cancelled` said so. */
export class RuleFactsCancelledError extends Error {
  constructor() {
    super('rule-derived rows: cancelled between chunks');
    this.name = 'RuleFactsCancelledError';
  }
}

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
    /**
     * Checked before each chunk: a stopping projector (a rebuild, a shutdown) leaves between
     * chunks, with RuleFactsCancelledError, instead of writing on into tables being emptied.
     */
    readonly cancelled?: () => boolean;
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
    if (options.cancelled?.() === true) throw new RuleFactsCancelledError();
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
