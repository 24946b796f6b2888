/**
 * The deciding half of an import: walks the plan's leads from where a run resumes and cuts
 * them into blocks of about `blockEvents` events, each lead decided as a new stream. The
 * writing half (import-runner.ts) appends a block while the next is decided — in the same
 * thread, or with this generator on a worker thread (import-decider.thread.ts). Pure: no
 * store, no clock; whole leads only, in plan order, so "N leads done" means the same leads
 * on every run. Merges are judged across leads first (import-merges.ts).
 * A merge writes a fact on its survivor in the same atomic step (ADR 0016): the leads the file
 * links by merges are decided and written together (`writtenAt`), at the latest place among
 * them, in its block. The place is a function of the plan alone, so a resumed run writes such
 * leads in the same place: a checkpoint "N leads done" covers every lead written at a place
 * below N.
 * A resumed run starts with what the done places refused or sent to the store's judgement
 * (`recheck` blocks): the run that wrote them may have been killed before its report, and a
 * report that left their refusals out would say every row was imported. Every done lead is
 * looked at again only when which ones must be is recorded nowhere (DoneLeads): the store refused
 * leads (a lead captured live, erased) or named facts changed since imported, and the checkpoint
 * counts them without naming them (an older build's); or the rows the
 * file refuses below the checkpoint are not the rows the runs that wrote it refused (a time then
 * ahead of the clock is not any more; a newer build reads a row, or a row naming no lead, as a
 * lead's). A file that refuses the same rows as before (a bad email is bad on every run) has its
 * refusals named from the plan, and its done leads are not read again, but for those the store
 * refused, each remembered by its key.
 */
import { createHash } from 'node:crypto';
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
  /**
   * On the last `recheck` block of a run that reads every done lead because the file's
   * refusals there are not those recorded: what to add to the recorded digest (modulo 2^62) for
   * it to hold the file's refusals now. Added once every done lead is read, so the next run of
   * the file reads none again (left stale, every later run read them all).
   */
  readonly fileRefusalsCorrection?: bigint;
}

/** What the runs that wrote a checkpoint recorded of the leads it counts done. */
export interface DoneLeads {
  /**
   * The keys (storeRefusalKey) of the leads the store refused (captured live before, erased
   * since) or found holding facts the file gave otherwise: each is read again, to name it, or
   * append what the store takes now. Null when which ones is recorded nowhere (a checkpoint of
   * an older build counted them only): every done lead is read again.
   */
  readonly storeRefused: readonly bigint[] | null;
  /**
   * The refusalsDigest of the rows the file refused at the done places, as those runs saved it
   * (rows naming no lead taken out). Another digest now: some refusal does not stand as it did.
   */
  readonly fileRefusals: bigint;
}

export const NOTHING_DONE: DoneLeads = { storeRefused: [], fileRefusals: 0n };

/** Digests are sums of row hashes modulo 2^62: a checkpoint's bigint holds one, in any order. */
const DIGEST_MODULUS = 1n << 62n;

/**
 * An order-free digest of refused rows (file, line, lead, reason), so runs that write blocks
 * one after another, or two at once, add up theirs and a resumed run can tell whether the file
 * still refuses exactly the rows it refused below the checkpoint. The reason is in it: a time
 * ahead of the clock names the clock, so such a refusal never matches a later run's.
 */
export function refusalsDigest(rows: readonly RefusedRow[]): bigint {
  let sum = 0n;
  for (const { file, line, leadId, reason } of rows) {
    const hash = createHash('sha256')
      .update(JSON.stringify([file, line, leadId, reason]))
      .digest();
    sum += hash.readBigUInt64BE(0) % DIGEST_MODULUS;
  }
  return sum % DIGEST_MODULUS;
}

/**
 * What a checkpoint remembers of a lead the store refused: 62 bits of the sha256 of its id, so
 * a re-run reads that lead again, and not every done lead to find it. Two leads of one file
 * sharing a key only cost a lead read.
 */
export function storeRefusalKey(leadId: string): bigint {
  return createHash('sha256').update(leadId).digest().readBigUInt64BE(0) % DIGEST_MODULUS;
}

/** `a + b` (or `a - b`, with `b` negated) of two digests, modulo 2^62. */
export const addDigests = (a: bigint, b: bigint): bigint =>
  (((a + b) % DIGEST_MODULUS) + DIGEST_MODULUS) % DIGEST_MODULUS;

