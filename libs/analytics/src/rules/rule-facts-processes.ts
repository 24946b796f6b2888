/**
 * Which processes that compute rule-derived rows are alive, and with which code
 * (rule_facts_processes, migration 0040): in the split deployment the API and each Kafka-fed
 * projector member write their row every few seconds (`processBeatMs`), and the API reads them
 * to decide whether it may re-derive a kept set another build computed after the API started
 * (ADR 0005, "Sets another build computed while the API runs").
 *
 * The rule (`rederivableNow`): only while a projector of this build is alive (it waits for the
 * set: the other side runs this build), and only while no process of the set's build is alive
 * (nobody would take it back). Two builds running side by side therefore never re-mark each
 * other's sets back and forth: for the other build to take a set back, every process of this
 * one would have to be gone.
 *
 * It must never decide anything from a row older than the lease: a process killed without a
 * goodbye counts as gone once its last look is that old.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  analyticsDatabase,
  analyticsTables,
  qualifiedTable,
  type AnalyticsDatabaseOptions,
} from '../clickhouse/analytics.database';
import { toClickHouseDateTime } from '../clickhouse/clickhouse-datetime';
import { ruleFactsVersion } from './rule-facts-version';
import type { RuleSet } from './rule-sets';

export type RuleFactsRole = 'api' | 'projector';

export interface RuleFactsProcess {
  /** Who: host, pid and a random part, as the replay lease names its owner. */
  readonly process: string;
  readonly role: RuleFactsRole;
  /** The code it computes rows with (ruleFactsVersion). */
  readonly factsVersion: string;
  /** Its latest look (ISO-8601, the writer's clock). */
  readonly seenAt: string;
}

/**
 * How often a process writes its row, and the API looks: a fifth of the lease (so a process
 * gone is noticed soon after its lease runs out), at most 5 s, at least 100 ms.
 */
export const processBeatMs = (leaseSeconds: number): number =>
  Math.min(5_000, Math.max(100, Math.round((leaseSeconds * 1000) / 5)));

/** Writes this process's row: alive now, computing with this build's code. */
export async function beatRuleFactsProcess(
  client: ClickHouseClient,
  process: string,
  role: RuleFactsRole,
  options: AnalyticsDatabaseOptions = {},
): Promise<void> {
  await client.insert({
    table: qualifiedTable(analyticsDatabase(options), analyticsTables.ruleFactsProcesses),
    values: [
      {
        process,
        role,
        facts_version: ruleFactsVersion(),
        seen_at: toClickHouseDateTime(new Date().toISOString()),
      },
    ],
    format: 'JSONEachRow',
  });
}

/** The processes whose latest look is younger than `leaseSeconds` (by this process's clock). */
export async function readLiveRuleFactsProcesses(
  client: ClickHouseClient,
  leaseSeconds: number,
  options: AnalyticsDatabaseOptions = {},
): Promise<RuleFactsProcess[]> {
  const result = await client.query({
    query: `
      SELECT process, toString(role) AS role, facts_version, seen_at
      FROM {db:Identifier}.{table:Identifier} FINAL
      WHERE seen_at > {since:DateTime64(3)}
      ORDER BY process`,
    query_params: {
      db: analyticsDatabase(options),
      table: analyticsTables.ruleFactsProcesses,
      since: toClickHouseDateTime(new Date(Date.now() - leaseSeconds * 1000).toISOString()),
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{
    process: string;
    role: string;
    facts_version: string;
    seen_at: string;
  }>();
  return rows.map((row) => ({
    process: row.process,
    role: row.role === 'api' ? 'api' : 'projector',
    factsVersion: row.facts_version,
    seenAt: row.seen_at,
  }));
}

/**
 * The kept sets another build computed that this build may re-derive now, beyond its start:
 * none unless a projector of this build is alive, and only those whose build has no process
 * alive. A set of unrecorded code ('' , before migration 0039) has none by definition.
 */
export function rederivableNow(
  sets: readonly RuleSet[],
  alive: readonly Pick<RuleFactsProcess, 'role' | 'factsVersion'>[],
  version: string = ruleFactsVersion(),
): RuleSet[] {
  const projectorOfThisBuild = alive.some(
    (process) => process.role === 'projector' && process.factsVersion === version,
  );
  if (!projectorOfThisBuild) return [];
  const builds = new Set(alive.map((process) => process.factsVersion));
  return sets.filter((set) => set.factsVersion !== version && !builds.has(set.factsVersion));
}
