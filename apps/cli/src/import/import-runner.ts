/**
 * Runs an import plan against the event store: takes the plan's leads decided in blocks
 * (import-blocks.ts; in this thread, or from a worker thread), appends whole leads in large
 * all-or-nothing blocks, and keeps a durable checkpoint so a killed run resumes where it
 * stopped.
 *
 * - Atomicity: a lead's events are appended in one call (one transaction), never
 *   split across two, so no lead is ever half-imported.
 * - Speed: many new leads per call through the store's bulk path
 *   (`appendToNewStreams`, PostgreSQL and PGlite); a store without it (KurrentDB)
 *   gets one append per lead.
 * - Resume: checkpoint `import-<source hash>` in the store's own database holds the
 *   number of leads handled, in plan order; it is written after each block. A kill
 *   between a block's commit and its checkpoint is harmless: event ids are
 *   deterministic (import-event-id.ts), so the block's leads are found already in
 *   the store and skipped. A resumed run reports the rows refused before its checkpoint
 *   as well (the killed run never printed them), its careful-path leads judged again; and
 *   the leads the store refused judged again, each remembered by its key (`…:refused-by-store:<n>`);
 *   and every done lead judged again when the file's rows refused below the checkpoint are not
 *   those the writing runs refused (a third checkpoint, `…:file-refusals`, holds their digest: a
 *   refusal that need not stand on a later run, a time then ahead of the clock, a row a newer
 *   build reads as a lead's), after which the digest is made the file's now.
 * - A lead that already exists without the import's first event (captured live, or
 *   by another source) has the import's facts decided on top of its history and
 *   appended with its expected revision, exactly like a live command; when the file captures
 *   it too, nothing of the file's is applied, and the report names it as in the store before,
 *   captured when and by whom (captured-before.ts), counted with the refusals for a re-run.
 * - A fact the store holds that the file now gives otherwise (a corrected amount: its event id
 *   is the same, derived from place, type and time) is named with its fields, never applied
 *   (changed-since-imported.ts), and counted with the refusals so a re-run names it again.
 * - A merge is appended with its survivor's fact (DuplicateMergedIn, ADR 0016) in one atomic
 *   append, the survivor at the revision checked (ADR 0015); if it moved, the lead is looked at
 *   again. Leads the file links by merges are decided together (merge-group.decider.ts) and
 *   appended in one atomic write, as the API would have written them one fact at a time.
 * - Two runs of one file at once (two operators, a retried job beside a slow one) cooperate: each
 *   finds the leads the other wrote already imported, and a checkpoint only ever moves forward
 *   (advanceCheckpoint); the refusal count adds up both runs'.
 * It must never append to a stream without an expected revision.
 */
