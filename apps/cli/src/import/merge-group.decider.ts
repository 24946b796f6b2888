/**
 * The leads a file links by merges, decided together as the API would have taken their facts:
 * one business-time sequence across them, where a merge records the merged lead's touches on
 * its survivor (DuplicateMergedIn, ADR 0016) at the merge's place in the survivor's stream. So
 * the survivor's later facts are decided on them (a touch sent again under a merged lead's id
 * records nothing), and a survivor merged on in turn hands them down the chain (a→b, then b→c:
 * c holds a's touches too). Deciding each lead alone, and adding the survivor's fact after its
 * stream was written, put the fact after the survivor's own merge and lost it down the chain.
 *
 * The writer appends the group in one atomic write (import-runner.ts), so its leads stand or
 * fall together, as each lead does alone. Pure apart from hashing: no store, no clock. It must
 * never decide a merge into a lead outside the group: the writer checks those on the store.
 */
import {
  duplicateMergedIn,
  evolveLead,
  initialLeadState,
  type LeadState,
  leadCommandsInLifecycleOrder,
  mergeSurvivorRefusal,
} from '@tandem/domain';
import { envelopesFor, type EventToAppend, type WriteContext } from '@tandem/event-store';
import type { ImportFact } from './import-fact';
import { importEventId } from './import-event-id';
import {
  type DecisionInput,
  decideLeadFact,
  type LeadDecision,
  type LeadFacts,
  type LeadStart,
} from './lead-facts.decider';

/**
 * The survivor's record of a merge, its envelope beside the merge's (`merge`, the LeadMerged
 * envelope): the merged lead's touches as `merged` holds them, its own and those merged into it.
 * Its id derives from the merge's, so a re-run derives the same event.
 */
export function mergedInEnvelope(
  merge: EventToAppend,
  merged: LeadState,
  survivorAccountId: string | null,
): EventToAppend {
  const { leadId: mergedLeadId, ...context } = merge.metadata as unknown as WriteContext;
  const intoLeadId = String(merge.data.intoLeadId);
  const at = Date.parse(String(context.occurredAt));
  const [fact] = envelopesFor(
    [duplicateMergedIn(String(mergedLeadId), merged)],
    { ...context, leadId: intoLeadId, accountId: survivorAccountId },
    () => importEventId(merge.eventId, 0, 0, 'DuplicateMergedIn', at),
  );
  return fact as EventToAppend;
}

export type GroupDecision =
  | {
      readonly ok: true;
      /** Each lead's events, in the group's order of leads. */
      readonly streams: readonly { readonly leadId: string; events: readonly EventToAppend[] }[];
    }
  | Extract<LeadDecision, { ok: false }>;

const rankOf = (type: string) => {
  const rank = (leadCommandsInLifecycleOrder as readonly string[]).indexOf(type);
  return rank < 0 ? leadCommandsInLifecycleOrder.length : rank;
};

/** Whether fact `a` comes before `b` in the group's sequence: time, lifecycle, file and line. */
const comesBefore = (a: ImportFact, b: ImportFact): boolean => {
  const at = Date.parse(a.occurredAt) - Date.parse(b.occurredAt);
  if (at !== 0) return at < 0;
  const rank = rankOf(a.type) - rankOf(b.type);
  if (rank !== 0) return rank < 0;
  return a.where.file === b.where.file ? a.where.line < b.where.line : a.where.file < b.where.file;
};

export function decideMergeGroup(leads: readonly LeadFacts[], input: DecisionInput): GroupDecision {
  const lanes = leads.map(
    (lead): { lead: LeadFacts; next: number; at: LeadStart; events: EventToAppend[] } => ({
      lead,
      next: 0,
      at: { state: initialLeadState(), accountId: null },
      events: [],
    }),
  );
  const byId = new Map(lanes.map((lane) => [lane.lead.leadId, lane]));
  for (;;) {
    // Each lead's facts keep their own order; across leads, the earliest head goes next.
    let lane: (typeof lanes)[number] | undefined;
    for (const candidate of lanes) {
      const head = candidate.lead.facts[candidate.next];
      const best = lane?.lead.facts[lane.next];
      if (head !== undefined && (best === undefined || comesBefore(head, best))) lane = candidate;
    }
    if (lane === undefined) break;
    const fact = lane.lead.facts[lane.next] as ImportFact;
    const decided = decideLeadFact(lane.lead.leadId, lane.next, fact, lane.at, input);
    if (!decided.ok) return decided;
    lane.next += 1;
    lane.at = decided.after;
    lane.events.push(...decided.events);
    const merge = decided.events.find((event) => event.type === 'LeadMerged');
    const survivor = merge === undefined ? undefined : byId.get(String(merge.data.intoLeadId));
    if (merge === undefined || survivor === undefined) continue;
    // judgeMerges refused these already; a survivor not captured yet is its reason too.
    const refusal =
      survivor.at.state.status === 'initial'
        ? `lead ${survivor.lead.leadId} does not exist at ${fact.occurredAt}`
        : mergeSurvivorRefusal(survivor.lead.leadId, survivor.at.state.status);
    if (refusal !== null) return { ok: false, where: fact.where, reason: `MergeLead: ${refusal}` };
    const mergedIn = mergedInEnvelope(merge, lane.at.state, survivor.at.accountId);
    survivor.events.push(mergedIn);
    survivor.at = {
      ...survivor.at,
      state: evolveLead(
        survivor.at.state,
        { type: 'DuplicateMergedIn', data: mergedIn.data } as Parameters<typeof evolveLead>[1],
        String(mergedIn.metadata.occurredAt),
      ),
    };
  }
  return {
    ok: true,
    streams: lanes.map(({ lead, events }) => ({ leadId: lead.leadId, events })),
  };
}
