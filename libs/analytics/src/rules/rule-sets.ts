/**
 * The registry of rule sets analytics keeps (rule_sets) and which one the views read
 * (active_rules). A rule set is one funnel definition applied to the whole history, named by
 * (rulesVersion, definitionHash); see migrations 0006–0008 and ADR 0005.
 *
 * Every change to a rule set is a new row with a higher revision (ReplacingMergeTree, read
 * FINAL). The projector registers published versions with revision 0, so a registration can
 * never overwrite what a replay wrote.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  definitionHash,
  parseFunnelDefinition,
  type AttributionModel,
  type FunnelDefinition,
} from '@tandem/domain';
import {
  analyticsDatabase,
  analyticsTables,
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';
import { toClickHouseDateTime } from '../clickhouse/clickhouse-datetime';
import { ruleFactsVersion } from './rule-facts-version';
import { transition } from './rule-set.lifecycle';

export const ruleSetKinds = ['published', 'shadow'] as const;
export type RuleSetKind = (typeof ruleSetKinds)[number];
export const ruleSetStatuses = ['pending', 'building', 'ready'] as const;
export type RuleSetStatus = (typeof ruleSetStatuses)[number];

export interface RuleSetKey {
  readonly rulesVersion: number;
  readonly definitionHash: string;
}

export interface RuleSet extends RuleSetKey {
  readonly name: string;
  readonly kind: RuleSetKind;
  readonly status: RuleSetStatus;
  readonly definition: FunnelDefinition;
  /** The definition's SLA for accepting or rejecting a hand-off, in milliseconds. */
  readonly slaMs: number;
  readonly attributionModel: AttributionModel;
  /** A replay resumes after this lead id ('' = from the first lead). */
  readonly checkpointLeadId: string;
  readonly eventsDone: number;
  readonly eventsTotal: number;
  /** Which process last worked on it, and when (ISO-8601). */
  readonly owner: string;
  readonly heartbeatAt: string;
  /**
   * Which code computed the set's rows (ruleFactsVersion): the running code's once a replay by
   * it started; '' when unknown (a row from before migration 0039).
   */
  readonly factsVersion: string;
}

export class RuleSetNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleSetNotFoundError';
  }
}

const RULE_SETS = analyticsTables.ruleSets;
const ACTIVE_RULES = analyticsTables.activeRules;

/** The key of a definition: its version and the hash of its content. */
export function ruleSetKey(definition: FunnelDefinition): RuleSetKey {
  return { rulesVersion: definition.version, definitionHash: definitionHash(definition) };
}

export const sameRuleSet = (a: RuleSetKey, b: RuleSetKey): boolean =>
  a.rulesVersion === b.rulesVersion && a.definitionHash === b.definitionHash;

export const describeRuleSet = (key: RuleSetKey): string =>
  `rules version ${key.rulesVersion} (sha ${key.definitionHash})`;

/** What a rule set takes from its definition as it is (never stored separately in memory). */
function fromDefinition(definition: FunnelDefinition) {
  return {
    name: definition.name,
    definition,
    slaMs: Math.round(definition.sla.acceptWithinHours * 3_600_000),
    attributionModel: definition.attribution.default,
  };
}

/** The heartbeat of a set no replay has run for (one the live projection keeps from the start). */
export const NO_HEARTBEAT = new Date(0).toISOString();

/** A fresh rule set for a definition, not yet written. */
export function newRuleSet(
  definition: FunnelDefinition,
  kind: RuleSetKind,
  status: RuleSetStatus,
): RuleSet {
  return {
    ...ruleSetKey(definition),
    ...fromDefinition(definition),
    kind,
    status,
    checkpointLeadId: '',
    eventsDone: 0,
    eventsTotal: 0,
    owner: '',
    heartbeatAt: NO_HEARTBEAT,
    // Its rows are computed from here on by this code (a replay, or the projector).
    factsVersion: ruleFactsVersion(),
  };
}

