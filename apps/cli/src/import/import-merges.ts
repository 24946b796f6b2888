/**
 * The import's one cross-lead check: a merge must name a live survivor, as the API demands
 * (execute-lead-command.handler.ts: unknown survivor 404, merged away or erased 422). Every
 * other fact is decided within its own lead; a merge alone reads another lead, which the
 * file may hold in a later block, or another thread may decide.
 *
 * So the file's merges are judged here, over the whole plan and before any block is cut:
 * in business-time order (then file and line), a merge into a lead the file captures
 * earlier and has not merged away stands (unless the store holds that lead erased, which the
 * writer checks); one into a lead the file merged away before, or
 * captures only later, refuses its lead whole like any bad row. A survivor the file does not
 * capture (or refuses) must stand in the store: the writer checks that before it appends
 * (`checkSurvivorsInStore`), and appends the merge with its survivor's fact (ADR 0016) only
 * while each survivor's stream is still at the revision it checked (ADR 0015), so a live merge
 * or erasure racing the import cannot slip in between. A survivor the file captures is written
 * before the lead that merges into it (import-blocks.ts), so it is checked the same way. Refusing a lead undoes its own merge and its capture, so the walk is
 * repeated until no merge changes; a cycle a→b, b→a thus refuses b (b's survivor was merged
 * away) and then a (its survivor b is no longer imported).
 * The judgement depends on the whole file only, never on where a run resumed: a resumed
 * import refuses exactly what an uninterrupted one does. Pure apart from the store check.
 * It must never append anything or decide a fact of its own lead.
 */
import { initialLeadState, leadStreamId, mergeSurvivorRefusal } from '@tandem/domain';
import type { EventStore, StreamCondition } from '@tandem/event-store';
import { readExistingLead } from './existing-lead';
import type { ImportFact, RowRef } from './import-fact';
import { parseImportCommand } from './import-commands';
import type { PlannedLead, RefusedRow } from './import-plan';
import { type DecisionInput, decideLeadFacts } from './lead-facts.decider';

/**
 * A merge's survivor as the store must vouch for it: one the file does not capture must be
 * there, live; one the file captures may be absent still (a later block writes it), but one
 * the store holds erased — an ops decision taken live since an earlier import — takes no merge.
 */
export interface SurvivorInStore {
  readonly intoLeadId: string;
  /** The merge's row. */
  readonly where: RowRef;
  /** The survivor's own refused row, when the file names it but refuses it. */
  readonly refusedInFile: RowRef | null;
  /** The file captures the survivor (and judged it live at the merge's time). */
  readonly capturedByFile: boolean;
}

export interface MergeJudgement {
  /** Leads refused for a merge the API would refuse: the merge's row and the reason. */
  readonly refusals: ReadonlyMap<string, RefusedRow>;
  /** Leads whose merges name survivors that only the store can vouch for. */
  readonly survivorsInStore: ReadonlyMap<string, readonly SurvivorInStore[]>;
}

interface Merge {
  readonly leadId: string;
  readonly intoLeadId: string;
  readonly fact: ImportFact;
  readonly at: number;
}

const isBefore = (a: RowRef, b: RowRef): number =>
  a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1;

/** The file's merges in business-time order, then by file and line. */
function mergesOf(leads: readonly PlannedLead[]): Merge[] {
  const merges: Merge[] = [];
  for (const lead of leads) {
    for (const fact of lead.facts) {
      if (fact.type !== 'MergeLead') continue;
      const parsed = parseImportCommand(fact.type, fact.data);
      // A body that does not parse is refused by the decider, naming its row.
      if (!parsed.ok || parsed.command.type !== 'MergeLead') continue;
      const intoLeadId = parsed.command.data.intoLeadId;
      if (intoLeadId === lead.leadId) continue; // the decider's: "merged into itself"
      merges.push({ leadId: lead.leadId, intoLeadId, fact, at: Date.parse(fact.occurredAt) });
    }
  }
  return merges.sort((a, b) => a.at - b.at || isBefore(a.fact.where, b.fact.where));
}

