/**
 * The one write path for leads: authorise, load the stream, let the pure decider
 * choose the events, append them with the revision that was read. Nothing is
 * published anywhere else (no dual writes): followers read the store's log.
 * Commands on one lead queue behind each other in this process (lead-command.queue.ts), and
 * the lead's state comes from a cache (lead-state.cache.ts), so a command costs the same on a
 * lead with 5 events or 10,000.
 * Optimistic (ADR 0013): a lead this process has folded is decided from its cached fold
 * without reading the stream first, and the append's expected revision is the check — if
 * another process appended meanwhile, the append is refused and nothing is written. A
 * decision made that way is never answered as a failure: on a conflict or a refusal, the
 * stream is read and the command decided once more, on state checked against the store.
 * A capture of a lead this process has never seen expects no stream, also without a read.
 * A merge also depends on its survivor, and writes to it: LeadMerged on the merged lead and
 * DuplicateMergedIn on the survivor (its touches, so a retry of one sent to the survivor is
 * answered as a retry, ADR 0016) go in one atomic append, each stream at the revision that was
 * checked, so a merge racing another process's crossing merge, or an erasure or merge of its
 * survivor, never lands on a survivor that is no longer live. If the survivor moved, the merge
 * is decided again on what the store holds, and the loser gets what one process would answer
 * (422: its survivor was merged away or erased).
 * An erasure erases the person: the lead and every lead a merge linked to it, either way and
 * transitively (mergeLinks, and the store's LeadMerged events naming each, for merges stored
 * before the survivor got a record of them), in one atomic append, each stream at the revision read, so no
 * duplicate keeps the person's contact details readable after the request (docs/personal-data.md).
 * A person of more leads than one append may write is erased in several, every key destroyed
 * before the first: a crash between them leaves the rest unreadable, for a retry to record.
 */
import { Inject } from '@nestjs/common';
import { decodeStoredEvent } from '@tandem/contracts';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  authorize,
  decideLead,
  DomainError,
  duplicateMergedIn,
  type FunnelDefinition,
  type LeadCommand,
  LeadNotFoundError,
  RuleViolationError,
  leadStreamId,
  type LeadState,
  mergeLinks,
  mergeSurvivorRefusal,
} from '@tandem/domain';
import {
  type EventStore,
  type EventToAppend,
  MAX_STREAMS_PER_APPEND,
  type StreamAppend,
  WrongExpectedRevisionError,
  envelopesFor,
  supportsPersonalData,
  writeEvents,
} from '@tandem/event-store';
import type { Logger } from 'pino';
import { ActiveDefinition } from '../definitions/active-definition.service';
import { eventIdsFor, mintId } from '../http/idempotency/key-derived-ids';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE, LOGGER } from '../platform/tokens';
import { writeContext } from '../platform/write-context';
import { decideAgainOnConflict } from '../platform/decide-again';
import type { CommandOptions } from './lead-command.requests';
import { LeadCommandQueue } from './lead-command.queue';
import { LeadStateCache } from './lead-state.cache';
import { emptyLeadFold, foldAppended, type LeadFold } from './lead.stream';

export interface LeadCommandResult {
  readonly leadId: string;
  readonly revision: number;
  readonly events: readonly { readonly eventId: string; readonly type: string }[];
  /** An erasure only: the person's other leads it erased too, when there were any. */
  readonly alsoErased?: readonly string[];
}

export class ExecuteLeadCommand extends Command<LeadCommandResult> {
  constructor(
    readonly leadId: string,
    readonly command: LeadCommand,
    readonly options: CommandOptions,
    readonly context: RequestContext,
    /** Only for CaptureLead: the account (ABM) the lead belongs to. */
    readonly accountId: string | null = null,
  ) {
    super();
  }
}

/**
 * Decisions on state checked against the store, for a merge whose survivor kept moving under
 * it (other processes appending to it): each round reads both leads again.
 */
const CHECKED_ATTEMPTS = 5;

/**
 * Ids the client may omit are minted here, so the decider stays deterministic: derived from
 * the Idempotency-Key's scope when there is one, so a retry after the key's lifetime names the
 * same touch (recorded once) or the same opportunity (opened once), ADR 0007.
 */
function withIds(command: LeadCommand, scope: string | undefined): LeadCommand {
  if (command.type === 'RecordTouchpoint' && command.data.touchpointId === '') {
    return { ...command, data: { ...command.data, touchpointId: mintId(scope, 'touchpoint') } };
  }
  if (command.type === 'OpenOpportunity' && command.data.opportunityId === '') {
    return { ...command, data: { ...command.data, opportunityId: mintId(scope, 'opportunity') } };
  }
  return command;
}

