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
  return mqlScorer(definition).fit(lead);
}

/** The touchpoints' times in milliseconds since the epoch, in the facts' order. */
const touchpointTimes = (lead: LeadFacts): number[] =>
  lead.touchpoints.map((touchpoint) => Date.parse(touchpoint.occurredAt));

/** 0–cap: touchpoint points halved every `halfLifeDays` before the decision time. */
export function intentScore(definition: FunnelDefinition, lead: LeadFacts, at: string): number {
  return mqlScorer(definition).intent(lead, touchpointTimes(lead), Date.parse(at));
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
  const scorer = mqlScorer(definition);
  const fit = scorer.fit(lead);
  const intent = scorer.intent(lead, touchpointTimes(lead), Date.parse(at));
  const score = scorer.score(fit, intent);
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

/**
 * One definition's scoring, prepared once: the arithmetic of fitScore, intentScore and
 * evaluateMql (which call it, so live decisions and replays run the very same operations in
 * the very same order), without the reasons' text. A replay scores a lead after every event
 * it folds, so what is the same for every lead (the criteria's order and total weight) is
 * worked out here once, not per evaluation.
 */
export interface MqlScorer {
  readonly definition: FunnelDefinition;
  fit(lead: LeadFacts): number;
  /** Whether two facts have the same fit, because the fields fit reads are the same. */
  sameFit(a: LeadFacts, b: LeadFacts): boolean;
  /**
   * `times`: each touchpoint's `occurredAt` as Date.parse reads it, in the facts' order (a
   * replay parses each touchpoint once, not at every later evaluation); `atMs`: the decision
   * time, the same way.
   */
  intent(lead: LeadFacts, times: readonly number[], atMs: number): number;
  score(fit: number, intent: number): number;
  /** No required field is missing (missingMqlFields is empty). */
  hasRequiredFields(lead: LeadFacts): boolean;
  /** A touchpoint kind's points, as intent counts them. */
  points(kind: TouchpointKind): number;
  /**
   * The highest score the lead could have with these facts, at any decision time, given
   * `pointsSum`: the touchpoints' points added up in the facts' order. Never below the score:
   * every intent term is its points times a decay in [0, 1], and rounding to nearest never
   * reverses an order. Null when the definition's numbers are outside what that argument
   * assumes (negative points or weights, which validation refuses).
   */
  scoreCeiling(fit: number, pointsSum: number): number | null;
}

type Criterion = keyof FunnelDefinition['icp']['weights'];

export function mqlScorer(definition: FunnelDefinition): MqlScorer {
  const { icp, intent, mql } = definition;
  // Criteria in the order of the definition's weights object, as fitScore always added them.
  const criteria = Object.entries(icp.weights) as [Criterion, number][];
  let total = 0;
  for (const [, weight] of criteria) total += weight;
  const meets = (criterion: Criterion, lead: LeadFacts): boolean => {
    switch (criterion) {
      case 'industry':
        return lead.industry !== null && icp.industries.includes(lead.industry);
      case 'companySize':
        return (
          lead.companySize !== null &&
          lead.companySize >= icp.companySize.min &&
          lead.companySize <= icp.companySize.max
        );
      case 'country':
        return lead.country !== null && icp.countries.includes(lead.country);
      case 'role':
        return lead.role !== null && icp.roles.includes(lead.role);
      case 'productInterest':
        return lead.productInterest !== null && icp.productInterests.includes(lead.productInterest);
    }
  };
  const points = (kind: TouchpointKind): number => intent.touchpointPoints[kind] ?? 0;
  const score = (fit: number, intentScore: number): number =>
    round2(fit * mql.fitWeight + intentScore * mql.intentWeight);
  const nonNegative = (value: number) => value >= 0;
  const ceilingHolds =
    Object.values(intent.touchpointPoints).every((value) => value === undefined || value >= 0) &&
    intent.halfLifeDays > 0 &&
    [intent.cap, mql.fitWeight, mql.intentWeight].every(nonNegative);
  return {
    definition,
    fit(lead) {
      let met = 0;
      for (const [criterion, weight] of criteria) if (meets(criterion, lead)) met += weight;
      return total === 0 ? 0 : round2((met / total) * 100);
    },
    sameFit(a, b) {
      return (
        a.industry === b.industry &&
        a.companySize === b.companySize &&
        a.country === b.country &&
        a.role === b.role &&
        a.productInterest === b.productInterest
      );
    },
    intent(lead, times, atMs) {
      const { touchpoints } = lead;
      let sum = 0;
      for (let i = 0; i < touchpoints.length; i++) {
        const ageDays = Math.max(0, (atMs - times[i]!) / DAY_MS);
        sum += points(touchpoints[i]!.kind) * Math.pow(0.5, ageDays / intent.halfLifeDays);
      }
      return round2(Math.min(intent.cap, sum));
    },
    score,
    hasRequiredFields(lead) {
      for (const field of mql.requiredFields) {
        const value = lead[field];
        if (value === null || value.trim() === '') return false;
      }
      return true;
    },
    points,
    scoreCeiling(fit, pointsSum) {
      return ceilingHolds ? score(fit, round2(Math.min(intent.cap, pointsSum))) : null;
    },
  };
}

/** The SLA deadline for sales to accept or reject a lead handed over at `handedAt`. */
export function slaDueAt(definition: FunnelDefinition, handedAt: string): string {
  return new Date(
    Date.parse(handedAt) + definition.sla.acceptWithinHours * 3_600_000,
  ).toISOString();
}
