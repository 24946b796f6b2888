/**
 * Runs an import plan against the event store: decides each lead's facts, appends
 * whole leads in large all-or-nothing blocks, and keeps a durable checkpoint so a
 * killed run resumes where it stopped.
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
 *   the store and skipped.
 * - A lead that already exists without the import's first event (captured live, or
 *   by another source) has the import's facts decided on top of its history and
 *   appended with its expected revision, exactly like a live command.
 * It must never append to a stream without an expected revision.
 */
import { initialLeadState, leadStreamId } from '@tandem/domain';
import {
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  supportsBulkAppend,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import { readExistingLead } from './existing-lead';
import type { ImportPlan, PlannedLead, RefusedRow } from './import-plan';
import {
  type DecisionInput,
  decideLeadFacts,
  firstImportedEventId,
  type LeadDecision,
} from './lead-facts.decider';

export interface ImportProgress {
  readonly leadsDone: number;
  readonly leadsTotal: number;
  readonly eventsAppended: number;
  readonly seconds: number;
}

export interface ImportRunOptions {
  readonly store: EventStore;
  readonly plan: ImportPlan;
  /** The source's content hash: names the checkpoint. */
  readonly sourceHash: string;
  readonly decision: DecisionInput;
  /** Events per bulk append (whole leads only, so a block may run over). Default 5,000. */
  readonly blockEvents?: number;
  /** Called after each block. */
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly now?: () => number;
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

const DEFAULT_BLOCK_EVENTS = 5_000;

interface Decided {
  readonly lead: PlannedLead;
  readonly events: readonly EventToAppend[];
}

/** A lead whose facts do not stand on a new stream: it may exist already. */
interface Careful {
  readonly lead: PlannedLead;
  readonly fresh: LeadDecision;
}

export function importCheckpointName(sourceHash: string): string {
  return `import-${sourceHash}`;
}

export async function runImport(options: ImportRunOptions): Promise<ImportOutcome> {
  const { store, plan, decision } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const blockEvents = options.blockEvents ?? DEFAULT_BLOCK_EVENTS;
  const checkpointName = importCheckpointName(options.sourceHash);
  const saved = await store.checkpoints.load(checkpointName);
  let expected = saved?.position ?? null;
  const resumedAfterLeads = Math.min(Number(saved?.position ?? 0n), plan.leads.length);

  const refused: RefusedRow[] = [...plan.orphanRows];
  let importedLeads = 0;
  let importedEvents = 0;
  let alreadyImportedLeads = 0;
  let refusedLeads = 0;
  const refuse = (row: RefusedRow) => {
    refused.push(row);
    refusedLeads += 1;
  };

  /** Appends one lead on its own, after looking at what its stream already holds. */
  const appendOne = async (lead: PlannedLead, fresh: LeadDecision): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const loaded = await readExistingLead(store, lead.leadId);
      let decided = fresh;
      if (loaded.revision !== null) {
        const firstId = firstImportedEventId(lead);
        if (firstId !== null && loaded.eventIds.has(firstId)) {
          alreadyImportedLeads += 1;
          return;
        }
        decided = decideLeadFacts(
          lead,
          { state: loaded.state, accountId: loaded.accountId },
          decision,
        );
      }
      if (!decided.ok) {
        refuse({ ...decided.where, leadId: lead.leadId, reason: decided.reason });
        return;
      }
      const { events } = decided;
      try {
        await store.append(leadStreamId(lead.leadId), events, {
          expectedRevision: loaded.revision ?? 'no_stream',
        });
        importedLeads += 1;
        importedEvents += events.length;
        return;
      } catch (error) {
        // A live command or a parallel import wrote the lead meanwhile: look again.
        const raced =
          error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError;
        if (!raced || attempt >= 3) throw error;
      }
    }
  };

  /**
   * One bulk call for the block; if some lead in it already exists, halve the block
   * until the existing leads are alone and take the careful path for those only.
   */
  const appendBlock = async (block: readonly Decided[]): Promise<void> => {
    if (block.length === 0) return;
    if (!supportsBulkAppend(store) || block.length === 1) {
      for (const { lead, events } of block) await appendOne(lead, { ok: true, events });
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
      if (!(error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError))
        throw error;
      const half = Math.ceil(block.length / 2);
      await appendBlock(block.slice(0, half));
      await appendBlock(block.slice(half));
    }
  };

  let block: Decided[] = [];
  let careful: Careful[] = [];
  let blockSize = 0;
  // One block is written while the next is decided (the store works in another process,
  // or at least off this loop's critical path); blocks commit, and checkpoints advance,
  // strictly in order.
  let writing: Promise<void> = Promise.resolve();
  const flush = async (leadsDone: number) => {
    const [toBulk, toCheck] = [block, careful];
    block = [];
    careful = [];
    blockSize = 0;
    await writing;
    writing = (async () => {
      await appendBlock(toBulk);
      for (const { lead, fresh } of toCheck) await appendOne(lead, fresh);
      await store.checkpoints.save(checkpointName, BigInt(leadsDone), expected);
      expected = BigInt(leadsDone);
      options.onProgress?.({
        leadsDone,
        leadsTotal: plan.leads.length,
        eventsAppended: importedEvents,
        seconds: (now() - startedAt) / 1000,
      });
    })();
    // Marked handled now; the failure still surfaces at the next `await writing`.
    writing.catch(() => undefined);
  };

  const fresh = { state: initialLeadState(), accountId: null };
  for (let index = resumedAfterLeads; index < plan.leads.length; index++) {
    const lead = plan.leads[index] as PlannedLead;
    if (lead.refusal !== null) {
      refuse(lead.refusal);
    } else {
      const decided = decideLeadFacts(lead, fresh, decision);
      if (decided.ok) {
        block.push({ lead, events: decided.events });
        blockSize += decided.events.length;
      } else {
        // Refused as a new lead; it may exist already, and its facts follow on from there.
        careful.push({ lead, fresh: decided });
        blockSize += lead.facts.length;
      }
    }
    if (blockSize >= blockEvents) await flush(index + 1);
  }
  if (resumedAfterLeads < plan.leads.length || saved === null) await flush(plan.leads.length);
  await writing;

  return {
    leadsTotal: plan.leads.length,
    resumedAfterLeads,
    importedLeads,
    importedEvents,
    alreadyImportedLeads,
    refusedLeads,
    refused: refused.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
    seconds: (now() - startedAt) / 1000,
  };
}
