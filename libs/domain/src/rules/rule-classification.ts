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
import { evaluateMql } from './scoring';

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
  let state = initialLeadState();
  let last: LeadClassification = {
    mql: false,
    mqlAt: null,
    fitScore: 0,
    intentScore: 0,
    score: 0,
  };
  for (const { event, occurredAt } of history) {
    state = evolveLead(state, event, occurredAt);
    if (state.status === 'erased' || state.status === 'merged') break;
    const evaluation = evaluateMql(definition, state.facts, occurredAt);
    last = {
      mql: evaluation.qualifies,
      mqlAt: evaluation.qualifies ? occurredAt : null,
      fitScore: evaluation.fitScore,
      intentScore: evaluation.intentScore,
      score: evaluation.score,
    };
    if (evaluation.qualifies) break;
  }
  if (salesEntryPath(history) === 'sales_sourced') return { ...last, mql: false, mqlAt: null };
  return last;
}
