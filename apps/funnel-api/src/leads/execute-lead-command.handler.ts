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
 * A merge also depends on its survivor: the append is conditioned on the survivor's stream
 * still being at the revision that was checked (ADR 0015), so a merge racing another process's
 * crossing merge, or an erasure or merge of its survivor, never lands on a survivor that is no
 * longer live. If the survivor moved, the merge is decided again on what the store holds, and
 * the loser gets what one process would answer (422: its survivor was merged away or erased).
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  authorize,
  decideLead,
  DomainError,
  type LeadCommand,
  LeadNotFoundError,
  RuleViolationError,
  leadStreamId,
  mergeSurvivorRefusal,
} from '@tandem/domain';
import {
  type EventStore,
  type StreamCondition,
  WrongExpectedRevisionError,
  writeEvents,
} from '@tandem/event-store';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { ActiveDefinition } from '../definitions/active-definition.service';
import type { RequestContext } from '../http/request-context';
import { EVENT_STORE, LOGGER } from '../platform/tokens';
import { writeContext } from '../platform/write-context';
import type { CommandOptions } from './lead-command.requests';
import { LeadCommandQueue } from './lead-command.queue';
import { LeadStateCache } from './lead-state.cache';
import { emptyLeadFold, foldAppended, type LeadFold } from './lead.stream';

export interface LeadCommandResult {
  readonly leadId: string;
  readonly revision: number;
  readonly events: readonly { readonly eventId: string; readonly type: string }[];
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

/** Ids the client may omit are minted here, so the decider stays deterministic. */
function withIds(command: LeadCommand): LeadCommand {
  if (command.type === 'RecordTouchpoint' && command.data.touchpointId === '') {
    return { ...command, data: { ...command.data, touchpointId: uuidv7() } };
  }
  if (command.type === 'OpenOpportunity' && command.data.opportunityId === '') {
    return { ...command, data: { ...command.data, opportunityId: uuidv7() } };
  }
  return command;
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
   * on both leads read afresh. The lead's own conflicts are the caller's (409), never retried.
   */
  private async decideChecked(
    request: ExecuteLeadCommand,
    now: string,
  ): Promise<LeadCommandResult> {
    const own = leadStreamId(request.leadId);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.decideOn(await this.leads.load(request.leadId), request, now);
      } catch (error) {
        const survivorMoved = error instanceof WrongExpectedRevisionError && error.streamId !== own;
        if (!survivorMoved || attempt >= CHECKED_ATTEMPTS) throw error;
      }
    }
  }

  /** Decides on `lead` and appends at its revision: the store refuses if it is not the latest. */
  private async decideOn(
    lead: LeadFold,
    request: ExecuteLeadCommand,
    serverNow: string,
  ): Promise<LeadCommandResult> {
    const { leadId, options, context } = request;
    // A command without occurredAt happens now, and never before the lead's last stage change,
    // which a client may have dated up to the allowed clock skew ahead of this server's clock.
    const since = lead.state.stageSince;
    const now =
      options.occurredAt === undefined &&
      since !== null &&
      Date.parse(since) > Date.parse(serverNow)
        ? new Date(since).toISOString()
        : serverNow;
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
    const conditions: StreamCondition[] = [];
    if (request.command.type === 'MergeLead' && request.command.data.intoLeadId !== leadId) {
      const { intoLeadId } = request.command.data;
      const survivorRevision = await this.requireSurvivor(intoLeadId);
      conditions.push({ streamId: leadStreamId(intoLeadId), expectedRevision: survivorRevision });
    }
    const definition = await this.definitions.current();
    const events = decideLead(withIds(request.command), lead.state, { leadId, definition, now });
    // A retry of what the lead already holds (a touchpoint id recorded before) decides nothing:
    // answered as the success it was, at the lead's revision, with no events and no append.
    if (events.length === 0 && lead.revision !== null) {
      return { leadId, revision: Number(lead.revision), events: [] };
    }
    const accountId = lead.accountId ?? request.accountId;
    const { appended: result, envelopes: toAppend } = await writeEvents(
      this.store,
      streamId,
      events,
      writeContext(context, { leadId, accountId, occurredAt: now }),
      lead.revision ?? 'no_stream',
      conditions,
    );
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
    };
  }

  /**
   * A merge names its survivor, which must be a live lead: one never captured is a 404, not a
   * dangling link; one itself merged away or erased is a 422, for a merge into it would point
   * the duplicate at a lead that accepts nothing (A into B after B into A leaves no survivor).
   * Returns the revision checked: the merge's append holds only while the survivor is still there.
   */
  private async requireSurvivor(leadId: string): Promise<bigint> {
    const survivor = await this.leads.load(leadId);
    if (survivor.revision === null) throw new LeadNotFoundError(leadId);
    const refusal = mergeSurvivorRefusal(leadId, survivor.state.status);
    if (refusal !== null) throw new RuleViolationError(refusal);
    return survivor.revision;
  }
}
