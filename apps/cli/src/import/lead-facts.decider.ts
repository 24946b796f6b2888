/**
 * One lead's imported facts, decided like live commands: each fact's body is
 * validated by the same request schema the API applies, then the Lead decider
 * takes it under the active funnel definition with the fact's business time as
 * "now", and the state is evolved before the next fact. The outcome is every event
 * of the lead, or the first fact that cannot happen: a lead is imported whole or
 * not at all. Envelopes are built by the store library's `envelopesFor`, as the
 * API's are, with deterministic ids. Pure apart from hashing: no store, no clock.
 */
import { eventDataSchemas, type KnownEventType } from '@tandem/contracts';
import {
  type Actor,
  authorize,
  decideLead,
  DomainError,
  evolveLead,
  type FunnelDefinition,
  type LeadCommand,
  leadCommandsInLifecycleOrder,
  type LeadState,
} from '@tandem/domain';
import { envelopesFor, type EventToAppend } from '@tandem/event-store';
import type { ImportFact, RowRef } from './import-fact';
import { describe, parseImportCommand } from './import-commands';
import { importEventId } from './import-event-id';
import type { ExistingLead } from './existing-lead';

/** A lead's facts in the order they are decided: business time, then file order. */
export interface LeadFacts {
  readonly leadId: string;
  readonly facts: readonly ImportFact[];
}

export interface DecisionInput {
  readonly definition: FunnelDefinition;
  readonly actor: Actor;
  /** One per import run of a source: every event of the run carries it. */
  readonly correlationId: string;
}

/** Where the lead's stream stands before the import (initial for a new lead). */
export interface LeadStart {
  readonly state: LeadState;
  readonly accountId: string | null;
}

export type LeadDecision =
  | { readonly ok: true; readonly events: readonly EventToAppend[] }
  | { readonly ok: false; readonly where: RowRef; readonly reason: string };

/**
 * Facts of one instant in lifecycle order: a CRM export often stamps the capture and
 * the first touchpoint, or the hand-off and the acceptance, with the same time, and
 * the order of the rows must not decide (a re-export may list them the other way).
 */
const lifecycleRank: readonly string[] = leadCommandsInLifecycleOrder;
const rankOf = (type: string) => {
  const rank = lifecycleRank.indexOf(type);
  return rank < 0 ? lifecycleRank.length : rank;
};

/** Sorts a lead's facts by business time, then lifecycle order, then the order of the rows. */
export function inBusinessTimeOrder(facts: readonly ImportFact[]): ImportFact[] {
  return facts
    .map((fact, index) => ({
      fact,
      index,
      at: Date.parse(fact.occurredAt),
      rank: rankOf(fact.type),
    }))
    .sort((a, b) => a.at - b.at || a.rank - b.rank || a.index - b.index)
    .map(({ fact }) => fact);
}

/**
 * How many of the lead's facts, from the first, an earlier import stored already (the id of
 * each one's first event is in the stream): all of them is a lead imported before; fewer is
 * a later export that carries new facts after those, to be decided on top. A new fact dated
 * before an event the import stored past those facts refuses the lead: the file slots a fact
 * in among facts imported before (or changed one), so the ids from there on are not the ones
 * stored, and deciding them on top would record those facts twice.
 */
export function importedFacts(
  lead: LeadFacts,
  existing: Pick<ExistingLead, 'eventIds' | 'imported' | 'state'>,
): { readonly ok: true; readonly count: number } | Extract<LeadDecision, { ok: false }> {
  const idsOf = (fact: ImportFact, index: number, events: number) =>
    Array.from({ length: events }, (_, event) =>
      importEventId(lead.leadId, index, event, fact.type, Date.parse(fact.occurredAt)),
    );
  const count = lead.facts.findIndex(
    (fact, index) =>
      !existing.eventIds.has(idsOf(fact, index, 1)[0] ?? '') &&
      !isTouchpointHeld(fact, existing.state),
  );
  const next = lead.facts[count];
  if (next === undefined) return { ok: true, count: lead.facts.length };
  // The fact at this place, of this type, imported before at another time: its time was
  // corrected (a deal's close date). Deciding it on top would record it twice, or be refused for
  // a reason that hides what happened; said as what it is, and not applied.
  const movedFrom = existing.imported.find(
    ({ eventId, at }) => importEventId(lead.leadId, count, 0, next.type, at) === eventId,
  );
  if (movedFrom !== undefined) {
    return {
      ok: false,
      where: next.where,
      reason: `${next.type}: changed since imported: not applied: occurredAt was ${new Date(movedFrom.at).toISOString()}, the file gives ${next.occurredAt}; an import never moves a fact it stored`,
    };
  }
  if (count === 0) return { ok: true, count }; // new facts on a lead that exists: decided on top
  const prefix = new Set(
    lead.facts.slice(0, count).flatMap((fact, index) => idsOf(fact, index, MAX_EVENTS_PER_FACT)),
  );
  const nextAt = Date.parse(next.occurredAt);
  const after = existing.imported.some(({ eventId, at }) => at >= nextAt && !prefix.has(eventId));
  if (!after) return { ok: true, count };
  return {
    ok: false,
    where: next.where,
    reason: `${next.type}: the lead was imported before without this fact but with later ones; an import adds facts after those it imported, never among them`,
  };
}

