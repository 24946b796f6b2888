/**
 * Fit (ideal-customer profile) and intent (touchpoints with time decay) scores,
 * and the MQL decision built on them. Pure: the decision time is an argument, so
 * the same facts under the same definition always give the same score.
 */
import type { FunnelDefinition, MqlField, TouchpointKind } from './funnel-definition';

export interface LeadFacts {
  readonly name: string | null;
  readonly email: string | null;
  readonly productInterest: string | null;
  readonly timeframe: string | null;
  readonly industry: string | null;
  readonly companySize: number | null;
  readonly country: string | null;
  readonly role: string | null;
  readonly touchpoints: readonly { readonly kind: TouchpointKind; readonly occurredAt: string }[];
}

export interface MqlEvaluation {
  readonly qualifies: boolean;
  readonly fitScore: number;
  readonly intentScore: number;
  readonly score: number;
  readonly threshold: number;
  /** Why the lead did or did not qualify, in words both teams read the same way. */
  readonly reasons: string[];
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const DAY_MS = 86_400_000;

/** 0–100: the weighted share of ICP criteria the lead meets. */
export function fitScore(definition: FunnelDefinition, lead: LeadFacts): number {
  const { icp } = definition;
  const matches: Record<keyof FunnelDefinition['icp']['weights'], boolean> = {
    industry: lead.industry !== null && icp.industries.includes(lead.industry),
    companySize:
      lead.companySize !== null &&
      lead.companySize >= icp.companySize.min &&
      lead.companySize <= icp.companySize.max,
    country: lead.country !== null && icp.countries.includes(lead.country),
    role: lead.role !== null && icp.roles.includes(lead.role),
    productInterest:
      lead.productInterest !== null && icp.productInterests.includes(lead.productInterest),
  };
  let total = 0;
  let met = 0;
  for (const [criterion, weight] of Object.entries(icp.weights) as [
    keyof typeof matches,
    number,
  ][]) {
    total += weight;
    if (matches[criterion]) met += weight;
  }
  return total === 0 ? 0 : round2((met / total) * 100);
}

type Touchpoint = LeadFacts['touchpoints'][number];

/**
 * A touchpoint's time in ms, parsed once per touchpoint object. Classifying a history scores
 * its touchpoints again at every later event, so parsing the same text each time was most of
 * the cost of a replay; touchpoints are immutable, so the cache is invisible to callers.
 */
const touchpointTimes = new WeakMap<Touchpoint, number>();
function touchpointTime(touchpoint: Touchpoint): number {
  let time = touchpointTimes.get(touchpoint);
  if (time === undefined) {
    time = Date.parse(touchpoint.occurredAt);
    touchpointTimes.set(touchpoint, time);
  }
  return time;
}

/** 0–cap: touchpoint points halved every `halfLifeDays` before the decision time. */
export function intentScore(definition: FunnelDefinition, lead: LeadFacts, at: string): number {
  const now = Date.parse(at);
  let score = 0;
  for (const touchpoint of lead.touchpoints) {
    const points = definition.intent.touchpointPoints[touchpoint.kind] ?? 0;
    const ageDays = Math.max(0, (now - touchpointTime(touchpoint)) / DAY_MS);
    score += points * Math.pow(0.5, ageDays / definition.intent.halfLifeDays);
  }
  return round2(Math.min(definition.intent.cap, score));
}

export function missingMqlFields(definition: FunnelDefinition, lead: LeadFacts): MqlField[] {
  return definition.mql.requiredFields.filter((field) => {
    const value = lead[field];
    return value === null || value.trim() === '';
  });
}

export function evaluateMql(
  definition: FunnelDefinition,
  lead: LeadFacts,
  at: string,
): MqlEvaluation {
  const fit = fitScore(definition, lead);
  const intent = intentScore(definition, lead, at);
  const score = round2(fit * definition.mql.fitWeight + intent * definition.mql.intentWeight);
  const missing = missingMqlFields(definition, lead);
  const reasons: string[] = [];
  if (missing.length > 0) reasons.push(`missing required fields: ${missing.join(', ')}`);
  reasons.push(
    score >= definition.mql.threshold
      ? `score ${score} meets threshold ${definition.mql.threshold} (fit ${fit}, intent ${intent})`
      : `score ${score} is below threshold ${definition.mql.threshold} (fit ${fit}, intent ${intent})`,
  );
  return {
    qualifies: missing.length === 0 && score >= definition.mql.threshold,
    fitScore: fit,
    intentScore: intent,
    score,
    threshold: definition.mql.threshold,
    reasons,
  };
}

/** The SLA deadline for sales to accept or reject a lead handed over at `handedAt`. */
export function slaDueAt(definition: FunnelDefinition, handedAt: string): string {
  return new Date(
    Date.parse(handedAt) + definition.sla.acceptWithinHours * 3_600_000,
  ).toISOString();
}