interface RuleSetRow {
  rules_version: number;
  definition_hash: string;
  kind: string;
  status: string;
  definition: string;
  checkpoint_lead_id: string;
  events_done: string | number;
  events_total: string | number;
  owner: string;
  heartbeat_at: string;
  facts_version: string;
}

// A set's definition never changes under its key, and the projector reads the registry for
// every batch: parse each definition once per process.
const parsedDefinitions = new Map<string, FunnelDefinition>();
function parsedDefinition(row: RuleSetRow): FunnelDefinition {
  const key = `${row.rules_version}/${row.definition_hash}`;
  let definition = parsedDefinitions.get(key);
  if (definition === undefined) {
    definition = parseFunnelDefinition(JSON.parse(row.definition));
    parsedDefinitions.set(key, definition);
  }
  return definition;
}

function fromRow(row: RuleSetRow): RuleSet {
  const kind = ruleSetKinds.find((k) => k === row.kind);
  const status = ruleSetStatuses.find((s) => s === row.status);
  if (kind === undefined || status === undefined) {
    throw new Error(`rule_sets row ${row.rules_version}/${row.definition_hash} is corrupt`);
  }
  return {
    rulesVersion: Number(row.rules_version),
    definitionHash: row.definition_hash,
    ...fromDefinition(parsedDefinition(row)),
    kind,
    status,
    checkpointLeadId: row.checkpoint_lead_id,
    eventsDone: Number(row.events_done),
    eventsTotal: Number(row.events_total),
    owner: row.owner,
    heartbeatAt: new Date(`${row.heartbeat_at.replace(' ', 'T')}Z`).toISOString(),
    factsVersion: row.facts_version,
  };
}

// Revisions only need to grow within and across processes: milliseconds since the epoch times
// 1000, plus a counter for writes within the same millisecond.
let lastRevision = 0n;
function nextRevision(): string {
  const candidate = BigInt(Date.now()) * 1000n;
  lastRevision = candidate > lastRevision ? candidate : lastRevision + 1n;
  return lastRevision.toString();
}

/** Writes the rule set's new state. `registration` writes revision 0 (never wins a tie). */
export async function writeRuleSet(
  client: ClickHouseClient,
  set: RuleSet,
  options: AnalyticsDatabaseOptions & { readonly registration?: boolean } = {},
): Promise<void> {
  const database = analyticsDatabase(options);
  await client.insert({
    table: qualifiedTable(database, RULE_SETS),
    values: [
      {
        rules_version: set.rulesVersion,
        definition_hash: set.definitionHash,
        name: set.name,
        kind: set.kind,
        status: set.status,
        definition: JSON.stringify(set.definition),
        sla_ms: set.slaMs,
        attribution_model: set.attributionModel,
        checkpoint_lead_id: set.checkpointLeadId,
        events_done: set.eventsDone,
        events_total: set.eventsTotal,
        owner: set.owner,
        heartbeat_at: toClickHouseDateTime(set.heartbeatAt) ?? '1970-01-01 00:00:00.000',
        facts_version: set.factsVersion,
        revision: options.registration === true ? '0' : nextRevision(),
      },
    ],
    format: 'JSONEachRow',
  });
}

/**
 * A draft a what-if replayed, now published unchanged: its rows are the version's rows, so its
 * shadow set becomes the published set, progress and all. Returns the set as it now is.
 */