/**
 * A touchpoint whose id the lead already holds records nothing (the Lead decider answers a
 * repeated touchpoint id as a retry, live or imported), so it has no event of its own in the
 * stream: it is stored as far as a re-run is concerned, as the touch it repeats is. A touch of
 * a lead merged into this one (DuplicateMergedIn, ADR 0016) is held here as well.
 */
function isTouchpointHeld(fact: ImportFact, state: LeadState): boolean {
  const id = fact.type === 'RecordTouchpoint' ? fact.data['touchpointId'] : undefined;
  const held = (touch: { readonly touchpointId: string }) => touch.touchpointId === id;
  return (
    typeof id === 'string' &&
    id !== '' &&
    (state.facts.touchpoints.some(held) || state.mergedTouchpoints.some(held))
  );
}

/** More events than any one lead command decides (a fact's event ids are numbered from 0). */
const MAX_EVENTS_PER_FACT = 8;

/**
 * Decides the lead's facts from `from` on (the ones before it stored already, importedFacts),
 * each with the ids it has in a whole import of the file, so a later re-run recognises them.
 */
export function decideLeadFacts(
  lead: LeadFacts,
  start: LeadStart,
  input: DecisionInput,
  from = 0,
): LeadDecision {
  let at = start;
  const events: EventToAppend[] = [];
  for (const [factIndex, fact] of lead.facts.entries()) {
    if (factIndex < from) continue;
    const twice = capturedEarlierInFile(lead, factIndex);
    if (twice !== null) return twice;
    const decided = decideLeadFact(lead.leadId, factIndex, fact, at, input);
    if (!decided.ok) return decided;
    at = decided.after;
    events.push(...decided.events);
  }
  return { ok: true, events };
}

/**
 * A second capture of one lead in the file (two exports concatenated, a contact listed twice):
 * the decider's "was already captured; nothing was recorded again", the API's answer to a
 * retried capture, read as if the row were skipped, while the whole lead is refused. Said as
 * what it is, naming the first capture's row.
 */
function capturedEarlierInFile(
  lead: LeadFacts,
  factIndex: number,
): Extract<LeadDecision, { ok: false }> | null {
  const fact = lead.facts[factIndex];
  if (fact?.type !== 'CaptureLead') return null;
  const first = lead.facts.slice(0, factIndex).find((earlier) => earlier.type === 'CaptureLead');
  if (first === undefined) return null;
  return {
    ok: false,
    where: fact.where,
    reason: `CaptureLead: the file captures lead ${lead.leadId} twice (first at ${first.where.file}:${first.where.line}): a lead is captured once; keep one of the two rows`,
  };
}

export type FactDecision =
  | { readonly ok: true; readonly events: readonly EventToAppend[]; readonly after: LeadStart }
  | Extract<LeadDecision, { ok: false }>;

/**
 * One fact of a lead, the `factIndex`-th of its business-time order, decided on where the lead
 * stands: its events (with the ids a whole import gives them) and where the lead stands after.
 */
export function decideLeadFact(
  leadId: string,
  factIndex: number,
  fact: ImportFact,
  start: LeadStart,
  input: DecisionInput,
): FactDecision {
  let state = start.state;
  let accountId = start.accountId;
  const parsed = parseImportCommand(fact.type, fact.data);
  if (!parsed.ok) return { ok: false, where: fact.where, reason: parsed.reason };
  const occurredAtMs = Date.parse(fact.occurredAt);
  const now = new Date(occurredAtMs).toISOString();
  const idOf = (eventIndex: number) =>
    importEventId(leadId, factIndex, eventIndex, fact.type, occurredAtMs);
  const command = withDeterministicIds(parsed.command, idOf(0));
  let decided;
  try {
    // The import's actor is held to the same permissions as a caller of the API.
    authorize(input.actor.role, command.type);
    decided = decideLead(command, state, { leadId, definition: input.definition, now });
  } catch (error) {
    if (error instanceof DomainError) {
      return { ok: false, where: fact.where, reason: `${fact.type}: ${error.message}` };
    }
    throw error;
  }
  if (command.type === 'CaptureLead') accountId = accountId ?? fact.accountId;
  for (const event of decided) {
    // The one event schema the projector decodes with: nothing it would skip is stored.
    const valid = eventDataSchemas[event.type as KnownEventType].safeParse(event.data);
    if (!valid.success) {
      return {
        ok: false,
        where: fact.where,
        reason: `${fact.type}: ${event.type} would be invalid: ${describe(valid.error)}`,
      };
    }
    state = evolveLead(state, event, now);
  }
  let eventIndex = 0;
  const context = {
    leadId,
    accountId,
    occurredAt: now,
    correlationId: input.correlationId,
    causationId: null,
    actor: input.actor,
  };
  const events = envelopesFor(decided, context, () => idOf(eventIndex++));
  return { ok: true, events, after: { state, accountId } };
}

/**
 * The API mints touchpoint and opportunity ids a client leaves out; an import
 * derives them from the fact's own event id so a re-run produces the same events.
 */
function withDeterministicIds(command: LeadCommand, factEventId: string): LeadCommand {
  if (command.type === 'RecordTouchpoint' && command.data.touchpointId === '') {
    return { ...command, data: { ...command.data, touchpointId: factEventId } };
  }
  if (command.type === 'OpenOpportunity' && command.data.opportunityId === '') {
    return { ...command, data: { ...command.data, opportunityId: factEventId } };
  }
  return command;
}
