/**
 * Events outside a lead's life: published definitions, targets and campaign
 * spend, each in its own stream.
 */
import type { FunnelDefinition } from '../rules/funnel-definition';

export type FunnelDefinitionPublished = {
  type: 'FunnelDefinitionPublished';
  data: { version: number; definition: FunnelDefinition };
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

export type TargetSet = {
  type: 'TargetSet';
  data: {
    team: 'marketing' | 'sales';
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

export type PlanningEvent = FunnelDefinitionPublished | TargetSet | CampaignSpendRecorded;

export const DEFINITIONS_STREAM = 'funnel-definitions';
export const TARGETS_STREAM = 'targets';
export const campaignStreamId = (campaign: string): string => `campaign-${campaign}`;
