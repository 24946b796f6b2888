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
 *   as well (the killed run never printed them), its careful-path leads judged again.
 * - A lead that already exists without the import's first event (captured live, or
 *   by another source) has the import's facts decided on top of its history and
 *   appended with its expected revision, exactly like a live command.
 * - A merge is appended with its survivor's fact (DuplicateMergedIn, ADR 0016) in one atomic
 *   append, the survivor at the revision checked (ADR 0015); if it moved, the lead is looked at
 *   again. The survivor is in the store by then: import-blocks.ts writes a lead merging into
 *   one the file captures after that survivor.
 * It must never append to a stream without an expected revision.
 */
import {
  duplicateMergedIn,
  evolveLead,
  initialLeadState,
  type LeadEvent,
  type LeadState,
  leadStreamId,
} from '@tandem/domain';
import {
  DuplicateEventIdError,
  envelopesFor,
  ErasedLeadWriteError,
  type EventStore,
  type EventToAppend,
  type StreamCondition,
  supportsBulkAppend,
  WrongExpectedRevisionError,
  type WriteContext,
} from '@tandem/event-store';
import { importEventId } from './import-event-id';
import { readExistingLead } from './existing-lead';
import { type DecidedBlock, type DecidedLead, decideBlocks } from './import-blocks';
import type { ImportPlan, RefusedRow } from './import-plan';
import { checkSurvivorsInStore } from './import-merges';
import { type DecisionInput, decideLeadFacts, importedFacts } from './lead-facts.decider';

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
  /** The plan's leads from `from` on, decided, in blocks (decideBlocks). */
  readonly decideFrom: (from: number) => Iterable<DecidedBlock> | AsyncIterable<DecidedBlock>;
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
  readonly seconds: number;
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

/** Decides the plan in this thread, a block ahead of the store's writing. */
export function runImport(options: ImportRunOptions): Promise<ImportOutcome> {
  const { plan, decision } = options;
  const blockEvents = options.blockEvents ?? DEFAULT_BLOCK_EVENTS;
  return writeImport({
    ...options,
    leadsTotal: plan.leads.length,
    orphanRows: plan.orphanRows,
    decideFrom: (from) => decideBlocks(plan.leads, from, decision, blockEvents),
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
  error instanceof ErasedLeadWriteError;

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
  const { leadId: mergedLeadId, ...context } = merge.metadata as unknown as WriteContext;
  const [fact] = envelopesFor(
    [duplicateMergedIn(String(mergedLeadId), state)],
    { ...context, leadId: intoLeadId, accountId: accounts.get(survivor.streamId) ?? null },
    () =>
      importEventId(
        merge.eventId,
        0,
        0,
        'DuplicateMergedIn',
        Date.parse(String(context.occurredAt)),
      ),
  );
  return fact === undefined ? null : { fact, survivor };
}

export async function writeImport(options: ImportWriteOptions): Promise<ImportOutcome> {
  const { store, decision, leadsTotal } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const checkpointName = importCheckpointName(options.sourceHash);
  const saved = await store.checkpoints.load(checkpointName);
  let expected = saved?.position ?? null;
  const resumedAfterLeads = Math.min(Number(saved?.position ?? 0n), leadsTotal);

  const refused: RefusedRow[] = [...options.orphanRows];
  let importedLeads = 0;
  let importedEvents = 0;
  let alreadyImportedLeads = 0;
  let refusedLeads = 0;
  const refuse = (row: RefusedRow) => {
    refused.push(row);
    refusedLeads += 1;
  };

  /** Appends one lead on its own, after looking at what its stream already holds. */
  const appendOne = async (lead: DecidedLead): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const loaded = await readExistingLead(store, lead.leadId);
      let decided = lead.fresh;
      if (loaded.revision !== null) {
        const facts = lead.facts();
        // Facts an earlier import stored are skipped; a later export's new ones follow them.
        const imported = importedFacts(facts, loaded);
        if (imported.ok && imported.count === facts.facts.length) {
          alreadyImportedLeads += 1;
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
        refuse({ ...decided.where, leadId: lead.leadId, reason: decided.reason });
        return;
      }
      // A merge into a lead the file does not capture: the store must hold it, live.
      const survivors = await checkSurvivorsInStore(store, lead.leadId, lead.survivorsInStore);
      if (survivors.refusal !== null) {
        refuse(survivors.refusal);
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

  const write = async ({ leads, leadsDone, recheck }: DecidedBlock): Promise<void> => {
    if (recheck) {
      // Done before this run: each finds its events already there, or is refused again.
      for (const lead of leads) await appendOne(lead);
      return;
    }
    const fresh: FreshLead[] = [];
    const careful: DecidedLead[] = [];
    for (const lead of leads) {
      // A merge into a survivor the file does not capture waits for the store's word.
      if (lead.fresh.ok && lead.survivorsInStore.length === 0)
        fresh.push({ lead, events: lead.fresh.events });
      // Refused as a new lead; it may exist already, and its facts follow on from there.
      else careful.push(lead);
    }
    await appendBlock(fresh);
    for (const lead of careful) await appendOne(lead);
    await store.checkpoints.save(checkpointName, BigInt(leadsDone), expected);
    expected = BigInt(leadsDone);
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
  for await (const block of options.decideFrom(resumedAfterLeads)) {
    for (const row of block.refused) refuse(row);
    await writing;
    writing = write(block);
    // Marked handled now; the failure still surfaces at the next `await writing`.
    writing.catch(() => undefined);
  }
  await writing;
  // A plan with nothing left to write still records that this source was seen.
  if (expected === null) await store.checkpoints.save(checkpointName, BigInt(leadsTotal), null);

  return {
    leadsTotal,
    resumedAfterLeads,
    importedLeads,
    importedEvents,
    alreadyImportedLeads,
    refusedLeads,
    refused: refused.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
    seconds: (now() - startedAt) / 1000,
  };
}