/**
 * The place in the plan at which each lead is written, in the order to write them there. Leads
 * the file links by merges (a lead and the survivor the file captures for it, transitively) are
 * written together, at the latest place among them: the writer decides and appends them as one
 * group (merge-group.decider.ts), and a survivor must never be written before the leads merged
 * into it, nor after them. Leads written at one place: survivors first (a chain from its end),
 * then plan order.
 */
export function writtenAt(
  leads: readonly PlannedLead[],
  merges: Pick<MergeJudgement, 'survivorsInStore'>,
): Map<number, number[]> {
  const indexOf = new Map(leads.map((lead, index) => [lead.leadId, index]));
  const survivorOf = (index: number): number | undefined => {
    const lead = leads[index] as PlannedLead;
    for (const survivor of merges.survivorsInStore.get(lead.leadId) ?? []) {
      const at = survivor.capturedByFile ? indexOf.get(survivor.intoLeadId) : undefined;
      if (at !== undefined && at !== index) return at;
    }
    return undefined;
  };
  // Each group's root (the lead its chain ends at) and each lead's depth below it.
  const root = new Map<number, { root: number; depth: number }>();
  const rootOf = (index: number): { root: number; depth: number } => {
    const seen: number[] = [];
    let at = index;
    let next = survivorOf(at);
    // Judged merges never close a cycle; the guard only keeps a bad judgement from looping.
    while (next !== undefined && !root.has(at) && !seen.includes(next) && next !== index) {
      seen.push(at);
      at = next;
      next = survivorOf(at);
    }
    const known = root.get(at);
    const end = known ?? { root: at, depth: -1 };
    if (known === undefined) seen.push(at);
    for (const [steps, member] of seen.reverse().entries()) {
      if (!root.has(member)) root.set(member, { root: end.root, depth: end.depth + 1 + steps });
    }
    return root.get(index) as { root: number; depth: number };
  };
  const latest = new Map<number, number>();
  for (let index = 0; index < leads.length; index++) {
    const { root: of } = rootOf(index);
    latest.set(of, Math.max(latest.get(of) ?? 0, index));
  }
  const byPlace = new Map<number, { index: number; depth: number }[]>();
  for (let index = 0; index < leads.length; index++) {
    const { root: of, depth } = rootOf(index);
    const at = latest.get(of) as number;
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
  done: DoneLeads = NOTHING_DONE,
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
    // The file's refusals at the done places, against those the writing runs recorded: found
    // from the plan alone, no lead decided.
    const doneRefusals: RefusedRow[] = [];
    for (let index = 0; index < Math.min(from, leads.length); index++) {
      for (const leadIndex of places.get(index) ?? []) {
        const lead = leads[leadIndex] as PlannedLead;
        const refusal = lead.refusal ?? merges.refusals.get(lead.leadId) ?? null;
        if (refusal !== null) doneRefusals.push(refusal);
      }
    }
    const doneDigest = refusalsDigest(doneRefusals);
    const stale = doneDigest !== done.fileRefusals;
    const recheckAll = done.storeRefused === null || stale;
    const storeRefused = new Set(done.storeRefused ?? []);
    // With `recheckAll`, every done lead; in blocks, for the done part may be most of a file.
    let careful: DecidedLead[] = [];
    let refused: RefusedRow[] = [];
    let size = 0;
    for (let index = 0; index < Math.min(from, leads.length); index++) {
      for (const item of at(index)) {
        if (isRefusal(item)) refused.push(item);
        else if (
          recheckAll ||
          !item.fresh.ok ||
          item.survivorsInStore.length > 0 ||
          storeRefused.has(storeRefusalKey(item.leadId))
        ) {
          careful.push(item);
          size += item.fresh.ok ? item.fresh.events.length : item.facts().facts.length;
        }
      }
      if (size >= blockEvents) {
        yield { leadsDone: from, recheck: true, leads: careful, refused };
        careful = [];
        refused = [];
        size = 0;
      }
    }
    // A stale digest is corrected with the last of them, empty or not.
    if (careful.length > 0 || refused.length > 0 || stale) {
      const correction = stale
        ? { fileRefusalsCorrection: addDigests(doneDigest, -done.fileRefusals) }
        : {};
      yield { leadsDone: from, recheck: true, leads: careful, refused, ...correction };
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
