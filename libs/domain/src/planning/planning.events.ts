/**
 * Events outside a lead's life: published and activated definitions, targets
 * and campaign spend, each in its own stream.
 */
import type { FunnelDefinition } from '../rules/funnel-definition';

export type FunnelDefinitionPublished = {
  type: 'FunnelDefinitionPublished';
  data: { version: number; definition: FunnelDefinition };
};

/**
 * Puts a published version in force for live decisions (and analytics views).
 * Publishing only records a version; this event, in the same DEFINITIONS_STREAM,
 * is what changes the rules. `definitionHash` fingerprints the activated content;
 * `previousVersion` is the version it replaces (null for the first activation).
 */
export type FunnelDefinitionActivated = {
  type: 'FunnelDefinitionActivated';
  data: { version: number; definitionHash: string; previousVersion: number | null };
};

export const targetMetrics = [
  'leads',
  'mqls',
  'sqls',
  'opportunities',
  'won_deals',
  'won_revenue',
  'pipeline',
] as const;
export type TargetMetric = (typeof targetMetrics)[number];

/** The two teams a target belongs to. */
export const targetTeams = ['marketing', 'sales'] as const;
export type TargetTeam = (typeof targetTeams)[number];

export type TargetSet = {
  type: 'TargetSet';
  data: {
    team: TargetTeam;
    metric: TargetMetric;
    /** Calendar period the target covers: `YYYY-MM` or `YYYY-Qn`. */
    period: string;
    value: number;
    owner: string | null;
  };
};

export type CampaignSpendRecorded = {
  type: 'CampaignSpendRecorded';
  data: { campaign: string; channel: string; amount: number; currency: string; spentOn: string };
};

export type PlanningEvent =
  FunnelDefinitionPublished | FunnelDefinitionActivated | TargetSet | CampaignSpendRecorded;

export const DEFINITIONS_STREAM = 'funnel-definitions';
export const TARGETS_STREAM = 'targets';
export const campaignStreamId = (campaign: string): string => `campaign-${campaign}`;
