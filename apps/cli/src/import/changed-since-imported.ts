/**
 * What a file says otherwise about facts an earlier import stored. An imported event's id
 * derives from the lead, the fact's place in the lead's order, its type and its business time,
 * never its content (import-event-id.ts), so a later export that corrects a fact (a won deal's
 * amount, a touch's campaign) derives the ids the store holds, and the lead read as imported
 * already: the correction was dropped without a word, and the views kept disagreeing with the
 * CRM. Each held fact is decided again on the lead's history as it stood before the fact's
 * events, and what it records now is compared, field by field, with what the store holds.
 *
 * Not compared: what the rules in force derive rather than the file says (the MQL decision's
 * scores, a hand-off's SLA due time, the rules version), which a rules change may move; a fact
 * the rules no longer take (the file's word on it is not what differs); a personal value the
 * store cannot show (shredded by an erasure, or sealed without the key to open it).
 * The comparison sees personal values opened; only field names ever leave it, never values, so
 * nothing personal reaches a report or a log. Pure: no store, no clock.
 */
import type { LeadEnvelope } from '@tandem/contracts';
import {
  ERASED_VALUE,
  evolveLead,
  initialLeadState,
  isPlainObject,
  isSealedValue,
  WITHHELD_VALUE,
} from '@tandem/domain';
import type { RowRef } from './import-fact';
import { importEventId } from './import-event-id';
import { type DecisionInput, decideLeadFact, type LeadFacts } from './lead-facts.decider';

/** A held fact the file gives otherwise than the store holds it. */
export interface ChangedFact {
  readonly where: RowRef;
  /** The fact's type: `WinDeal`. */
  readonly type: string;
  /** The fields that differ, dotted, as its events name them: `amount`, `company.name`. */
  readonly fields: readonly string[];
}

/** Fields the rules in force derive, per event type: not the file's word. */
const RULE_DERIVED: Readonly<Record<string, readonly string[]>> = {
  LeadQualifiedAsMql: ['rulesVersion', 'fitScore', 'intentScore', 'score', 'threshold', 'reasons'],
  LeadHandedToSales: ['rulesVersion', 'slaDueAt'],
  LeadQualifiedAsSql: ['rulesVersion'],
};

/**
 * The first `held` facts of `lead` (importedFacts: the store holds each one's first event) that
 * the file gives otherwise. `stored`: the lead's events in stream order, personal values opened.
 */
export function changedSinceImported(
  lead: LeadFacts,
  held: number,
  stored: readonly LeadEnvelope[],
  decision: DecisionInput,
): ChangedFact[] {
  const at = new Map(stored.map((event, index) => [event.eventId, index]));
  const facts = lead.facts
    .slice(0, held)
    .map((fact, index) => ({
      fact,
      index,
      first: at.get(importEventId(lead.leadId, index, 0, fact.type, Date.parse(fact.occurredAt))),
    }))
    // A touch held as another event's (a live one, a merged lead's) has no event of its own.
    .flatMap(({ first, ...rest }) => (first === undefined ? [] : [{ ...rest, first }]))
    .sort((a, b) => a.first - b.first);
  const changed: ChangedFact[] = [];
  let state = initialLeadState();
  let accountId: string | null = null;
  let folded = 0;
  for (const { fact, index, first } of facts) {
    // The lead as it stood when the fact was decided: every event before its first.
    for (; folded < first; folded++) {
      const event = stored[folded] as LeadEnvelope;
      state = evolveLead(state, event, event.occurredAt);
      accountId = accountId ?? event.accountId;
    }
    const decided = decideLeadFact(lead.leadId, index, fact, { state, accountId }, decision);
    if (!decided.ok) continue;
    const fields = new Set<string>();
    for (const event of decided.events) {
      const was = stored[at.get(event.eventId) ?? -1];
      if (was?.type !== event.type) {
        fields.add(`(records ${event.type})`);
        continue;
      }
      // The account (ABM) a capture names is the envelope's, not the data's.
      if ((event.metadata.accountId ?? null) !== was.accountId) fields.add('accountId');
      const derived = RULE_DERIVED[event.type] ?? [];
      differingFields(event.data, was.data, '', derived, fields);
    }
    if (fields.size > 0) changed.push({ where: fact.where, type: fact.type, fields: [...fields] });
  }
  return changed;
}

/** Adds to `out` the dotted path of every field where `now` and `was` differ. */
function differingFields(
  now: unknown,
  was: unknown,
  path: string,
  skip: readonly string[],
  out: Set<string>,
): void {
  // What the store cannot show is not known to differ.
  if (isSealedValue(was) || was === ERASED_VALUE || was === WITHHELD_VALUE) return;
  if (isPlainObject(now) && isPlainObject(was)) {
    for (const key of new Set([...Object.keys(now), ...Object.keys(was)])) {
      if (path === '' && skip.includes(key)) continue;
      differingFields(now[key], was[key], path === '' ? key : `${path}.${key}`, [], out);
    }
    return;
  }
  // Absent and null say the same (an optional field the store keeps as null).
  if (JSON.stringify(now ?? null) !== JSON.stringify(was ?? null)) out.add(path);
}
