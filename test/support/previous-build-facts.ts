/**
 * ClickHouse as a build with another facts version (rules/rule-facts-version.ts) left it: every
 * kept set's rule_sets row names that version, and its lead_rule_facts rows say what that
 * build computed (half the leads scored 10 lower and no MQL). For the specs of what a build
 * does with rows another build computed; never used outside tests.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsTables } from '../../libs/analytics/src/clickhouse/analytics.database';
import { readRuleSets, writeRuleSet } from '../../libs/analytics/src/rules/rule-sets';

export async function leaveAsPreviousBuild(
  client: ClickHouseClient,
  database: string,
  previousBuild: string,
): Promise<void> {
  for (const set of await readRuleSets(client, { database })) {
    await writeRuleSet(client, { ...set, factsVersion: previousBuild }, { database });
  }
  // Its rows: a later insert of the same last_position replaces the row (ReplacingMergeTree).
  await client.command({
    query: `
      INSERT INTO {db:Identifier}.{facts:Identifier}
      SELECT rules_version, definition_hash, lead_id, false, NULL, fit_score, intent_score,
             score - 10, event_count, last_position
      FROM {db:Identifier}.{facts:Identifier} FINAL
      WHERE cityHash64(lead_id) % 2 = 0`,
    query_params: { db: database, facts: analyticsTables.leadRuleFacts },
  });
}
