/**
 * The one door to rule sets in ClickHouse (rule_sets, active_rules, rule_facts_processes) for
 * the apps: list, find, save, promote, replay, read which set the views use, and say which
 * processes computing their rows are alive. Services and controllers hold this
 * instead of the ClickHouse client, so the SQL for rule sets stays in rules/ (rule-sets.ts,
 * rule-replay.ts) and a change to it is reviewed in one place.
 *
 * It decides nothing: which state comes next is rule-set.lifecycle's; when to replay and to
 * activate is the API's apply service's.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsDatabase, type AnalyticsDatabaseOptions } from '../clickhouse/analytics.database';
import { replayRuleSet, type ReplayOptions } from './rule-replay';
import {
  beatRuleFactsProcess,
  readLiveRuleFactsProcesses,
  type RuleFactsProcess,
  type RuleFactsRole,
} from './rule-facts-processes';
import {
  activeRuleSet,
  promoteToPublished,
  readActivation,
  readRuleSet,
  readRuleSets,
  resolveRuleSet,
  sameRuleSet,
  writeRuleSet,
  type RuleSet,
  type RuleSetKey,
} from './rule-sets';

export class RuleSetRepository {
  private readonly options: { readonly database: string };

  constructor(
    private readonly client: ClickHouseClient,
    options: AnalyticsDatabaseOptions = {},
  ) {
    this.options = { database: analyticsDatabase(options) };
  }

  /** Every kept set, by version then hash. */
  list(): Promise<RuleSet[]> {
    return readRuleSets(this.client, this.options);
  }

  find(key: RuleSetKey): Promise<RuleSet | null> {
    return readRuleSet(this.client, key, this.options);
  }

  save(set: RuleSet): Promise<void> {
    return writeRuleSet(this.client, set, this.options);
  }

  /** A what-if's shadow published unchanged becomes the published set (lifecycle: registered). */
  promoteToPublished(set: RuleSet): Promise<RuleSet> {
    return promoteToPublished(this.client, set, this.options);
  }

  /** Builds, or finishes building, the set's rows over the whole history. */
  replay(target: RuleSet, options: Omit<ReplayOptions, 'database'>): Promise<RuleSet> {
    return replayRuleSet(this.client, target, { ...options, ...this.options });
  }

  /** This process is alive and computes with this build's code (rule_facts_processes). */
  beat(process: string, role: RuleFactsRole): Promise<void> {
    return beatRuleFactsProcess(this.client, process, role, this.options);
  }

  /** The processes seen within the lease, with the code each computes with. */
  liveProcesses(leaseSeconds: number): Promise<RuleFactsProcess[]> {
    return readLiveRuleFactsProcesses(this.client, leaseSeconds, this.options);
  }

  /** The set the latest projected FunnelDefinitionActivated names, with its position. */
  activation(): Promise<(RuleSetKey & { readonly globalPosition: string }) | null> {
    return readActivation(this.client, this.options);
  }

  /** True once the views read `key` from an activation at or after `position`. */
  async viewsRead(key: RuleSetKey, position: bigint): Promise<boolean> {
    const activation = await this.activation();
    return (
      activation !== null &&
      BigInt(activation.globalPosition) >= position &&
      sameRuleSet(activation, key)
    );
  }

  /** The set views read when a request names none. */
  active(): Promise<RuleSet> {
    return activeRuleSet(this.client, this.options);
  }

  /** The set a request names (version, optionally hash), or the active one. */
  resolve(selection: {
    readonly rulesVersion?: number;
    readonly definitionHash?: string;
  }): Promise<RuleSet> {
    return resolveRuleSet(this.client, selection, this.options);
  }
}
