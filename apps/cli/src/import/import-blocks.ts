/**
 * The deciding half of an import: walks the plan's leads from where a run resumes and cuts
 * them into blocks of about `blockEvents` events, each lead decided as a new stream. The
 * writing half (import-runner.ts) appends a block while the next is decided — in the same
 * thread, or with this generator on a worker thread (import-decider.thread.ts). Pure: no
 * store, no clock; whole leads only, in plan order, so "N leads done" means the same leads
 * on every run. Merges are judged across leads first (import-merges.ts).
 * A merge writes a fact on its survivor in the same atomic step (ADR 0016), so the survivor
 * must be in the store first: a lead merging into one the file captures at a later place in
 * the plan is decided and written right after that survivor (`writtenAt`), in its block. The
 * place is a function of the plan alone, so a resumed run writes such a lead in the same place:
 * a checkpoint "N leads done" covers every lead written at a place below N.
 * A resumed run starts with one block of what the done places refused or sent to the store's
 * judgement (`recheck`): the run that wrote them may have been killed before its report, and
 * a report that left their refusals out would say every row was imported.
 */
import { initialLeadState } from '@tandem/domain';
import type { PlannedLead, RefusedRow } from './import-plan';
import { judgeMerges, type MergeJudgement, type SurvivorInStore } from './import-merges';
import { type DecisionInput, decideLeadFacts, type LeadDecision } from './lead-facts.decider';

/** A lead decided as if its stream were new; its facts stay at hand for the careful path. */
export interface DecidedLead {
  readonly leadId: string;
  /** Its events on a new stream, or the fact that cannot stand on one (it may exist already). */
  readonly fresh: LeadDecision;
  /** Survivors of its merges that the file does not capture: the writer checks the store. */
  readonly survivorsInStore: readonly SurvivorInStore[];
  /** The lead's facts, to decide again on top of a stream that exists already (rare). */
  facts(): PlannedLead;
}

export interface DecidedBlock {
  /** Leads of the plan handled once this block is written: the checkpoint to save. */
  readonly leadsDone: number;
  /**
   * Places a checkpoint already counts, looked at again for the report: its refused rows, and
   * its leads that took the careful path (judged on the store; appended only if that run
   * refused them and the store now takes them). Nothing else of them is written again.
   */
  readonly recheck: boolean;
  readonly leads: readonly DecidedLead[];
  /** Rows of leads refused whole before deciding (a bad row names them). */
  readonly refused: readonly RefusedRow[];
}

/**
 * The place in the plan at which each lead is written, in the order to write them there: its
 * own, or — for a lead merging into a survivor the file captures later in the plan — right
 * after that survivor's (a chain follows the chain). Leads written at one place: survivors
 * first, then plan order.
 */
export function writtenAt(
  leads: readonly PlannedLead[],
  merges: Pick<MergeJudgement, 'survivorsInStore'>,
): Map<number, number[]> {
  const indexOf = new Map(leads.map((lead, index) => [lead.leadId, index]));
  const place = new Map<number, { at: number; depth: number }>();
  const placeOf = (index: number, seen: Set<number>): { at: number; depth: number } => {
    const known = place.get(index);
    if (known !== undefined) return known;
    const found = { at: index, depth: 0 };
    const lead = leads[index] as PlannedLead;
    for (const survivor of merges.survivorsInStore.get(lead.leadId) ?? []) {
      const at = survivor.capturedByFile ? indexOf.get(survivor.intoLeadId) : undefined;
      // Judged merges never close a cycle; the guard only keeps a bad judgement from looping.
      if (at === undefined || at === index || seen.has(at)) continue;
      const of = placeOf(at, new Set([...seen, index]));
      if (of.at > found.at) Object.assign(found, { at: of.at, depth: of.depth + 1 });
      else if (of.at === found.at) found.depth = Math.max(found.depth, of.depth + 1);
    }
    place.set(index, found);
    return found;
  };
  const byPlace = new Map<number, { index: number; depth: number }[]>();
  for (let index = 0; index < leads.length; index++) {
    const { at, depth } = placeOf(index, new Set());
    const here = byPlace.get(at);
    if (here === undefined) byPlace.set(at, [{ index, depth }]);
    else here.push({ index, depth });
  }
  return new Map(
    [...byPlace].map(([at, entries]) => [
      at,
      entries.sort((a, b) => a.depth - b.depth || a.index - b.index).map(({ index }) => index),
    ]),
  );
}

export function* decideBlocks(
  leads: readonly PlannedLead[],
  from: number,
  decision: DecisionInput,
  blockEvents: number,
): Generator<DecidedBlock> {
  const fresh = { state: initialLeadState(), accountId: null };
  // Over the whole plan, not from `from`: a resumed run judges merges as a whole one does.
  const merges = judgeMerges(leads, decision);
  const places = writtenAt(leads, merges);
  /** The leads written at a place: refused by the file, or decided as new streams. */
  function* at(place: number): Generator<RefusedRow | DecidedLead> {
    for (const index of places.get(place) ?? []) {
      const lead = leads[index] as PlannedLead;
      const refusal = lead.refusal ?? merges.refusals.get(lead.leadId) ?? null;
      if (refusal !== null) {
        yield refusal;
        continue;
      }
      yield {
        leadId: lead.leadId,
        fresh: decideLeadFacts(lead, fresh, decision),
        survivorsInStore: merges.survivorsInStore.get(lead.leadId) ?? [],
        facts: () => lead,
      };
    }
  }
  const isRefusal = (item: RefusedRow | DecidedLead): item is RefusedRow => 'reason' in item;

  if (from > 0) {
    const careful: DecidedLead[] = [];
    const refused: RefusedRow[] = [];
    for (let index = 0; index < Math.min(from, leads.length); index++) {
      for (const item of at(index)) {
        if (isRefusal(item)) refused.push(item);
        else if (!item.fresh.ok || item.survivorsInStore.length > 0) careful.push(item);
      }
    }
    if (careful.length > 0 || refused.length > 0) {
      yield { leadsDone: from, recheck: true, leads: careful, refused };
    }
  }

  let block: DecidedLead[] = [];
  let refused: RefusedRow[] = [];
  let size = 0;
  for (let index = from; index < leads.length; index++) {
    for (const item of at(index)) {
      if (isRefusal(item)) {
        refused.push(item);
        continue;
      }
      block.push(item);
      size += item.fresh.ok ? item.fresh.events.length : item.facts().facts.length;
    }
    if (size >= blockEvents || index === leads.length - 1) {
      yield { leadsDone: index + 1, recheck: false, leads: block, refused };
      block = [];
      refused = [];
      size = 0;
    }
  }
}
