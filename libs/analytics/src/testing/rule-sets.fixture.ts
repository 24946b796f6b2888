/**
 * Test support: registers a rule set the way the projector does when it sees a version
 * published before any lead event ('ready': every lead is computed as it is projected). Specs
 * that project hand-built logs without a FunnelDefinitionPublished event call it once per
 * database. Never used outside tests.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import { newRuleSet, writeRuleSet, type RuleSet } from '../rules/rule-sets';

export async function registerRuleSet(
  client: ClickHouseClient,
  database: string,
  definition: FunnelDefinition = defaultFunnelDefinition,
): Promise<RuleSet> {
  const set = newRuleSet(definition, 'published', 'ready');
  await writeRuleSet(client, set, { database, registration: true });
  return set;
}

/** Attribution settings other than the shipped ones: U-shaped 50/30/20 and a one-day half-life. */
export const tunedAttribution: FunnelDefinition['attribution'] = {
  ...defaultFunnelDefinition.attribution,
  weights: {
    ...defaultFunnelDefinition.attribution.weights,
    uShaped: { firstTouch: 50, leadCreation: 30, others: 20 },
  },
  timeDecay: { halfLifeDays: 1 },
};