/**
 * When a command happens: its occurredAt, else now, and never before the lead's last stage
 * change, which a client may have dated up to the allowed clock skew ahead of this server's clock.
 */
function decisionTime(state: LeadState, options: CommandOptions, serverNow: string): string {
  const since = state.stageSince;
  return options.occurredAt === undefined &&
    since !== null &&
    Date.parse(since) > Date.parse(serverNow)
    ? new Date(since).toISOString()
    : serverNow;
}

/** A lead other than the command's that its append writes to, at the revision it was read at. */
interface OtherLead {
  readonly leadId: string;
  readonly fold: LeadFold;
}

@CommandHandler(ExecuteLeadCommand)
export class ExecuteLeadCommandHandler implements ICommandHandler<ExecuteLeadCommand> {
  // Per process, like the handler itself (a singleton provider).
  private readonly queue = new LeadCommandQueue();
  private readonly leads: LeadStateCache;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly definitions: ActiveDefinition,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.leads = new LeadStateCache(store);
  }

  execute(request: ExecuteLeadCommand): Promise<LeadCommandResult> {
    authorize(request.context.actor.role, request.command.type);
    const work = () => this.decideAndAppend(request);
    if (request.command.type !== 'MergeLead') return this.queue.run(request.leadId, work);
    // A merge reads its survivor's state too: it holds both leads' lanes, always taken in id
    // order, so two crossing merges (A into B, B into A) in this process cannot both see the
    // other lead live and leave a cycle with no survivor.
    const [first, second] = [request.leadId, request.command.data.intoLeadId].sort();
    if (second === undefined || first === second) return this.queue.run(request.leadId, work);
    return this.queue.run(first!, () => this.queue.run(second, work));
  }

  private async decideAndAppend(request: ExecuteLeadCommand): Promise<LeadCommandResult> {
    const { leadId } = request;
    const now = new Date(request.options.occurredAt ?? Date.now()).toISOString();
    const unchecked =
      this.leads.cached(leadId) ??
      (request.command.type === 'CaptureLead' ? emptyLeadFold() : undefined);
    if (unchecked !== undefined) {
      try {
        return await this.decideOn(unchecked, request, now);
      } catch (error) {
        // The cache may have been behind the stream: decide again on what the store holds.
        // Only errors raised before anything was written: never one the append may hide.
        if (!(error instanceof WrongExpectedRevisionError || error instanceof DomainError)) {
          throw error;
        }
      }
    }
    return this.decideChecked(request, now);
  }

  /**
   * Decides on the lead as the store holds it. A refusal that names another stream is a merge's
   * survivor that moved after it was checked (ADR 0015): nothing was written, so decide again,
   * on both leads read afresh. So is a refusal of the lead's own stream when all that moved it
   * is other leads merged into it (DuplicateMergedIn, ADR 0016): no caller of this lead wrote,
   * and a client that named no revision would otherwise get a 409 for a merge it never saw.
   * Any other conflict of the lead's own is the caller's (409), never retried.
   */
  private async decideChecked(
    request: ExecuteLeadCommand,
    now: string,
  ): Promise<LeadCommandResult> {
    const own = leadStreamId(request.leadId);
    let lead: LeadFold | undefined;
    return decideAgainOnConflict(
      CHECKED_ATTEMPTS,
      async () => {
        lead = await this.leads.load(request.leadId);
        return this.decideOn(lead, request, now);
      },
      // The survivor moved, or only merges into the lead did.
      (error) => error.streamId !== own || this.movedOnlyByMergesIn(request, lead!),
    );
  }

  /** Whether every event appended to the lead since `lead` is another lead merged into it. */
  private async movedOnlyByMergesIn(request: ExecuteLeadCommand, lead: LeadFold): Promise<boolean> {
    if (request.options.expectedRevision !== undefined) return false;
    const since = await this.store.readStream(leadStreamId(request.leadId), {
      fromRevision: lead.revision === null ? 0n : lead.revision + 1n,
    });
    return since.length > 0 && since.every((event) => event.type === 'DuplicateMergedIn');
  }

  /** Decides on `lead` and appends at its revision: the store refuses if it is not the latest. */
  private async decideOn(
    lead: LeadFold,
    request: ExecuteLeadCommand,
    serverNow: string,
  ): Promise<LeadCommandResult> {
    const { leadId, options, context } = request;
    const now = decisionTime(lead.state, options, serverNow);
    const streamId = leadStreamId(leadId);
    if (
      options.expectedRevision !== undefined &&
      BigInt(options.expectedRevision) !== (lead.revision ?? -1n)
    ) {
      throw new WrongExpectedRevisionError(
        streamId,
        String(options.expectedRevision),
        lead.revision,
      );
    }
    const survivor =
      request.command.type === 'MergeLead' && request.command.data.intoLeadId !== leadId
        ? await this.requireSurvivor(request.command.data.intoLeadId)
        : null;
    const definition = await this.definitions.current();
    const scope = context.idempotencyScope;
    const events = decideLead(withIds(request.command, scope), lead.state, {
      leadId,
      definition,
      now,
    });
    const personsOtherLeads =
      request.command.type === 'EraseLead' && lead.revision !== null
        ? await this.otherLeadsToErase(leadId, lead.state)
        : [];
    // A retry of what the lead already holds (a touchpoint id recorded before) decides nothing:
    // answered as the success it was, at the lead's revision, with no events and no append.
    if (events.length === 0 && lead.revision !== null && personsOtherLeads.length === 0) {
      return { leadId, revision: Number(lead.revision), events: [] };
    }
    const accountId = lead.accountId ?? request.accountId;
    const write = writeContext(context, { leadId, accountId, occurredAt: now });
    let toAppend: readonly EventToAppend[];
    let result: { readonly nextExpectedRevision: bigint; readonly lastGlobalPosition: bigint };
    if (personsOtherLeads.length > 0) {
      toAppend = envelopesFor(events, write, eventIdsFor(scope, streamId));
      result = await this.eraseTogether(
        { leadId, fold: lead, events: toAppend },
        personsOtherLeads,
        request,
        { definition, serverNow },
      );
    } else if (survivor === null) {
      const written = await writeEvents(
        this.store,
        streamId,
        events,
        write,
        lead.revision ?? 'no_stream',
        [],
        eventIdsFor(scope, streamId),
      );
      ({ appended: result, envelopes: toAppend } = written);
    } else {
      // The merge and its survivor's fact, all or nothing, each at the revision decided on.
      toAppend = envelopesFor(events, write, eventIdsFor(scope, streamId));
      const survivorFact = envelopesFor(
        [duplicateMergedIn(leadId, lead.state)],
        { ...write, leadId: survivor.leadId, accountId: survivor.fold.accountId },
        eventIdsFor(scope, leadStreamId(survivor.leadId)),
      );
      const parts: StreamAppend[] = [
        { streamId, events: toAppend, expectedRevision: lead.revision ?? 'no_stream' },
        {
          streamId: leadStreamId(survivor.leadId),
          events: survivorFact,
          expectedRevision: survivor.fold.revision as bigint,
        },
      ];
      const written = await this.store.appendToStreams(parts);
      const [own, survivorRevision] = written.nextExpectedRevisions as [bigint, bigint];
      result = { nextExpectedRevision: own, lastGlobalPosition: written.lastGlobalPosition };
      this.leads.remember(
        survivor.leadId,
        foldAppended(survivor.fold, survivor.leadId, survivorFact, {
          nextExpectedRevision: survivorRevision,
          lastGlobalPosition: written.lastGlobalPosition,
        }),
      );
    }
    this.leads.remember(leadId, foldAppended(lead, leadId, toAppend, result));
    this.logger.info(
      {
        leadId,
        command: request.command.type,
        events: toAppend.map((event) => event.type),
        revision: Number(result.nextExpectedRevision),
        rulesVersion: definition.version,
        actor: context.actor.id,
      },
      'command handled',
    );
    return {
      leadId,
      revision: Number(result.nextExpectedRevision),
      events: toAppend.map((event) => ({ eventId: event.eventId, type: event.type })),
      ...(personsOtherLeads.length > 0
        ? { alsoErased: personsOtherLeads.map((other) => other.leadId) }
        : {}),
    };
  }

  /**
   * The leads a merge linked to `leadId`, either way and transitively, that are not erased yet,
   * each as the store holds it (sorted by id): the same person's, erased with it. Each lead's
   * own links (mergeLinks) and the store's `LeadMerged` events naming it (readMergesInto): a
   * merge stored before ADR 0016 left no record on its survivor, only on the duplicate's stream.
   * A link whose lead was never captured is skipped.
   */
  private async otherLeadsToErase(leadId: string, state: LeadState): Promise<OtherLead[]> {
    const seen = new Set([leadId]);
    const pending = [...mergeLinks(state), ...(await this.mergedInto(leadId))];
    const found: OtherLead[] = [];
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      if (seen.has(next)) continue;
      seen.add(next);
      const fold = await this.leads.load(next);
      if (fold.revision === null) continue;
      pending.push(...mergeLinks(fold.state), ...(await this.mergedInto(next)));
      if (fold.state.status !== 'erased') found.push({ leadId: next, fold });
    }
    return found.sort((a, b) => (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0));
  }

  /** The leads whose streams record a merge into `leadId`, whichever code wrote it. */
  private async mergedInto(leadId: string): Promise<string[]> {
    return (await this.store.readMergesInto(leadId)).map((record) => {
      const decoded = decodeStoredEvent(record);
      // A stored merge that does not decode to a lead's is corruption: fail loudly.
      const merged = decoded.ok ? decoded.envelope.leadId : null;
      if (merged === null) {
        const reason = decoded.ok ? 'no lead id' : decoded.reason;
        throw new Error(`merge into ${leadId}: undecodable event ${record.eventId}: ${reason}`);
      }
      return merged;
    });
  }

  /**
   * The erasure of `lead` (its events, none when it was erased before) and of the person's
   * other leads, in one append: all or nothing, each stream at the revision read. A stream that
   * moved meanwhile refuses it, and the command is decided again on what the store holds.
   */
  private async eraseTogether(
    lead: OtherLead & { readonly events: readonly EventToAppend[] },
    others: readonly OtherLead[],
    request: ExecuteLeadCommand,
    decided: { readonly definition: FunnelDefinition; readonly serverNow: string },
  ): Promise<{ readonly nextExpectedRevision: bigint; readonly lastGlobalPosition: bigint }> {
    const { definition, serverNow } = decided;
    const written = others.map((other) => {
      const now = decisionTime(other.fold.state, request.options, serverNow);
      const events = decideLead(request.command, other.fold.state, {
        leadId: other.leadId,
        definition,
        now,
      });
      const envelopes = envelopesFor(
        events,
        writeContext(request.context, {
          leadId: other.leadId,
          accountId: other.fold.accountId,
          occurredAt: now,
        }),
        eventIdsFor(request.context.idempotencyScope, leadStreamId(other.leadId)),
      );
      return { ...other, envelopes };
    });
    const parts: (StreamAppend & { readonly other?: (typeof written)[number] })[] = [
      ...(lead.events.length > 0
        ? [
            {
              streamId: leadStreamId(lead.leadId),
              events: lead.events,
              expectedRevision: lead.fold.revision ?? ('no_stream' as const),
            },
          ]
        : []),
      ...written.map((other) => ({
        streamId: leadStreamId(other.leadId),
        events: other.envelopes,
        expectedRevision: other.fold.revision as bigint,
        other,
      })),
    ];
    // More leads than one append may write go in several, the command's own lead in the first:
    // a crash between them leaves leads to erase that a retry finds (links outlive erasure).
    // Every one of the person's keys is destroyed first, in one statement, so whatever stops
    // the appends, none of the person's values is readable from here on: a retry only records
    // the LeadErased events left (docs/personal-data.md).
    if (parts.length > MAX_STREAMS_PER_APPEND && supportsPersonalData(this.store)) {
      await this.store.shredLeadKeys([lead.leadId, ...others.map((other) => other.leadId)]);
    }
    let own = lead.fold.revision as bigint;
    let lastGlobalPosition = 0n;
    for (let from = 0; from < parts.length; from += MAX_STREAMS_PER_APPEND) {
      const chunk = parts.slice(from, from + MAX_STREAMS_PER_APPEND);
      const appended = await this.store.appendToStreams(
        chunk.map(({ streamId, events, expectedRevision }) => ({
          streamId,
          events,
          expectedRevision,
        })),
      );
      lastGlobalPosition = appended.lastGlobalPosition;
      chunk.forEach((part, index) => {
        const revision = appended.nextExpectedRevisions[index] as bigint;
        if (part.other === undefined) {
          own = revision;
          return;
        }
        this.leads.remember(
          part.other.leadId,
          foldAppended(part.other.fold, part.other.leadId, part.other.envelopes, {
            nextExpectedRevision: revision,
            lastGlobalPosition,
          }),
        );
      });
    }
    return { nextExpectedRevision: own, lastGlobalPosition };
  }

  /**
   * A merge names its survivor, which must be a live lead: one never captured is a 404, not a
   * dangling link; one itself merged away or erased is a 422, for a merge into it would point
   * the duplicate at a lead that accepts nothing (A into B after B into A leaves no survivor).
   * Returns the fold checked: the merge's append holds only while the survivor is still at it.
   */
  private async requireSurvivor(
    leadId: string,
  ): Promise<{ readonly leadId: string; readonly fold: LeadFold }> {
    const survivor = await this.leads.load(leadId);
    if (survivor.revision === null) throw new LeadNotFoundError(leadId);
    const refusal = mergeSurvivorRefusal(leadId, survivor.state.status);
    if (refusal !== null) throw new RuleViolationError(refusal);
    return { leadId, fold: survivor };
  }
}