import {
  evolveLead,
  initialLeadState,
  type LeadEvent,
  type LeadState,
  leadStreamId,
} from '@tandem/domain';
import {
  CheckpointConflictError,
  DuplicateEventIdError,
  ErasedLeadWriteError,
  LeadKeyUnreadableError,
  type EventStore,
  type EventToAppend,
  MAX_STREAMS_PER_APPEND,
  type StreamAppend,
  type StreamCondition,
  supportsBulkAppend,
  supportsPersonalData,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import { type CapturedBeforeRow, capturedBefore } from './captured-before';
import { type ChangedFact, changedSinceImported } from './changed-since-imported';
import { type ExistingLead, readExistingLead } from './existing-lead';
import {
  addDigests,
  type DecidedBlock,
  type DecidedLead,
  decideBlocks,
  type DoneLeads,
  refusalsDigest,
  storeRefusalKey,
} from './import-blocks';
import type { RowRef } from './import-fact';
import type { ImportPlan, PlannedLead, RefusedRow } from './import-plan';
import { checkSurvivorsInStore } from './import-merges';
import { type DecisionInput, decideLeadFacts, importedFacts } from './lead-facts.decider';
import { decideMergeGroup, mergedInEnvelope } from './merge-group.decider';

export interface ImportProgress {
  readonly leadsDone: number;
  readonly leadsTotal: number;
  readonly eventsAppended: number;
  readonly seconds: number;
}

interface ImportWriting {
  readonly store: EventStore;
  /** The source's content hash: names the checkpoint. */
  readonly sourceHash: string;
  readonly decision: DecisionInput;
  /** Called after each block. */
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly now?: () => number;
}

export interface ImportRunOptions extends ImportWriting {
  readonly plan: ImportPlan;
  /** Events per bulk append (whole leads only, so a block may run over). Default 5,000. */
  readonly blockEvents?: number;
}

/** The writing half alone: the blocks come decided from elsewhere (a worker thread). */
export interface ImportWriteOptions extends ImportWriting {
  readonly leadsTotal: number;
  /** Rows that name no lead, refused before any deciding. */
  readonly orphanRows: readonly RefusedRow[];
  /**
   * The plan's leads from `from` on, decided, in blocks (decideBlocks); the leads before `from`
   * looked at again first: those the file or the careful path refused, or every one when `done`
   * says which is recorded nowhere.
   */
  readonly decideFrom: (
    from: number,
    done: DoneLeads,
  ) => Iterable<DecidedBlock> | AsyncIterable<DecidedBlock>;
}

export interface ImportOutcome {
  readonly leadsTotal: number;
  /** Leads a previous, interrupted run of the same source already handled. */
  readonly resumedAfterLeads: number;
  readonly importedLeads: number;
  readonly importedEvents: number;
  /** Leads found in the store with the import's own first event: nothing added. */
  readonly alreadyImportedLeads: number;
  readonly refusedLeads: number;
  /** Every refused row, with its file, line and reason (orphan rows included). */
  readonly refused: readonly RefusedRow[];
  /**
   * Leads with a fact imported before that the file now gives otherwise (a corrected amount):
   * the change is not applied. Counted apart from imported, already imported and refused leads;
   * a lead whose file also holds new facts has those appended (importedLeads) and is named here.
   */
  readonly changedLeads: number;
  /** Each such fact: its file and line, its lead and type, and the fields that differ. */
  readonly changed: readonly ChangedRow[];
  /**
   * Leads the store held captured before this import (through the API, or by another file's
   * import) that the file captures too: none of the file's facts for them applied. Counted apart
   * from refused leads: the file is not wrong about them.
   */
  readonly inStoreLeads: number;
  /** Each one's capture row in the file, and when, by whom and from which channel it was captured. */
  readonly inStore: readonly CapturedBeforeRow[];
  readonly seconds: number;
}

/** A fact imported before that the file gives otherwise (changed-since-imported.ts). */
export interface ChangedRow extends RowRef {
  readonly leadId: string;
  readonly type: string;
  readonly fields: readonly string[];
}

export const DEFAULT_BLOCK_EVENTS = 5_000;

/** A lead whose events stand on a new stream: it goes in the bulk append. */
interface FreshLead {
  readonly lead: DecidedLead;
  readonly events: readonly EventToAppend[];
}

export function importCheckpointName(sourceHash: string): string {
  return `import-${sourceHash}`;
}

/**
 * How many leads the writer refused before the checkpoint (a lead the file decides well as new,
 * found captured live or erased) or found holding a fact the file gives otherwise, each named by
 * its key in an entry of its own (storeRefusalEntryName). Saved before the checkpoint it counts
 * for; a resumed run reads those leads again to name them. (An earlier build counted
 * them without naming them, and one before 2026-12-02 counted the file's refused rows here too:
 * an entry missing below the count makes a re-run read every done lead, as it did then.)
 */
export function storeRefusalsCheckpointName(sourceHash: string): string {
  return `${importCheckpointName(sourceHash)}:refused-by-store`;
}

/**
 * The refusalsDigest of the rows the file refused before the checkpoint, the rows naming no lead
 * included (once per run from the start): a row refused for a time then ahead of the clock is
 * readable on a later run, and a row naming no lead may be read as a lead's by a later build —
 * either lead, done, would be written by none. A resumed run whose plan refuses other rows below
 * the checkpoint than the digest holds looks at every done lead again; one that refuses the same
 * names them from its plan and reads none. Added before the checkpoint it counts for: a kill in
 * between, or two runs at once, leave a digest no plan matches, which costs a re-run some reading.
 */
export function fileRefusalsCheckpointName(sourceHash: string): string {
  return `${importCheckpointName(sourceHash)}:file-refusals`;
}

/** Decides the plan in this thread, a block ahead of the store's writing. */
export function runImport(options: ImportRunOptions): Promise<ImportOutcome> {
  const { plan, decision } = options;
  const blockEvents = options.blockEvents ?? DEFAULT_BLOCK_EVENTS;
  return writeImport({
    ...options,
    leadsTotal: plan.leads.length,
    orphanRows: plan.orphanRows,
    decideFrom: (from, done) => decideBlocks(plan.leads, from, decision, blockEvents, done),
  });
}

/**
 * The store's word that a lead the append took for new, or at the revision read, is not: its
 * stream moved, holds the import's events already, or was erased — whose shredded key refuses
 * the sealing of its personal data before the stream is even looked at (a file re-exported
 * after one of its leads was erased). Each sends the lead to be read and judged on its own.
 */
const isExistingStream = (error: unknown): boolean =>
  error instanceof WrongExpectedRevisionError ||
  error instanceof DuplicateEventIdError ||
  error instanceof ErasedLeadWriteError ||
  error instanceof LeadKeyUnreadableError;

/**
 * The survivor's fact (DuplicateMergedIn) of the merge among `events`, with the survivor's
 * stream and the revision it was checked at; `null` when the lead merges nothing, or its
 * survivor is not in the store (a merge written before survivors got the fact cannot be: the
 * checks refuse it). Its id derives from the merge's, so a re-run derives the same event.
 */
function survivorFact(
  events: readonly EventToAppend[],
  stored: LeadState | null,
  conditions: readonly StreamCondition[],
  accounts: ReadonlyMap<string, string | null>,
): { readonly fact: EventToAppend; readonly survivor: StreamCondition } | null {
  const merge = events.find((event) => event.type === 'LeadMerged');
  if (merge === undefined) return null;
  const intoLeadId = String(merge.data.intoLeadId);
  const survivor = conditions.find((c) => c.streamId === leadStreamId(intoLeadId));
  if (survivor === undefined) return null;
  let state = stored ?? initialLeadState();
  for (const event of events) {
    const occurredAt = String(event.metadata.occurredAt);
    state = evolveLead(state, { type: event.type, data: event.data } as LeadEvent, occurredAt);
  }
  return {
    fact: mergedInEnvelope(merge, state, accounts.get(survivor.streamId) ?? null),
    survivor,
  };
}

/**
 * The block's leads linked by the file's merges (each merging lead with its survivor the file
 * captures; import-blocks.ts writes them at one place), by lead: each group in block order.
 */
function mergeGroups(leads: readonly DecidedLead[]): Map<string, DecidedLead[]> {
  const byId = new Map(leads.map((lead) => [lead.leadId, lead]));
  const groupOf = new Map<string, DecidedLead[]>();
  for (const lead of leads) {
    for (const { intoLeadId, capturedByFile } of lead.survivorsInStore) {
      if (!capturedByFile || !byId.has(intoLeadId)) continue;
      const mine = groupOf.get(lead.leadId) ?? [lead];
      const theirs = groupOf.get(intoLeadId) ?? [byId.get(intoLeadId) as DecidedLead];
      const joined = mine === theirs ? mine : [...new Set([...mine, ...theirs])];
      for (const member of joined) groupOf.set(member.leadId, joined);
    }
  }
  const order = new Map(leads.map((lead, index) => [lead.leadId, index]));
  for (const group of new Set(groupOf.values())) {
    group.sort((a, b) => (order.get(a.leadId) ?? 0) - (order.get(b.leadId) ?? 0));
  }
  return groupOf;
}

export async function writeImport(options: ImportWriteOptions): Promise<ImportOutcome> {
  const { store, decision, leadsTotal } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const checkpointName = importCheckpointName(options.sourceHash);
  const saved = await store.checkpoints.load(checkpointName);
  let expected = saved?.position ?? null;
  const resumedAfterLeads = Math.min(Number(saved?.position ?? 0n), leadsTotal);
  const storeRefusalsName = storeRefusalsCheckpointName(options.sourceHash);
  let storeRefusalsSaved = (await store.checkpoints.load(storeRefusalsName))?.position ?? null;
  const remembered = await rememberedStoreRefusals(
    store,
    options.sourceHash,
    storeRefusalsSaved ?? 0n,
  );
  const fileRefusalsName = fileRefusalsCheckpointName(options.sourceHash);
  let fileRefusalsSaved = (await store.checkpoints.load(fileRefusalsName))?.position ?? null;
  const orphansDigest = refusalsDigest(options.orphanRows);
  const done: DoneLeads = {
    storeRefused: remembered,
    // The orphans' share taken out: decideBlocks sees the plan's leads only.
    fileRefusals: addDigests(fileRefusalsSaved ?? 0n, -orphansDigest),
  };

  const refused: RefusedRow[] = [...options.orphanRows];
  let importedLeads = 0;
  let importedEvents = 0;
  let alreadyImportedLeads = 0;
  let refusedLeads = 0;
  const refuse = (row: RefusedRow) => {
    refused.push(row);
    refusedLeads += 1;
  };
  /**
   * The leads the store refused, found holding a fact the file gives otherwise, or named as in
   * the store before (the store's word, apart from the file's), in the order found: each is
   * remembered by its key, so a re-run reads it again, and no other done lead, to name it.
   */
  const storeRefusedLeads: string[] = [];
  /** The keys remembered, and the next entry to write one in. */
  const storeRefusalKeys = new Set(remembered ?? []);
  let nextStoreRefusal = Math.max(Number(storeRefusalsSaved ?? 0n), remembered?.length ?? 0);
  /**
   * Rows naming no lead, counted with the first block of a run from the start: a later build may
   * read one as naming a lead (a lead id form it learnt), which then lands in the plan below the
   * checkpoint, done without ever being written; only a run that reads every done lead finds it.
   */
  let orphansToCount = resumedAfterLeads === 0 ? orphansDigest : 0n;
  const refuseOnStore = (row: RefusedRow, leadId: string) => {
    refuse(row);
    storeRefusedLeads.push(leadId);
  };

  const changed: ChangedRow[] = [];
  let changedLeads = 0;
  const inStore: CapturedBeforeRow[] = [];
  /** Counted with the refusals too, so a re-run, which reads every done lead then, names it. */
  const noteInStore = (row: CapturedBeforeRow) => {
    inStore.push(row);
    storeRefusedLeads.push(row.leadId);
  };
  /**
   * A lead whose facts imported before the file now gives otherwise: named, not applied (there
   * is no correction event), and counted with the refusals, so a re-run of the file, which
   * reads every done lead again then, names it again.
   */
  const noteChanged = (leadId: string, changes: readonly ChangedFact[]) => {
    for (const { where, type, fields } of changes) changed.push({ ...where, leadId, type, fields });
    changedLeads += 1;
    storeRefusedLeads.push(leadId);
  };
  /** The stored events with their personal values opened, to compare with the file's. */
  const changedFacts = async (
    facts: PlannedLead,
    held: number,
    loaded: ExistingLead,
  ): Promise<ChangedFact[]> => {
    const events = supportsPersonalData(store)
      ? await store.personalData.openLeadEvents(facts.leadId, loaded.events)
      : loaded.events;
    return changedSinceImported(facts, held, events, decision);
  };

  /** Appends one lead on its own, after looking at what its stream already holds. */
  const appendOne = async (lead: DecidedLead): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const loaded = await readExistingLead(store, lead.leadId);
      let decided = lead.fresh;
      /** The first fact this attempt appends: the row an erasure's refusal names. */
      let firstNew = 0;
      if (loaded.revision !== null) {
        const facts = lead.facts();
        // Facts an earlier import stored are skipped; a later export's new ones follow them.
        const imported = importedFacts(facts, loaded);
        firstNew = imported.ok ? imported.count : 0;
        // Skipped, but never silently when the file now gives one otherwise: it is named.
        const differs = imported.ok && imported.count > 0 && attempt === 0;
        const changes = differs ? await changedFacts(facts, imported.count, loaded) : [];
        if (changes.length > 0) noteChanged(lead.leadId, changes);
        if (imported.ok && imported.count === facts.facts.length) {
          if (changes.length === 0) alreadyImportedLeads += 1;
          return;
        }
        const before = imported.ok ? capturedBefore(facts, imported.count, loaded) : null;
        if (before !== null) {
          noteInStore(before);
          return;
        }
        decided = imported.ok
          ? decideLeadFacts(
              facts,
              { state: loaded.state, accountId: loaded.accountId },
              decision,
              imported.count,
            )
          : imported;
      }
      if (!decided.ok) {
        refuseOnStore(
          { ...decided.where, leadId: lead.leadId, reason: decided.reason },
          lead.leadId,
        );
        return;
      }
      // A merge into a lead the file does not capture: the store must hold it, live.
      const survivors = await checkSurvivorsInStore(store, lead.leadId, lead.survivorsInStore);
      if (survivors.refusal !== null) {
        refuseOnStore(survivors.refusal, lead.leadId);
        return;
      }
      const { events } = decided;
      const { conditions } = survivors;
      const expectedRevision = loaded.revision ?? 'no_stream';
      const streamId = leadStreamId(lead.leadId);
      const merge = survivorFact(
        events,
        loaded.revision === null ? null : loaded.state,
        conditions,
        survivors.accounts,
      );
      try {
        if (merge === null) {
          await store.append(
            streamId,
            events,
            conditions.length === 0 ? { expectedRevision } : { expectedRevision, conditions },
          );
        } else {
          // The merge and its survivor's fact, all or nothing (ADR 0016).
          await store.appendToStreams([
            { streamId, events, expectedRevision },
            {
              streamId: merge.survivor.streamId,
              events: [merge.fact],
              expectedRevision: merge.survivor.expectedRevision,
            },
          ]);
        }
        importedLeads += 1;
        importedEvents += events.length + (merge === null ? 0 : 1);
        return;
      } catch (error) {
        // The lead's key was destroyed by an erasure whose LeadErased is not recorded yet (a
        // person erased in several appends, stopped between them): its stream still reads
        // live, so deciding again would only meet the same refusal. Refused as an erased lead's
        // new facts are, naming the first of them. So is a lead whose key row does not unwrap
        // here: nothing new is sealed for it until an operator restores the row.
        const fact = lead.facts().facts[firstNew];
        const refused =
          error instanceof ErasedLeadWriteError || error instanceof LeadKeyUnreadableError;
        if (refused && loaded.revision !== null && fact) {
          const reason = `${fact.type}: ${error.message}`;
          refuseOnStore({ ...fact.where, leadId: lead.leadId, reason }, lead.leadId);
          return;
        }
        // A live command or a parallel import wrote the lead, or its survivor, or erased the
        // lead, meanwhile: look again.
        if (!isExistingStream(error) || attempt >= 3) throw error;
      }
    }
  };

  /**
   * One bulk call for the block; if some lead in it already exists, halve the block
   * until the existing leads are alone and take the careful path for those only.
   */
  const appendBlock = async (block: readonly FreshLead[]): Promise<void> => {
    if (block.length === 0) return;
    if (!supportsBulkAppend(store) || block.length === 1) {
      for (const { lead } of block) await appendOne(lead);
      return;
    }
    try {
      await store.appendToNewStreams(
        block.flatMap(({ lead, events }) =>
          events.map((event) => ({ streamId: leadStreamId(lead.leadId), event })),
        ),
      );
      importedLeads += block.length;
      importedEvents += block.reduce((sum, { events }) => sum + events.length, 0);
    } catch (error) {
      if (!isExistingStream(error)) throw error;
      const half = Math.ceil(block.length / 2);
      await appendBlock(block.slice(0, half));
      await appendBlock(block.slice(half));
    }
  };

  /**
   * Leads the file links by merges (merge-group.decider.ts), new to the store: decided as one
   * business-time sequence and appended in one atomic write, with each survivor outside the file
   * at the revision checked. Any of them in the store already (a re-run, a live capture), a
   * survivor the store refuses, or a fact the sequence refuses: each goes the careful way alone.
   */
  const appendGroup = async (group: readonly DecidedLead[]): Promise<void> => {
    const alone = async () => {
      for (const lead of group) await appendOne(lead);
    };
    const decided = decideMergeGroup(
      group.map((lead) => lead.facts()),
      decision,
    );
    if (!decided.ok) return alone();
    const writes: StreamAppend[] = decided.streams.map(({ leadId, events }) => ({
      streamId: leadStreamId(leadId),
      events,
      expectedRevision: 'no_stream',
    }));
    for (const [index, lead] of group.entries()) {
      const outside = lead.survivorsInStore.filter((survivor) => !survivor.capturedByFile);
      if (outside.length === 0) continue;
      const checked = await checkSurvivorsInStore(store, lead.leadId, outside);
      if (checked.refusal !== null) return alone();
      const merge = survivorFact(
        writes[index]?.events ?? [],
        null,
        checked.conditions,
        checked.accounts,
      );
      if (merge === null) continue;
      writes.push({
        streamId: merge.survivor.streamId,
        events: [merge.fact],
        expectedRevision: merge.survivor.expectedRevision,
      });
    }
    if (new Set(writes.map((write) => write.streamId)).size !== writes.length) return alone();
    if (writes.length > MAX_STREAMS_PER_APPEND) return alone();
    try {
      await store.appendToStreams(writes);
    } catch (error) {
      if (!isExistingStream(error)) throw error;
      return alone();
    }
    importedLeads += group.length;
    importedEvents += writes.reduce((sum, { events }) => sum + events.length, 0);
  };

  /**
   * Saves the key of each lead the store refused that no run remembered yet, each in an entry
   * of its own (`…:refused-by-store:<n>`, created, never overwritten: a run of the file beside
   * this one takes the next), then the count of entries. Before the checkpoint that covers them:
   * a kill in between leaves an entry past the count, which a re-run reads too.
   */
  const rememberStoreRefusals = async (leadIds: readonly string[]): Promise<void> => {
    const keys = [...new Set(leadIds.map(storeRefusalKey))].filter(
      (key) => !storeRefusalKeys.has(key),
    );
    if (keys.length === 0) return;
    for (const key of keys) {
      for (;;) {
        const entry = storeRefusalEntryName(options.sourceHash, nextStoreRefusal);
        nextStoreRefusal += 1;
        try {
          await store.checkpoints.save(entry, key, null);
          break;
        } catch (error) {
          if (!(error instanceof CheckpointConflictError)) throw error;
        }
      }
      storeRefusalKeys.add(key);
    }
    const count = BigInt(nextStoreRefusal);
    storeRefusalsSaved = await updateCheckpoint(
      store,
      storeRefusalsName,
      storeRefusalsSaved,
      (current) => (current !== null && current >= count ? current : count),
    );
  };

  const write = async ({
    leads,
    leadsDone,
    recheck,
    refused: refusedRows,
    fileRefusalsCorrection,
  }: DecidedBlock): Promise<void> => {
    const firstStoreRefusal = storeRefusedLeads.length;
    if (recheck) {
      // Done before this run: each finds its events already there, or is refused again; one
      // the store refuses now (a lead the file took only now, captured live meanwhile) is
      // remembered as a new one is.
      for (const lead of leads) await appendOne(lead);
      await rememberStoreRefusals(storeRefusedLeads.slice(firstStoreRefusal));
      // Every done lead read again (blocks are written in order): the digest is made to hold
      // the file's refusals now, so the next run of the file names them from its plan.
      if (fileRefusalsCorrection !== undefined && fileRefusalsCorrection !== 0n) {
        fileRefusalsSaved = await updateCheckpoint(
          store,
          fileRefusalsName,
          fileRefusalsSaved,
          (current) => addDigests(current ?? 0n, fileRefusalsCorrection),
        );
      }
      return;
    }
    const fresh: FreshLead[] = [];
    const careful: DecidedLead[] = [];
    const groups = mergeGroups(leads);
    for (const lead of leads) {
      if (groups.has(lead.leadId)) continue;
      // A merge into a survivor the file does not capture waits for the store's word.
      if (lead.fresh.ok && lead.survivorsInStore.length === 0)
        fresh.push({ lead, events: lead.fresh.events });
      // Refused as a new lead; it may exist already, and its facts follow on from there.
      else careful.push(lead);
    }
    await appendBlock(fresh);
    for (const group of new Set(groups.values())) await appendGroup(group);
    for (const lead of careful) await appendOne(lead);
    // The file's refused rows (and, once, the rows naming no lead) go in the digest: a refusal
    // need not stand on a later run (a time then ahead of the clock is not any more), and such
    // a lead is done, not written; a run whose plan refuses otherwise looks at every done lead.
    const refusedDigest = addDigests(refusalsDigest(refusedRows), orphansToCount);
    orphansToCount = 0n;
    // Counted before the checkpoint that covers them: a kill in between counts them twice, and
    // a count too high only costs a resumed run some reading.
    if (refusedDigest !== 0n) {
      fileRefusalsSaved = await updateCheckpoint(
        store,
        fileRefusalsName,
        fileRefusalsSaved,
        (current) => addDigests(current ?? 0n, refusedDigest),
      );
    }
    await rememberStoreRefusals(storeRefusedLeads.slice(firstStoreRefusal));
    expected = await advanceCheckpoint(store, checkpointName, BigInt(leadsDone), expected);
    options.onProgress?.({
      leadsDone,
      leadsTotal,
      eventsAppended: importedEvents,
      seconds: (now() - startedAt) / 1000,
    });
  };

  // One block is written while the next is decided (the store works in another process or
  // thread, or at least off this loop's critical path); blocks commit, and checkpoints
  // advance, strictly in order.
  let writing: Promise<void> = Promise.resolve();
  for await (const block of options.decideFrom(resumedAfterLeads, done)) {
    for (const row of block.refused) refuse(row);
    await writing;
    writing = write(block);
    // Marked handled now; the failure still surfaces at the next `await writing`.
    writing.catch(() => undefined);
  }
  await writing;
  // A plan with nothing left to write still records that this source was seen.
  if (expected === null) await advanceCheckpoint(store, checkpointName, BigInt(leadsTotal), null);

  return {
    leadsTotal,
    resumedAfterLeads,
    importedLeads,
    importedEvents,
    alreadyImportedLeads,
    refusedLeads,
    refused: refused.sort(byFileAndLine),
    changedLeads,
    changed: changed.sort(byFileAndLine),
    inStoreLeads: inStore.length,
    inStore: inStore.sort(byFileAndLine),
    seconds: (now() - startedAt) / 1000,
  };
}