export function judgeMerges(
  leads: readonly PlannedLead[],
  decision: DecisionInput,
): MergeJudgement {
  const merges = mergesOf(leads);
  const refusals = new Map<string, RefusedRow>();
  if (merges.length === 0) return { refusals, survivorsInStore: new Map() };
  const byId = new Map(leads.map((lead) => [lead.leadId, lead]));
  // Whether a survivor's own facts stand as a new lead (decided once; survivors are few).
  const standsAlone = new Map<string, boolean>();
  const stands = (lead: PlannedLead): boolean => {
    let ok = standsAlone.get(lead.leadId);
    if (ok === undefined) {
      ok = decideLeadFacts(lead, { state: initialLeadState(), accountId: null }, decision).ok;
      standsAlone.set(lead.leadId, ok);
    }
    return ok;
  };
  for (;;) {
    const refusalOf = (leadId: string): RowRef | null =>
      byId.get(leadId)?.refusal ?? refusals.get(leadId) ?? null;
    const survivorsInStore = new Map<string, SurvivorInStore[]>();
    const addSurvivor = (leadId: string, survivor: SurvivorInStore) =>
      survivorsInStore.set(leadId, [...(survivorsInStore.get(leadId) ?? []), survivor]);
    const mergedAt = new Map<string, number>();
    const refused = new Map<string, RefusedRow>();
    const refuse = (merge: Merge, reason: string) =>
      refused.set(merge.leadId, {
        ...merge.fact.where,
        leadId: merge.leadId,
        reason: `MergeLead: ${reason}`,
      });
    for (const merge of merges) {
      const { leadId, intoLeadId } = merge;
      // A lead refused whole merges nothing; a second merge of one lead is the decider's.
      if (refusalOf(leadId) !== null || refused.has(leadId) || mergedAt.has(leadId)) continue;
      if (mergedAt.has(intoLeadId)) {
        refuse(merge, mergeSurvivorRefusal(intoLeadId, 'merged')!);
        continue;
      }
      const survivor = byId.get(intoLeadId);
      const capture = survivor?.facts.find((fact) => fact.type === 'CaptureLead');
      const refusedInFile = refusalOf(intoLeadId) ?? refused.get(intoLeadId) ?? null;
      if (survivor !== undefined && capture !== undefined && refusedInFile === null) {
        if (stands(survivor)) {
          if (Date.parse(capture.occurredAt) > merge.at) {
            refuse(
              merge,
              `lead ${intoLeadId} does not exist at ${merge.fact.occurredAt}: the file captures it at ${capture.occurredAt}`,
            );
            continue;
          }
          // Live in the file; an earlier import may have written it, and it may be erased since.
          addSurvivor(leadId, {
            intoLeadId,
            where: merge.fact.where,
            refusedInFile,
            capturedByFile: true,
          });
          mergedAt.set(leadId, merge.at);
          continue;
        }
      }
      // Not captured by this file (or refused here): the store must hold it, live.
      addSurvivor(leadId, {
        intoLeadId,
        where: merge.fact.where,
        refusedInFile,
        capturedByFile: false,
      });
      mergedAt.set(leadId, merge.at);
    }
    if (refused.size === 0) return { refusals, survivorsInStore };
    for (const [leadId, row] of refused) refusals.set(leadId, row);
  }
}

/** What the store says of a lead's survivors: a refusal, or the conditions its append needs. */
export type SurvivorCheck =
  | { readonly refusal: RefusedRow }
  | {
      readonly refusal: null;
      readonly conditions: readonly StreamCondition[];
      /** Each survivor's account (by stream), for its DuplicateMergedIn envelope. */
      readonly accounts: ReadonlyMap<string, string | null>;
    };

/**
 * The writer's half: each survivor only the store can vouch for must be there, neither merged
 * away nor erased — the API's reasons, the merge's row. When every one stands: the revisions
 * they stood at, which the lead's append must be conditioned on.
 */
export async function checkSurvivorsInStore(
  store: EventStore,
  leadId: string,
  survivors: readonly SurvivorInStore[],
): Promise<SurvivorCheck> {
  const conditions: StreamCondition[] = [];
  const accounts = new Map<string, string | null>();
  for (const { intoLeadId, where, refusedInFile, capturedByFile } of survivors) {
    const survivor = await readExistingLead(store, intoLeadId);
    // Merged away by the file's own later fact is not the store's to judge: the file did. The
    // file's survivor is written before the merge (import-blocks.ts): absent, the store refused it.
    const reason = capturedByFile
      ? survivor.revision === null
        ? `lead ${intoLeadId} does not exist: the store refused its own rows`
        : survivor.state.status === 'erased'
          ? mergeSurvivorRefusal(intoLeadId, 'erased')
          : null
      : survivor.revision !== null
        ? mergeSurvivorRefusal(intoLeadId, survivor.state.status)
        : refusedInFile === null
          ? `lead ${intoLeadId} does not exist`
          : `lead ${intoLeadId} does not exist: its own rows are refused (${refusedInFile.file} line ${refusedInFile.line})`;
    if (reason !== null) return { refusal: { ...where, leadId, reason: `MergeLead: ${reason}` } };
    const streamId = leadStreamId(intoLeadId);
    if (survivor.revision !== null && !conditions.some((c) => c.streamId === streamId)) {
      conditions.push({ streamId, expectedRevision: survivor.revision });
      accounts.set(streamId, survivor.accountId);
    }
  }
  return { refusal: null, conditions, accounts };
}
