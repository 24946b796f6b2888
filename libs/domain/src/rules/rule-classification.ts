/**
 * Would this lead qualify as an MQL under these rules? Classifies one lead's
 * history under one funnel definition, reusing the live fold (`evolveLead`) and
 * scoring (`evaluateMql`) so a what-if answer and a live decision can never
 * disagree about the same facts.
 *
 * Semantics:
 * - The events are folded in the order given (stream order).
 * - After each event the facts are evaluated at that event's `occurredAt`. Intent
 *   only rises at touchpoints and decays between events, so evaluating at every
 *   event time finds the best moment there is; no instant in between scores higher.
 * - The first qualifying evaluation fixes `mql`, `mqlAt` and the scores, and
 *   evaluation stops there.
 * - Once the lead is erased or merged nothing more is evaluated: its facts are
 *   gone or live on in another lead.
 * - Any other lifecycle status is ignored: the question is whether the rules
 *   would qualify the lead, not whether anyone asked for the qualification.
 * - A lead that never qualifies carries the scores of its last evaluation (0 when
 *   nothing was evaluated).
 * - A lead whose first hand-off to sales was sales-sourced (salesEntryPath) is never an MQL,
 *   whatever its scores: it reached sales on a path of its own, and counting it as an MQL
 *   would move it onto the marketing path under one rule set and not under another (ADR 0008).
 *
 * Pure: no clock (the event times are the decision times), no I/O.
 */
import type { LeadEvent } from '../lead/lead.events';
import { evolveLead, initialLeadState } from '../lead/lead.state';
import type { FunnelDefinition, SalesEntryPath } from './funnel-definition';
import { mqlScorer, type LeadFacts, type MqlScorer } from './scoring';

export interface LeadHistoryEvent {
  readonly event: LeadEvent;
  readonly occurredAt: string;
}

export interface LeadClassification {
  /** Qualifies as an MQL under this definition at some point of its history. */
  readonly mql: boolean;
  /** `occurredAt` of the first event after which it qualifies. */
  readonly mqlAt: string | null;
  /** Scores of the qualifying evaluation, else of the last evaluation, else 0. */
  readonly fitScore: number;
  readonly intentScore: number;
  readonly score: number;
}

/**
 * The path a lead entered sales by: its first hand-off's, in stream order. A lead never handed
 * over, or handed over before paths were recorded, is on the marketing path.
 */
export function salesEntryPath(history: readonly LeadHistoryEvent[]): SalesEntryPath {
  const first = history.find(({ event }) => event.type === 'LeadHandedToSales')?.event;
  return first?.type === 'LeadHandedToSales' && first.data.path === 'sales_sourced'
    ? 'sales_sourced'
    : 'marketing';
}

export function classifyLead(
  definition: FunnelDefinition,
  history: readonly LeadHistoryEvent[],
): LeadClassification {
  return leadClassifier(definition)(history);
}

/**
 * classifyLead for one definition, prepared once for many leads (a replay classifies every lead
 * of the history under the same definition).
 *
 * It evaluates at the same events and returns the same numbers as scoring every event with
 * evaluateMql, but it only computes the intent (a decayed sum over every touchpoint so far) where
 * the lead could qualify: an evaluation whose required fields are missing, or whose score could
 * not reach the threshold even if every touchpoint still counted its full points
 * (MqlScorer.scoreCeiling), cannot qualify, and its scores are only reported when it is the last
 * one, which is then computed in full.
 */
export function leadClassifier(
  definition: FunnelDefinition,
): (history: readonly LeadHistoryEvent[]) => LeadClassification {
  const scorer = mqlScorer(definition);
  const { threshold } = definition.mql;
  return (history) => {
    let state = initialLeadState();
    let qualified: LeadClassification | null = null;
    // The last evaluation, computed in full only if nothing qualifies.
    let lastFacts: LeadFacts | null = null;
    let lastAt = '';
    let lastCounted: LeadFacts['touchpoints'][number] | undefined;
    // The touchpoints counted so far: the sum of their points (added in the facts' order) and
    // their times. The fold appends touchpoints; anything else counts them again from scratch.
    let pointsSum = 0;
    const times: number[] = [];
    // The fit of the last facts it was computed for: only a capture or a profile changes it.
    let fitFacts: LeadFacts | null = null;
    let fit = 0;
    for (const { event, occurredAt } of history) {
      state = evolveLead(state, event, occurredAt);
      if (state.status === 'erased' || state.status === 'merged') break;
      const { facts } = state;
      const { touchpoints } = facts;
      let counted = times.length;
      if (touchpoints.length < counted || touchpoints[counted - 1] !== lastCounted) {
        pointsSum = 0;
        counted = times.length = 0;
      }
      for (; counted < touchpoints.length; counted++) {
        const touchpoint = touchpoints[counted]!;
        pointsSum += scorer.points(touchpoint.kind);
        times.push(Date.parse(touchpoint.occurredAt));
      }
      lastCounted = touchpoints[counted - 1];
      lastFacts = facts;
      lastAt = occurredAt;
      if (!scorer.hasRequiredFields(facts)) continue;
      if (fitFacts === null || !scorer.sameFit(fitFacts, facts)) {
        fit = scorer.fit(facts);
        fitFacts = facts;
      }
      const ceiling = scorer.scoreCeiling(fit, pointsSum);
      if (ceiling !== null && !(ceiling >= threshold)) continue;
      const intent = scorer.intent(facts, times, Date.parse(occurredAt));
      const score = scorer.score(fit, intent);
      if (score >= threshold) {
        qualified = { mql: true, mqlAt: occurredAt, fitScore: fit, intentScore: intent, score };
        break;
      }
    }
    const result = qualified ?? lastEvaluation(scorer, lastFacts, times, lastAt);
    if (salesEntryPath(history) === 'sales_sourced') return { ...result, mql: false, mqlAt: null };
    return result;
  };
}

/** The scores of an evaluation that did not qualify (0 when nothing was evaluated). */
function lastEvaluation(
  scorer: MqlScorer,
  facts: LeadFacts | null,
  times: readonly number[],
  at: string,
): LeadClassification {
  if (facts === null) return { mql: false, mqlAt: null, fitScore: 0, intentScore: 0, score: 0 };
  const fit = scorer.fit(facts);
  const intent = scorer.intent(facts, times, Date.parse(at));
  return {
    mql: false,
    mqlAt: null,
    fitScore: fit,
    intentScore: intent,
    score: scorer.score(fit, intent),
  };
}