const byFileAndLine = (a: RowRef, b: RowRef): number =>
  a.file.localeCompare(b.file) || a.line - b.line;

/**
 * Saves a checkpoint as `next` of its current position, read again whenever another run of the
 * same file saved it since (CheckpointConflictError); nothing is saved when `next` keeps it.
 * Resolves to the position it holds then.
 */
async function updateCheckpoint(
  store: EventStore,
  name: string,
  expected: bigint | null,
  next: (current: bigint | null) => bigint,
): Promise<bigint> {
  let current = expected;
  for (;;) {
    const position = next(current);
    if (position === current) return position;
    try {
      await store.checkpoints.save(name, position, current);
      return position;
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) throw error;
      current = (await store.checkpoints.load(name))?.position ?? null;
    }
  }
}

/**
 * Moves a checkpoint to `position`, never back: another run of the same file may have saved it
 * since this run read it (each run writes leads in plan order and saves after writing, so the
 * further of the two is a prefix both have done).
 */
function advanceCheckpoint(
  store: EventStore,
  name: string,
  position: bigint,
  expected: bigint | null,
): Promise<bigint> {
  return updateCheckpoint(store, name, expected, (current) =>
    current !== null && current >= position ? current : position,
  );
}

/** Past this many leads the store refused, a re-run reads every done lead, not their keys. */
const REMEMBERED_STORE_REFUSALS = 1_000n;

/** The checkpoint holding the key (storeRefusalKey) of the `index`th lead the store refused. */
export function storeRefusalEntryName(sourceHash: string, index: number): string {
  return `${storeRefusalsCheckpointName(sourceHash)}:${index}`;
}

/**
 * The keys of the leads the store refused that the runs of a file remembered: its `count`
 * entries, and any past it (a run killed between an entry and the count). Null when one below
 * the count is missing (a build before 2026-12-02 counted without naming them; a run killed
 * between two entries while another saved the next) or there are too many to load one by one:
 * the re-run reads every done lead then, as it always did.
 */
async function rememberedStoreRefusals(
  store: EventStore,
  sourceHash: string,
  count: bigint,
): Promise<bigint[] | null> {
  if (count > REMEMBERED_STORE_REFUSALS) return null;
  const keys: bigint[] = [];
  for (let index = 0; ; index++) {
    const entry = await store.checkpoints.load(storeRefusalEntryName(sourceHash, index));
    if (entry === null) return BigInt(index) < count ? null : keys;
    keys.push(entry.position);
  }
}