export async function promoteToPublished(
  client: ClickHouseClient,
  set: RuleSet,
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleSet> {
  const next = transition(set, { type: 'registered', historyEmpty: false });
  if (next.kind === set.kind) return set;
  const published: RuleSet = { ...set, ...next };
  await writeRuleSet(client, published, options);
  return published;
}

/** Every rule set, by version then hash. */
export async function readRuleSets(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleSet[]> {
  const result = await client.query({
    query: `
      SELECT rules_version, definition_hash, kind, status, definition,
             checkpoint_lead_id, events_done, events_total, owner, heartbeat_at, facts_version
      FROM {db:Identifier}.{table:Identifier} FINAL
      ORDER BY rules_version, definition_hash`,
    query_params: { db: analyticsDatabase(options), table: RULE_SETS },
    format: 'JSONEachRow',
  });
  return (await result.json<RuleSetRow>()).map(fromRow);
}

export async function readRuleSet(
  client: ClickHouseClient,
  key: RuleSetKey,
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleSet | null> {
  return (await readRuleSets(client, options)).find((set) => sameRuleSet(set, key)) ?? null;
}

export interface Activation extends RuleSetKey {
  readonly previousVersion: number | null;
  readonly eventId: string;
  /** Decimal string. */
  readonly globalPosition: string;
  readonly activatedAt: string;
}

/** The rule set the latest FunnelDefinitionActivated named, or null when none was projected. */
export async function readActivation(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<(RuleSetKey & { readonly globalPosition: string }) | null> {
  const result = await client.query({
    query: `
      SELECT rules_version, definition_hash, toString(global_position) AS position
      FROM {db:Identifier}.{table:Identifier}
      ORDER BY global_position DESC, event_id DESC
      LIMIT 1`,
    query_params: { db: analyticsDatabase(options), table: ACTIVE_RULES },
    format: 'JSONEachRow',
  });
  // `position`, not `global_position`: an alias named like the column would make ORDER BY sort
  // the text, where '2' comes after '1380'.
  const [row] = await result.json<{
    rules_version: number;
    definition_hash: string;
    position: string;
  }>();
  return row === undefined
    ? null
    : {
        rulesVersion: Number(row.rules_version),
        definitionHash: row.definition_hash,
        globalPosition: row.position,
      };
}

/** Rows for active_rules, one per FunnelDefinitionActivated event. */
export async function writeActivations(
  client: ClickHouseClient,
  activations: readonly Activation[],
  options: AnalyticsDatabaseOptions = {},
): Promise<void> {
  if (activations.length === 0) return;
  await client.insert({
    table: qualifiedTable(analyticsDatabase(options), ACTIVE_RULES),
    values: activations.map((activation) => ({
      rules_version: activation.rulesVersion,
      definition_hash: activation.definitionHash,
      previous_version: activation.previousVersion,
      event_id: activation.eventId,
      global_position: activation.globalPosition,
      activated_at: toClickHouseDateTime(activation.activatedAt),
    })),
    format: 'JSONEachRow',
  });
}

/**
 * The rule set views read when the caller names none: the latest activation's; before any
 * activation was projected (a store from before activations existed), the newest published set.
 */
export async function activeRuleSet(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleSet> {
  const { activation, sets } = await readRegistry(client, options);
  return activeOf(activation, sets);
}

/** The registry: the kept sets and the latest activation, read side by side. */
async function readRegistry(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions,
): Promise<{ readonly activation: RuleSetKey | null; readonly sets: readonly RuleSet[] }> {
  const [activation, sets] = await Promise.all([
    readActivation(client, options),
    readRuleSets(client, options),
  ]);
  return { activation, sets };
}

/** activeRuleSet's choice among sets already read (readRuleSets) and the latest activation. */
export function activeOf(activation: RuleSetKey | null, sets: readonly RuleSet[]): RuleSet {
  if (activation !== null) {
    const set = sets.find((candidate) => sameRuleSet(candidate, activation));
    if (set === undefined) {
      throw new RuleSetNotFoundError(
        `the active ${describeRuleSet(activation)} has no rule set in analytics yet; it is registered when the projector reaches its FunnelDefinitionPublished event`,
      );
    }
    return set;
  }
  const published = sets.filter((set) => set.kind === 'published');
  const newest = published.at(-1);
  if (newest === undefined) {
    throw new RuleSetNotFoundError(
      'no funnel definition has reached analytics yet: start the funnel API once, it publishes version 1',
    );
  }
  return newest;
}

/**
 * The rule set a query names: a version alone means the published set of that version; a
 * version and hash name any kept set (a what-if's shadow included). Neither: the active set.
 */
export async function resolveRuleSet(
  client: ClickHouseClient,
  selection: RuleSetSelection,
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleSet> {
  const { activation, sets } = await readRegistry(client, options);
  return resolveAmong(selection, activation, sets);
}

/** What a query names of the kept rule sets (resolveRuleSet). */
export interface RuleSetSelection {
  readonly rulesVersion?: number;
  readonly definitionHash?: string;
}

/** resolveRuleSet's choice among sets already read and the latest activation (both read). */
export function resolveAmong(
  selection: RuleSetSelection,
  activation: RuleSetKey | null,
  sets: readonly RuleSet[],
): RuleSet {
  if (selection.rulesVersion === undefined) {
    if (selection.definitionHash !== undefined) {
      throw new RuleSetNotFoundError('definitionHash needs rulesVersion');
    }
    return activeOf(activation, sets);
  }
  const { rulesVersion, definitionHash: hash } = selection;
  const found = sets.find((set) =>
    hash === undefined
      ? set.rulesVersion === rulesVersion && set.kind === 'published'
      : set.rulesVersion === rulesVersion && set.definitionHash === hash,
  );
  if (found === undefined) {
    const kept = sets.map((set) => `${set.rulesVersion}/${set.definitionHash}`).join(', ');
    throw new RuleSetNotFoundError(
      `rules version ${rulesVersion}${hash === undefined ? '' : ` (sha ${hash})`} is not kept in analytics (kept: ${kept || 'none'})`,
    );
  }
  return found;
}

/**
 * The registry's generation: per table of it (rule_sets, active_rules), the highest block
 * number of its active parts, their count, rows and latest modification time (metadata only,
 * no row read). Every change to a rule set or an activation is an insert, which raises the
 * block number; a merge keeps it; a truncation (a rebuild) and its inserts move the rest. Equal
 * generations: the registry read at the first is the registry now (RuleSetRegistryCache).
 */
export async function readRegistryGeneration(
  client: ClickHouseClient,
  options: AnalyticsDatabaseOptions = {},
): Promise<string> {
  const result = await client.query({
    query: `
      SELECT arrayStringConcat(groupArray(generation), ';') AS generation
      FROM
      (
          SELECT concat(
              table, ':', toString(max(max_block_number)), ':', toString(count()), ':',
              toString(sum(rows)), ':', toString(toUnixTimestamp(max(modification_time)))
          ) AS generation
          FROM system.parts
          WHERE database = {database:String} AND table IN ({sets:String}, {activations:String})
            AND active
          GROUP BY table
          ORDER BY table
      )`,
    query_params: {
      database: analyticsDatabase(options),
      sets: RULE_SETS,
      activations: ACTIVE_RULES,
    },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ generation: string }>();
  return row?.generation ?? '';
}

/**
 * The registry (kept sets and the latest activation) as views read it on every request, read
 * again only when its generation moved (readRegistryGeneration: one metadata statement instead
 * of the two reads and the definitions' parsing). The generation is read first, so a change
 * landing between it and the reads leaves the newer registry under the older generation, and
 * the next request reads again: never an older registry under a newer generation.
 */
export class RuleSetRegistryCache {
  private cached: {
    readonly generation: string;
    readonly activation: RuleSetKey | null;
    readonly sets: readonly RuleSet[];
  } | null = null;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: AnalyticsDatabaseOptions = {},
  ) {}

  async resolve(selection: RuleSetSelection): Promise<RuleSet> {
    const generation = await readRegistryGeneration(this.client, this.options);
    let registry = this.cached;
    if (registry === null || generation === '' || registry.generation !== generation) {
      registry = { generation, ...(await readRegistry(this.client, this.options)) };
      this.cached = registry;
    }
    return resolveAmong(selection, registry.activation, registry.sets);
  }
}
