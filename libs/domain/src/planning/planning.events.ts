/**
 * Events outside a lead's life: published and activated definitions, targets
 * and campaign spend, each in its own stream.
 */
import { sha256Hex } from '../rules/definition-hash';
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
/** The event store's longest stream id (libs/event-store append-validation). */
const MAX_STREAM_ID_LENGTH = 255;

/**
 * The stream of a campaign's spend: `campaign-<name>`, or, for a name no stream id can hold
 * (one the API accepts as a campaign, 1–500 characters, but longer than a stream id allows, or
 * with a tab, a newline or another control character), `campaign#<SHA-256 of the name>`. A
 * lead's capture takes such a name, so its spend must be recordable too. The digest form never
 * meets a plain one (the character after `campaign` is `#`, not `-`), and every name that had a
 * plain stream keeps it.
 */
export const campaignStreamId = (campaign: string): string => {
  const plain = `campaign-${campaign}`;
  return plain.length <= MAX_STREAM_ID_LENGTH && !hasControlCharacter(plain)
    ? plain
    : `campaign#${sha256Hex(campaign)}`;
};

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
