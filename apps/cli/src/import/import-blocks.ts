/**
 * The deciding half of an import: walks the plan's leads from where a run resumes and cuts
 * them into blocks of about `blockEvents` events, each lead decided as a new stream. The
 * writing half (import-runner.ts) appends a block while the next is decided — in the same
 * thread, or with this generator on a worker thread (import-decider.thread.ts). Pure: no
 * store, no clock; whole leads only, in plan order, so "N leads done" means the same leads
 * on every run. Merges are judged across leads first (import-merges.ts).
 */
import { initialLeadState } from '@tandem/domain';
import type { PlannedLead, RefusedRow } from './import-plan';
import { judgeMerges, type SurvivorInStore } from './import-merges';
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
  readonly leads: readonly DecidedLead[];
  /** Rows of leads refused whole before deciding (a bad row names them). */
  readonly refused: readonly RefusedRow[];
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
  let block: DecidedLead[] = [];
  let refused: RefusedRow[] = [];
  let size = 0;
  for (let index = from; index < leads.length; index++) {
    const lead = leads[index] as PlannedLead;
    const refusal = lead.refusal ?? merges.refusals.get(lead.leadId) ?? null;
    if (refusal !== null) {
      refused.push(refusal);
    } else {
      const decided = decideLeadFacts(lead, fresh, decision);
      block.push({
        leadId: lead.leadId,
        fresh: decided,
        survivorsInStore: merges.survivorsInStore.get(lead.leadId) ?? [],
        facts: () => lead,
      });
      size += decided.ok ? decided.events.length : lead.facts.length;
    }
    if (size >= blockEvents || index === leads.length - 1) {
      yield { leadsDone: index + 1, leads: block, refused };
      block = [];
      refused = [];
      size = 0;
    }
  }
}
